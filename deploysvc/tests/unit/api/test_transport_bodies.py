"""Transport conventions, on every route: request bodies and their limit.

See doc/source/contributor/behaviour.rst, behaviour-validation and
behaviour-body-limit.
"""

import io
import json

import ddt
import webob

from deploysvc.tests.unit.api import base
from deploysvc.tests.unit.api import transport_base
from deploysvc.tests import utils


def bad_request(message, error_type='HTTPBadRequest'):
    return transport_base.error_body(400, 'Bad Request',
                                     transport_base.BAD_REQUEST, error_type,
                                     message)


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
        self.assertEqual(bad_request(transport_base.BAD_REQUEST),
                         response.json)
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
