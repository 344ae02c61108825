"""``openstack software deployment group ...`` against a noauth server.

The real ``openstack`` with deploysvc's plugin (its entry points as
installed), the README's ``clouds.yaml`` (``auth_type: none``): a rollout
created, shown, listed with its children, cancelled and deleted.
"""

from deploysvc.tests.functional import test_clients_readme


class TestGroupCommands(test_clients_readme.DevCloudTestCase):

    def test_a_rollout_from_create_to_delete(self):
        with open(self.tmp + '/hello.sh', 'w') as f:
            f.write('#!/bin/sh\necho hello\n')
        config = self.openstack_json('software', 'config', 'create', 'hello',
                                     '--group', 'script', '--config-file',
                                     'hello.sh')
        group = self.openstack_json(
            'software', 'deployment', 'group', 'create', '--config',
            config['id'], '--server', 'srv-1', '--server', 'srv-2',
            '--server', 'srv-3', '--max-concurrency', '1',
            '--input-value', 'greeting=hi')
        self.assertEqual(('IN_PROGRESS', {'greeting': 'hi'}),
                         (group['status'], group['input_values']))
        shown = self.openstack_json('software', 'deployment', 'group',
                                    'show', group['id'])
        self.assertEqual(group['id'], shown['id'])
        self.assertEqual([group['id']], [g['id'] for g in self.openstack_json(
            'software', 'deployment', 'group', 'list')])
        children = self.openstack_json('software', 'deployment', 'group',
                                       'deployment', 'list', group['id'])
        self.assertEqual(['srv-1', 'srv-2', 'srv-3'],
                         sorted(child['server_id'] for child in children))

        # In progress: delete is refused, cancel ends it.
        result = self.openstack('software', 'deployment', 'group', 'delete',
                                group['id'], returncode=1)
        self.assertNotIn('Traceback', result.stderr)
        cancelled = self.openstack_json('software', 'deployment', 'group',
                                        'cancel', group['id'])
        self.assertEqual('CANCELLED', cancelled['status'])
        self.openstack('software', 'deployment', 'group', 'delete',
                       group['id'])
        self.assertEqual([], self.openstack_json(
            'software', 'deployment', 'group', 'list'))
