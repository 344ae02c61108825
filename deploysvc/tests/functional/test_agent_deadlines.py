"""Deadlines and cancel end to end, with the real agents (issue 15).

See doc/source/contributor/behaviour.rst, behaviour-deadlines.  The
deadlines here are a few seconds of real time: the tests wait for the
service to say a deadline passed (bounded), they never sleep instead of
asking.
"""

import json
import os
import time

from deploysvc.tests.functional import agent_loop_base as loop

# Runs past a 2-second timeout, then reports success.
SLOW_SCRIPT = '''#!/bin/sh
set -e
sleep 4
echo "$deploy_action $greeting" >> "$marker"
printf 'late' > "$heat_outputs_path.result"
echo slow-stdout
'''
WAIT = 20


class AgentDeadlineTest(loop.AgentLoopCase):

    def events(self, deployment_id):
        return json.loads(self.history(deployment_id))

    def wait_for_status(self, deployment_id, status):
        """The deployment once it has ``status`` (at most WAIT seconds)."""
        deadline = time.monotonic() + WAIT
        while True:
            shown = self.deployment(deployment_id)
            if shown['status'] == status or time.monotonic() > deadline:
                return shown
            time.sleep(0.2)

    def test_never_fetched_times_out_in_delivery(self):
        _, deployment = self.deploy(loop.GOOD_SCRIPT, delivery_timeout=2)
        shown = self.wait_for_status(deployment['id'], 'FAILED')
        self.assertEqual(
            ('FAILED', 'TIMED_OUT_DELIVERY', None,
             'Deployment was not delivered to the server within 2 seconds'),
            (shown['status'], shown['status_reason_code'],
             shown['delivered_at'], shown['status_reason']))
        [event] = [e for e in self.events(deployment['id'])
                   if e['source'] == 'deadline']
        self.assertEqual('TIMED_OUT_DELIVERY', event['reason_code'])

    def test_slow_script_times_out_and_its_late_signal_is_kept(self):
        _, deployment = self.deploy(SLOW_SCRIPT, timeout=2)
        url = self.metadata_url()
        # The agent fetches it (delivery), runs it for 4 s and signals.
        self.run_agent(url)
        self.assertEqual(['CREATE hello'], self.marker_lines())
        shown = self.deployment(deployment['id'])
        self.assertEqual(('FAILED', 'TIMED_OUT_EXECUTION', None), (
            shown['status'], shown['status_reason_code'],
            shown['output_values']))
        self.assertIsNotNone(shown['delivered_at'])
        signal, timed_out = self.events(deployment['id'])[:2]
        self.assertEqual(('deadline', 'TIMED_OUT_EXECUTION'), (
            timed_out['source'], timed_out['reason_code']))
        self.assertEqual(('signal', False, 'SIGNAL_IGNORED'), (
            signal['source'], signal['applied'], signal['reason_code']))
        # The late result is not lost: its outputs are in the event.
        self.assertEqual(('late', 'slow-stdout\n', 0), (
            signal['details']['result'], signal['details']['deploy_stdout'],
            signal['details']['deploy_status_code']))

    def test_cancelled_before_the_poll_never_runs(self):
        _, deployment = self.deploy(loop.GOOD_SCRIPT)
        url = self.metadata_url()
        cancelled = self.api('POST', '/software_deployments/%s/cancel'
                             % deployment['id'])['software_deployment']
        self.assertEqual(('FAILED', 'CANCELLED'), (
            cancelled['status'], cancelled['status_reason_code']))
        self.agent.run(url)
        self.assertFalse(os.path.exists(self.marker))
        self.assertEqual([], list(self.agent.deployed()))
        self.assertEqual('CANCELLED', self.deployment(
            deployment['id'])['status_reason_code'])
