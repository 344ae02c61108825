"""deploysvc.db.agents and the signal path: credentials, revisions,
signals, history."""

import datetime

import fixtures

from deploysvc.agent import signals
from deploysvc.agent import tokens
from deploysvc.db import agents
from deploysvc.db import deployments
from deploysvc import exception
from deploysvc.tests import base
from deploysvc.tests import utils

SERVER = utils.get_test_deployment()['server_id']
T0 = datetime.datetime(2026, 5, 6, 7, 8, 9, 123456)


class TestAgentApi(base.TestCase):

    def setUp(self):
        super().setUp()
        self.now = T0
        self.useFixture(fixtures.MockPatch(
            'oslo_utils.timeutils.utcnow',
            side_effect=lambda with_timezone=False: self.now))
        self.other = self.make_context(base.OTHER_PROJECT)

    def tick(self):
        self.now += datetime.timedelta(seconds=1)
        return self.now

    def rotate(self, context=None):
        secret = tokens.new_secret()
        return agents.rotate(context or self.context, SERVER, secret,
                             tokens.hasher(secret))

    def revision(self, context=None):
        row = agents.get(context or self.context, SERVER)
        return row.revision, row.changed_at

    def test_rotate_creates_then_replaces(self):
        first = self.rotate()
        self.assertEqual((1, T0, T0), (first.revision, first.created_at,
                                       first.changed_at))
        credential_id, secret = first.credential_id, first.secret
        later = self.tick()
        second = self.rotate()
        self.assertEqual((2, later, later), (second.revision,
                                             second.created_at,
                                             second.changed_at))
        self.assertNotEqual(credential_id, second.credential_id)
        self.assertNotEqual(secret, second.secret)
        self.assertIsNone(agents.by_credential(credential_id))
        self.assertEqual(SERVER, agents.by_credential(
            second.credential_id).server_id)

    def test_credentials_are_per_project(self):
        mine = self.rotate()
        self.assertRaises(exception.AgentNotFound, agents.get,
                          self.other, SERVER)
        self.assertRaises(exception.AgentNotFound, agents.delete,
                          self.other, SERVER)
        theirs = self.rotate(self.other)
        self.assertNotEqual(mine.credential_id, theirs.credential_id)
        self.assertEqual(base.OTHER_PROJECT, agents.by_credential(
            theirs.credential_id).project_id)

    def test_served_changes_bump_the_revision(self):
        self.rotate()
        dep = utils.create_test_deployment(self.context)
        self.assertEqual((2, T0), self.revision())
        for values in ({'input_values': {'foo': 'x'}}, {'action': 'UPDATE'},
                       {'config_id': utils.create_test_config(
                           self.context).id}):
            when = self.tick()
            before = self.revision()[0]
            deployments.update(self.context, dep.id, values)
            self.assertEqual((before + 1, when), self.revision(), values)
        when = self.tick()
        deployments.delete(self.context, dep.id)
        self.assertEqual((6, when), self.revision())

    def test_other_changes_do_not_bump(self):
        self.rotate()
        dep = utils.create_test_deployment(self.context)
        expected = self.revision()
        self.tick()
        for values in ({'status': 'COMPLETE'}, {'status_reason': 'r'},
                       {'output_values': {'a': 1}},
                       {'input_values': dep.input_values},
                       {'action': dep.action}):
            deployments.update(self.context, dep.id, values)
        utils.create_test_deployment(self.context, server_id='other')
        utils.create_test_deployment(self.other)
        self.assertEqual(expected, self.revision())

    def test_signal_applies_and_records(self):
        agent_server = self.rotate()
        dep = utils.create_test_deployment(self.context)
        mac = tokens.signal_token(agent_server.secret, dep.id, 0)
        expected = self.revision()
        later = self.tick()
        row, result = signals.take(dep.id, mac, {'result': 'r'})
        self.assertEqual(('COMPLETE', later), (row.status, row.updated_at))
        self.assertEqual('deployment %s succeeded' % dep.id, result.event)
        self.assertEqual(expected, self.revision())
        events = deployments.history(self.context, dep.id, 10)
        self.assertEqual([('signal', 'IN_PROGRESS', 'COMPLETE', True,
                           {'result': 'r'}, later),
                          ('api', None, 'IN_PROGRESS', True, None, T0)],
                         [(e.source, e.status_from, e.status_to, e.applied,
                           e.details, e.created_at) for e in events])

    def test_signal_with_wrong_mac_changes_nothing(self):
        agent_server = self.rotate()
        dep = utils.create_test_deployment(self.context)
        mac = tokens.mac(agent_server.secret, tokens.METADATA, dep.id)
        self.assertRaises(exception.DeploymentNotFound, signals.take,
                          dep.id, mac, {})
        row = deployments.get(self.context, dep.id)
        self.assertEqual(('IN_PROGRESS', None), (row.status, row.updated_at))
        self.assertEqual(1, len(deployments.history(self.context, dep.id,
                                                    10)))

    def test_signal_updated_at_is_after_the_previous_update(self):
        agent_server = self.rotate()
        dep = utils.create_test_deployment(self.context)
        first = deployments.update(self.context, dep.id,
                                   {'status_reason': 'r'}).updated_at
        mac = tokens.signal_token(agent_server.secret, dep.id, 0)
        row, _ = signals.take(dep.id, mac, {})
        self.assertGreater(row.updated_at, first)

    def test_events_paging(self):
        dep = utils.create_test_deployment(self.context)
        for status in ('COMPLETE', 'IN_PROGRESS', 'FAILED'):
            deployments.update(self.context, dep.id, {'status': status})
        events = deployments.history(self.context, dep.id, 10)
        self.assertEqual(['FAILED', 'IN_PROGRESS', 'COMPLETE',
                          'IN_PROGRESS'], [e.status_to for e in events])
        page = deployments.history(self.context, dep.id, 2,
                                   marker=events[1].id)
        self.assertEqual([e.id for e in events[2:4]], [e.id for e in page])
        self.assertRaises(exception.DeploymentNotFound,
                          deployments.history, self.other, dep.id, 10)

    def test_served_deployments_of_the_credentials_project(self):
        agent_server = self.rotate()
        mine = utils.create_test_deployment(self.context)
        utils.create_test_deployment(self.other)
        utils.create_test_deployment(self.context, server_id='other')
        pairs = deployments.served(agent_server.project_id, SERVER)
        self.assertEqual([(mine.id, mine.config_id)],
                         [(d.id, c.id) for d, c in pairs])
