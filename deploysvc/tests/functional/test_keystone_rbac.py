"""The keystone pipeline against the real Keystone: the RBAC matrix.

The matrix of deploysvc.tests.rbac_matrix, with real tokens of the
identities of keystone_base (doc/source/contributor/behaviour.rst,
behaviour-policy).  Without ``DEPLOYSVC_TEST_KEYSTONE_URL`` every test
fails, saying so.
"""

import ddt

from deploysvc.tests.functional import keystone_base
from deploysvc.tests import rbac_matrix

# persona -> seeded identity
PERSONAS = {
    'reader': 'DEMO_READER',
    'member': 'DEMO_MEMBER',
    'owner_admin': 'DEMO_ADMIN',
    'no_roles': 'DEMO_NOROLE',
    'cloud_admin': 'ADMIN',
    'scoped_admin': 'SERVICE',
    'other_member': 'ALT_MEMBER',
    'stack_user': 'STACK_AGENT',
    'stack_member': 'STACK_MEMBER',
}
# The unit RBAC matrix (deploysvc/tests/rbac_matrix.py), for the personas
# a real Keystone gives here.
MATRIX = dict((key, outcomes) for key, outcomes in rbac_matrix.MATRIX.items()
              if key[0] in PERSONAS)
ROWS = rbac_matrix.rows(PERSONAS)


def _route(method, path, rule, status, body=None):
    return {'method': method, 'path': path, 'rule': rule, 'status': status,
            'body': body}


# {config_id}, {deployment_id}, {server}: the class's seeded objects
# (never changed); {spare_id}, {victim_id}, {agent_server}: made for the
# test that changes or destroys them.  Every victim names the stack user
# project, as the seed's example does.
ROUTES = {
    'configs_index': _route('GET', '/software_configs',
                            'software_configs:index', 200),
    'configs_global_index': _route('GET',
                                   '/software_configs?global_tenant=true',
                                   'software_configs:global_index', 200),
    'configs_create': _route('POST', '/software_configs',
                             'software_configs:create', 200,
                             {'name': 'created', 'group': 'script',
                              'config': 'echo'}),
    'configs_show': _route('GET', '/software_configs/{config_id}',
                           'software_configs:show', 200),
    'configs_delete': _route('DELETE', '/software_configs/{spare_id}',
                             'software_configs:delete', 204),
    'deployments_index': _route('GET', '/software_deployments',
                                'software_deployments:index', 200),
    'deployments_create': _route('POST', '/software_deployments',
                                 'software_deployments:create', 200,
                                 {'config_id': '{config_id}',
                                  'server_id': 'new-server',
                                  'action': 'CREATE',
                                  'status': 'IN_PROGRESS'}),
    'deployments_show': _route('GET',
                               '/software_deployments/{deployment_id}',
                               'software_deployments:show', 200),
    'deployments_update': _route('PUT', '/software_deployments/{victim_id}',
                                 'software_deployments:update', 200,
                                 {'status': 'COMPLETE',
                                  'status_reason': 'done'}),
    'deployments_delete': _route('DELETE',
                                 '/software_deployments/{victim_id}',
                                 'software_deployments:delete', 204),
    'metadata': _route('GET', '/software_deployments/metadata/{server}',
                       'software_deployments:metadata', 200),
    'metadata_unshared': _route('GET',
                                '/software_deployments/metadata/{unshared}',
                                'software_deployments:metadata', 200),
    'validate': _route('POST', '/validate', 'stacks:validate_template', 200,
                       {'template': keystone_base.TEMPLATE}),
    'deployments_events': _route(
        'GET', '/software_deployments/{victim_id}/events',
        'software_deployments:events', 200),
    'deployments_signal': _route(
        'POST', '/software_deployments/{victim_id}/signal',
        'software_deployments:signal', 200,
        {'deploy_stdout': 'out', 'deploy_status_code': 0}),
    'agents_show': _route('GET', '/server_agents/{agent_server}',
                          'server_agents:show', 200),
    'agents_rotate': _route('POST', '/server_agents/{agent_server}',
                            'server_agents:rotate', 200),
    'agents_delete': _route('DELETE', '/server_agents/{agent_server}',
                            'server_agents:delete', 204),
    'deployments_cancel': _route(
        'POST', '/software_deployments/{victim_id}/cancel',
        'software_deployments:cancel', 200),
    'groups_index': _route('GET', '/software_deployment_groups',
                           'software_deployment_groups:index', 200),
    'groups_create': _route('POST', '/software_deployment_groups',
                            'software_deployment_groups:create', 200,
                            {'config_id': '{config_id}',
                             'servers': ['new-server']}),
    'groups_show': _route('GET', '/software_deployment_groups/{group_id}',
                          'software_deployment_groups:show', 200),
    'groups_deployments': _route(
        'GET', '/software_deployment_groups/{group_id}/deployments',
        'software_deployment_groups:deployments', 200),
    'groups_events': _route(
        'GET', '/software_deployment_groups/{group_id}/events',
        'software_deployment_groups:events', 200),
    'groups_cancel': _route(
        'POST', '/software_deployment_groups/{victim_group}/cancel',
        'software_deployment_groups:cancel', 200),
    'groups_delete': _route(
        'DELETE', '/software_deployment_groups/{victim_group}?force=true',
        'software_deployment_groups:delete', 204),
}


@ddt.ddt
class TestRbacMatrix(keystone_base.KeystoneTestCase):
    """Every persona x route, with the personas' real tokens.

    The class seeds, as DEMO_MEMBER, a config used by a deployment on
    ``server`` that names the stack user project and by one on
    ``unshared`` that names none.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if cls.problem:
            return
        try:
            cls.seed = cls._seed()
        except Exception:
            cls.server.cleanUp()
            raise

    @classmethod
    def _seed(cls):
        project = cls.identities['DEMO_MEMBER'].project_id
        token = cls.tokens['DEMO_MEMBER']
        seed = {'server': keystone_base.new_id(),
                'unshared': keystone_base.new_id()}

        def post(path, body):
            response = cls.server.call('POST', '/v1/%s%s' % (project, path),
                                       token=token, body=body)
            if response.status != 200:
                raise RuntimeError('seeding failed: %s %s'
                                   % (response.status, response.body))
            return response.body

        seed['config_id'] = post('/software_configs', {
            'name': 'used', 'group': 'script',
            'config': keystone_base.SCRIPT})['software_config']['id']
        seed['deployment_id'] = post('/software_deployments', {
            'config_id': seed['config_id'], 'server_id': seed['server'],
            'stack_user_project_id': cls.identities[
                'STACK_AGENT'].project_id})['software_deployment']['id']
        post('/software_deployments', {'config_id': seed['config_id'],
                                       'server_id': seed['unshared']})
        seed['group_id'] = post('/software_deployment_groups', {
            'config_id': seed['config_id'],
            'servers': [keystone_base.new_id()]})[
                'software_deployment_group']['id']
        return seed

    def test_matrix_covers_every_persona_and_route(self):
        self.assertEqual(set(PERSONAS), set(p for p, _ in MATRIX))
        self.assertEqual(set(rbac_matrix.ROUTE_NAMES), set(ROUTES))
        for outcomes in MATRIX.values():
            self.assertEqual(len(rbac_matrix.ROUTE_NAMES), len(outcomes))
        self.assertGreaterEqual(len(ROWS), 250)

    def fill(self, value, values):
        if isinstance(value, str):
            return value.format(**values)
        if isinstance(value, dict):
            return dict((k, self.fill(v, values)) for k, v in value.items())
        return value

    @ddt.data(*ROWS)
    @ddt.unpack
    def test_matrix(self, persona, where, route_name, outcome):
        key = PERSONAS[persona]
        route = ROUTES[route_name]
        values = dict(self.seed)
        if '{spare_id}' in route['path']:
            values['spare_id'] = self.create_config(name='spare')['id']
        if '{victim_id}' in route['path']:
            values['victim_id'] = self.create_deployment(
                self.seed['config_id'], keystone_base.new_id(),
                stack_user_project_id=self.project('STACK_AGENT'))['id']
        if '{victim_group}' in route['path']:
            values['victim_group'] = self.post_json(
                '/software_deployment_groups', {
                    'config_id': self.seed['config_id'],
                    'servers': [keystone_base.new_id()]})[
                        'software_deployment_group']['id']
        if '{agent_server}' in route['path']:
            values['agent_server'] = keystone_base.new_id()
            values['metadata_url'] = self.owner_agent(
                values['agent_server'], 'POST')
        url_project = {
            rbac_matrix.OWN: self.project(key),
            rbac_matrix.AT_OWNER: self.project('DEMO_MEMBER'),
            rbac_matrix.AT_ELSEWHERE: keystone_base.ELSEWHERE}[where]
        response = self.call(key, route['method'], url_project,
                             self.fill(route['path'], values),
                             self.fill(route['body'], values))
        refused = rbac_matrix.expected_error(outcome, route['rule'])
        if refused is not None and refused[2] is not None:
            self.assertError(response, *refused)
        elif refused is not None:
            self.assertEqual(refused[:2], (response.status,
                                           response.body['error']['type']))
            self.assertRegex(response.body['error']['message'],
                             r'^((Software config|Deployment|Deployment '
                             r'group) with id \S+ not found|No agent URL '
                             r'for server \S+)$')
        else:
            self.assertEqual(route['status'], response.status,
                             response.body)
            self.check(route_name, response, values,
                       outcome == rbac_matrix.OK)

    def owner_agent(self, server_id, method='GET'):
        """The owner's metadata URL of ``server_id``, or None."""
        response = self.call('DEMO_MEMBER', method,
                             self.project('DEMO_MEMBER'),
                             '/server_agents/%s' % server_id)
        if response.status == 404:
            return None
        self.assertEqual(200, response.status, response.body)
        return response.body['server_agent']['metadata_url']

    def check(self, route_name, response, values, visible):
        body = response.body
        if route_name.startswith(('deployments_events', 'deployments_signal',
                                  'deployments_cancel', 'agents_')):
            return self.check_more(route_name, response, values, visible)
        if route_name.startswith('groups_'):
            return self.check_groups(route_name, response, values, visible)
        if route_name in ('configs_index', 'configs_global_index'):
            ids = [c['id'] for c in body['software_configs']]
            self.assertEqual(visible, values['config_id'] in ids, ids)
        elif route_name == 'configs_create':
            self.assertEqual('created', body['software_config']['name'])
        elif route_name == 'configs_show':
            self.assertEqual(values['config_id'],
                             body['software_config']['id'])
        elif route_name == 'deployments_index':
            ids = [d['id'] for d in body['software_deployments']]
            self.assertEqual(visible, values['deployment_id'] in ids, ids)
        elif route_name == 'deployments_create':
            self.assertEqual((values['config_id'], 'new-server'), (
                body['software_deployment']['config_id'],
                body['software_deployment']['server_id']))
        elif route_name == 'deployments_show':
            self.assertEqual(values['deployment_id'],
                             body['software_deployment']['id'])
        elif route_name == 'deployments_update':
            deployment = body['software_deployment']
            self.assertEqual((values['victim_id'], 'COMPLETE', 'done'), (
                deployment['id'], deployment['status'],
                deployment['status_reason']))
        elif route_name in ('configs_delete', 'deployments_delete'):
            self.assertEqual(b'', body)
        elif route_name in ('metadata', 'metadata_unshared'):
            self.assertEqual([values['config_id']] if visible else [],
                             [c['id'] for c in body['metadata']])
        else:
            self.assertEqual({'Description': 'No description',
                              'Parameters': {}}, body)

    def check_more(self, route_name, response, values, visible):
        body = response.body
        if route_name == 'deployments_events':
            self.assertEqual([(values['victim_id'], 'api', 'IN_PROGRESS')],
                             [(e['deployment_id'], e['source'],
                               e['status_to']) for e in body['events']])
        elif route_name == 'deployments_cancel':
            deployment = body['software_deployment']
            self.assertEqual((values['victim_id'], 'FAILED', 'CANCELLED'), (
                deployment['id'], deployment['status'],
                deployment['status_reason_code']))
        elif route_name == 'deployments_signal':
            self.assertEqual({'status': 'COMPLETE', 'applied': True,
                              'event': 'deployment %s succeeded'
                              % values['victim_id']}, body)
        elif route_name == 'agents_show':
            self.assertEqual(values['metadata_url'],
                             body['server_agent']['metadata_url'])
        elif route_name == 'agents_rotate':
            # OK: the owner's URL was replaced; BLIND: the caller's own
            # project got one, the owner's is untouched.
            url = body['server_agent']['metadata_url']
            self.assertNotEqual(values['metadata_url'], url)
            self.assertEqual(url if visible else values['metadata_url'],
                             self.owner_agent(values['agent_server']))
        else:
            self.assertEqual(b'', body)
            self.assertIsNone(self.owner_agent(values['agent_server']))

    def check_groups(self, route_name, response, values, visible):
        body = response.body
        if route_name == 'groups_index':
            ids = [g['id'] for g in body['software_deployment_groups']]
            self.assertEqual(visible, values['group_id'] in ids, ids)
        elif route_name == 'groups_create':
            group = body['software_deployment_group']
            self.assertEqual((values['config_id'], 1), (
                group['config_id'], group['counts']['total']))
        elif route_name == 'groups_show':
            self.assertEqual(values['group_id'],
                             body['software_deployment_group']['id'])
        elif route_name == 'groups_deployments':
            self.assertEqual([values['group_id']], [
                d['group_id'] for d in body['software_deployments']])
        elif route_name == 'groups_events':
            self.assertEqual(['RELEASED', 'CREATED'],
                             [e['kind'] for e in body['events']])
        elif route_name == 'groups_cancel':
            group = body['software_deployment_group']
            self.assertEqual((values['victim_group'], 'CANCELLED'),
                             (group['id'], group['status']))
        else:
            self.assertEqual(b'', body)
