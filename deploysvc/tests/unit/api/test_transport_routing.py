"""Transport conventions, on every route: versions and routing.

See doc/source/contributor/behaviour.rst, behaviour-transport.
"""

import ddt

from deploysvc.tests import base as test_base
from deploysvc.tests.unit.api import base
from deploysvc.tests.unit.api import transport_base
from deploysvc.tests import utils

VERSIONS = {'versions': [{
    'id': 'v1.0',
    'status': 'CURRENT',
    'links': [{'rel': 'self', 'href': 'http://localhost/v1/'}],
}]}
# Route (below /v1/{tenant_id}) -> the methods it serves, in Heat's order.
ROUTES = {
    '/software_configs': ('GET', 'POST'),
    '/software_configs/some-id': ('GET', 'DELETE'),
    '/software_deployments': ('GET', 'POST'),
    '/software_deployments/some-id': ('GET', 'PUT', 'DELETE'),
    '/software_deployments/metadata/some-server': ('GET',),
    '/validate': ('POST',),
}
METHODS = ('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD')
NOT_ALLOWED = [(path, method) for path, allowed in sorted(ROUTES.items())
               for method in METHODS if method not in allowed]


@ddt.ddt
class TestVersions(base.ApiTestCase):

    @ddt.data('/', '/versions', '/versions/', '/v2',
              '/v2/%s/software_configs' % test_base.PROJECT, '/v1.1/x')
    def test_version_document(self, path):
        response = self.request('GET', path, status=300)
        self.assertEqual('application/json', response.content_type)
        self.assertEqual(VERSIONS, response.json)
        self.assertRegex(response.headers['X-OpenStack-Request-Id'],
                         transport_base.REQUEST_ID)

    @ddt.data('/', '/versions', '/v2/x/software_configs')
    def test_version_document_is_public(self, path):
        # Heat negotiates versions before authentication: no identity.
        response = self.request('GET', path, headers={}, status=300)
        self.assertEqual(VERSIONS, response.json)

    @ddt.data('/v1', '/v1/', '/v1.0/', '/foo', '/vx/t',
              '/v1/%s' % test_base.PROJECT)
    def test_not_found(self, path):
        response = self.request('GET', path, status=404)
        self.assertEqual('application/json', response.content_type)
        self.assertEqual(transport_base.not_found(), response.json)

    def test_healthcheck_without_identity(self):
        response = self.request('GET', '/healthcheck', headers={},
                                status=200)
        # One line per backend: disable_by_file and the database's.
        self.assertEqual('OK\nOK', response.text)


@ddt.ddt
class TestRouting(base.ApiTestCase):

    def test_v1_0_prefix_works_like_v1(self):
        created = self.request(
            'POST', '/v1.0/%s/software_configs' % self.project_id,
            body={'name': 'c'}, status=200).json['software_config']
        shown = self.get('/software_configs/' + created['id'], status=200)
        self.assertEqual({'software_config': created}, shown.json)
        path = '/v1.0/%s/software_configs/%s' % (self.project_id,
                                                 created['id'])
        shown = self.request('GET', path, status=200)
        self.assertEqual({'software_config': created}, shown.json)
        listed = self.request(
            'GET', '/v1.0/%s/software_configs' % self.project_id, status=200)
        self.assertEqual([created['id']],
                         [c['id'] for c in listed.json['software_configs']])
        self.request('DELETE', '/v1.0/%s/software_configs/%s' % (
            self.project_id, created['id']), status=204)
        self.get('/software_configs/' + created['id'], status=404)

    @ddt.data(*NOT_ALLOWED)
    @ddt.unpack
    def test_method_not_allowed(self, path, method):
        allowed = ROUTES[path]
        response = self.request(method, self.url(path), status=405)
        self.assertEqual(sorted(allowed), sorted(
            m.strip() for m in response.headers['Allow'].split(',')))
        if method == 'HEAD':
            # HEAD is not GET (as in Heat) and a HEAD answer has no body.
            self.assertEqual(b'', response.body)
            return
        self.assertEqual('application/json', response.content_type)
        self.assertEqual(transport_base.error_body(
            405, 'Method Not Allowed', transport_base.BAD_REQUEST,
            'HTTPMethodNotAllowed',
            'The method %s is not allowed for this resource; allowed: %s.'
            % (method, ', '.join(allowed))), response.json)

    @ddt.data(*sorted(ROUTES))
    def test_options(self, path):
        response = self.request('OPTIONS', self.url(path), status=204)
        self.assertEqual(','.join(ROUTES[path]), response.headers['Allow'])
        self.assertEqual(b'', response.body)

    def test_method_not_allowed_before_policy(self):
        response = self.request('PATCH', self.url('/software_configs'),
                                headers=self.headers(roles=''), status=405)
        self.assertEqual('HTTPMethodNotAllowed',
                         response.json['error']['type'])

    @ddt.data('/nothing', '/software_configs/a/b', '/software_configs/a/b/c',
              '/software_deployments/a/b', '/validate/x',
              '/software_deployments/metadata/srv/x')
    def test_unknown_route(self, path):
        response = self.get(path, status=404)
        self.assertEqual('application/json', response.content_type)
        self.assertEqual(transport_base.not_found(), response.json)

    def test_metadata_without_server_is_a_deployment_id(self):
        response = self.get('/software_deployments/metadata', status=404)
        self.assertEqual(
            transport_base.not_found('Deployment with id metadata not found',
                                     'NotFound'),
            response.json)

    @ddt.data(('GET', '/software_configs/'),
              ('POST', '/software_configs/'),
              ('GET', '/software_configs/{id}/'),
              ('DELETE', '/software_configs/{id}/'),
              ('GET', '/software_deployments/'),
              ('GET', '/software_deployments/metadata/srv/'),
              ('POST', '/validate/'))
    @ddt.unpack
    def test_trailing_slash_not_found(self, method, path):
        # Heat's routes match exact paths; so do ours, on every route.
        config = utils.create_test_config(self.context)
        response = self.request(method, self.url(path.format(id=config.id)),
                                body={} if method == 'POST' else None,
                                status=404)
        self.assertEqual(transport_base.not_found(), response.json)
        # Nothing was deleted or created.
        listed = self.get('/software_configs', status=200)
        self.assertEqual([config.id],
                         [c['id'] for c in listed.json['software_configs']])

    def test_foreign_tenant_in_url(self):
        response = self.get('/software_configs',
                            project_id=test_base.OTHER_PROJECT,
                            headers=self.headers(), status=403)
        self.assertEqual(transport_base.error_body(
            403, 'Forbidden', 'Access was denied to this resource.',
            'HTTPForbidden', 'Access was denied to this resource.'),
            response.json)
