"""The one router: v1.ROUTES, asked by the root controller's route."""

import ddt
import fixtures
import pecan
import webob.exc
import webtest

from deploysvc.api import app
from deploysvc.api.controllers import v1
from deploysvc.api.controllers.v1 import server_agents
from deploysvc.api.controllers.v1 import software_configs
from deploysvc.api.controllers.v1 import software_deployment_groups as sdg
from deploysvc.api.controllers.v1 import software_deployments
from deploysvc.api.controllers.v1 import validate
from deploysvc.api import hooks
from deploysvc import exception
from deploysvc.tests import base
from deploysvc.tests.unit.api import base as api_base
from deploysvc.tests import utils

# Path below /v1/{tenant_id} -> (controller class, its id) of the table.
SHAPES = {
    'software_configs': (software_configs.ConfigsController, None),
    'software_configs/c-1': (software_configs.ConfigController, 'c-1'),
    'software_deployments': (software_deployments.DeploymentsController,
                             None),
    'software_deployments/d-1': (software_deployments.DeploymentController,
                                 'd-1'),
    'software_deployments/d-1/events': (
        software_deployments.EventsController, 'd-1'),
    'software_deployments/d-1/signal': (
        software_deployments.SignalController, 'd-1'),
    'software_deployments/d-1/cancel': (
        software_deployments.CancelController, 'd-1'),
    'software_deployments/metadata/signal': (
        software_deployments.ServerMetadataController, 'signal'),
    'software_deployments/metadata': (
        software_deployments.MetadataController, None),
    'software_deployments/metadata/s-1': (
        software_deployments.ServerMetadataController, 's-1'),
    'validate': (validate.ValidateController, None),
    'server_agents/s-1': (server_agents.ServerAgentController, 's-1'),
    'server_agents/show': (server_agents.ServerAgentController, 'show'),
    'software_deployment_groups': (sdg.GroupsController, None),
    'software_deployment_groups/g-1': (sdg.GroupController, 'g-1'),
    'software_deployment_groups/g-1/cancel': (sdg.GroupCancelController,
                                              'g-1'),
    'software_deployment_groups/g-1/deployments': (
        sdg.GroupDeploymentsController, 'g-1'),
    'software_deployment_groups/g-1/events': (sdg.GroupEventsController,
                                              'g-1'),
    'software_deployment_groups/cancel': (sdg.GroupController, 'cancel'),
    # An id that is a word of another route is still an id...
    'software_deployments/events': (
        software_deployments.DeploymentController, 'events'),
    'software_deployments/metadata/events': (
        software_deployments.ServerMetadataController, 'events'),
    'software_configs/software_deployments': (
        software_configs.ConfigController, 'software_deployments'),
    # ...and so is a name of a controller's method (as in Heat's routes)...
    'software_configs/index': (software_configs.ConfigController, 'index'),
    'software_configs/list': (software_configs.ConfigController, 'list'),
    'software_deployments/metadata/index': (
        software_deployments.ServerMetadataController, 'index'),
    # ...and a word starting with "_", even one naming an attribute.
    'software_configs/__class__': (software_configs.ConfigController,
                                   '__class__'),
    'software_configs/_lookup': (software_configs.ConfigController,
                                 '_lookup'),
    'software_deployments/_lookup/events': (
        software_deployments.EventsController, '_lookup'),
    'software_deployments/metadata/_lookup': (
        software_deployments.ServerMetadataController, '_lookup'),
    'server_agents/_lookup': (server_agents.ServerAgentController,
                              '_lookup'),
}

# Paths (below /v1/{tenant_id}) that name nothing: 404.
UNKNOWN = [
    '', 'nothing', 'index', 'software_configs/', 'software_configs//x',
    'software_configs/c-1/', 'software_configs/c-1/x',
    'software_deployments/metadata/', 'software_deployments/d-1/x',
    'software_deployments/d-1/events/', 'software_deployments/metadata/s/x',
    'server_agents', 'server_agents/', 'server_agents/s-1/x', 'validate/',
    'validate/x', 'validate/index',
]


@ddt.ddt
class TestRouteTable(base.TestCase):

    def route(self, path, tenant=base.PROJECT, context=None):
        segments = [tenant] + path.split('/')
        return v1.route(segments, context or self.context)

    @ddt.data(*sorted(SHAPES))
    def test_shape(self, path):
        cls, item_id = SHAPES[path]
        handler = self.route(path)
        self.assertIsInstance(handler.__self__, cls)
        self.assertEqual('index', handler.__name__)
        for name in ('config_id', 'deployment_id', 'server_id', 'group_id'):
            if hasattr(handler.__self__, name):
                self.assertEqual(item_id, getattr(handler.__self__, name))
                break
        else:
            self.assertIsNone(item_id)

    @ddt.data(*UNKNOWN)
    def test_unknown(self, path):
        self.assertRaises(webob.exc.HTTPNotFound, self.route, path)

    def test_every_route_is_tried(self):
        tried = set(tuple('*' if word in ('c-1', 'd-1', 's-1', 'g-1')
                          else word
                          for word in path.split('/')) for path in SHAPES)
        self.assertEqual(set(), set(v1.ROUTES) - tried)

    @ddt.data('_lookup', '__class__', 'index')
    def test_tenant_is_an_id(self, tenant):
        admin = self.make_context(roles=('admin',))
        handler = self.route('software_configs', tenant=tenant,
                             context=admin)
        self.assertIsInstance(handler.__self__,
                              software_configs.ConfigsController)

    def test_foreign_tenant_is_forbidden(self):
        self.assertRaises(exception.TenantForbidden, self.route,
                          'software_configs', tenant=base.OTHER_PROJECT)

    def test_admin_may_name_any_tenant(self):
        admin = self.make_context(roles=('admin',))
        handler = self.route('software_deployments/d-1',
                             tenant=base.OTHER_PROJECT, context=admin)
        self.assertEqual('d-1', handler.__self__.deployment_id)

    def test_unknown_path_of_a_foreign_tenant_is_forbidden(self):
        # The project is checked first, unless the URL ends with a slash
        # or has a "_" segment outside an id.
        self.assertRaises(exception.TenantForbidden, self.route,
                          'nothing', tenant=base.OTHER_PROJECT)
        self.assertRaises(webob.exc.HTTPNotFound, self.route,
                          'software_configs/', tenant=base.OTHER_PROJECT)
        self.assertRaises(webob.exc.HTTPNotFound, self.route,
                          'nothing/_x', tenant=base.OTHER_PROJECT)


@ddt.ddt
class TestRootRoute(api_base.ApiTestCase):
    """What the single router answers, seen from the outside."""

    def setUp(self):
        super().setUp()
        config = utils.create_test_config(self.context)
        deployment = utils.create_test_deployment(self.context,
                                                  config_id=config.id)
        self.ids = {'config': config.id, 'deployment': deployment.id,
                    'server': deployment.server_id}

    @ddt.data('/software_configs', '/software_configs/{config}',
              '/software_deployments', '/software_deployments/{deployment}',
              '/software_deployments/{deployment}/events',
              '/software_deployments/metadata/{server}')
    def test_known_urls(self, path):
        response = self.get(path.format(**self.ids), status=200)
        self.assertEqual('application/json', response.content_type)

    @ddt.data('/', '/versions', '/versions/', '/versions/x', '/v2',
              '/v2/x/software_configs', '/v1.1/x', '/v3.0')
    def test_versions(self, path):
        response = self.request('GET', path, status=300)
        self.assertEqual('v1.0', response.json['versions'][0]['id'])

    @ddt.data('/v1', '/v1/', '/v1.0/', '/index', '/nothing', '/_route',
              '/__class__', '/v1x', '/V1/x/software_configs')
    def test_unknown_root_urls(self, path):
        self.assertError(self.request('GET', path), 404, 'HTTPNotFound')

    # (paste's urlmap turns "//" into "/" before Pecan sees the path.)
    @ddt.data(*[path for path in UNKNOWN if '//' not in path])
    def test_unknown_urls(self, path):
        for method in ('GET', 'PUT', 'POST', 'DELETE', 'PATCH'):
            response = self.request(method, self.url('/' + path))
            self.assertError(response, 404, 'HTTPNotFound')

    def test_foreign_project_first(self):
        other = base.OTHER_PROJECT
        headers = self.headers()
        self.assertError(self.get('/nothing', project_id=other,
                                  headers=headers), 403, 'HTTPForbidden')
        self.assertError(self.request('GET', '/v1/' + other,
                                      headers=headers),
                         403, 'HTTPForbidden')
        self.assertError(self.get('/software_configs/', project_id=other,
                                  headers=headers),
                         404, 'HTTPNotFound')

    @ddt.data(('/software_configs', 'GET, POST'),
              ('/software_configs/{config}', 'DELETE, GET'),
              ('/software_deployments', 'GET, POST'),
              ('/software_deployments/{deployment}', 'DELETE, GET, PUT'),
              ('/software_deployments/{deployment}/events', 'GET'),
              ('/software_deployments/metadata', 'GET'),
              ('/software_deployments/metadata/{server}', 'GET'),
              ('/validate', 'POST'),
              ('/server_agents/{server}', 'DELETE, GET, POST'))
    @ddt.unpack
    def test_other_methods(self, path, allow):
        path = path.format(**self.ids)
        response = self.request('OPTIONS', self.url(path), status=204)
        self.assertEqual(allow, ', '.join(sorted(
            response.headers['Allow'].replace(' ', '').split(','))))
        self.assertEqual(b'', response.body)
        response = self.request('PATCH', self.url(path))
        self.assertError(response, 405, 'HTTPMethodNotAllowed')
        self.assertEqual(allow, ', '.join(sorted(
            response.headers['Allow'].replace(' ', '').split(','))))

    def test_method_names_are_ids(self):
        self.assertError(self.get('/software_configs/index', status=404),
                         404, 'NotFound',
                         'Software config with id index not found')
        self.assertEqual({'metadata': []}, self.get(
            '/software_deployments/metadata/index', status=200).json)


@ddt.ddt
class TestPecanHooksInUrls(api_base.ApiTestCase):
    """A URL naming _lookup, _default or _route is a 4xx, never a 500."""

    @ddt.data(*[p + s for p in (
        'software_configs/_lookup', 'software_deployments/_lookup',
        'software_deployments/_lookup/events', 'software_deployments/_route',
        'software_deployments/metadata/_lookup', 'server_agents/_lookup',
        'software_configs/_default', '_lookup', 'validate/_lookup',
        'software_deployments/_lookup/x', 'software_configs/__class__',
        '__class__', 'software_deployments/__init__/events',
        'validate/__dict__') for s in ('', '/')])
    def test_hook_names(self, path):
        for method in ('GET', 'PUT', 'DELETE', 'POST', 'PATCH', 'OPTIONS'):
            response = self.app.request(
                self.url('/' + path), method=method, headers=self.headers(),
                expect_errors=True)
            self.assertLess(response.status_int, 500, (method, path))
            if response.status_int >= 400:
                self.assertError(response, response.status_int,
                                 response.json['error']['type'])

    def test_hook_name_is_an_id(self):
        self.assertError(self.get('/software_configs/_lookup', status=404),
                         404, 'NotFound',
                         'Software config with id _lookup not found')


class TestApplication(api_base.ApiTestCase):
    """Pecan routes and calls handlers without inspecting them per request.

    (Each inspection cost 58 us: see deploysvc.api.app.Application.)
    """

    def test_no_signature_is_inspected_per_request(self):
        config = utils.create_test_config(self.context)
        for module in ('pecan.core', 'pecan.routing'):
            self.useFixture(fixtures.MockPatch(
                module + '.getargspec',
                side_effect=AssertionError('inspected per request')))
        response = self.get('/software_configs/%s' % config.id)
        self.assertEqual(config.id, response.json['software_config']['id'])
        self.assertEqual(300, self.app.get('/', expect_errors=True).status_int)

    def test_a_handler_must_answer_with_a_response(self):
        class Root(object):
            @pecan.expose()
            def index(self):
                return {'not': 'a response'}

            def route(self, request, path):
                return self.index
        application = app.Application(
            Root(), hooks=[hooks.ContextHook(), hooks.ErrorHook()],
            request_cls=app.Request, force_canonical=False)
        response = webtest.TestApp(application).get('/', expect_errors=True)
        self.assertEqual(500, response.status_int)
        self.assertEqual(500, response.json['code'])
