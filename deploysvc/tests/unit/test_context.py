"""The request context, and the identity the auth middleware leaves."""

import ddt
import webob

from deploysvc.api.middleware import auth
from deploysvc import context
from deploysvc.db import api as db_api
from deploysvc import exception
from deploysvc.tests import base
from deploysvc.tests import fixtures as test_fixtures
from deploysvc.tests.unit.api import base as api_base

# What keystonemiddleware's auth_token leaves in the environment.
KEYSTONE_ENVIRON = {
    'HTTP_X_USER_ID': 'u-1',
    'HTTP_X_USER_NAME': 'alice',
    'HTTP_X_USER_DOMAIN_ID': 'default',
    'HTTP_X_PROJECT_ID': base.PROJECT,
    'HTTP_X_PROJECT_NAME': 'demo',
    'HTTP_X_PROJECT_DOMAIN_ID': 'default',
    'HTTP_X_ROLES': 'member, reader',
    'HTTP_X_AUTH_TOKEN': 'a-token',
    'HTTP_X_IDENTITY_STATUS': 'Confirmed',
    'openstack.request_id': 'req-7b9c6c3e-9f39-4a4b-8d3b-6d3c0a2a1f00',
}


@ddt.ddt
class TestRequestContext(base.TestCase):

    def from_environ(self, **overrides):
        environ = dict(KEYSTONE_ENVIRON)
        environ.update(overrides)
        return context.RequestContext.from_environ(environ)

    def test_from_keystone_headers(self):
        ctx = self.from_environ()
        self.assertEqual('u-1', ctx.user_id)
        self.assertEqual('alice', ctx.user_name)
        self.assertEqual(base.PROJECT, ctx.project_id)
        self.assertEqual('demo', ctx.project_name)
        self.assertEqual('default', ctx.project_domain_id)
        self.assertEqual(['member', 'reader'], ctx.roles)
        self.assertEqual('a-token', ctx.auth_token)
        self.assertEqual(KEYSTONE_ENVIRON['openstack.request_id'],
                         ctx.request_id)
        self.assertTrue(ctx.is_admin_project)
        self.assertFalse(ctx.is_admin)

    def test_policy_values(self):
        values = self.from_environ().to_policy_values()
        self.assertEqual(base.PROJECT, values['project_id'])
        self.assertEqual('u-1', values['user_id'])
        self.assertEqual(['member', 'reader'], values['roles'])
        self.assertTrue(values['is_admin_project'])

    @ddt.data(
        # X-Roles, X-Is-Admin-Project (None: not sent), is_admin
        ('admin,member,reader', None, True),
        ('admin', None, True),
        ('admin,member,reader', 'True', True),
        ('admin,member,reader', 'true', True),
        ('admin,member,reader', 'False', False),
        ('admin,member,reader', 'false', False),
        ('member,reader', None, False),
        ('member,reader', 'True', False),
        ('heat_stack_user', None, False),
        ('', None, False),
    )
    @ddt.unpack
    def test_is_admin_from_context_is_admin(self, roles, admin_project,
                                            is_admin):
        overrides = {'HTTP_X_ROLES': roles}
        if admin_project is not None:
            overrides['HTTP_X_IS_ADMIN_PROJECT'] = admin_project
        ctx = self.from_environ(**overrides)
        self.assertIs(is_admin, ctx.is_admin)

    def test_is_admin_follows_the_rule(self):
        self.policy.set_rules({'context_is_admin': 'role:operator'})
        self.assertTrue(self.from_environ(
            HTTP_X_ROLES='operator').is_admin)
        self.assertFalse(self.from_environ(
            HTTP_X_ROLES='admin,member,reader').is_admin)

    def test_explicit_is_admin_wins(self):
        ctx = context.RequestContext(user_id='u', project_id='p',
                                     roles=[], is_admin=True)
        self.assertTrue(ctx.is_admin)
        ctx = context.RequestContext(user_id='u', project_id='p',
                                     roles=['admin'], is_admin=False)
        self.assertFalse(ctx.is_admin)

    def test_can_defaults_to_own_project(self):
        ctx = self.make_context(roles=['reader'])
        self.assertTrue(ctx.can('software_configs:show'))
        error = self.assertRaises(exception.Forbidden, ctx.can,
                                  'software_configs:show',
                                  {'project_id': base.OTHER_PROJECT})
        self.assertEqual('You are not authorized to use '
                         'software_configs:show.', error.message)

    def test_admin_context(self):
        ctx = context.get_admin_context()
        self.assertTrue(ctx.is_admin)
        self.assertIsNone(ctx.project_id)

    def test_roundtrip_keeps_admin_flag(self):
        ctx = self.from_environ(HTTP_X_ROLES='admin')
        copy = context.RequestContext.from_dict(ctx.to_dict())
        self.assertTrue(copy.is_admin)
        self.assertEqual(ctx.project_id, copy.project_id)

    def test_transactions_belong_to_the_context(self):
        ctx = self.make_context()
        with test_fixtures.CONTEXT_MANAGER.writer.using(ctx):
            self.assertIsNotNone(ctx.session)


def _capture(captured):
    def app(environ, start_response):
        captured.update(environ)
        start_response('204 No Content', [])
        return [b'']
    return app


@ddt.ddt
class TestNoAuthMiddleware(base.TestCase):

    def call(self, path, headers=None):
        captured = {}
        request = webob.Request.blank(path, headers=headers or {})
        response = request.get_response(auth.NoAuth(_capture(captured)))
        return response, captured

    def test_defaults_to_member_of_the_url_project(self):
        response, environ = self.call('/v1/proj-1/software_configs')
        self.assertEqual(204, response.status_int)
        self.assertEqual('proj-1', environ['HTTP_X_PROJECT_ID'])
        self.assertEqual('noauth', environ['HTTP_X_USER_ID'])
        self.assertEqual('member,reader', environ['HTTP_X_ROLES'])
        self.assertEqual('Confirmed', environ['HTTP_X_IDENTITY_STATUS'])
        ctx = context.RequestContext.from_environ(environ)
        self.assertEqual(('noauth', 'proj-1', ['member', 'reader'], False),
                         (ctx.user_id, ctx.project_id, ctx.roles,
                          ctx.is_admin))

    @ddt.data('/v1.0/proj-1/software_deployments', '/v1/proj-1/validate')
    def test_url_forms(self, path):
        response, environ = self.call(path)
        self.assertEqual('proj-1', environ['HTTP_X_PROJECT_ID'])

    def test_headers_are_honoured(self):
        response, environ = self.call(
            '/v1/proj-1/software_configs',
            {'X-User-Id': 'bob', 'X-Project-Id': 'proj-2',
             'X-Roles': 'reader', 'X-Is-Admin-Project': 'False'})
        self.assertEqual(204, response.status_int)
        ctx = context.RequestContext.from_environ(environ)
        self.assertEqual(('bob', 'proj-2', ['reader']),
                         (ctx.user_id, ctx.project_id, ctx.roles))
        self.assertFalse(ctx.is_admin_project)

    def test_empty_roles_stay_empty(self):
        response, environ = self.call('/v1/proj-1/software_configs',
                                      {'X-Roles': ''})
        self.assertEqual('', environ['HTTP_X_ROLES'])
        self.assertEqual([], context.RequestContext.from_environ(
            environ).roles)

    def test_admin_header(self):
        response, environ = self.call('/v1/proj-1/software_configs',
                                      {'X-Roles': 'admin,member,reader'})
        self.assertTrue(context.RequestContext.from_environ(
            environ).is_admin)

    def test_no_project_is_unauthorized(self):
        response, environ = self.call('/v1/software_configs/x/y')
        # "/v1/software_configs/..." names project "software_configs".
        self.assertEqual('software_configs', environ['HTTP_X_PROJECT_ID'])
        response, environ = self.call('/other/path')
        self.assertEqual({}, environ)
        self.assertEqual(401, response.status_int)
        self.assertEqual('application/json', response.content_type)
        self.assertEqual('HTTPUnauthorized', response.json['error']['type'])
        self.assertEqual(401, response.json['code'])

    @ddt.data('/', '/v1', '/v1/', '/v1.0', '/versions', '/versions/',
              '/v2', '/v2/x/software_configs', '/v1.1/x', '/v10/x',
              '/agent/v1/metadata/a/b')
    def test_public_paths_get_no_identity(self, path):
        self.assertTrue(auth.is_public(path))
        response, environ = self.call(path)
        self.assertEqual(204, response.status_int)
        self.assertNotIn('HTTP_X_PROJECT_ID', environ)
        self.assertNotIn('HTTP_X_ROLES', environ)

    @ddt.data('/v1/p/software_configs', '/v1.0/p/software_configs',
              '/v1/versions', '/v1/v2/software_configs', '/versionsx',
              '/v2x/p', '/foo', '/agent')
    def test_other_paths_need_an_identity(self, path):
        self.assertFalse(auth.is_public(path))


class TestNoAuthPipeline(api_base.ApiTestCase):
    """Through the real paste pipeline: noauth still enforces policy."""

    def test_no_headers_member_of_the_url_project(self):
        created = self.post('/software_configs', {'name': 'n'}, headers={},
                            status=200).json['software_config']
        row = db_api.config_get(self.context, created['id'])
        self.assertEqual(self.project_id, row.project_id)
        listed = self.get('/software_configs', headers={},
                          status=200).json['software_configs']
        self.assertEqual([created['id']], [c['id'] for c in listed])
        self.assertNotIn('project', listed[0])
        # Not an admin: another project's URL is its own, and empty.
        other = self.get('/software_configs', headers={},
                         project_id=base.OTHER_PROJECT,
                         status=200).json['software_configs']
        self.assertEqual([], other)

    def test_roles_header_honoured(self):
        response = self.post('/software_configs', {'name': 'n'},
                             headers={'X-Roles': 'reader'})
        self.assertError(response, 403, 'Forbidden',
                         'You are not authorized to use '
                         'software_configs:create.')

    def test_project_header_honoured(self):
        response = self.get('/software_configs',
                            headers={'X-Project-Id': base.OTHER_PROJECT})
        self.assertError(response, 403, 'HTTPForbidden',
                         'Access was denied to this resource.')

    def test_admin_header_not_admin_project(self):
        headers = self.headers(project_id=base.OTHER_PROJECT,
                               roles='admin,member,reader',
                               **{'X-Is-Admin-Project': 'False'})
        self.assertError(self.get('/software_configs', headers=headers),
                         403, 'HTTPForbidden')
        headers['X-Is-Admin-Project'] = 'True'
        self.get('/software_configs', headers=headers, status=200)
