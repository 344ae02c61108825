"""Hostile requests to the agents' capability URLs (issue 10).

The URLs need no credential but their mac, so the service must answer
anything sent to them without a 500: a wrong mac is 404 whatever the body
(checked before the body is parsed), a body the API would refuse is 400
here too, a path that cannot exist is 404, and a date nobody can read is
ignored.
"""

import ddt
import fixtures

from deploysvc.agent import tokens
from deploysvc.api import validation
from deploysvc.db import agents
from deploysvc.tests.unit.api import base
from deploysvc.tests import utils

SERVER = 'f6a0c2d4-1b3e-4c5d-8e9f-0a1b2c3d4e5f'
BAD = 'HTTPBadRequest'
DEEP = ('{"a": %s}' % ('[' * 975 + ']' * 975)).encode()
TOO_DEEP = ('{"a": %s}' % ('[' * validation.MAX_DEPTH
                           + ']' * validation.MAX_DEPTH)).encode()


def other_mac(mac):
    return ('1' if mac[0] == '0' else '0') + mac[1:]


@ddt.ddt
class TestSignal(base.ApiTestCase):

    def setUp(self):
        super().setUp()
        config = self.create_config(outputs=[{'name': 'result'}])
        self.deployment = self.create_deployment(
            config['id'], server_id=SERVER, status='IN_PROGRESS')
        agent = self.post('/server_agents/' + SERVER, None,
                          status=200).json['server_agent']
        self.credential_id = agent['metadata_url'].split('/')[-2]
        secret = agents.get(self.context, SERVER).secret
        self.mac = tokens.signal_token(secret, self.deployment['id'], 0)

    def signal(self, body, mac=None, deployment_id=None, method='POST',
               status=None, content_type='application/json'):
        path = '/agent/v1/signal/%s/%s' % (
            deployment_id or self.deployment['id'], mac or self.mac)
        return self.request(method, path, body=body, headers={},
                            status=status, content_type=content_type)

    def assertUnchanged(self):
        shown = self.get('/software_deployments/' + self.deployment['id'],
                         status=200).json['software_deployment']
        self.assertEqual('IN_PROGRESS', shown['status'])

    @ddt.data(b'[1, 2]', b'"text"', b'12', b'null', b'{bad', b'\xff\xfe',
              DEEP, TOO_DEEP, b'{"x": "a\\ud800b"}', b'{"x": "a\\u0000"}',
              b'{"result": "ok"}', b'')
    def test_wrong_mac_is_404_whatever_the_body(self, body):
        for method in ('POST', 'PUT'):
            response = self.signal(body, mac=other_mac(self.mac),
                                   method=method)
            self.assertError(response, 404, 'NotFound')
        self.assertUnchanged()

    @ddt.data(b'[1, 2]', b'{"result": "ok"}')
    def test_unknown_deployment_is_404(self, body):
        response = self.signal(body, deployment_id='nope')
        self.assertError(response, 404, 'NotFound')

    @ddt.data(
        (DEEP, 'deep beyond the decoder'),
        (TOO_DEEP, 'nested more than'),
        (b'{"deploy_stdout": "a\\ud800b"}', '"deploy_stdout" has'),
        (b'{"result": "a\\u0000b"}', '"result" has'),
        (b'{"a\\udfffb": 1}', 'has a character'),
        (b'{"x": [{"y": "\\u0000"}]}', '"x.0.y" has'),
        (b'[1, 2]', 'must be a JSON object'),
    )
    @ddt.unpack
    def test_right_mac_bad_body_is_400(self, body, message):
        response = self.signal(body)
        found = self.assertError(response, 400, BAD)['error']['message']
        if message != 'deep beyond the decoder':
            self.assertIn(message, found)
        self.assertUnchanged()

    def test_surrogate_pair_is_stored(self):
        body = b'{"result": "\\ud83d\\ude00", "deploy_status_code": 0}'
        self.assertEqual('COMPLETE', self.signal(body, status=200).json[
            'status'])
        shown = self.get('/software_deployments/' + self.deployment['id'],
                         status=200).json['software_deployment']
        self.assertEqual('\U0001F600', shown['output_values']['result'])

    def test_rotation_between_check_and_lock_is_still_checked(self):
        # The locked check stays: a revoked mac applies nothing.
        self.post('/server_agents/' + SERVER, None, status=200)
        self.assertError(self.signal(b'{"result": "x"}'), 404, 'NotFound')
        self.assertUnchanged()

    @ddt.data('x%00', 'x%00y', '%00')
    def test_nul_in_the_deployment_id_is_404(self, ident):
        response = self.request('POST', '/agent/v1/signal/%s/%s'
                                % (ident, self.mac), body=b'{}',
                                headers={}, content_type='application/json')
        self.assertError(response, 404, 'NotFound')

    def test_nul_in_the_mac_is_404(self):
        response = self.request('POST', '/agent/v1/signal/%s/%s%%00'
                                % (self.deployment['id'], self.mac),
                                body=b'{}', headers={},
                                content_type='application/json')
        self.assertError(response, 404, 'NotFound')


@ddt.ddt
class TestMetadata(base.ApiTestCase):

    def setUp(self):
        super().setUp()
        utils.create_test_deployment(self.context, server_id=SERVER)
        url = self.post('/server_agents/' + SERVER, None,
                        status=200).json['server_agent']['metadata_url']
        self.path = url[url.index('/agent/'):]

    @ddt.data('GET', 'HEAD')
    def test_nul_in_the_credential_is_404(self, method):
        parts = self.path.split('/')
        for credential in ('x%00', parts[-2] + '%00'):
            path = '/'.join(parts[:-2] + [credential, parts[-1]])
            response = self.request(method, path, headers={}, status=404)
            if method == 'GET':
                self.assertError(response, 404, 'NotFound')

    @ddt.data(('GET', 'Fri, 01 Jan 10000 00:00:00 GMT'),
              ('HEAD', 'Fri, 01 Jan 10000 00:00:00 GMT'),
              ('GET', 'Sat, 01 Jan 99999 00:00:00 GMT'),
              ('GET', 'Mon, 01 Jan 0000 00:00:00 GMT'),
              ('GET', 'not a date'),
              ('HEAD', '\x7f'))
    @ddt.unpack
    def test_unreadable_if_modified_since_is_ignored(self, method, date):
        response = self.request(method, self.path, status=200,
                                headers={'If-Modified-Since': date})
        self.assertEqual('application/json', response.content_type)

    def test_year_9999_is_a_date(self):
        response = self.request(
            'GET', self.path,
            headers={'If-Modified-Since': 'Fri, 31 Dec 9999 00:00:00 GMT'})
        self.assertIn(response.status_int, (200, 304))

    def test_a_500_names_no_class(self):
        self.useFixture(fixtures.MockPatch(
            'deploysvc.db.agents.by_credential',
            side_effect=RuntimeError('secret detail')))
        response = self.app.get(self.path, expect_errors=True)
        self.assertEqual(500, response.status_int)
        error = response.json['error']
        self.assertEqual('InternalServerError', error['type'])
        self.assertTrue(error['message'].endswith(
            ' Request id: %s.' % response.headers['X-OpenStack-Request-Id']))
        self.assertNotIn(b'secret detail', response.body)
        self.assertNotIn(b'RuntimeError', response.body)


class TestDeploymentSecret(base.ApiTestCase):
    """db.agents.deployment_secret: the read before a signal's body."""

    def test_secret_of_the_deployments_server(self):
        deployment = utils.create_test_deployment(self.context,
                                                  server_id=SERVER)
        bare = utils.create_test_deployment(self.context, server_id='other')
        self.assertIsNone(agents.deployment_secret(deployment.id))
        secret = tokens.new_secret()
        agent = agents.rotate(self.context, SERVER, secret,
                              tokens.hasher(secret))
        self.assertEqual(agent.secret, agents.deployment_secret(deployment.id))
        self.assertIsNone(agents.deployment_secret(bare.id))
        self.assertIsNone(agents.deployment_secret('nope'))
