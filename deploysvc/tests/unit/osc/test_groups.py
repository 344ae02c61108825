"""``openstack software deployment group ...``: arguments and output.

On a mocked adapter, as test_commands.py.
"""

import json

import ddt
from osc_lib import exceptions

from deploysvc.osc.v1 import groups
from deploysvc.tests.unit.osc import test_commands

GROUP_ID = '0f6a4f0e-6d1c-4a8e-9a43-5d0a0f2b0c11'
CONFIG = '1c1e1b36-9f1e-4b25-8bd4-a7c9d8f0e1f2'
GROUP = {'id': GROUP_ID, 'config_id': CONFIG, 'action': 'UPDATE',
         'input_values': {}, 'max_concurrency': '25%', 'max_errors': '0',
         'resolved_max_concurrency': 1, 'resolved_max_errors': 0,
         'timeout': None, 'delivery_timeout': None,
         'status': 'IN_PROGRESS', 'status_reason': 'Rolling out',
         'status_reason_code': None,
         'counts': {'total': 2, 'pending': 1, 'in_progress': 1,
                    'complete': 0, 'failed': 0, 'cancelled': 0},
         'creation_time': '2026-12-05T06:00:00Z',
         'updated_time': '2026-12-05T06:00:00Z'}
CHILD = {'id': 'c1', 'server_id': 's1', 'status': 'IN_PROGRESS',
         'status_reason_code': None, 'status_reason': 'Released',
         'updated_time': None}
_PATH = '/software_deployment_groups'
answer = test_commands.answer


@ddt.ddt
class TestGroups(test_commands.CommandTestCase):

    def test_create(self):
        out = self.run_command(
            groups.CreateGroup,
            ['--config', CONFIG, '--server', 's1', '--server', 's2',
             '--input-value', 'a=1', '--max-concurrency', '25%',
             '--max-errors', '1', '--timeout', '60', '-f', 'json'],
            answer(200, {'software_deployment_group': GROUP}))
        shown = json.loads(out)
        self.assertEqual((GROUP_ID, 2, 1), (shown['id'], shown['total'],
                                            shown['in_progress']))
        (args, kwargs), = self.requested()
        self.assertEqual((_PATH, 'POST'), args)
        self.assertEqual(
            {'config_id': CONFIG, 'servers': ['s1', 's2'],
             'input_values': {'a': '1'}, 'action': 'UPDATE',
             'max_concurrency': '25%', 'max_errors': 1, 'timeout': 60},
            kwargs['json'])

    def test_create_needs_key_value_inputs(self):
        self.assertRaises(exceptions.CommandError, self.run_command,
                          groups.CreateGroup,
                          ['--config', CONFIG, '--server', 's1',
                           '--input-value', 'novalue'])

    @ddt.data((groups.ShowGroup, [GROUP_ID], 'GET', _PATH + '/' + GROUP_ID),
              (groups.CancelGroup, [GROUP_ID], 'POST',
               _PATH + '/' + GROUP_ID + '/cancel'))
    @ddt.unpack
    def test_show_and_cancel(self, cls, args, method, path):
        out = self.run_command(cls, args + ['-f', 'json'],
                               answer(200, {'software_deployment_group':
                                            GROUP}))
        self.assertEqual('IN_PROGRESS', json.loads(out)['status'])
        self.assertEqual([((path, method), {'raise_exc': False})],
                         self.requested())

    def test_list(self):
        out = self.run_command(
            groups.ListGroups, ['--status', 'FAILED', '--limit', '5',
                                '-f', 'json'],
            answer(200, {'software_deployment_groups': [GROUP]}))
        self.assertEqual([{'id': GROUP_ID, 'config_id': CONFIG,
                           'status': 'IN_PROGRESS', 'total': 2,
                           'pending': 1, 'in_progress': 1, 'complete': 0,
                           'failed': 0,
                           'creation_time': '2026-12-05T06:00:00Z'}],
                         json.loads(out))
        self.assertEqual([((_PATH, 'GET'), {
            'raise_exc': False, 'params': {'status': 'FAILED',
                                           'limit': 5}})],
                         self.requested())

    def test_deployment_list(self):
        out = self.run_command(
            groups.ListGroupDeployments, [GROUP_ID, '--status',
                                          'IN_PROGRESS', '-f', 'json'],
            answer(200, {'software_deployments': [CHILD]}))
        self.assertEqual(['c1'], [d['id'] for d in json.loads(out)])
        self.assertEqual([((_PATH + '/%s/deployments' % GROUP_ID, 'GET'),
                           {'raise_exc': False,
                            'params': {'status': 'IN_PROGRESS'}})],
                         self.requested())

    @ddt.data(([], {}), (['--force'], {'force': 'true'}))
    @ddt.unpack
    def test_delete(self, args, params):
        out = self.run_command(groups.DeleteGroup, [GROUP_ID] + args,
                               answer(204))
        self.assertEqual('', out)
        self.assertEqual([((_PATH + '/' + GROUP_ID, 'DELETE'),
                           {'raise_exc': False, 'params': params})],
                         self.requested())

    def test_delete_reports_failures(self):
        e = self.assertRaises(
            exceptions.CommandError, self.run_command, groups.DeleteGroup,
            [GROUP_ID, 'nope'], answer(204),
            test_commands.not_found('Deployment group nope not found'))
        self.assertEqual('Unable to delete 1 of the 2 deployment groups.',
                         str(e))
