"""Transport conventions (section 1 of the wire contract), on every route."""

import datetime
import io
import json
import re
from unittest import mock

import ddt
from oslo_utils import fixture as utils_fixture
import webob

from deploysvc.api.middleware import auth
from deploysvc.db import configs
from deploysvc.tests import base as test_base
from deploysvc.tests.unit.api import base
from deploysvc.tests import utils

BAD_REQUEST = ('The server could not comply with the request since it is '
               'either malformed or otherwise incorrect.')
SERVER_ERROR = ('The server has either erred or is incapable of performing '
                'the requested operation.')
NOT_FOUND = 'The resource could not be found.'
REQUEST_ID = re.compile(r'^req-[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$')

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


def error_body(code, title, explanation, error_type, message):
    return {'code': code, 'title': title, 'explanation': explanation,
            'error': {'type': error_type, 'message': message,
                      'traceback': None}}


def bad_request(message, error_type='HTTPBadRequest'):
    return error_body(400, 'Bad Request', BAD_REQUEST, error_type, message)


def not_found(message=NOT_FOUND, error_type='HTTPNotFound'):
    return error_body(404, 'Not Found', NOT_FOUND, error_type, message)


@ddt.ddt
class TestVersions(base.ApiTestCase):

    @ddt.data('/', '/versions', '/versions/', '/v2',
              '/v2/%s/software_configs' % test_base.PROJECT, '/v1.1/x')
    def test_version_document(self, path):
        response = self.request('GET', path, status=300)
        self.assertEqual('application/json', response.content_type)
        self.assertEqual(VERSIONS, response.json)
        self.assertRegex(response.headers['X-OpenStack-Request-Id'],
                         REQUEST_ID)

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
        self.assertEqual(not_found(), response.json)

    def test_healthcheck_without_identity(self):
        response = self.request('GET', '/healthcheck', headers={},
                                status=200)
        self.assertEqual('OK', response.text)


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
        self.assertEqual(error_body(
            405, 'Method Not Allowed', BAD_REQUEST, 'HTTPMethodNotAllowed',
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
        self.assertEqual(not_found(), response.json)

    def test_metadata_without_server_is_a_deployment_id(self):
        response = self.get('/software_deployments/metadata', status=404)
        self.assertEqual(
            not_found('Deployment with id metadata not found', 'NotFound'),
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
        self.assertEqual(not_found(), response.json)
        # Nothing was deleted or created.
        listed = self.get('/software_configs', status=200)
        self.assertEqual([config.id],
                         [c['id'] for c in listed.json['software_configs']])

    def test_foreign_tenant_in_url(self):
        response = self.get('/software_configs',
                            project_id=test_base.OTHER_PROJECT,
                            headers=self.headers(), status=403)
        self.assertEqual(error_body(
            403, 'Forbidden', 'Access was denied to this resource.',
            'HTTPForbidden', 'Access was denied to this resource.'),
            response.json)


@ddt.ddt
class TestRequestBody(base.ApiTestCase):

    def _post_raw(self, raw, content_type='application/json', **kw):
        return self.request('POST', self.url('/software_configs'), body=raw,
                            content_type=content_type, **kw)

    def assertNothingCreated(self):
        listed = self.get('/software_configs', status=200)
        self.assertEqual({'software_configs': []}, listed.json)

    @ddt.data(b'{bad', b'{"name": "x",}', b'{"name": "x"} trailing',
              b'{"name": "x"')
    def test_invalid_json(self, raw):
        # The message is the JSON parser's own text.
        parser_error = self.assertRaises(ValueError, json.loads, raw)
        response = self._post_raw(raw, status=400)
        self.assertEqual(bad_request(str(parser_error)), response.json)
        self.assertNothingCreated()

    @ddt.data((b'{"config": NaN}', 'NaN is not a valid JSON value'),
              (b'{"config": [-Infinity]}',
               '-Infinity is not a valid JSON value'),
              (b'{"config": {"a": 1e999}}', 'Number 1e999 is too large'))
    @ddt.unpack
    def test_non_finite_numbers(self, raw, message):
        # Python would accept them, but they are not JSON and could not be
        # sent back as JSON.
        response = self._post_raw(raw, status=400)
        self.assertEqual(bad_request(message), response.json)
        self.assertNothingCreated()

    @ddt.data(b'[{"name": "x"}]', b'"name"', b'42', b'null',
              b' {"name": "x"}', b'\n{}')
    def test_body_not_an_object(self, raw):
        response = self._post_raw(raw, status=400)
        self.assertEqual(bad_request('The request body must be a JSON '
                                     'object.'), response.json)
        self.assertNothingCreated()

    def test_invalid_utf8(self):
        response = self._post_raw(b'{"name": "\xff"}', status=400)
        self.assertEqual(bad_request(BAD_REQUEST), response.json)
        self.assertNothingCreated()

    def test_deeply_nested_json(self):
        depth = 100000
        raw = b'{"config": ' + b'[' * depth + b']' * depth + b'}'
        response = self._post_raw(raw, status=400)
        self.assertEqual(400, response.json['code'])
        self.assertEqual('HTTPBadRequest', response.json['error']['type'])
        self.assertNothingCreated()

    @ddt.data('POST', 'PUT')
    def test_empty_body(self, method):
        path = '/software_configs'
        if method == 'PUT':
            config = utils.create_test_config(self.context)
            path = '/software_deployments/%s' % utils.create_test_deployment(
                self.context, config_id=config.id).id
        for raw in (b'', None):
            response = self.request(method, self.url(path), body=raw,
                                    status=400)
            self.assertEqual(bad_request('The request body is missing: '
                                         'send a JSON object.'),
                             response.json)

    @ddt.data('application/x-www-form-urlencoded',
              'multipart/form-data; boundary=xyz', 'application/xml',
              'application/octet-stream')
    def test_unsupported_content_type(self, content_type):
        response = self._post_raw(b'{"name": "x"}', content_type,
                                  status=400)
        self.assertEqual(bad_request(
            'Unsupported content type %s: send the body as '
            'application/json.' % content_type.split(';')[0]),
            response.json)
        self.assertNothingCreated()

    def test_multipart_without_boundary(self):
        response = self._post_raw(b'{"name": "x"}', 'multipart/form-data',
                                  status=400)
        self.assertEqual(400, response.json['code'])
        self.assertEqual('HTTPBadRequest', response.json['error']['type'])
        self.assertNothingCreated()

    @ddt.data('application/json', 'application/json; charset=UTF-8',
              'JSON', 'text/plain', 'text/plain; charset=utf-8')
    def test_accepted_content_types(self, content_type):
        response = self._post_raw(b'{"name": "x", "config": "echo"}',
                                  content_type, status=200)
        created = response.json['software_config']
        self.assertEqual(('x', 'echo'), (created['name'], created['config']))

    def test_duplicate_keys_last_wins(self):
        response = self._post_raw(b'{"name": "a", "name": "b"}', status=200)
        self.assertEqual('b', response.json['software_config']['name'])


@ddt.ddt
class TestBodyLimit(base.ApiTestCase):

    @staticmethod
    def _body(size):
        """A config create body of exactly ``size`` bytes."""
        empty = json.dumps({'config': ''}).encode()
        body = json.dumps({'config': 'x' * (size - len(empty))}).encode()
        assert len(body) == size
        return body

    def _limit_error(self, size, limit):
        return bad_request(
            'Request limit exceeded: JSON body size (%s bytes) exceeds '
            'maximum allowed size (%d bytes).' % (size, limit),
            'RequestLimitExceeded')

    def test_default_limit_is_one_mebibyte(self):
        response = self.post('/software_configs', self._body(1048577),
                             status=400)
        self.assertEqual(self._limit_error(1048577, 1048576), response.json)
        response = self.post('/software_configs', self._body(1048576),
                             status=200)
        self.assertEqual(1048576 - 14,
                         len(response.json['software_config']['config']))

    @ddt.data(('POST', '/software_configs'),
              ('POST', '/software_deployments'),
              ('PUT', '/software_deployments/x'),
              ('POST', '/validate'))
    @ddt.unpack
    def test_configured_limit(self, method, path):
        self.config(max_json_body_size=100)
        response = self.request(method, self.url(path), body=self._body(101),
                                status=400)
        self.assertEqual(self._limit_error(101, 100), response.json)
        self.assertIn('X-OpenStack-Request-Id', response.headers)

    def test_body_at_configured_limit(self):
        self.config(max_json_body_size=100)
        response = self.post('/software_configs', self._body(100),
                             status=200)
        self.assertEqual('x' * 86, response.json['software_config']['config'])

    def _chunked(self, raw):
        request = webob.Request.blank(
            self.url('/software_configs'), method='POST',
            headers=dict(self.headers(), **{
                'Transfer-Encoding': 'chunked',
                'Content-Type': 'application/json'}))
        request.environ['wsgi.input'] = io.BytesIO(raw)
        request.environ.pop('CONTENT_LENGTH', None)
        response = self.app.do_request(request, status=None,
                                       expect_errors=True)
        self.assertLess(response.status_int, 500, response.text)
        return response

    def test_chunked_body_over_limit(self):
        self.config(max_json_body_size=100)
        response = self._chunked(self._body(101))
        self.assertEqual(400, response.status_int)
        self.assertEqual(self._limit_error('more than 100', 100),
                         response.json)
        self.assertEqual([], self.get('/software_configs').json[
            'software_configs'])

    def test_chunked_body_within_limit(self):
        self.config(max_json_body_size=100)
        response = self._chunked(self._body(100))
        self.assertEqual(200, response.status_int, response.text)
        self.assertEqual('x' * 86, response.json['software_config']['config'])

    def test_invalid_content_length(self):
        request = webob.Request.blank(
            self.url('/software_configs'), method='POST',
            headers=dict(self.headers(), **{
                'Content-Type': 'application/json'}))
        request.environ['wsgi.input'] = io.BytesIO(b'{}')
        request.environ['CONTENT_LENGTH'] = 'abc'
        # Straight to the pipeline: webtest's own checks reject it earlier.
        response = request.get_response(self.app.app)
        self.assertEqual(400, response.status_int, response.text)
        self.assertEqual(bad_request('Invalid Content-Length header.'),
                         response.json)


class TestResponses(base.ApiTestCase):

    def test_json_content_type_everywhere(self):
        config = self.post('/software_configs', {'name': 'c'}, status=200)
        config_id = config.json['software_config']['id']
        responses = [
            config,
            self.get('/software_configs', status=200),
            self.get('/software_configs/' + config_id, status=200),
            self.get('/software_configs/nope', status=404),
            self.get('/software_configs?limit=x', status=400),
            self.get('/software_configs', headers=self.headers(roles=''),
                     status=403),
            self.request('PATCH', self.url('/software_configs'), status=405),
            self.get('/software_deployments', status=200),
            self.get('/software_deployments/metadata/srv', status=200),
            self.post('/validate', {}, status=400),
            self.request('GET', '/', status=300),
        ]
        for response in responses:
            self.assertEqual('application/json', response.content_type,
                             response.request.path)
            self.assertIsInstance(response.json, dict)

    def test_ascii_escaped_json(self):
        name = 'caf\u00e9 \u2603'
        config = {'text': '\u65e5\u672c \U0001f600', 'list': ['\u00fc']}
        response = self.post('/software_configs',
                             {'name': name, 'config': config,
                              'options': {'\u00e9': '\u00e8'}},
                             status=200)
        raw = response.body
        raw.decode('ascii')  # no byte outside ASCII
        self.assertIn(b'"caf\\u00e9 \\u2603"', raw)
        self.assertIn(b'"\\u65e5\\u672c \\ud83d\\ude00"', raw)
        created = response.json['software_config']
        self.assertEqual((name, config, {'\u00e9': '\u00e8'}),
                         (created['name'], created['config'],
                          created['options']))
        shown = self.get('/software_configs/' + created['id'], status=200)
        shown.body.decode('ascii')
        self.assertEqual({'software_config': created}, shown.json)
        listed = self.get('/software_configs', status=200)
        self.assertIn(b'"caf\\u00e9 \\u2603"', listed.body)

    def test_timestamp_format(self):
        self.useFixture(utils_fixture.TimeFixture(
            datetime.datetime(2015, 1, 31, 15, 12, 36, 987654)))
        created = self.post('/software_configs', {'name': 'c'},
                            status=200).json['software_config']
        self.assertEqual('2015-01-31T15:12:36Z', created['creation_time'])
        listed = self.get('/software_configs', status=200).json
        self.assertEqual('2015-01-31T15:12:36Z',
                         listed['software_configs'][0]['creation_time'])

    def test_timestamp_is_utc_now(self):
        before = datetime.datetime.utcnow().replace(microsecond=0)
        created = self.post('/software_configs', {},
                            status=200).json['software_config']
        after = datetime.datetime.utcnow()
        self.assertRegex(created['creation_time'],
                         r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$')
        stamp = datetime.datetime.strptime(created['creation_time'],
                                           '%Y-%m-%dT%H:%M:%SZ')
        self.assertTrue(before <= stamp <= after, (before, stamp, after))

    def test_request_id_on_every_response(self):
        responses = [
            self.post('/software_configs', {}, status=200),
            self.get('/software_configs', status=200),
            self.get('/software_configs/nope', status=404),
            self.request('OPTIONS', self.url('/software_configs'),
                         status=204),
            self.request('PATCH', self.url('/software_configs'), status=405),
        ]
        ids = [r.headers['X-OpenStack-Request-Id'] for r in responses]
        for request_id in ids:
            self.assertRegex(request_id, REQUEST_ID)
        self.assertEqual(len(ids), len(set(ids)))

    def test_delete_has_no_body(self):
        config = utils.create_test_config(self.context)
        response = self.delete('/software_configs/' + config.id, status=204)
        self.assertEqual(b'', response.body)
        self.assertNotIn('Content-Type', response.headers)


class TestInternalErrors(base.ApiTestCase):
    """The only place a 500 is expected: a forced unexpected exception."""

    def _server_error(self, response, tb=None):
        # No class name; the request id ends the message (issue 10).
        body = error_body(500, 'Internal Server Error', SERVER_ERROR,
                          'InternalServerError', '%s Request id: %s.' % (
                              SERVER_ERROR, response.headers[
                                  'X-OpenStack-Request-Id']))
        body['error']['traceback'] = tb
        return body

    def _get_configs(self):
        return self.app.request(self.url('/software_configs'),
                                headers=self.headers(), expect_errors=True)

    def test_error_hook(self):
        with mock.patch.object(configs, 'page',
                               side_effect=RuntimeError('secret detail')):
            response = self._get_configs()
        self.assertEqual(500, response.status_int)
        self.assertEqual('application/json', response.content_type)
        self.assertEqual(self._server_error(response), response.json)
        self.assertNotIn(b'secret detail', response.body)
        self.assertRegex(response.headers['X-OpenStack-Request-Id'],
                         REQUEST_ID)

    def test_error_hook_debug_traceback(self):
        self.config(debug=True)
        with mock.patch.object(configs, 'page',
                               side_effect=RuntimeError('secret detail')):
            response = self._get_configs()
        self.assertEqual(500, response.status_int)
        tb = response.json['error']['traceback']
        self.assertIsInstance(tb, str)
        self.assertIn('Traceback (most recent call last)', tb)
        self.assertIn('RuntimeError: secret detail', tb)
        self.assertEqual(self._server_error(response, tb),
                         response.json)

    def test_client_error_traceback_null_in_debug(self):
        self.config(debug=True)
        response = self.get('/software_configs/nope', status=404)
        self.assertEqual(not_found('Software config with id nope not found',
                                   'NotFound'), response.json)

    def test_fault_wrapper(self):
        with mock.patch.object(auth.NoAuth, '__call__',
                               side_effect=KeyError('secret detail')):
            response = self._get_configs()
        self.assertEqual(500, response.status_int)
        self.assertEqual('application/json', response.content_type)
        self.assertEqual(self._server_error(response), response.json)
        self.assertNotIn(b'secret detail', response.body)
        self.assertRegex(response.headers['X-OpenStack-Request-Id'],
                         REQUEST_ID)

    def test_fault_wrapper_debug_traceback(self):
        self.config(debug=True)
        with mock.patch.object(auth.NoAuth, '__call__',
                               side_effect=KeyError('secret detail')):
            response = self._get_configs()
        self.assertEqual(500, response.status_int)
        tb = response.json['error']['traceback']
        self.assertIn("KeyError: 'secret detail'", tb)
        self.assertEqual(self._server_error(response, tb), response.json)
