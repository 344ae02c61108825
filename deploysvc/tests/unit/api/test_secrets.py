"""Secret inputs and agent secrets at rest (issue 17).

Secret values are encrypted in the database, shown as "******" by every
API answer and in no log line, and served in plain text only in the
server's own agent document.  On SQLite, or on the server of
DEPLOYSVC_TEST_DB_URL (PostgreSQL, MariaDB).
"""

import hashlib
import hmac
import json
import logging

from cryptography import fernet
import ddt
import fixtures
import sqlalchemy as sa

from deploysvc.api import agent_app
from deploysvc.api import app
from deploysvc.db import agents
from deploysvc.db import engine
from deploysvc.db import models
from deploysvc.db import secrets
from deploysvc import exception
from deploysvc.tests.unit.api import agent_base

KEYS = [fernet.Fernet.generate_key().decode() for _ in range(3)]
DEFAULT = 'default-secret-7f3a'
VALUE = 'value-secret-91c2'
MASK = '******'
SECRET_CONFIG = {
    'inputs': [{'name': 'password', 'type': 'String', 'secret': True,
                'default': DEFAULT},
               {'name': 'token', 'type': 'String', 'secret': True},
               {'name': 'user', 'type': 'String', 'default': 'admin'}],
    'outputs': agent_base.OUTPUTS, 'options': {}}


def dump():
    """Every row of every table, as text."""
    def work(w):
        return '\n'.join(repr(tuple(row)) for table in
                         models.Base.metadata.sorted_tables
                         for row in w.execute(sa.select(table)))
    return engine.read(work)


class SecretsTestCase(agent_base.AgentTestCase):

    def setUp(self):
        super().setUp()
        self.keys(KEYS[:1])
        self.log = self.useFixture(fixtures.FakeLogger(level=logging.DEBUG))

    def keys(self, keys):
        self.config(encryption_keys=keys, group='crypto')

    def setup_secret(self):
        """A config with secret inputs, a deployment, the agent URL."""
        config = self.create_config(**SECRET_CONFIG)
        deployment = self.create_deployment(
            config_id=config['id'],
            input_values={'token': VALUE, 'user': 'root'})
        return config, deployment, self.rotate()

    def assertNoSecret(self, text):
        for secret in (DEFAULT, VALUE):
            self.assertNotIn(secret, text)


class TestMasked(SecretsTestCase):

    def test_every_api_answer_masks(self):
        config, deployment, url = self.setup_secret()
        self.assertEqual([MASK, None, 'admin'], [
            i.get('default') for i in config['inputs']])
        self.assertTrue(config['inputs'][0]['secret'])
        self.assertEqual({'token': MASK, 'user': 'root'},
                         deployment['input_values'])
        self.update_deployment(deployment['id'], {'status': 'COMPLETE'})
        for path in ('/software_configs/' + config['id'],
                     '/software_configs',
                     '/software_deployments/' + deployment['id'],
                     '/software_deployments',
                     '/software_deployments?server_id=' + agent_base.SERVER,
                     '/software_deployments/metadata/' + agent_base.SERVER,
                     '/software_deployments/%s/events' % deployment['id'],
                     '/server_agents/' + agent_base.SERVER):
            self.assertNoSecret(self.get(path, status=200).text)

    def test_deployment_groups_mask_and_serve_like_deployments(self):
        config = self.create_config(**SECRET_CONFIG)
        url = self.rotate()
        response = self.post('/software_deployment_groups', {
            'config_id': config['id'], 'input_values': {'token': VALUE},
            'servers': [agent_base.SERVER, {
                'server_id': 'other', 'input_values': {'password': VALUE}}],
            'max_concurrency': 2, 'max_errors': 0}, status=200)
        self.assertNoSecret(response.text)
        group = response.json['software_deployment_group']
        self.assertEqual({'token': MASK}, group['input_values'])
        path = '/software_deployment_groups/' + group['id']
        for listed in (path, path + '/deployments',
                       '/software_deployment_groups', '/software_deployments'):
            self.assertNoSecret(self.get(listed, status=200).text)
        self.assertNoSecret(dump())
        child = self.get(path + '/deployments', status=200).json[
            'software_deployments'][0]
        self.assertEqual(MASK, child['input_values']['token'])
        # The server's own agent URL serves the plain value.
        item = self.item(url, child['id'])
        self.assertEqual(VALUE, self.value(item, 'token'))

    def test_database_holds_no_plain_secret(self):
        self.setup_secret()
        stored = dump()
        self.assertNoSecret(stored)
        self.assertNotIn(self.credential().secret, stored)
        self.assertNotIn(self.credential().secret, self.log.output)

    def test_logs_hold_no_secret(self):
        config, deployment, url = self.setup_secret()
        self.document(url)
        self.assertNoSecret(self.log.output)

    def test_agent_document_serves_plain_values(self):
        config, deployment, url = self.setup_secret()
        item = self.item(url, deployment['id'])
        self.assertEqual(DEFAULT, self.value(item, 'password'))
        self.assertEqual(VALUE, self.value(item, 'token'))
        self.assertEqual('root', self.value(item, 'user'))

    def test_refused_requests_do_not_echo_the_secret(self):
        config, deployment, url = self.setup_secret()
        values = {'token': VALUE}
        cases = (
            ('POST', '/software_deployments',
             {'config_id': config['id'], 'server_id': 7,
              'input_values': values}),
            ('POST', '/software_deployments',
             {'config_id': 'nope', 'server_id': 's',
              'input_values': values}),
            ('PUT', '/software_deployments/' + deployment['id'],
             {'status': 'BOGUS', 'input_values': values}),
            ('PUT', '/software_deployments/nope', {'input_values': values}),
        )
        for method, path, body in cases:
            response = self.request(method, self.url(path), body=body)
            self.assertGreaterEqual(response.status_int, 400)
            self.assertNoSecret(response.text)
        self.assertNoSecret(self.log.output)

    def test_invalid_secret_default_not_echoed(self):
        body = {'inputs': [{'name': 'n', 'type': 'Number', 'secret': True,
                            'default': DEFAULT}]}
        response = self.post('/software_configs', body, status=400)
        self.assertNoSecret(response.text)


class TestChanges(SecretsTestCase):

    def test_mask_sent_back_keeps_the_value(self):
        config, deployment, url = self.setup_secret()
        self.update_deployment(deployment['id'], {
            'input_values': {'token': MASK, 'user': 'other'}})
        self.assertEqual(VALUE, self.value(
            self.item(url, deployment['id']), 'token'))

    def test_same_values_start_no_new_run(self):
        config, deployment, url = self.setup_secret()
        before = self.item(url, deployment['id'])['id']
        self.update_deployment(deployment['id'], {
            'input_values': {'token': VALUE, 'user': 'root'}})
        self.assertEqual(before, self.item(url, deployment['id'])['id'])
        self.update_deployment(deployment['id'], {
            'input_values': {'token': 'new', 'user': 'root'}})
        item = self.item(url, deployment['id'])
        self.assertNotEqual(before, item['id'])
        self.assertEqual('new', self.value(item, 'token'))

    def test_a_new_config_does_not_reveal_a_secret(self):
        config, deployment, url = self.setup_secret()
        plain = self.create_config(inputs=[{'name': 'token'}])
        shown = self.update_deployment(deployment['id'],
                                       {'config_id': plain['id']})
        self.assertEqual(MASK, shown['input_values']['token'])
        self.assertEqual(VALUE, self.value(
            self.item(url, deployment['id']), 'token'))

    def test_without_keys_secret_inputs_are_refused(self):
        self.keys([])
        response = self.post('/software_configs', SECRET_CONFIG, status=400)
        self.assertIn('[crypto] encryption_keys',
                      response.json['error']['message'])

    def test_without_keys_agent_secrets_stay_plain(self):
        self.keys([])
        url = self.rotate()
        self.assertTrue(secrets.is_plain_agent_secret(
            engine.read(lambda w: w.execute(sa.select(
                models.AgentServer.secret)).scalar())))
        self.poll(url)


class TestPolicy(SecretsTestCase):

    def test_show_secrets_rule_reveals_to_whom_it_allows(self):
        config, deployment, url = self.setup_secret()
        self.policy.set_rules({
            'software_configs:show_secrets': 'role:member',
            'software_deployments:show_secrets': 'role:member'})
        shown = self.get('/software_configs/' + config['id'],
                         status=200).json['software_config']
        self.assertEqual(DEFAULT, shown['inputs'][0]['default'])
        shown = self.show_deployment(deployment['id'])
        self.assertEqual(VALUE, shown['input_values']['token'])
        # Lists stay masked.
        self.assertNoSecret(self.get('/software_deployments',
                                     status=200).text)


class TestKeys(SecretsTestCase):

    def test_rotation(self):
        config, deployment, url = self.setup_secret()
        self.keys([KEYS[1], KEYS[0]])
        written = secrets.reencrypt()
        self.assertEqual((1, 1, 1), (
            written['software config inputs'],
            written['software deployment inputs'],
            written['agent secrets']))
        self.keys([KEYS[1]])
        secrets.check_keys()
        self.assertEqual({'sealed': 3, 'unreadable': 0, 'plain_agents': 0},
                         dict(secrets.survey()))
        item = self.item(url, deployment['id'])
        self.assertEqual(VALUE, self.value(item, 'token'))
        self.assertEqual(DEFAULT, self.value(item, 'password'))

    def test_plain_agent_secrets_encrypted_by_reencrypt(self):
        self.keys([])
        url = self.rotate()
        self.keys(KEYS[:1])
        self.assertEqual(1, secrets.survey()['plain_agents'])
        secrets.reencrypt()
        self.assertEqual(0, secrets.survey()['plain_agents'])
        self.poll(url)

    def test_plain_agent_secrets_encrypted_on_first_use(self):
        self.keys([])
        url = self.rotate()
        self.keys(KEYS[:1])
        self.poll(url)
        self.assertEqual(0, secrets.survey()['plain_agents'])
        # The URLs stay the same.
        self.poll(url)

    def test_start_refused_with_keys_that_cannot_read(self):
        self.setup_secret()
        cases = (
            ([KEYS[2]], 'no key of [crypto] encryption_keys decrypts'),
            ([], 'encryption_keys is not set'),
            (['not-a-key'], 'key 1 of 1 is not a Fernet key'),
        )
        for keys, message in cases:
            self.keys(keys)
            for start in (app.load_app, agent_app.AgentApp,
                          secrets.check_keys):
                error = self.assertRaises(exception.EncryptionKeysInvalid,
                                          start)
                self.assertIn(message, str(error))
                self.assertNotIn(KEYS[0], str(error))

    def test_polls_answered_304_decrypt_nothing(self):
        config, deployment, url = self.setup_secret()
        etag = self.poll(url).headers['ETag']
        # Without keys nothing decrypts: the 304 does not need to.
        self.keys([])
        self.poll(url, status=304, If_None_Match=etag)

    def test_undecryptable_at_request_time_is_503(self):
        config, deployment, url = self.setup_secret()
        self.keys([KEYS[2]])
        self.policy.set_rules({
            'software_deployments:show_secrets': 'role:member'})
        response = self.app.get(
            self.url('/software_deployments/' + deployment['id']),
            headers=self.headers(), status=503)
        self.assertIn('cannot be decrypted', response.json['error'][
            'message'])


class TestAgentRows(SecretsTestCase):

    def test_stored_agent_secret_is_a_token(self):
        self.rotate()
        stored = engine.read(lambda w: w.execute(sa.select(
            models.AgentServer.secret)).scalar())
        self.assertFalse(secrets.is_plain_agent_secret(stored))
        self.assertEqual(self.credential().secret,
                         agents.opened(agents.by_credential(
                             self.credential().credential_id)).secret)

    def test_unknown_input_keys_pass_through_json(self):
        config = self.create_config(**SECRET_CONFIG)
        self.assertEqual(json.loads(json.dumps(config))['inputs'][1],
                         {'name': 'token', 'type': 'String',
                          'secret': True})


@ddt.ddt
class TestReplayDigests(SecretsTestCase):
    """An Idempotency-Key's stored request digest needs a key to test."""

    BODY = dict(SECRET_CONFIG, name='c', group='script', config='true',
                inputs=[dict(SECRET_CONFIG['inputs'][0], default=VALUE)])

    def send(self, key='k', body=None, status=200):
        return self.post('/software_configs', body or self.BODY,
                         status=status,
                         headers=self.headers(**{'Idempotency-Key': key}))

    def stored_digest(self):
        def work(w):
            return w.execute(sa.select(
                models.IdempotencyKey.__table__.c.request_hash)).scalar_one()
        return engine.read(work)

    def plain_digest(self):
        text = json.dumps(['software_config', self.BODY], sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()

    def test_stored_digest_is_keyed(self):
        self.send()
        stored = self.stored_digest()
        self.assertEqual(64, len(stored))
        self.assertNotEqual(self.plain_digest(), stored)
        self.assertEqual(secrets.digests(b'x')[0], hmac.new(
            hashlib.sha256(b'deploysvc request digest\0' +
                           KEYS[0].encode()).digest(),
            b'x', hashlib.sha256).hexdigest())

    # (keys when replayed, replayed?)
    @ddt.data(([KEYS[0]], True),
              ([KEYS[1], KEYS[0]], True),  # rotated: old key still read
              ([KEYS[1]], False))          # old key retired: a new request
    @ddt.unpack
    def test_replay_across_rotation(self, keys, replayed):
        first = self.send().json['software_config']['id']
        self.keys(keys)
        if replayed:
            again = self.send()
            self.assertEqual('true', again.headers['Idempotent-Replayed'])
            self.assertEqual(first, again.json['software_config']['id'])
        else:
            self.send(status=422)

    def test_digest_stored_before_keys_still_matches(self):
        self.keys([])
        plain = dict(self.BODY, inputs=SECRET_CONFIG['inputs'][2:])
        first = self.send(body=plain).json['software_config']['id']
        self.keys(KEYS[:1])
        again = self.send(body=plain)
        self.assertEqual(first, again.json['software_config']['id'])
        self.assertEqual('true', again.headers['Idempotent-Replayed'])
