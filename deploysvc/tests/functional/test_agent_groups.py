"""A deployment group end to end, with five real agents.

Five servers, each with its own os-collect-config and heat-agents
directories (agents.AgentFixture), one group with max_concurrency 2 and
max_errors 0, and the script failing on one server: the group stops at
that failure, names it, and never releases the servers after it.  See
doc/source/user/deployment-groups.rst.
"""

import json
import os
import uuid

from deploysvc.tests.functional import agent_loop_base as loop
from deploysvc.tests.functional import agents

# Fails where the input "fail" is "yes"; records every run in $marker.
SCRIPT = '''#!/bin/sh
echo "$deploy_action" >> "$marker"
if [ "$fail" = yes ]; then
    echo broken >&2
    exit 3
fi
printf ok > "$heat_outputs_path.result"
'''
SERVERS = 5


class TestAgentGroups(loop.AgentLoopCase):

    def setUp(self):
        super().setUp()
        self.servers = [str(uuid.uuid4()) for _ in range(SERVERS)]
        self.fleet = [self.useFixture(agents.AgentFixture(self.agents))
                      for _ in range(SERVERS)]
        self.markers = [os.path.join(agent.path, 'marker')
                        for agent in self.fleet]

    def group(self, group_id):
        return self.api('GET', '/software_deployment_groups/%s'
                        % group_id)['software_deployment_group']

    def ran(self, index):
        return os.path.exists(self.markers[index])

    def test_a_failure_stops_the_rollout(self):
        config = self.create_config(
            name='fleet', config=SCRIPT,
            inputs=[{'name': 'marker'}, {'name': 'fail'}],
            outputs=[{'name': 'result'}])
        group = self.api('POST', '/software_deployment_groups', {
            'config_id': config['id'], 'action': 'UPDATE',
            'input_values': {'fail': 'no'},
            'servers': [{'server_id': server,
                         'input_values': dict(
                             {'marker': marker},
                             **({'fail': 'yes'} if index == 1 else {}))}
                        for index, (server, marker) in enumerate(
                            zip(self.servers, self.markers))],
            'max_concurrency': 2, 'max_errors': 0})[
                'software_deployment_group']
        urls = [self.api('POST', '/server_agents/%s' % server,
                         {})['server_agent']['metadata_url']
                for server in self.servers]
        children = self.api('GET', '/software_deployment_groups/%s/'
                            'deployments' % group['id'])[
                                'software_deployments']

        # Server 0 succeeds: server 2 is released in its signal's
        # transaction.  Server 1 fails: the group stops.
        self.fleet[0].run(urls[0])
        self.assertEqual(2, self.group(group['id'])['counts']['in_progress'])
        self.fleet[1].run(urls[1])
        stopped = self.group(group['id'])
        self.assertEqual(('FAILED', 'MAX_ERRORS_EXCEEDED'),
                         (stopped['status'], stopped['status_reason_code']))
        self.assertIn('Deployment %s on server %s failed: deploy_status_code'
                      % (children[1]['id'], self.servers[1]),
                      stopped['status_reason'])
        # Server 2, released before the failure, still runs and counts;
        # servers 3 and 4 are never served anything.
        for index in range(2, SERVERS):
            self.fleet[index].run(urls[index])
        self.assertEqual([True, True, True, False, False],
                         [self.ran(i) for i in range(SERVERS)])
        for index in (3, 4):
            status, _, raw = self.get_metadata(urls[index])
            self.assertEqual([], json.loads(raw)['deployments'])
        ended = self.group(group['id'])
        self.assertEqual(
            ('FAILED', {'total': 5, 'pending': 0, 'in_progress': 0,
                        'complete': 2, 'failed': 1, 'cancelled': 2}),
            (ended['status'], ended['counts']))
        shown = [self.deployment(child['id'])['status_reason_code']
                 for child in children]
        self.assertEqual(['OUTPUTS_RECEIVED', 'NONZERO_EXIT',
                          'OUTPUTS_RECEIVED', 'CANCELLED', 'CANCELLED'],
                         shown)
        kinds = [event['kind'] for event in reversed(self.api(
            'GET', '/software_deployment_groups/%s/events'
            % group['id'])['events'])]
        self.assertNotIn('RELEASED', kinds[kinds.index('FAILED'):])
