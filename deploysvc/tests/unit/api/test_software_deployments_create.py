"""/v1/{tenant_id}/software_deployments: create, and its quota.

Heat's behaviour, and where deploysvc differs
(doc/source/contributor/behaviour.rst: behaviour-create-status,
behaviour-validation, behaviour-status-values, behaviour-status-reason,
behaviour-config-reference, behaviour-admin and behaviour-quotas). Data is
made with the DB factories; the clock is frozen so that whole response
bodies can be compared.
"""

import ddt
from oslo_utils import uuidutils

from deploysvc.tests import base as test_base
from deploysvc.tests.unit.api import deployments_base
from deploysvc.tests import utils


@ddt.ddt
class TestCreate(deployments_base.DeploymentTestCase):

    def test_create_minimal(self):
        response = self.post_deployment({'config_id': self.sc.id,
                                         'server_id': deployments_base.SERVER})
        body = response.json['software_deployment']
        self.assertTrue(uuidutils.is_uuid_like(body['id']))
        self.assertEqual(deployments_base.with_additions({
            'id': body['id'],
            'server_id': deployments_base.SERVER,
            'config_id': self.sc.id,
            'input_values': {},
            'output_values': None,
            'action': None,
            'status': None,
            # Null, not Heat's string "None" (doc/source/contributor/
            # behaviour.rst, behaviour-status-reason).
            'status_reason': None,
            'creation_time': deployments_base.NOW_STR,
        }), body)
        shown = self.get('/software_deployments/' + body['id'], status=200)
        self.assertEqual({'software_deployment': body}, shown.json)

    def test_create_api_ref_request(self):
        # The request of the api-ref and its response.
        response = self.post_deployment({
            'status': 'IN_PROGRESS', 'server_id': deployments_base.SERVER,
            'config_id': self.sc.id,
            'stack_user_project_id': deployments_base.STACK_USER_PROJECT,
            'action': 'CREATE', 'status_reason': 'Deploy data available'})
        body = response.json['software_deployment']
        expected = deployments_base.with_additions({
            'id': body['id'],
            'server_id': deployments_base.SERVER,
            'config_id': self.sc.id,
            'input_values': {},
            'output_values': None,
            'action': 'CREATE',
            'status': 'IN_PROGRESS',
            'status_reason': 'Deploy data available',
            'creation_time': deployments_base.NOW_STR,
        })
        self.assertEqual({'software_deployment': expected}, response.json)

    def test_create_gabbi_minimal(self):
        body = self.post_deployment({
            'action': 'ACTION0', 'config_id': self.sc.id,
            'server_id': 'dummy_server'}).json['software_deployment']
        self.assertEqual(deployments_base.with_additions(
            {'id': body['id'], 'server_id': 'dummy_server',
             'config_id': self.sc.id, 'input_values': {},
             'output_values': None, 'action': 'ACTION0', 'status': None,
             'status_reason': None,
             'creation_time': deployments_base.NOW_STR}), body)

    @ddt.data(None, {})
    def test_create_falsy_input_values(self, input_values):
        body = self.post_deployment({
            'config_id': self.sc.id, 'server_id': deployments_base.SERVER,
            'input_values': input_values}).json['software_deployment']
        self.assertEqual({}, body['input_values'])

    def test_create_input_values_stored_verbatim(self):
        values = {'foo': 'fooooo', 'n': 42, 'nested': {'l': [1, None, 'x']},
                  'flag': False, 'nothing': None}
        body = self.post_deployment({
            'config_id': self.sc.id, 'server_id': deployments_base.SERVER,
            'input_values': values}).json['software_deployment']
        self.assertEqual(values, body['input_values'])
        shown = self.get('/software_deployments/' + body['id'], status=200)
        self.assertEqual(values,
                         shown.json['software_deployment']['input_values'])

    @ddt.data('IN_PROGRESS', 'COMPLETE', 'FAILED')
    def test_create_status(self, status):
        body = self.post_deployment({
            'config_id': self.sc.id, 'server_id': deployments_base.SERVER,
            'status': status}).json['software_deployment']
        self.assertEqual(status, body['status'])

    def test_create_maximum_lengths(self):
        body = self.post_deployment({
            'config_id': self.sc.id, 'server_id': 's' * 36,
            'action': 'a' * 255, 'status_reason': 'r' * 65535,
            'stack_user_project_id': 'p' * 64}).json['software_deployment']
        self.assertEqual(('s' * 36, 'a' * 255, 'r' * 65535),
                         (body['server_id'], body['action'],
                          body['status_reason']))

    @ddt.unpack
    @ddt.data(
        ({'config_id': None}, '"config_id" is required'),
        ({'server_id': None}, '"server_id" is required'),
        ({'server_id': 's' * 37},
         '"server_id" should be no more than 36 characters'),
        ({'server_id': ''}, '"server_id" must not be empty'),
        ({'server_id': 42}, '"server_id" must be a string'),
        ({'config_id': ['x']}, '"config_id" must be a string'),
        ({'config_id': 'c' * 37},
         '"config_id" should be no more than 36 characters'),
        ({'action': 'a' * 256},
         '"action" should be no more than 255 characters'),
        ({'action': 5}, '"action" must be a string or null'),
        ({'status_reason': 'r' * 65536},
         '"status_reason" should be no more than 65535 characters'),
        ({'status': 'WAITING'}, deployments_base.STATUS_CHOICES),
        ({'status': 'complete'}, deployments_base.STATUS_CHOICES),
        ({'input_values': []}, '"input_values" must be an object or null'),
    )
    def test_create_invalid(self, change, message):
        body = {'config_id': self.sc.id, 'server_id': deployments_base.SERVER}
        body.update(change)
        # "None" in the table means: leave the key out.
        body = dict((k, v) for k, v in body.items()
                    if not (v is None and k in ('config_id', 'server_id')))
        response = self.post('/software_deployments', body)
        self.assertError(response, 400, 'Invalid',
                         deployments_base.INVALID + message)
        self.assertEqual([], self.list_ids())

    def test_create_stack_user_project_id_too_long_heat_message(self):
        response = self.post('/software_deployments', {
            'config_id': self.sc.id, 'server_id': deployments_base.SERVER,
            'stack_user_project_id': 'p' * 65})
        self.assertError(
            response, 400, 'Invalid',
            'Data supplied was not valid: "stack_user_project_id" should be '
            'no more than 64 characters')

    def test_create_unknown_config(self):
        response = self.post('/software_deployments',
                             {'config_id': 'no-such-config',
                              'server_id': deployments_base.SERVER})
        self.assertError(response, 404, 'NotFound',
                         'Software config with id no-such-config not found')
        self.assertEqual([], self.list_ids())

    def test_create_with_other_projects_config(self):
        foreign = utils.create_test_config(self.other_context)
        response = self.post('/software_deployments',
                             {'config_id': foreign.id,
                              'server_id': deployments_base.SERVER})
        self.assertError(response, 404, 'NotFound',
                         'Software config with id %s not found' % foreign.id)
        self.assertEqual(
            [], self.list_ids(**self.as_project(test_base.OTHER_PROJECT)))

    def test_admin_may_use_other_projects_config(self):
        foreign = utils.create_test_config(self.other_context)
        body = self.post_deployment(
            {'config_id': foreign.id, 'server_id': deployments_base.SERVER},
            headers=self.admin_headers()).json['software_deployment']
        self.assertEqual(deployments_base.with_additions(
            {'id': body['id'], 'server_id': deployments_base.SERVER,
             'config_id': foreign.id,
             'input_values': {}, 'output_values': None, 'action': None,
             'status': None, 'status_reason': None,
             'creation_time': deployments_base.NOW_STR,
             # Admins see the owner; the object is the admin's own
             # (doc/source/contributor/behaviour.rst, behaviour-admin).
             'project': self.project_id}), body)


@ddt.ddt
class TestQuota(deployments_base.DeploymentTestCase):

    message = ('Request limit exceeded: You have reached the maximum '
               'software deployments per tenant, %d. Please delete some '
               'deployments.')

    def create(self, status=200, headers=None):
        """Create; ``status`` None for the expected failures."""
        return self.post('/software_deployments',
                         {'config_id': self.sc.id,
                          'server_id': deployments_base.SERVER},
                         status=status, headers=headers)

    def test_limit_reached(self):
        self.config(max_software_deployments_per_tenant=2)
        self.create()
        self.create()
        self.assertError(self.create(status=None), 400, 'RequestLimitExceeded',
                         self.message % 2)
        self.assertEqual(2, len(self.list_ids()))

    def test_delete_frees_quota(self):
        self.config(max_software_deployments_per_tenant=1)
        first = self.create().json['software_deployment']
        self.assertError(self.create(status=None), 400, 'RequestLimitExceeded',
                         self.message % 1)
        self.delete('/software_deployments/' + first['id'], status=204)
        second = self.create().json['software_deployment']
        self.assertEqual([second['id']], self.list_ids())

    def test_zero_limit(self):
        self.config(max_software_deployments_per_tenant=0)
        self.assertError(self.create(status=None), 400, 'RequestLimitExceeded',
                         self.message % 0)

    def test_admin_exempt(self):
        self.config(max_software_deployments_per_tenant=1)
        self.create()
        self.create(headers=self.admin_headers())
        self.create(headers=self.admin_headers())
        self.assertEqual(3, len(self.list_ids()))

    def test_limit_is_per_project(self):
        self.config(max_software_deployments_per_tenant=1)
        self.seed_deployment(context=self.other_context)
        self.create()
        self.assertError(self.create(status=None), 400, 'RequestLimitExceeded',
                         self.message % 1)

    def test_unlimited(self):
        self.config(max_software_deployments_per_tenant=-1)
        for _ in range(3):
            self.create()
        self.assertEqual(3, len(self.list_ids()))
