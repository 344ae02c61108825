"""/v1/{tenant_id}/software_deployments: create, show, update, delete, list.

Heat's wire contract §2.5-2.9, §3, §8 and the deploysvc decisions D3-D6,
D9, D13-D15 and D17.  Data is made with the DB factories; the clock is
frozen so that whole response bodies can be compared.
"""

import datetime

import ddt
from oslo_utils import fixture as utils_fixture
from oslo_utils import uuidutils

from deploysvc.tests import base as test_base
from deploysvc.tests.unit.api import base
from deploysvc.tests import utils

NOW = datetime.datetime(2015, 1, 31, 15, 12, 36)
NOW_STR = '2015-01-31T15:12:36Z'
SERVER = 'ec14c864-096e-4e27-bb8a-2c2b4dc6f3f5'
STACK_USER_PROJECT = 'c024bfada67845ddb17d2b0c0be8cd79'
ADMIN_ROLES = 'admin,member,reader'
INVALID = 'Data supplied was not valid: '
STATUS_CHOICES = '"status" must be one of IN_PROGRESS, COMPLETE, FAILED'


def _time(seconds):
    return (NOW + datetime.timedelta(seconds=seconds)).strftime(
        '%Y-%m-%dT%H:%M:%SZ')


class DeploymentTestCase(base.ApiTestCase):

    def setUp(self):
        super().setUp()
        self.clock = self.useFixture(utils_fixture.TimeFixture(NOW))
        self.sc = utils.create_test_config(self.context)
        self.other_context = self.make_context(test_base.OTHER_PROJECT)

    def admin_headers(self):
        return self.headers(roles=ADMIN_ROLES)

    def as_project(self, project_id, roles='member,reader'):
        """Request keywords: URL tenant and token of ``project_id``."""
        return {'project_id': project_id,
                'headers': self.headers(project_id, roles=roles)}

    def seed_deployment(self, context=None, config_id=None, **kw):
        """A deployment stored by the DB factory (IN_PROGRESS, CREATE)."""
        context = context or self.context
        if config_id is None:
            config_id = (self.sc.id if context is self.context
                         else utils.create_test_config(context).id)
        return utils.create_test_deployment(context, config_id=config_id,
                                            **kw)

    @staticmethod
    def expected(row, **kw):
        """The API body of a factory deployment, from literal values."""
        body = {
            'id': row.id,
            'server_id': SERVER,
            'config_id': row.config_id,
            'input_values': {},
            'output_values': None,
            'action': 'CREATE',
            'status': 'IN_PROGRESS',
            'status_reason': 'Deploy data available',
            'creation_time': NOW_STR,
        }
        body.update(kw)
        return body

    def post_deployment(self, body, status=200, **kw):
        response = self.post('/software_deployments', body, status=status,
                             **kw)
        self.assertEqual('application/json', response.content_type)
        return response

    def list_deployments(self, query='', **kw):
        response = self.get('/software_deployments' + query, **kw)
        return response

    def list_ids(self, query='', **kw):
        response = self.list_deployments(query, status=200, **kw)
        return [d['id'] for d in response.json['software_deployments']]


@ddt.ddt
class TestCreate(DeploymentTestCase):

    def test_create_minimal(self):
        response = self.post_deployment({'config_id': self.sc.id,
                                         'server_id': SERVER})
        body = response.json['software_deployment']
        self.assertTrue(uuidutils.is_uuid_like(body['id']))
        self.assertEqual({
            'id': body['id'],
            'server_id': SERVER,
            'config_id': self.sc.id,
            'input_values': {},
            'output_values': None,
            'action': None,
            'status': None,
            # D5: null, not Heat's string "None".
            'status_reason': None,
            'creation_time': NOW_STR,
        }, body)
        shown = self.get('/software_deployments/' + body['id'], status=200)
        self.assertEqual({'software_deployment': body}, shown.json)

    def test_create_ignores_body_id_and_unknown_keys(self):
        body = self.post_deployment({
            'id': 'my-own-id', 'deployment_id': 'my-own-id',
            'config_id': self.sc.id, 'server_id': SERVER,
            'bogus': [1, 2]}).json['software_deployment']
        self.assertNotEqual('my-own-id', body['id'])
        self.assertTrue(uuidutils.is_uuid_like(body['id']))
        self.assertNotIn('bogus', body)
        self.get('/software_deployments/my-own-id', status=404)

    def test_create_api_ref_request(self):
        # The request of the api-ref (contract §8) and its response.
        response = self.post_deployment({
            'status': 'IN_PROGRESS', 'server_id': SERVER,
            'config_id': self.sc.id,
            'stack_user_project_id': STACK_USER_PROJECT,
            'action': 'CREATE', 'status_reason': 'Deploy data available'})
        body = response.json['software_deployment']
        self.assertEqual({'software_deployment': {
            'id': body['id'],
            'server_id': SERVER,
            'config_id': self.sc.id,
            'input_values': {},
            'output_values': None,
            'action': 'CREATE',
            'status': 'IN_PROGRESS',
            'status_reason': 'Deploy data available',
            'creation_time': NOW_STR,
        }}, response.json)

    def test_create_gabbi_minimal(self):
        body = self.post_deployment({
            'action': 'ACTION0', 'config_id': self.sc.id,
            'server_id': 'dummy_server'}).json['software_deployment']
        self.assertEqual(
            {'id': body['id'], 'server_id': 'dummy_server',
             'config_id': self.sc.id, 'input_values': {},
             'output_values': None, 'action': 'ACTION0', 'status': None,
             'status_reason': None, 'creation_time': NOW_STR}, body)

    @ddt.data(None, {})
    def test_create_falsy_input_values(self, input_values):
        body = self.post_deployment({
            'config_id': self.sc.id, 'server_id': SERVER,
            'input_values': input_values}).json['software_deployment']
        self.assertEqual({}, body['input_values'])

    def test_create_input_values_stored_verbatim(self):
        values = {'foo': 'fooooo', 'n': 42, 'nested': {'l': [1, None, 'x']},
                  'flag': False, 'nothing': None}
        body = self.post_deployment({
            'config_id': self.sc.id, 'server_id': SERVER,
            'input_values': values}).json['software_deployment']
        self.assertEqual(values, body['input_values'])
        shown = self.get('/software_deployments/' + body['id'], status=200)
        self.assertEqual(values,
                         shown.json['software_deployment']['input_values'])

    @ddt.data('IN_PROGRESS', 'COMPLETE', 'FAILED')
    def test_create_status(self, status):
        body = self.post_deployment({
            'config_id': self.sc.id, 'server_id': SERVER,
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
        ({'status': 'WAITING'}, STATUS_CHOICES),
        ({'status': 'complete'}, STATUS_CHOICES),
        ({'input_values': []}, '"input_values" must be an object or null'),
    )
    def test_create_invalid(self, change, message):
        body = {'config_id': self.sc.id, 'server_id': SERVER}
        body.update(change)
        # "None" in the table means: leave the key out.
        body = dict((k, v) for k, v in body.items()
                    if not (v is None and k in ('config_id', 'server_id')))
        response = self.post('/software_deployments', body)
        self.assertError(response, 400, 'Invalid', INVALID + message)
        self.assertEqual([], self.list_ids())

    def test_create_stack_user_project_id_too_long_heat_message(self):
        response = self.post('/software_deployments', {
            'config_id': self.sc.id, 'server_id': SERVER,
            'stack_user_project_id': 'p' * 65})
        self.assertError(
            response, 400, 'Invalid',
            'Data supplied was not valid: "stack_user_project_id" should be '
            'no more than 64 characters')

    def test_create_unknown_config(self):
        response = self.post('/software_deployments',
                             {'config_id': 'no-such-config',
                              'server_id': SERVER})
        self.assertError(response, 404, 'NotFound',
                         'Software config with id no-such-config not found')
        self.assertEqual([], self.list_ids())

    def test_create_with_other_projects_config(self):
        foreign = utils.create_test_config(self.other_context)
        response = self.post('/software_deployments',
                             {'config_id': foreign.id, 'server_id': SERVER})
        self.assertError(response, 404, 'NotFound',
                         'Software config with id %s not found' % foreign.id)
        self.assertEqual(
            [], self.list_ids(**self.as_project(test_base.OTHER_PROJECT)))

    def test_admin_may_use_other_projects_config(self):
        foreign = utils.create_test_config(self.other_context)
        body = self.post_deployment(
            {'config_id': foreign.id, 'server_id': SERVER},
            headers=self.admin_headers()).json['software_deployment']
        self.assertEqual(
            {'id': body['id'], 'server_id': SERVER, 'config_id': foreign.id,
             'input_values': {}, 'output_values': None, 'action': None,
             'status': None, 'status_reason': None,
             'creation_time': NOW_STR,
             # D15: admins see the owner; the object is the admin's own.
             'project': self.project_id}, body)


@ddt.ddt
class TestQuota(DeploymentTestCase):

    message = ('Request limit exceeded: You have reached the maximum '
               'software deployments per tenant, %d. Please delete some '
               'deployments.')

    def create(self, status=200, headers=None):
        """Create; ``status`` None for the expected failures."""
        return self.post('/software_deployments',
                         {'config_id': self.sc.id, 'server_id': SERVER},
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


class TestShow(DeploymentTestCase):

    def test_show(self):
        row = self.seed_deployment(input_values={'foo': 'bar'})
        response = self.get('/software_deployments/' + row.id, status=200)
        self.assertEqual('application/json', response.content_type)
        self.assertEqual({'software_deployment': self.expected(
            row, input_values={'foo': 'bar'})}, response.json)

    def test_show_not_found(self):
        self.assertError(self.get('/software_deployments/missing'),
                         404, 'NotFound',
                         'Deployment with id missing not found')

    def test_show_other_project(self):
        row = self.seed_deployment(context=self.other_context)
        self.assertError(self.get('/software_deployments/' + row.id),
                         404, 'NotFound',
                         'Deployment with id %s not found' % row.id)

    def test_show_as_stack_user_project(self):
        row = self.seed_deployment(
            stack_user_project_id=STACK_USER_PROJECT)
        response = self.get(
            '/software_deployments/' + row.id, status=200,
            **self.as_project(STACK_USER_PROJECT, roles='reader'))
        self.assertEqual({'software_deployment': self.expected(row)},
                         response.json)

    def test_show_admin_other_project(self):
        row = self.seed_deployment(context=self.other_context)
        response = self.get('/software_deployments/' + row.id, status=200,
                            headers=self.admin_headers())
        self.assertEqual({'software_deployment': self.expected(
            row, project=test_base.OTHER_PROJECT)}, response.json)


@ddt.ddt
class TestUpdate(DeploymentTestCase):

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
            updated_time=_time(345))
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
            output_values={'old': 1}, updated_time=_time(10))
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
            output_values={'old': 1}, updated_time=_time(1))},
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
        self.assertEqual(_time(20), body['updated_time'])
        self.assertEqual(NOW_STR, body['creation_time'])

    def test_updated_time_never_goes_backwards(self):
        self.clock.advance_time_seconds(10)
        self.put_deployment({'status': 'COMPLETE'})
        # A node whose clock is behind updates next.
        self.clock.advance_time_seconds(-5)
        body = self.put_deployment(
            {'status_reason': 'late'}).json['software_deployment']
        self.assertEqual(_time(10), body['updated_time'])
        self.assertEqual('late', body['status_reason'])
        self.assertEqual(_time(10), self.shown()['updated_time'])

    def test_change_config(self):
        new = utils.create_test_config(self.context, name='derived')
        body = self.put_deployment(
            {'config_id': new.id}).json['software_deployment']
        self.assertEqual(new.id, body['config_id'])
        self.assertEqual(new.id, self.shown()['config_id'])
        metadata = self.get('/software_deployments/metadata/' + SERVER,
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
        ({'status': 'WAITING'}, STATUS_CHOICES),
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
        self.assertError(response, 400, 'Invalid', INVALID + message)
        self.assertEqual(self.expected(
            self.row, input_values={'foo': 'bar'},
            output_values={'old': 1}), self.shown())

    def test_server_id_and_stack_user_project_id_ignored(self):
        body = self.put_deployment({
            'id': 'new-id', 'server_id': 'other-server',
            'stack_user_project_id': test_base.OTHER_PROJECT,
            'status': 'COMPLETE'}).json['software_deployment']
        self.assertEqual((self.row.id, SERVER, 'COMPLETE'),
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
        row = self.seed_deployment(
            stack_user_project_id=STACK_USER_PROJECT)
        response = self.put('/software_deployments/' + row.id,
                            {'status': 'COMPLETE'}, status=200,
                            **self.as_project(STACK_USER_PROJECT))
        self.assertEqual({'software_deployment': self.expected(
            row, status='COMPLETE', updated_time=NOW_STR)}, response.json)


class TestDelete(DeploymentTestCase):

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


@ddt.ddt
class TestList(DeploymentTestCase):

    def make_rows(self):
        """Three deployments a second apart, ids not in creation order."""
        rows = []
        for i, (action, status) in enumerate([('CREATE', 'COMPLETE'),
                                              ('UPDATE', 'IN_PROGRESS'),
                                              ('DELETE', 'FAILED')]):
            rows.append(self.seed_deployment(
                server_id='server-%d' % (i % 2), action=action,
                status=status))
            self.clock.advance_time_seconds(1)
        return rows

    def test_empty(self):
        response = self.list_deployments(status=200)
        self.assertEqual({'software_deployments': []}, response.json)

    def test_created_at_ascending(self):
        rows = self.make_rows()
        response = self.list_deployments(status=200)
        self.assertEqual({'software_deployments': [
            self.expected(rows[0], server_id='server-0', action='CREATE',
                          status='COMPLETE'),
            self.expected(rows[1], server_id='server-1', action='UPDATE',
                          status='IN_PROGRESS', creation_time=_time(1)),
            self.expected(rows[2], server_id='server-0', action='DELETE',
                          status='FAILED', creation_time=_time(2)),
        ]}, response.json)

    def test_same_creation_time_ordered_by_id(self):
        rows = [self.seed_deployment() for _ in range(4)]
        self.assertEqual(sorted(r.id for r in rows), self.list_ids())

    @ddt.unpack
    @ddt.data(('?server_id=server-0', [0, 2]),
              ('?server_id=server-1', [1]),
              ('?server_id=', [0, 1, 2]),
              ('?server_id=unknown', []),
              ('?status=FAILED', [2]),
              ('?action=UPDATE', [1]),
              ('?action=CREATE&server_id=server-1', []),
              ('?status=COMPLETE&server_id=server-0', [0]))
    def test_filters(self, query, expected):
        rows = self.make_rows()
        self.assertEqual([rows[i].id for i in expected],
                         self.list_ids(query))

    def test_config_id_filter(self):
        other = utils.create_test_config(self.context)
        first = self.seed_deployment()
        second = self.seed_deployment(config_id=other.id)
        self.assertEqual([first.id],
                         self.list_ids('?config_id=' + self.sc.id))
        self.assertEqual([second.id], self.list_ids('?config_id=' + other.id))

    def test_invalid_status_filter(self):
        self.assertError(
            self.list_deployments('?status=WAITING'), 400, 'HTTPBadRequest',
            'Invalid status filter WAITING: use one of IN_PROGRESS, '
            'COMPLETE, FAILED.')

    def test_limit_and_marker(self):
        rows = self.make_rows()
        ids = [r.id for r in rows]
        self.assertEqual(ids[:2], self.list_ids('?limit=2'))
        self.assertEqual(ids[2:], self.list_ids('?limit=2&marker=' + ids[1]))
        self.assertEqual(ids[1:2],
                         self.list_ids('?limit=1&marker=' + ids[0]))
        self.assertEqual([], self.list_ids('?marker=' + ids[2]))
        self.assertEqual([], self.list_ids('?limit=0'))

    def test_marker_with_filter(self):
        rows = self.make_rows()
        self.assertEqual(
            [rows[2].id],
            self.list_ids('?server_id=server-0&marker=' + rows[0].id))

    def test_unknown_marker(self):
        self.make_rows()
        self.assertError(
            self.list_deployments('?marker=missing'), 400, 'HTTPBadRequest',
            'Invalid marker: deployment missing not found.')

    def test_marker_of_other_project(self):
        foreign = self.seed_deployment(context=self.other_context)
        self.assertError(
            self.list_deployments('?marker=' + foreign.id), 400,
            'HTTPBadRequest',
            'Invalid marker: deployment %s not found.' % foreign.id)

    @ddt.unpack
    @ddt.data(('abc', "Only integer is acceptable by 'limit'."),
              ('1.5', "Only integer is acceptable by 'limit'."),
              ('-1', "Value '-1' is invalid for 'limit' which only accepts "
                     "non-negative integer."))
    def test_invalid_limit(self, limit, message):
        self.assertError(self.list_deployments('?limit=' + limit), 400,
                         'HTTPBadRequest', message)

    @ddt.unpack
    @ddt.data(('?sort_dir=DESC', [2, 1, 0]),
              ('?sort_key=creation_time&sort_dir=desc', [2, 1, 0]),
              ('?sort_key=status', [0, 2, 1]),
              ('?sort_key=action&sort_dir=desc', [1, 2, 0]),
              ('?sort_key=action&sort_dir=desc&limit=2', [1, 2]))
    def test_sort(self, query, expected):
        rows = self.make_rows()
        self.assertEqual([rows[i].id for i in expected],
                         self.list_ids(query))

    def test_sort_ties_broken_by_id(self):
        rows = self.make_rows()
        # rows 0 and 2 share server-0; equal keys are ordered by id.
        expected = [r.id for r in sorted(
            rows, key=lambda r: (r.server_id, r.id))]
        self.assertEqual(expected, self.list_ids('?sort_key=server_id'))
        self.assertEqual(expected[::-1], self.list_ids(
            '?sort_key=server_id&sort_dir=desc'))
        self.assertEqual(expected[1:], self.list_ids(
            '?sort_key=server_id&marker=' + expected[0]))

    def test_sort_by_id(self):
        rows = self.make_rows()
        ids = sorted(r.id for r in rows)
        self.assertEqual(ids, self.list_ids('?sort_key=id'))
        self.assertEqual(ids[::-1],
                         self.list_ids('?sort_key=id&sort_dir=desc'))
        self.assertEqual(ids[2:],
                         self.list_ids('?sort_key=id&marker=' + ids[1]))

    def test_sort_by_updated_time_pages_through_nulls(self):
        rows = self.make_rows()
        # rows[2] updated first, rows[0] later; rows[1] never (null).
        self.put('/software_deployments/' + rows[2].id, {}, status=200)
        self.clock.advance_time_seconds(1)
        self.put('/software_deployments/' + rows[0].id, {}, status=200)
        expected = [rows[1].id, rows[2].id, rows[0].id]
        query = '?sort_key=updated_time&limit=1'
        pages = []
        marker = ''
        for _ in range(4):
            page = self.list_ids(query + marker)
            pages.extend(page)
            if not page:
                break
            marker = '&marker=' + page[-1]
        self.assertEqual(expected, pages)
        self.assertEqual(expected[::-1],
                         self.list_ids('?sort_dir=desc&sort_key=updated_at'))

    @ddt.unpack
    @ddt.data(('?sort_key=name', 'Invalid sort_key name: use one of action, '
               'config_id, created_at, creation_time, id, server_id, '
               'status, updated_at, updated_time.'),
              ('?sort_dir=up', 'Invalid sort_dir up: use asc or desc.'))
    def test_invalid_sort(self, query, message):
        self.assertError(self.list_deployments(query), 400,
                         'HTTPBadRequest', message)

    def test_other_projects_excluded(self):
        own = self.seed_deployment()
        foreign = self.seed_deployment(context=self.other_context)
        self.assertEqual([own.id], self.list_ids())
        self.assertEqual([foreign.id], self.list_ids(
            **self.as_project(test_base.OTHER_PROJECT)))

    def test_stack_user_project_sees_rows_naming_it(self):
        self.seed_deployment()
        named = self.seed_deployment(
            stack_user_project_id=STACK_USER_PROJECT)
        self.clock.advance_time_seconds(1)
        own = self.seed_deployment(
            context=self.make_context(STACK_USER_PROJECT))
        response = self.list_deployments(
            status=200, **self.as_project(STACK_USER_PROJECT, roles='reader'))
        self.assertEqual({'software_deployments': [
            self.expected(named),
            self.expected(own, creation_time=_time(1))]}, response.json)

    def test_admin_sees_all_with_project(self):
        own = self.seed_deployment()
        self.clock.advance_time_seconds(1)
        foreign = self.seed_deployment(context=self.other_context)
        response = self.list_deployments(status=200,
                                         headers=self.admin_headers())
        self.assertEqual({'software_deployments': [
            self.expected(own, project=self.project_id),
            self.expected(foreign, creation_time=_time(1),
                          project=test_base.OTHER_PROJECT)]}, response.json)

    def test_max_limit_caps_pages(self):
        self.config(max_limit=2, group='api')
        ids = [r.id for r in self.make_rows()]
        self.assertEqual(ids[:2], self.list_ids())
        self.assertEqual(ids[:2], self.list_ids('?limit=5'))
        self.assertEqual(ids[:1], self.list_ids('?limit=1'))
        self.assertEqual(ids[2:], self.list_ids('?marker=' + ids[1]))
