"""/v1/{tenant_id}/software_deployments: update and delete.

Heat's behaviour, and where deploysvc differs
(doc/source/contributor/behaviour.rst: behaviour-update,
behaviour-status-values, behaviour-config-reference, behaviour-concurrency
and behaviour-times). Data is made with the DB factories; the clock is
frozen so that whole response bodies can be compared.
"""

import ddt

from deploysvc.tests import base as test_base
from deploysvc.tests.unit.api import deployments_base
from deploysvc.tests import utils


@ddt.ddt
class TestUpdate(deployments_base.DeploymentTestCase):

    def setUp(self):
        super().setUp()
        self.row = self.seed_deployment(
            input_values={'foo': 'bar'}, output_values={'old': 1})

    def put_deployment(self, body, status=200, **kw):
        return self.put('/software_deployments/' + self.row.id, body,
                        status=status, **kw)

    def shown(self):
        return self.get('/software_deployments/' + self.row.id,
                        status=200).json['software_deployment']

    def test_update_api_ref_request(self):
        outputs = {'deploy_stdout': 'Writing to /tmp/baaaaa\n',
                   'deploy_stderr': '+ echo Writing to /tmp/baaaaa\n',
                   'deploy_status_code': 0,
                   'result': 'The file /tmp/baaaaa contains fooooo'}
        self.clock.advance_time_seconds(345)
        response = self.put_deployment({
            'status': 'COMPLETE', 'status_reason': 'Outputs received',
            'output_values': outputs})
        expected = self.expected(
            self.row, input_values={'foo': 'bar'}, output_values=outputs,
            status='COMPLETE', status_reason='Outputs received',
            updated_time=deployments_base._time(345))
        self.assertEqual({'software_deployment': expected}, response.json)
        self.assertEqual(expected, self.shown())

    def test_update_does_not_interpret_status_code(self):
        body = self.put_deployment({
            'output_values': {'deploy_status_code': 1}}).json
        self.assertEqual('IN_PROGRESS', body['software_deployment']['status'])
        self.assertEqual({'deploy_status_code': 1},
                         body['software_deployment']['output_values'])

    def test_empty_body_touches(self):
        self.clock.advance_time_seconds(10)
        response = self.put_deployment({})
        expected = self.expected(
            self.row, input_values={'foo': 'bar'},
            output_values={'old': 1}, updated_time=deployments_base._time(10))
        self.assertEqual({'software_deployment': expected}, response.json)
        self.assertEqual(expected, self.shown())

    @ddt.data(
        {'input_values': {}}, {'output_values': {}},
        {'action': ''}, {'status_reason': ''}, {'config_id': None},
        {'input_values': None, 'output_values': {}, 'action': '',
         'status': None, 'status_reason': '', 'config_id': None},
    )
    def test_null_and_falsy_values_are_dropped(self, body):
        self.clock.advance_time_seconds(1)
        response = self.put_deployment(body)
        self.assertEqual({'software_deployment': self.expected(
            self.row, input_values={'foo': 'bar'},
            output_values={'old': 1}, updated_time=deployments_base._time(1))},
            response.json)

    def test_output_values_replaced_not_merged(self):
        self.put_deployment({'output_values': {'a': 1, 'b': 2}})
        body = self.put_deployment(
            {'output_values': {'c': 3}}).json['software_deployment']
        self.assertEqual({'c': 3}, body['output_values'])
        self.assertEqual({'c': 3}, self.shown()['output_values'])

    def test_input_values_replaced_not_merged(self):
        body = self.put_deployment(
            {'input_values': {'other': 'x'}}).json['software_deployment']
        self.assertEqual({'other': 'x'}, body['input_values'])
        self.assertEqual({'other': 'x'}, self.shown()['input_values'])

    def test_updated_time_advances(self):
        self.clock.advance_time_seconds(10)
        self.put_deployment({'status': 'COMPLETE'})
        self.clock.advance_time_seconds(10)
        body = self.put_deployment({}).json['software_deployment']
        self.assertEqual(deployments_base._time(20), body['updated_time'])
        self.assertEqual(deployments_base.NOW_STR, body['creation_time'])

    def test_updated_time_never_goes_backwards(self):
        self.clock.advance_time_seconds(10)
        self.put_deployment({'status': 'COMPLETE'})
        # A node whose clock is behind updates next.
        self.clock.advance_time_seconds(-5)
        body = self.put_deployment(
            {'status_reason': 'late'}).json['software_deployment']
        self.assertEqual(deployments_base._time(10), body['updated_time'])
        self.assertEqual('late', body['status_reason'])
        self.assertEqual(deployments_base._time(10),
                         self.shown()['updated_time'])

    def test_change_config(self):
        new = utils.create_test_config(self.context, name='derived')
        body = self.put_deployment(
            {'config_id': new.id}).json['software_deployment']
        self.assertEqual(new.id, body['config_id'])
        self.assertEqual(new.id, self.shown()['config_id'])
        metadata = self.get(
            '/software_deployments/metadata/' + deployments_base.SERVER,
            status=200).json['metadata']
        self.assertEqual([new.id], [c['id'] for c in metadata])

    def test_same_config_id(self):
        body = self.put_deployment(
            {'config_id': self.sc.id,
             'status': 'FAILED'}).json['software_deployment']
        self.assertEqual((self.sc.id, 'FAILED'),
                         (body['config_id'], body['status']))

    def test_unknown_config(self):
        response = self.put_deployment(
            {'config_id': 'no-such-config', 'status': 'COMPLETE'},
            status=None)
        self.assertError(response, 404, 'NotFound',
                         'Software config with id no-such-config not found')
        # Rolled back: nothing applied, not even updated_time.
        self.assertEqual(self.expected(
            self.row, input_values={'foo': 'bar'},
            output_values={'old': 1}), self.shown())

    def test_other_projects_config(self):
        foreign = utils.create_test_config(self.other_context)
        response = self.put_deployment({'config_id': foreign.id},
                                       status=None)
        self.assertError(response, 404, 'NotFound',
                         'Software config with id %s not found' % foreign.id)
        self.assertEqual(self.sc.id, self.shown()['config_id'])

    @ddt.unpack
    @ddt.data(
        ({'status': 'WAITING'}, deployments_base.STATUS_CHOICES),
        ({'output_values': []}, '"output_values" must be an object or null'),
        ({'output_values': 'x'},
         '"output_values" must be an object or null'),
        ({'input_values': [1]}, '"input_values" must be an object or null'),
        ({'action': 'a' * 256},
         '"action" should be no more than 255 characters'),
        ({'config_id': 'c' * 37},
         '"config_id" should be no more than 36 characters'),
        ({'config_id': 7}, '"config_id" must be a string or null'),
        ({'status_reason': 'r' * 65536},
         '"status_reason" should be no more than 65535 characters'),
    )
    def test_invalid(self, body, message):
        response = self.put_deployment(body, status=None)
        self.assertError(response, 400, 'Invalid',
                         deployments_base.INVALID + message)
        self.assertEqual(self.expected(
            self.row, input_values={'foo': 'bar'},
            output_values={'old': 1}), self.shown())

    def test_server_id_and_stack_user_project_id_ignored(self):
        body = self.put_deployment({
            'id': 'new-id', 'server_id': 'other-server',
            'stack_user_project_id': test_base.OTHER_PROJECT,
            'status': 'COMPLETE'}).json['software_deployment']
        self.assertEqual((self.row.id, deployments_base.SERVER, 'COMPLETE'),
                         (body['id'], body['server_id'], body['status']))
        # The other project was not given access.
        self.get('/software_deployments/' + self.row.id, status=404,
                 **self.as_project(test_base.OTHER_PROJECT))

    def test_update_not_found(self):
        response = self.put('/software_deployments/missing',
                            {'status': 'COMPLETE'})
        self.assertError(response, 404, 'NotFound',
                         'Deployment with id missing not found')

    def test_update_other_project(self):
        response = self.put_deployment(
            {'status': 'FAILED'}, status=None,
            **self.as_project(test_base.OTHER_PROJECT))
        self.assertError(response, 404, 'NotFound',
                         'Deployment with id %s not found' % self.row.id)
        self.assertEqual('IN_PROGRESS', self.shown()['status'])

    def test_update_as_stack_user_project_member(self):
        # Naming a project gives its members nothing (behaviour-visibility).
        row = self.seed_deployment(
            stack_user_project_id=deployments_base.STACK_USER_PROJECT)
        response = self.put('/software_deployments/' + row.id,
                            {'status': 'COMPLETE'},
                            **self.as_project(
                                deployments_base.STACK_USER_PROJECT))
        self.assertError(response, 404, 'NotFound',
                         'Deployment with id %s not found' % row.id)
        self.assertEqual(self.expected(row), self.get(
            '/software_deployments/' + row.id,
            status=200).json['software_deployment'])


class TestDelete(deployments_base.DeploymentTestCase):

    def test_delete(self):
        row = self.seed_deployment()
        response = self.delete('/software_deployments/' + row.id,
                               status=204)
        self.assertEqual(b'', response.body)
        self.assertError(self.get('/software_deployments/' + row.id),
                         404, 'NotFound',
                         'Deployment with id %s not found' % row.id)
        self.assertEqual([], self.list_ids())
        # The config is left alone.
        config = self.get('/software_configs/' + self.sc.id, status=200)
        self.assertEqual(self.sc.id, config.json['software_config']['id'])

    def test_delete_twice(self):
        row = self.seed_deployment()
        self.delete('/software_deployments/' + row.id, status=204)
        self.assertError(self.delete('/software_deployments/' + row.id),
                         404, 'NotFound',
                         'Deployment with id %s not found' % row.id)

    def test_delete_other_project(self):
        row = self.seed_deployment(context=self.other_context)
        self.assertError(self.delete('/software_deployments/' + row.id),
                         404, 'NotFound',
                         'Deployment with id %s not found' % row.id)
        self.get('/software_deployments/' + row.id, status=200,
                 **self.as_project(test_base.OTHER_PROJECT))

    def test_delete_as_admin(self):
        row = self.seed_deployment(context=self.other_context)
        self.delete('/software_deployments/' + row.id, status=204,
                    headers=self.admin_headers())
        self.get('/software_deployments/' + row.id, status=404,
                 **self.as_project(test_base.OTHER_PROJECT))
