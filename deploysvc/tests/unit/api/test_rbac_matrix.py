"""Who may do what: the RBAC matrix (personas of rbac_base).

See doc/source/contributor/behaviour.rst, behaviour-policy,
behaviour-visibility and behaviour-admin.
"""

import ddt

from deploysvc.db import deployments
from deploysvc.policies import server_agents as sa_policies
from deploysvc.policies import software_configs as sc_policies
from deploysvc.policies import software_deployment_groups as sg_policies
from deploysvc.policies import software_deployments as sd_policies
from deploysvc.tests import rbac_matrix
from deploysvc.tests.unit.api import rbac_base

ROWS = rbac_matrix.rows(rbac_base.PERSONAS)


def _route(method, path, rule, status, body=None, check=None):
    return {'method': method, 'path': path, 'rule': rule, 'status': status,
            'body': body, 'check': check}


def _check_config_list(test, response, visible):
    ids = set(c['id'] for c in response.json['software_configs'])
    seeded = {test.config_id, test.spare_id}
    if visible:
        test.assertTrue(seeded.issubset(ids), ids)
    else:
        test.assertFalse(seeded & ids, ids)


def _check_deployment_list(test, response, visible):
    ids = set(d['id'] for d in response.json['software_deployments'])
    test.assertEqual(visible, test.deployment_id in ids, ids)
    for deployment in response.json['software_deployments']:
        test.assertEqual(set(), {'id', 'config_id', 'server_id',
                                 'input_values', 'output_values', 'action',
                                 'status', 'status_reason',
                                 'creation_time'} - set(deployment))


def _check_metadata(test, response, visible):
    ids = [c['id'] for c in response.json['metadata']]
    test.assertEqual([test.config_id] if visible else [], ids)


def _check_config(test, response, visible):
    test.assertEqual(test.config_id, response.json['software_config']['id'])


def _check_created_config(test, response, visible):
    config = response.json['software_config']
    test.assertEqual('created', config['name'])
    test.assertTrue(config['id'])


def _check_deployment(test, response, visible):
    deployment = response.json['software_deployment']
    test.assertEqual(test.deployment_id, deployment['id'])
    test.assertEqual(test.config_id, deployment['config_id'])


def _check_updated_deployment(test, response, visible):
    deployment = response.json['software_deployment']
    test.assertEqual(test.deployment_id, deployment['id'])
    test.assertEqual('COMPLETE', deployment['status'])
    test.assertIn('updated_time', deployment)


def _check_cancelled_deployment(test, response, visible):
    deployment = response.json['software_deployment']
    test.assertEqual((test.deployment_id, 'FAILED', 'CANCELLED'), (
        deployment['id'], deployment['status'],
        deployment['status_reason_code']))


def _check_created_deployment(test, response, visible):
    deployment = response.json['software_deployment']
    test.assertEqual(test.config_id, deployment['config_id'])
    test.assertEqual('new-server', deployment['server_id'])
    test.assertNotEqual(test.deployment_id, deployment['id'])


def _check_empty(test, response, visible):
    test.assertEqual(b'', response.body)


def _check_validate(test, response, visible):
    test.assertEqual({'Description': 'No description', 'Parameters': {}},
                     response.json)


def _check_events(test, response, visible):
    events = response.json['events']
    test.assertEqual([(test.deployment_id, 'api', 'IN_PROGRESS')],
                     [(e['deployment_id'], e['source'], e['status_to'])
                      for e in events])


def _check_signal(test, response, visible):
    test.assertEqual({'status': 'COMPLETE', 'applied': True,
                      'event': 'deployment %s succeeded'
                      % test.deployment_id}, response.json)
    row = deployments.get(test.make_context(rbac_base.OWNER),
                          test.deployment_id)
    test.assertEqual(('COMPLETE', {'deploy_stdout': 'out',
                                   'deploy_stderr': None,
                                   'deploy_status_code': 0}),
                     (row.status, row.output_values))


def _check_agent(test, response, visible):
    agent = response.json['server_agent']
    test.assertEqual(rbac_base.SERVER, agent['server_id'])
    test.assertEqual(test.credential_id,
                     agent['metadata_url'].split('/')[-2])


def _check_rotated(test, response, visible):
    # OK: the owner's credential was replaced; BLIND: the caller's own
    # project got one, the owner's is untouched.
    agent = response.json['server_agent']
    test.assertEqual(rbac_base.SERVER, agent['server_id'])
    credential_id = agent['metadata_url'].split('/')[-2]
    test.assertNotEqual(test.credential_id, credential_id)
    test.assertEqual(credential_id if visible else test.credential_id,
                     test.owner_credential())


def _check_agent_deleted(test, response, visible):
    test.assertEqual(b'', response.body)
    test.assertIsNone(test.owner_credential())


def _check_group_list(test, response, visible):
    ids = [g['id'] for g in response.json['software_deployment_groups']]
    test.assertEqual(visible, test.group_id in ids, ids)


def _check_created_group(test, response, visible):
    group = response.json['software_deployment_group']
    test.assertEqual((test.config_id, 1), (group['config_id'],
                                           group['counts']['total']))
    test.assertNotEqual(test.group_id, group['id'])


def _check_group(test, response, visible):
    test.assertEqual(test.group_id,
                     response.json['software_deployment_group']['id'])


def _check_group_deployments(test, response, visible):
    test.assertEqual([(rbac_base.GROUP_SERVER, test.group_id)], [
        (d['server_id'], d['group_id'])
        for d in response.json['software_deployments']])


def _check_group_events(test, response, visible):
    test.assertEqual(['RELEASED', 'CREATED'],
                     [e['kind'] for e in response.json['events']])


def _check_cancelled_group(test, response, visible):
    group = response.json['software_deployment_group']
    test.assertEqual((test.group_id, 'CANCELLED'),
                     (group['id'], group['status']))


ROUTES = {
    'configs_index': _route(
        'GET', '/software_configs', sc_policies.INDEX, 200,
        check=_check_config_list),
    'configs_global_index': _route(
        'GET', '/software_configs?global_tenant=true',
        sc_policies.GLOBAL_INDEX, 200, check=_check_config_list),
    'configs_create': _route(
        'POST', '/software_configs', sc_policies.CREATE, 200,
        body={'name': 'created', 'group': 'script', 'config': 'echo'},
        check=_check_created_config),
    'configs_show': _route(
        'GET', '/software_configs/{config_id}', sc_policies.SHOW, 200,
        check=_check_config),
    'configs_delete': _route(
        'DELETE', '/software_configs/{spare_id}', sc_policies.DELETE, 204,
        check=_check_empty),
    'deployments_index': _route(
        'GET', '/software_deployments', sd_policies.INDEX, 200,
        check=_check_deployment_list),
    'deployments_create': _route(
        'POST', '/software_deployments', sd_policies.CREATE, 200,
        body={'config_id': '{config_id}', 'server_id': 'new-server',
              'action': 'CREATE', 'status': 'IN_PROGRESS'},
        check=_check_created_deployment),
    'deployments_show': _route(
        'GET', '/software_deployments/{deployment_id}', sd_policies.SHOW,
        200, check=_check_deployment),
    'deployments_update': _route(
        'PUT', '/software_deployments/{deployment_id}', sd_policies.UPDATE,
        200, body={'status': 'COMPLETE', 'status_reason': 'done'},
        check=_check_updated_deployment),
    'deployments_delete': _route(
        'DELETE', '/software_deployments/{deployment_id}',
        sd_policies.DELETE, 204, check=_check_empty),
    'metadata': _route(
        'GET', '/software_deployments/metadata/%s' % rbac_base.SERVER,
        sd_policies.METADATA, 200, check=_check_metadata),
    'metadata_unshared': _route(
        'GET', '/software_deployments/metadata/%s' % rbac_base.UNSHARED_SERVER,
        sd_policies.METADATA, 200, check=_check_metadata),
    'validate': _route(
        'POST', '/validate', sc_policies.VALIDATE, 200,
        body={'template': rbac_base.TEMPLATE}, check=_check_validate),
    'deployments_events': _route(
        'GET', '/software_deployments/{deployment_id}/events',
        sd_policies.EVENTS, 200, check=_check_events),
    'deployments_signal': _route(
        'POST', '/software_deployments/{deployment_id}/signal',
        sd_policies.SIGNAL, 200,
        body={'deploy_stdout': 'out', 'deploy_status_code': 0},
        check=_check_signal),
    'agents_show': _route(
        'GET', '/server_agents/%s' % rbac_base.SERVER, sa_policies.SHOW,
        200, check=_check_agent),
    'agents_rotate': _route(
        'POST', '/server_agents/%s' % rbac_base.SERVER, sa_policies.ROTATE,
        200, check=_check_rotated),
    'agents_delete': _route(
        'DELETE', '/server_agents/%s' % rbac_base.SERVER,
        sa_policies.DELETE, 204, check=_check_agent_deleted),
    'deployments_cancel': _route(
        'POST', '/software_deployments/{deployment_id}/cancel',
        sd_policies.CANCEL, 200, check=_check_cancelled_deployment),
    'groups_index': _route(
        'GET', '/software_deployment_groups', sg_policies.INDEX, 200,
        check=_check_group_list),
    'groups_create': _route(
        'POST', '/software_deployment_groups', sg_policies.CREATE, 200,
        body={'config_id': '{config_id}', 'servers': ['new-server']},
        check=_check_created_group),
    'groups_show': _route(
        'GET', '/software_deployment_groups/{group_id}', sg_policies.SHOW,
        200, check=_check_group),
    'groups_deployments': _route(
        'GET', '/software_deployment_groups/{group_id}/deployments',
        sg_policies.DEPLOYMENTS, 200, check=_check_group_deployments),
    'groups_events': _route(
        'GET', '/software_deployment_groups/{group_id}/events',
        sg_policies.EVENTS, 200, check=_check_group_events),
    'groups_cancel': _route(
        'POST', '/software_deployment_groups/{group_id}/cancel',
        sg_policies.CANCEL, 200, check=_check_cancelled_group),
    'groups_delete': _route(
        'DELETE', '/software_deployment_groups/{group_id}?force=true',
        sg_policies.DELETE, 204, check=_check_empty),
}


@ddt.ddt
class TestRbacMatrix(rbac_base.SeededTestCase):

    def test_matrix_covers_every_persona_and_route(self):
        self.assertEqual(set(rbac_base.PERSONAS),
                         set(p for p, _ in rbac_matrix.MATRIX))
        self.assertEqual(set(rbac_matrix.ROUTE_NAMES), set(ROUTES))
        for outcomes in rbac_matrix.MATRIX.values():
            self.assertEqual(len(rbac_matrix.ROUTE_NAMES), len(outcomes))
        self.assertGreaterEqual(len(ROWS), 300)

    @ddt.data(*ROWS)
    @ddt.unpack
    def test_matrix(self, persona, where, route_name, outcome):
        route = ROUTES[route_name]
        url_project = {rbac_matrix.OWN: rbac_base.PERSONAS[persona][0],
                       rbac_matrix.AT_OWNER: rbac_base.OWNER,
                       rbac_matrix.AT_ELSEWHERE: rbac_base.ELSEWHERE}[where]
        response = self.call(route, persona, url_project)
        refused = rbac_matrix.expected_error(outcome, route['rule'])
        if refused is not None:
            self.assertError(response, *refused)
            if refused[2] is None:
                self.assertRegex(response.json['error']['message'],
                                 ' not found$|^No agent URL for server ')
        else:
            self.assertEqual(route['status'], response.status_int,
                             response.text)
            route['check'](self, response, outcome == rbac_matrix.OK)
