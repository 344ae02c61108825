"""A JSON body is decoded once, for Pecan and for parse_body alike."""

import json
from unittest import mock

import ddt
import webob
import webob.exc

from deploysvc.api import app
from deploysvc.api import validation
from deploysvc import exception
from deploysvc.tests import base
from deploysvc.tests.unit.api import base as api_base
from deploysvc.tests import utils

DEEP = b'[' * 100000 + b']' * 100000
DECODE_ERROR = ('The request body could not be decoded: maximum recursion '
                'depth exceeded while decoding a JSON array from a unicode '
                'string')


@ddt.ddt
class TestDecodedOnce(api_base.ApiTestCase):

    def _decodes(self, method, path, raw, content_type='application/json',
                 status=200):
        """How often ``raw`` was decoded while the request was served."""
        with mock.patch.object(json, 'loads', wraps=json.loads) as loads:
            response = self.request(method, self.url(path), body=raw,
                                    content_type=content_type,
                                    status=status)
        text = raw.decode('utf-8')
        decodes = [c for c in loads.call_args_list
                   if c[0] and c[0][0] in (raw, text)]
        return len(decodes), response

    def _deployment(self):
        config = utils.create_test_config(self.context)
        return utils.create_test_deployment(self.context,
                                            config_id=config.id)

    @ddt.data('application/json', 'application/json; charset=utf-8', 'JSON',
              'text/plain')
    def test_config_create(self, content_type):
        count, response = self._decodes(
            'POST', '/software_configs', b'{"name": "n", "config": "x"}',
            content_type)
        self.assertEqual(1, count)
        self.assertEqual('n', response.json['software_config']['name'])

    def test_deployment_create_and_update(self):
        config = utils.create_test_config(self.context)
        raw = json.dumps({'config_id': config.id, 'server_id': 's-1',
                          'action': 'CREATE'}).encode()
        count, response = self._decodes('POST', '/software_deployments', raw)
        self.assertEqual(1, count)
        deployment = response.json['software_deployment']
        count, response = self._decodes(
            'PUT', '/software_deployments/' + deployment['id'],
            b'{"status": "COMPLETE"}')
        self.assertEqual(1, count)
        self.assertEqual('COMPLETE',
                         response.json['software_deployment']['status'])

    def test_validate(self):
        raw = json.dumps({'template': {
            'heat_template_version': '2013-05-23',
            'resources': {'r': {'type': 'OS::Heat::SoftwareConfig'}}},
        }).encode()
        count, response = self._decodes('POST', '/validate', raw)
        self.assertEqual(1, count)
        self.assertEqual('No description', response.json['Description'])

    @ddt.data(b'{bad', b'{"name": "x"} trailing')
    def test_invalid_json_once_and_same_answer(self, raw):
        count, response = self._decodes('POST', '/software_configs', raw,
                                        status=400)
        self.assertEqual(1, count)
        error = self.assertRaises(ValueError, json.loads, raw)
        self.assertEqual(str(error), response.json['error']['message'])

    @ddt.data((b'{"config": NaN}', 'NaN is not a valid JSON value'),
              (b'{"config": 1e999}', 'Number 1e999 is too large'))
    @ddt.unpack
    def test_not_json_numbers(self, raw, message):
        # Pecan's own decoder accepts them: it decodes them again.
        count, response = self._decodes('POST', '/software_configs', raw,
                                        status=400)
        self.assertEqual(2, count)
        self.assertEqual(message, response.json['error']['message'])

    def test_too_deep_after_nan_is_undecodable(self):
        # Pecan's decoder goes past the NaN, as it always did.
        raw = b'{"a": NaN, "b": ' + DEEP + b'}'
        response = self.post('/software_configs', raw, status=400)
        self.assertEqual(DECODE_ERROR, response.json['error']['message'])

    def test_too_deep(self):
        response = self.post('/software_configs', b'{"b": ' + DEEP + b'}',
                             status=400)
        self.assertEqual(DECODE_ERROR, response.json['error']['message'])

    def test_other_charset_reads_utf8_as_before(self):
        # Pecan decodes with the declared charset; the body is read as
        # UTF-8 whatever it says, as before.
        count, response = self._decodes(
            'POST', '/software_configs', '{"name": "caf\u00e9"}'.encode(),
            'application/json; charset=latin-1')
        self.assertEqual('caf\u00e9',
                         response.json['software_config']['name'])

    def test_not_utf8_with_json_type(self):
        response = self._decodes('POST', '/software_configs',
                                 b'{"name": "x"}', status=200)[1]
        self.assertEqual('x', response.json['software_config']['name'])
        response = self.post('/software_configs', b'{"name": "\xff"}',
                             status=400)
        self.assertEqual(
            'The server could not comply with the request since it is '
            'either malformed or otherwise incorrect.',
            response.json['error']['message'])

    def test_pecan_uses_the_request_class(self):
        pecan_app = app.setup_app()
        while not hasattr(pecan_app, 'request_cls'):
            pecan_app = pecan_app.application
        self.assertIs(app.Request, pecan_app.request_cls)


class TestParseBody(base.TestCase):

    def _request(self, raw, content_type='application/json'):
        request = app.Request(webob.Request.blank(
            '/', method='POST', body=raw).environ)
        request.content_type = content_type
        return request

    def test_pecan_and_parse_body_share_the_object(self):
        request = self._request(b'{"a": [1, 2.5]}')
        value = request.json
        self.assertIs(value, request.json_body)
        self.assertIs(value, validation.parse_body(request))
        # Used once: the next parse decodes again.
        again = validation.parse_body(request)
        self.assertEqual(value, again)
        self.assertIsNot(value, again)

    def test_changed_body_is_decoded_again(self):
        request = self._request(b'{"a": 1}')
        self.assertEqual({'a': 1}, request.json)
        request.body = b'{"a": 2}'
        self.assertEqual({'a': 2}, validation.parse_body(request))

    def test_shared_error(self):
        request = self._request(b'{"a": NaN}')
        # What Python's decoder makes of it, for Pecan...
        value = request.json
        self.assertNotEqual(value['a'], value['a'])
        # ...and parse_body's refusal.
        error = self.assertRaises(exception.BadRequest,
                                  validation.parse_body, request)
        self.assertEqual('NaN is not a valid JSON value', error.message)

    def test_syntax_error_for_both(self):
        request = self._request(b'{"a": }')
        pecan_error = self.assertRaises(ValueError, getattr, request, 'json')
        error = self.assertRaises(exception.BadRequest,
                                  validation.parse_body, request)
        self.assertEqual(str(pecan_error), error.message)

    def test_other_charset_not_shared(self):
        request = self._request('{"a": "\u00e9"}'.encode(),
                                'application/json; charset=latin-1')
        self.assertEqual({'a': '\u00c3\u00a9'}, request.json)
        self.assertEqual({'a': '\u00e9'}, validation.parse_body(request))

    def test_json_body_can_still_be_set(self):
        request = self._request(b'{}')
        request.json_body = {'b': 1}
        self.assertEqual({'b': 1}, validation.parse_body(request))


@ddt.ddt
class TestUndecodable(api_base.ApiTestCase):
    """Bytes that are not UTF-8 in a URL, query or body: 400, not 500."""

    GENERIC = webob.exc.HTTPBadRequest.explanation

    @ddt.data('/software_deployments?server_id=%ff',
              '/software_deployments/%ff',
              '/software_configs?marker=%ff%fe',
              '/software_deployments/metadata/%ff',
              '/software_configs/%ff')
    def test_get(self, path):
        response = self.app.get(self.url(path), headers=self.headers(),
                                expect_errors=True)
        self.assertError(response, 400, 'HTTPBadRequest', self.GENERIC)

    def test_body(self):
        response = self.app.post(
            self.url('/software_configs'), b'{"name": "\xff"}',
            headers=dict(self.headers(),
                         **{'Content-Type': 'application/json'}),
            expect_errors=True)
        self.assertError(response, 400, 'HTTPBadRequest', self.GENERIC)

    def test_unknown_charset_is_read_as_utf8(self):
        """As Heat does: the body is UTF-8 whatever the charset says."""
        response = self.app.post(
            self.url('/software_configs'),
            '{"name": "ü", "group": "script", "config": "x"}'.encode(),
            headers=dict(self.headers(), **{
                'Content-Type': 'application/json; charset=bogus'}))
        self.assertEqual(200, response.status_int)
        self.assertEqual('ü', response.json['software_config']['name'])
