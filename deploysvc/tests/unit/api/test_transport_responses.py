"""Transport conventions, on every route: responses and internal errors.

See doc/source/contributor/behaviour.rst, behaviour-transport,
behaviour-content-type and behaviour-error-body.
"""

import datetime
import traceback
from unittest import mock

import ddt
from oslo_utils import fixture as utils_fixture

from deploysvc.api.middleware import auth
from deploysvc.db import configs
from deploysvc.tests.unit.api import base
from deploysvc.tests.unit.api import transport_base
from deploysvc.tests import utils

SERVER_ERROR = ('The server has either erred or is incapable of performing '
                'the requested operation.')


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
            self.assertRegex(request_id, transport_base.REQUEST_ID)
        self.assertEqual(len(ids), len(set(ids)))

    def test_delete_has_no_body(self):
        config = utils.create_test_config(self.context)
        response = self.delete('/software_configs/' + config.id, status=204)
        self.assertEqual(b'', response.body)
        self.assertNotIn('Content-Type', response.headers)


# Where the unexpected exception is raised: in a handler (the ErrorHook
# answers) or in the middleware (the FaultWrapper answers).
FAILURES = {
    'error hook': (configs, 'page', RuntimeError('secret detail')),
    'fault wrapper': (auth.NoAuth, '__call__', KeyError('secret detail')),
}


@ddt.ddt
class TestInternalErrors(base.ApiTestCase):
    """The only place a 500 is expected: a forced unexpected exception."""

    def _server_error(self, response, tb=None):
        # No class name; the request id ends the message (issue 10).
        body = transport_base.error_body(
            500, 'Internal Server Error', SERVER_ERROR,
            'InternalServerError', '%s Request id: %s.' % (
                SERVER_ERROR,
                response.headers['X-OpenStack-Request-Id']))
        body['error']['traceback'] = tb
        return body

    def _fail(self, where):
        target, name, error = FAILURES[where]
        with mock.patch.object(target, name, side_effect=error):
            response = self.app.request(self.url('/software_configs'),
                                        headers=self.headers(),
                                        expect_errors=True)
        self.assertEqual(500, response.status_int)
        self.assertEqual('application/json', response.content_type)
        return response

    @ddt.data(*sorted(FAILURES))
    def test_500_names_no_class(self, where):
        response = self._fail(where)
        self.assertEqual(self._server_error(response), response.json)
        self.assertNotIn(b'secret detail', response.body)
        self.assertRegex(response.headers['X-OpenStack-Request-Id'],
                         transport_base.REQUEST_ID)

    @ddt.data(*sorted(FAILURES))
    def test_500_traceback_in_debug(self, where):
        self.config(debug=True)
        response = self._fail(where)
        tb = response.json['error']['traceback']
        self.assertIsInstance(tb, str)
        self.assertIn('Traceback (most recent call last)', tb)
        error = FAILURES[where][2]
        self.assertIn(traceback.format_exception_only(error)[-1].strip(), tb)
        self.assertEqual(self._server_error(response, tb), response.json)

    def test_client_error_traceback_null_in_debug(self):
        self.config(debug=True)
        response = self.get('/software_configs/nope', status=404)
        self.assertEqual(transport_base.not_found(
            'Software config with id nope not found', 'NotFound'),
            response.json)
