"""The agent loop end to end, with the unmodified os-collect-config and
heat-agents (see ``agents.py``) against the real ``deploysvc-api``.

A config and a deployment are created through the plain API (as Heat's
engine or an operator would), ``POST /v1/{tenant}/server_agents/{server}``
gives the server's capability URL, and one ``os-collect-config`` poll
fetches the metadata, runs the ``script`` hook through ``55-heat-config``
and lets ``heat-config-notify`` PUT the result to the deployment's signal
URL, which applies Heat's signal rules.
"""

import json
import os

from deploysvc.tests.functional import agent_loop_base as loop


class AgentLoopTest(loop.AgentLoopCase):

    def test_script_runs_and_outputs_are_signalled(self):
        config, deployment = self.deploy(loop.GOOD_SCRIPT)
        url = self.metadata_url()
        _, item = self.served(url)
        self.assertEqual(loop.GOOD_SCRIPT, item['config'])
        self.assert_item(item, deployment, 'CREATE', 'hello')

        self.run_agent(url)

        self.assertEqual(['CREATE hello'], self.marker_lines())
        deployed = self.agent.deployed()
        self.assertEqual([item['id']], list(deployed))
        outputs = {'result': 'hello from %s' % self.server_id,
                   'deploy_stdout': 'to-stdout\n',
                   'deploy_stderr': 'to-stderr\n',
                   'deploy_status_code': 0}
        # What the hook produced is what heat-config-notify was given...
        self.assertEqual(outputs, self.agent.notified(item['id']))
        # ... and what the signal stored.
        shown = self.deployment(deployment['id'])
        self.assertEqual('COMPLETE', shown['status'])
        self.assertEqual('Outputs received', shown['status_reason'])
        self.assertEqual(outputs, shown['output_values'])
        self.assertEqual('CREATE', shown['action'])
        self.assertEqual(config['id'], shown['config_id'])
        self.assertIn('Outputs received', self.history(deployment['id']))

    def test_failing_script_fails_the_deployment(self):
        _, deployment = self.deploy(loop.BAD_SCRIPT)
        url = self.metadata_url()
        _, item = self.served(url)
        self.assert_item(item, deployment, 'CREATE', 'hello')

        self.run_agent(url)

        self.assertEqual(['CREATE hello'], self.marker_lines())
        shown = self.deployment(deployment['id'])
        reason = ('deploy_status_code : Deployment exited with non-zero '
                  'status code: 3')
        self.assertEqual('FAILED', shown['status'])
        self.assertEqual(reason, shown['status_reason'])
        self.assertEqual({'deploy_stdout': 'failing\n',
                          'deploy_stderr': 'broken\n',
                          'deploy_status_code': 3}, shown['output_values'])
        self.assertIn(reason, self.history(deployment['id']))

    def test_new_action_and_new_inputs_run_the_script_again(self):
        _, deployment = self.deploy(loop.GOOD_SCRIPT)
        url = self.metadata_url()
        _, first = self.served(url)
        self.run_agent(url)
        self.assertEqual('COMPLETE',
                         self.deployment(deployment['id'])['status'])
        etag = self.get_metadata(url)[1]['ETag']

        # A second action, as Heat's resource sends it.
        updated = self.api('PUT', '/software_deployments/%s'
                           % deployment['id'],
                           {'action': 'UPDATE', 'status': 'IN_PROGRESS'})
        self.assertEqual('IN_PROGRESS',
                         updated['software_deployment']['status'])
        self.assertEqual('UPDATE', updated['software_deployment']['action'])
        status, headers, _ = self.get_metadata(url, {'If-None-Match': etag})
        self.assertEqual(200, status)
        self.assertNotEqual(etag, headers['ETag'])
        _, second = self.served(url)
        # 55-heat-config skips ids it deployed: the served id must change.
        self.assertNotEqual(first['id'], second['id'])
        self.assert_item(second, deployment, 'UPDATE', 'hello')

        self.run_agent(url)

        self.assertEqual(['CREATE hello', 'UPDATE hello'],
                         self.marker_lines())
        self.assertEqual({first['id'], second['id']},
                         set(self.agent.deployed()))
        shown = self.deployment(deployment['id'])
        self.assertEqual('COMPLETE', shown['status'])
        self.assertEqual('Outputs received', shown['status_reason'])

        # New input values, same action: a new id again.
        self.api('PUT', '/software_deployments/%s' % deployment['id'],
                 {'input_values': {'greeting': 'bonjour',
                                   'marker': self.marker},
                  'status': 'IN_PROGRESS'})
        _, third = self.served(url)
        self.assertNotIn(third['id'], (first['id'], second['id']))
        self.assert_item(third, deployment, 'UPDATE', 'bonjour')

        self.run_agent(url)

        self.assertEqual(['CREATE hello', 'UPDATE hello', 'UPDATE bonjour'],
                         self.marker_lines())
        shown = self.deployment(deployment['id'])
        self.assertEqual('COMPLETE', shown['status'])
        self.assertEqual('bonjour from %s' % self.server_id,
                         shown['output_values']['result'])

    def test_replay_of_an_earlier_run_is_refused(self):
        # What heat-config-notify sent in the first run, captured and sent
        # again once a second action is under way, is recorded and refused
        # (behaviour-signal-runs); the real agent then completes the
        # second action through its new URL.
        _, deployment = self.deploy(loop.GOOD_SCRIPT)
        url = self.metadata_url()
        _, first = self.served(url)
        self.run_agent(url)
        captured = self.agent.notified(first['id'])
        first_signal = self.values(first)['deploy_signal_id']
        self.api('PUT', '/software_deployments/%s' % deployment['id'],
                 {'action': 'UPDATE', 'status': 'IN_PROGRESS'})
        _, second = self.served(url)
        self.assertNotEqual(first_signal,
                            self.values(second)['deploy_signal_id'])

        status, _, raw = self.http('PUT', first_signal,
                                   json.dumps(captured),
                                   {'Content-Type': 'application/json'})
        self.assertEqual(409, status, raw)
        self.assertEqual('StaleSignal', json.loads(raw)['error']['type'])
        shown = self.deployment(deployment['id'])
        self.assertEqual(('IN_PROGRESS', 'UPDATE'),
                         (shown['status'], shown['action']))
        self.assertIn('Ignored: sent to the signal URL of run 0',
                      self.history(deployment['id']))

        self.run_agent(url)
        self.assertEqual(['CREATE hello', 'UPDATE hello'],
                         self.marker_lines())
        self.assertEqual('COMPLETE',
                         self.deployment(deployment['id'])['status'])

    def test_unchanged_metadata_is_not_modified_and_not_rerun(self):
        _, deployment = self.deploy(loop.GOOD_SCRIPT)
        url = self.metadata_url()
        self.run_agent(url)
        self.assertEqual('COMPLETE',
                         self.deployment(deployment['id'])['status'])

        # The signal changed the deployment, not the served metadata: the
        # next poll finds the cached document and does not run the command.
        self.run_agent(url, command_runs=0)
        self.assertEqual(['CREATE hello'], self.marker_lines())
        self.assertEqual(1, len(self.agent.deployed()))

        status, headers, raw = self.get_metadata(url)
        self.assertEqual(200, status)
        with open(os.path.join(self.agent.cachedir, 'request.json')) as f:
            self.assertEqual(json.load(f), json.loads(raw))
        etag = headers['ETag']
        self.assertRegex(etag, r'^"[^"]+"$')  # strong
        # Two agent runs (each well over a second) separate the last
        # change from this request, so Last-Modified is announced.
        last_modified = headers['Last-Modified']

        for conditional in ({'If-None-Match': etag},
                            {'If-None-Match': '"other", %s' % etag},
                            {'If-Modified-Since': last_modified}):
            status, headers, body = self.get_metadata(url, conditional)
            self.assertEqual(304, status, conditional)
            self.assertEqual(b'', body)
            self.assertEqual(etag, headers['ETag'])
        status, _, body = self.get_metadata(url, {'If-None-Match': '"x"'})
        self.assertEqual(200, status)
        self.assertEqual(json.loads(raw), json.loads(body))
        status, headers, body = self.http('HEAD', url)
        self.assertEqual(200, status)
        self.assertEqual(b'', body)
        self.assertEqual((etag, last_modified),
                         (headers['ETag'], headers['Last-Modified']))

    def test_rotated_and_revoked_urls_stop_working(self):
        path = '/server_agents/%s' % self.server_id
        self.api('GET', path, status=404)
        self.deploy(loop.GOOD_SCRIPT)
        old = self.metadata_url()
        shown = self.api('GET', path)['server_agent']
        self.assertEqual(old, shown['metadata_url'])
        self.assertEqual(200, self.get_metadata(old)[0])

        new = self.metadata_url()
        self.assertNotEqual(old, new)
        self.assertEqual(404, self.get_metadata(old)[0])
        # The agent polling the old URL finds nothing and runs nothing.
        run = self.agent.run(old)
        self.assertEqual((0, 0), (run.returncode, run.command_runs),
                         run.output)
        self.assertFalse(os.path.exists(self.marker))
        self.assertEqual(200, self.get_metadata(new)[0])

        self.api('DELETE', path, status=204)
        self.assertEqual(404, self.get_metadata(new)[0])
        self.api('GET', path, status=404)
