"""Signal URLs bound to a run, and signals sent with a token (issue 12).

Each new action, config or inputs of a deployment, and each return to
IN_PROGRESS, starts a run with a signal URL of its own; a signal sent to
an earlier run's URL is recorded as ignored and refused with 409
(doc/source/contributor/behaviour.rst, behaviour-signal-runs).  Stack
users signal with their token (behaviour-visibility).
"""

import ddt
import sqlalchemy as sa

from deploysvc.agent import tokens
from deploysvc.db import engine
from deploysvc.db import models
from deploysvc.tests.unit.api import agent_base

STACK_PROJECT = '5ac05ac05ac05ac05ac05ac05ac05ac0'
DETAILS = {'result': 'captured', 'deploy_stdout': 'out',
           'deploy_status_code': 0}


def _run_of(url):
    return int(agent_base.SIGNAL_PATH.match(
        agent_base.path_of(url)).group(2))


@ddt.ddt
class TestRuns(agent_base.AgentTestCase):

    def new_run(self, deployment_id, body, metadata_url):
        """Apply ``body`` (a PUT); the signal URL served afterwards."""
        self.update_deployment(deployment_id, body)
        return self.signal_url(metadata_url, deployment_id)

    @ddt.data(
        # (what the PUT sends after a completed run, a new run?)
        ({'action': 'UPDATE', 'status': 'IN_PROGRESS'}, True),
        ({'status': 'IN_PROGRESS'}, True),
        ({'action': 'UPDATE'}, True),
        ({'input_values': {'foo': 'changed'}}, True),
        ({'status_reason': 'r'}, False),
        ({'output_values': {'result': 'set by hand'}}, False),
        ({'status': 'FAILED'}, False),
    )
    @ddt.unpack
    def test_what_starts_a_run(self, body, new):
        deployment, metadata_url, url = self.setup_signal()
        self.assertEqual(0, _run_of(url))
        item = self.item(metadata_url, deployment['id'])
        self.signal(url, DETAILS)
        after = self.new_run(deployment['id'], body, metadata_url)
        self.assertEqual(1 if new else 0, _run_of(after))
        self.assertEqual(new, url != after)
        # A new run is a new item for the agent (55-heat-config runs each
        # id once).
        self.assertEqual(new, item['id'] != self.item(
            metadata_url, deployment['id'])['id'])

    def test_in_progress_again_is_not_a_new_run(self):
        deployment, metadata_url, url = self.setup_signal()
        self.assertEqual(url, self.new_run(
            deployment['id'], {'status': 'IN_PROGRESS'}, metadata_url))

    def test_replay_after_a_new_action_is_refused_and_recorded(self):
        deployment, metadata_url, url = self.setup_signal()
        self.assertTrue(self.signal(url, DETAILS)['applied'])
        new_url = self.new_run(
            deployment['id'], {'action': 'UPDATE', 'status': 'IN_PROGRESS'},
            metadata_url)
        before = self.show_deployment(deployment['id'])
        response = self.signal(url, DETAILS, status=409)
        self.assertError(
            response, 409, 'StaleSignal',
            'Signal refused: this signal URL is for run 0 of deployment %s, '
            'which is at run 1. A new action or re-run started since; the '
            'signal was recorded in the deployment\'s events, not applied.'
            % deployment['id'])
        self.assertEqual(before, self.show_deployment(deployment['id']))
        event = self.events(deployment['id'])[0]
        self.assertEqual(
            ('signal', 'agent', 'IN_PROGRESS', 'IN_PROGRESS', False,
             'Ignored: sent to the signal URL of run 0; the deployment is '
             'at run 1 (a new action or re-run started since).', DETAILS),
            (event['source'], event['actor'], event['status_from'],
             event['status_to'], event['applied'], event['reason'],
             event['details']))
        # The new run's URL is taken.
        body = self.signal(new_url, {'result': 'fresh'})
        self.assertEqual(('COMPLETE', True), (body['status'],
                                              body['applied']))
        self.assertEqual('fresh', self.show_deployment(
            deployment['id'])['output_values']['result'])

    def test_stale_signal_refused_whatever_the_status(self):
        deployment, metadata_url, url = self.setup_signal()
        self.new_run(deployment['id'], {'action': 'UPDATE',
                                        'status': 'COMPLETE'}, metadata_url)
        self.signal(url, DETAILS, status=409)
        self.assertEqual(('COMPLETE', None), (
            self.show_deployment(deployment['id'])['status'],
            self.show_deployment(deployment['id'])['output_values']))

    def set_legacy_run(self, deployment_id, run):
        """As the upgrade leaves a deployment created before it."""
        table = models.SoftwareDeployment.__table__
        engine.write(lambda w: w.execute(sa.update(table).where(
            table.c.id == deployment_id).values(signal_legacy_run=run)))

    def legacy_url(self, deployment_id):
        mac = tokens.mac(self.credential().secret, tokens.SIGNAL,
                         deployment_id)
        return '/agent/v1/signal/%s/%s' % (deployment_id, mac)

    def test_url_without_run_of_an_upgraded_deployment(self):
        deployment, metadata_url, _ = self.setup_signal()
        self.set_legacy_run(deployment['id'], 0)
        legacy = self.legacy_url(deployment['id'])
        self.assertTrue(self.signal(legacy, DETAILS)['applied'])
        self.new_run(deployment['id'], {'status': 'IN_PROGRESS'},
                     metadata_url)
        response = self.signal(legacy, DETAILS, status=409)
        self.assertEqual('StaleSignal', response.json['error']['type'])
        self.assertIn('for run 0 of deployment %s, which is at run 1'
                      % deployment['id'], response.json['error']['message'])
        self.assertEqual('IN_PROGRESS', self.show_deployment(
            deployment['id'])['status'])

    def test_url_without_run_of_a_new_deployment_is_404(self):
        deployment, _, _ = self.setup_signal()
        self.assertError(
            self.signal(self.legacy_url(deployment['id']), DETAILS,
                        status=404), 404, 'NotFound',
            'Deployment with id %s not found' % deployment['id'])
        self.assertEqual([('api', True)], [
            (e['source'], e['applied'])
            for e in self.events(deployment['id'])])

    @ddt.data('1.%s', '00000000001.%s', '-1.%s', '%%D9%%A1.%s', 'x.%s',
              '.%s', '0..%s')
    def test_forged_runs_are_404(self, shape):
        deployment, _, url = self.setup_signal()
        mac = url.rsplit('.', 1)[1]
        path = '/agent/v1/signal/%s/%s' % (deployment['id'], shape % mac)
        self.assertEqual(404, self.signal(path, DETAILS,
                                          status=404).status_int)
        self.assertEqual('IN_PROGRESS', self.show_deployment(
            deployment['id'])['status'])


@ddt.ddt
class TestTokenSignal(agent_base.AgentTestCase):
    """POST .../software_deployments/{id}/signal: the run now."""

    def setUp(self):
        super().setUp()
        self.deployment = self.create_deployment(
            stack_user_project_id=STACK_PROJECT)

    def token_signal(self, roles, project_id=STACK_PROJECT, status=None):
        return self.request(
            'POST', self.url('/software_deployments/%s/signal'
                             % self.deployment['id'], project_id),
            body=DETAILS, status=status,
            headers=self.headers(project_id, roles=roles))

    def test_stack_user_signals(self):
        body = self.token_signal('heat_stack_user', status=200).json
        self.assertEqual({'status': 'COMPLETE', 'applied': True,
                          'event': 'deployment %s succeeded'
                          % self.deployment['id']}, body)
        event = self.events(self.deployment['id'])[0]
        self.assertEqual(('signal', 'user-5ac05ac0', True, DETAILS), (
            event['source'], event['actor'], event['applied'],
            event['details']))

    def test_member_of_the_owner_signals(self):
        response = self.token_signal('member,reader',
                                     project_id=self.project_id, status=200)
        self.assertEqual('COMPLETE', response.json['status'])

    @ddt.data(('member,reader', 404), ('reader', 403))
    @ddt.unpack
    def test_others_of_the_named_project_cannot(self, roles, status):
        self.token_signal(roles, status=status)
        self.assertEqual(('IN_PROGRESS', None), (
            self.show_deployment(self.deployment['id'])['status'],
            self.show_deployment(self.deployment['id'])['output_values']))

    def test_second_signal_is_ignored(self):
        self.token_signal('heat_stack_user', status=200)
        body = self.token_signal('heat_stack_user', status=200).json
        self.assertEqual({'status': 'COMPLETE', 'applied': False}, body)

    def test_seed_example_request(self):
        # The wire contract's "Create deployment" example names a stack
        # user project: a member of the owner may still send it.
        config = self.create_config()
        body = {'config_id': config['id'],
                'server_id': agent_base.OTHER_SERVER,
                'stack_user_project_id': 'c024bfada67845ddb17d2b0c0be8cd79',
                'action': 'CREATE', 'status': 'IN_PROGRESS',
                'status_reason': 'Deploy data available',
                'input_values': {'foo': 'fooooo'}}
        created = self.post('/software_deployments', body,
                            status=200).json['software_deployment']
        self.assertEqual(body['server_id'], created['server_id'])
        self.assertNotIn('stack_user_project_id', created)
