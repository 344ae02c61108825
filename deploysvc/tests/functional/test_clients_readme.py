"""The README's walk-through with the OpenStack client, on a noauth server.

Its ``clouds.yaml`` (``auth_type: none``, the project in the endpoint),
then only ``openstack`` commands, and what the server's agent does in
between (read the agent URL, report to the signal URL).
"""

import fixtures
import requests

from deploysvc.tests.functional import base
from deploysvc.tests.functional import catalog_fixtures as catalog
from deploysvc.tests.functional import clients_base


class DevCloudTestCase(base.OpenStackCLI, base.FunctionalTestCase):
    """``openstack`` with the README's clouds.yaml: a project of its own."""

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.clouds = catalog.write_dev_clouds_yaml(
            self.tmp, self.server.project_endpoint(clients_base.new_project()))

    def openstack(self, *args, **kw):
        return self.run_openstack(
            args, env={'OS_CLIENT_CONFIG_FILE': self.clouds,
                       'OS_CLOUD': catalog.CLOUD},
            returncode=kw.pop('returncode', 0))


class TestReadmeWalkThrough(DevCloudTestCase):

    def test_walk_through(self):
        with open(self.tmp + '/hello.sh', 'w') as f:
            f.write('#!/bin/sh\necho hello from $deploy_server_id\n')
        config = self.openstack_json('software', 'config', 'create', 'hello',
                                     '--group', 'script', '--config-file',
                                     'hello.sh')
        deployment = self.openstack_json(
            'software', 'deployment', 'create', 'mydeploy', '--server',
            'srv-1', '--config', config['id'], '--signal-transport',
            'NO_SIGNAL')
        url = self.openstack('software', 'agent', 'create', 'srv-1', '-f',
                             'value', '-c', 'metadata_url').stdout.strip()

        # The agent: its deployments, then its report.
        document = requests.get(url, timeout=30).json()
        [signal_url] = [item['value'] for d in document['deployments']
                        for item in d['inputs']
                        if item['name'] == 'deploy_signal_id']
        requests.put(signal_url, json={'deploy_status_code': 0,
                                       'deploy_stdout': 'hello from srv-1'},
                     timeout=30).raise_for_status()

        events = self.openstack_json('software', 'deployment', 'event',
                                     'list', deployment['id'])
        self.assertEqual(
            [('signal', 'IN_PROGRESS', 'COMPLETE', 'Outputs received'),
             ('api', None, 'IN_PROGRESS', None)],
            [(e['source'], e['status_from'], e['status_to'], e['reason'])
             for e in events])
        self.assertEqual('COMPLETE', self.openstack_json(
            'software', 'deployment', 'show', deployment['id'])['status'])

        self.openstack('software', 'agent', 'delete', 'srv-1')
        self.assertEqual(404, requests.get(url, timeout=30).status_code)
        result = self.openstack('software', 'agent', 'show', 'srv-1',
                                returncode=1)
        self.assertEqual('No agent URL for server srv-1\n', result.stderr)
