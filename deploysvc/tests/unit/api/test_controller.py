"""util.Controller: a URL's ids and handlers, each behind its policy."""

import fixtures
import webtest

from deploysvc.api import app
from deploysvc.api.controllers import util
from deploysvc.api import hooks
from deploysvc.tests import base


class TestController(base.TestCase):

    def setUp(self):
        super().setUp()
        calls = self.calls = []

        def can(context, action, target=None):
            calls.append(('can', action))
        self.useFixture(fixtures.MockPatch(
            'deploysvc.context.RequestContext.can', can))

        class Item(util.Controller):
            ids = ('item_id',)

            @util.handles('GET', 'items:show')
            def show(self, context):
                calls.append(('show', self.item_id))
                return util.respond({'id': self.item_id})

            @util.handles('DELETE', 'items:delete')
            def delete(self, context):
                calls.append(('delete', self.item_id))
                return util.no_content()

        class Items(util.Controller):

            @util.handles('POST', 'items:create')
            def create(self, context):
                calls.append(('create',))
                return util.respond({}, status=201)

        class Root(object):
            def route(self, request, path):
                words = path.split('/')[1:]
                return (Item(*words) if words[0] else Items()).index

        self.Item = Item
        self.app = webtest.TestApp(app.Application(
            Root(), hooks=[hooks.ContextHook(), hooks.ErrorHook()],
            request_cls=app.Request, force_canonical=False))

    def test_ids(self):
        self.assertEqual('i-1', self.Item('i-1').item_id)
        self.assertRaises(ValueError, self.Item)

    def test_policy_is_checked_before_the_handler(self):
        self.assertEqual({'id': 'i-1'}, self.app.get('/i-1').json)
        self.app.delete('/i-1', status=204)
        self.app.post('/', status=201)
        self.assertEqual([('can', 'items:show'), ('show', 'i-1'),
                          ('can', 'items:delete'), ('delete', 'i-1'),
                          ('can', 'items:create'), ('create',)],
                         self.calls)

    def test_other_methods(self):
        # Each class answers with its own methods, in the order it
        # defines them: the handler tables are not shared.
        for path, allow in (('/i-1', 'GET, DELETE'), ('/', 'POST')):
            for method in ('HEAD', 'PUT', 'PATCH', 'get'):
                response = self.app.request(path, method=method,
                                            expect_errors=True)
                self.assertEqual(405, response.status_int)
                self.assertEqual(allow, response.headers['Allow'])
            response = self.app.options(path, status=204)
            self.assertEqual(allow.replace(' ', ''),
                             response.headers['Allow'])
        self.assertEqual([], self.calls)
