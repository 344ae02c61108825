"""Who may do what: the RBAC matrix, and a policy check on every route.

Identities are sent the way keystonemiddleware leaves them for the service
(``X-User-Id``, ``X-Project-Id``, ``X-Roles``) with Keystone's default role
implication (admin > member > reader) already expanded.  ``X-Is-Admin-Project``
is not sent (it defaults to true), so every ``admin`` is a cloud admin unless
a persona says otherwise.
"""

import ddt

from deploysvc.api.controllers import v1
from deploysvc.policies import software_configs as sc_policies
from deploysvc.policies import software_deployments as sd_policies
from deploysvc import policy
from deploysvc.tests import base
from deploysvc.tests import rbac_matrix
from deploysvc.tests.unit.api import base as api_base
from deploysvc.tests import utils

OWNER = base.PROJECT
OTHER = base.OTHER_PROJECT
ADMIN_PROJECT = 'f00dfacef00dfacef00dfacef00dface'
STACK_PROJECT = '5ac05ac05ac05ac05ac05ac05ac05ac0'
ELSEWHERE = 'no-such-project'
SERVER = '9d1f2bd6-0a34-4f62-9e52-6a1e0c2c1b11'
UNSHARED_SERVER = '0e2b7cb4-5b1a-4d4e-8a37-e01c7de3c9f2'

# name: (project, X-Roles, extra headers)
PERSONAS = {
    'reader': (OWNER, 'reader', {}),
    'member': (OWNER, 'member,reader', {}),
    'admin': (OWNER, 'admin,member,reader', {}),
    'cloud_admin': (ADMIN_PROJECT, 'admin,member,reader', {}),
    # The admin role in a project that is not Keystone's admin project.
    'scoped_admin': (OTHER, 'admin,member,reader',
                     {'X-Is-Admin-Project': 'False'}),
    'other_member': (OTHER, 'member,reader', {}),
    # Heat's in-instance agent user, in the deployment's stack user project.
    'stack_user': (STACK_PROJECT, 'heat_stack_user', {}),
    # A regular user of the stack user project.
    'stack_member': (STACK_PROJECT, 'member,reader', {}),
    'no_roles': (OWNER, '', {}),
}

OK = rbac_matrix.OK
BLIND = rbac_matrix.BLIND
NOT_FOUND = rbac_matrix.NOT_FOUND
TENANT = rbac_matrix.TENANT
DENIED = rbac_matrix.DENIED
DENIED_INDEX = rbac_matrix.DENIED_INDEX
OWN = rbac_matrix.OWN
AT_OWNER = rbac_matrix.AT_OWNER
AT_ELSEWHERE = rbac_matrix.AT_ELSEWHERE
ROUTE_NAMES = rbac_matrix.ROUTE_NAMES
MATRIX = rbac_matrix.MATRIX
ROWS = rbac_matrix.rows(PERSONAS)

TEMPLATE = {'heat_template_version': '2013-05-23',
            'resources': {'cfg': {'type': 'OS::Heat::SoftwareConfig',
                                  'properties': {'group': 'script',
                                                 'config': 'echo hi'}}}}


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
        'GET', '/software_deployments/metadata/%s' % SERVER,
        sd_policies.METADATA, 200, check=_check_metadata),
    'metadata_unshared': _route(
        'GET', '/software_deployments/metadata/%s' % UNSHARED_SERVER,
        sd_policies.METADATA, 200, check=_check_metadata),
    'validate': _route(
        'POST', '/validate', sc_policies.VALIDATE, 200,
        body={'template': TEMPLATE}, check=_check_validate),
}


class SeededTestCase(api_base.ApiTestCase):
    """A config used by two deployments, and an unused one, in OWNER.

    The deployment on SERVER names STACK_PROJECT as its stack user project;
    the one on UNSHARED_SERVER names none.
    """

    def setUp(self):
        super().setUp()
        owner = self.make_context(OWNER)
        config = utils.create_test_config(owner, name='used')
        self.config_id = config.id
        self.spare_id = utils.create_test_config(owner, name='spare').id
        self.deployment_id = utils.create_test_deployment(
            owner, config_id=config.id, server_id=SERVER,
            stack_user_project_id=STACK_PROJECT).id
        self.unshared_id = utils.create_test_deployment(
            owner, config_id=config.id, server_id=UNSHARED_SERVER).id

    def persona_headers(self, persona):
        project, roles, extra = PERSONAS[persona]
        return self.headers(project_id=project, roles=roles,
                            user_id='%s-user' % persona, **extra)

    def fill(self, text):
        return text.format(config_id=self.config_id, spare_id=self.spare_id,
                           deployment_id=self.deployment_id)

    def call(self, route, persona, url_project):
        body = route['body']
        if body is not None:
            body = dict((k, self.fill(v) if isinstance(v, str) else v)
                        for k, v in body.items())
        return self.request(route['method'],
                            self.url(self.fill(route['path']), url_project),
                            body=body, headers=self.persona_headers(persona))


@ddt.ddt
class TestRbacMatrix(SeededTestCase):

    def test_matrix_covers_every_persona_and_route(self):
        self.assertEqual(set(PERSONAS), set(p for p, _ in MATRIX))
        self.assertEqual(set(ROUTE_NAMES), set(ROUTES))
        for outcomes in MATRIX.values():
            self.assertEqual(len(ROUTE_NAMES), len(outcomes))
        self.assertGreaterEqual(len(ROWS), 100)

    @ddt.data(*ROWS)
    @ddt.unpack
    def test_matrix(self, persona, where, route_name, outcome):
        route = ROUTES[route_name]
        url_project = {OWN: PERSONAS[persona][0], AT_OWNER: OWNER,
                       AT_ELSEWHERE: ELSEWHERE}[where]
        response = self.call(route, persona, url_project)
        if outcome == TENANT:
            self.assertError(response, 403, 'HTTPForbidden',
                             'Access was denied to this resource.')
        elif outcome.startswith(DENIED):
            rule = outcome.partition(':')[2] or route['rule']
            self.assertError(response, 403, 'Forbidden',
                             'You are not authorized to use %s.' % rule)
        elif outcome == NOT_FOUND:
            self.assertError(response, 404, 'NotFound')
            self.assertIn(' not found', response.json['error']['message'])
        else:
            self.assertEqual(route['status'], response.status_int,
                             response.text)
            route['check'](self, response, outcome == OK)


class TestRbacDetails(SeededTestCase):
    """What the matrix cannot say in one cell."""

    def test_not_found_names_the_object(self):
        headers = self.persona_headers('other_member')
        response = self.get('/software_configs/' + self.config_id,
                            headers=headers, project_id=OTHER)
        self.assertError(response, 404, 'NotFound',
                         'Software config with id %s not found'
                         % self.config_id)
        response = self.get('/software_deployments/' + self.deployment_id,
                            headers=headers, project_id=OTHER)
        self.assertError(response, 404, 'NotFound',
                         'Deployment with id %s not found'
                         % self.deployment_id)
        response = self.post('/software_deployments',
                             {'config_id': self.config_id,
                              'server_id': 'srv'},
                             headers=headers, project_id=OTHER)
        self.assertError(response, 404, 'NotFound',
                         'Software config with id %s not found'
                         % self.config_id)

    def test_denied_objects_are_untouched(self):
        for persona in ('reader', 'other_member', 'stack_user'):
            headers = self.persona_headers(persona)
            project = PERSONAS[persona][0]
            self.delete('/software_configs/' + self.spare_id,
                        headers=headers, project_id=project)
            self.delete('/software_deployments/' + self.deployment_id,
                        headers=headers, project_id=project)
            self.put('/software_deployments/' + self.deployment_id,
                     {'status': 'FAILED'}, headers=headers,
                     project_id=project)
        shown = self.get('/software_deployments/' + self.deployment_id,
                         status=200).json['software_deployment']
        self.assertEqual('IN_PROGRESS', shown['status'])
        self.assertNotIn('updated_time', shown)
        self.get('/software_configs/' + self.spare_id, status=200)

    def test_admin_creates_in_own_project_whatever_the_url(self):
        headers = self.persona_headers('cloud_admin')
        created = self.post('/software_configs', {'name': 'adm'},
                            headers=headers, project_id=OWNER,
                            status=200).json['software_config']
        listed = self.get('/software_configs', headers=headers,
                          status=200).json['software_configs']
        projects = dict((c['id'], c['project']) for c in listed)
        self.assertEqual(ADMIN_PROJECT, projects[created['id']])
        self.assertEqual(OWNER, projects[self.config_id])
        # The owner does not see it; a member of the admin project does.
        owned = self.get('/software_configs',
                         status=200).json['software_configs']
        self.assertNotIn(created['id'], [c['id'] for c in owned])
        self.assertNotIn('project', owned[0])
        self.get('/software_configs/' + created['id'], status=200,
                 headers=self.headers(project_id=ADMIN_PROJECT),
                 project_id=ADMIN_PROJECT)

    def test_admin_lists_show_projects(self):
        headers = self.persona_headers('cloud_admin')
        configs = self.get('/software_configs', headers=headers,
                           project_id=ELSEWHERE,
                           status=200).json['software_configs']
        self.assertEqual({OWNER}, set(c['project'] for c in configs))
        deployments = self.get('/software_deployments', headers=headers,
                               status=200).json['software_deployments']
        self.assertEqual({self.deployment_id, self.unshared_id},
                         set(d['id'] for d in deployments))
        self.assertEqual({OWNER}, set(d['project'] for d in deployments))

    def test_scoped_admin_is_not_cloud_admin(self):
        headers = self.persona_headers('scoped_admin')
        configs = self.get('/software_configs', headers=headers,
                           project_id=OTHER,
                           status=200).json['software_configs']
        self.assertEqual([], configs)

    def test_stack_user_metadata_of_its_deployments_only(self):
        headers = self.persona_headers('stack_user')
        other = utils.create_test_config(self.make_context(OWNER),
                                         name='aaa-first')
        utils.create_test_deployment(self.make_context(OWNER),
                                     config_id=other.id, server_id=SERVER)
        metadata = self.get('/software_deployments/metadata/' + SERVER,
                            headers=headers, project_id=STACK_PROJECT,
                            status=200).json['metadata']
        # The owner's deployment without a stack user project is hidden.
        self.assertEqual([self.config_id], [c['id'] for c in metadata])
        self.assertEqual('used', metadata[0]['name'])
        owner_view = self.get('/software_deployments/metadata/' + SERVER,
                              status=200).json['metadata']
        self.assertEqual([other.id, self.config_id],
                         [c['id'] for c in owner_view])

    def test_stack_user_of_another_stack_project_sees_nothing(self):
        headers = self.headers(project_id='another-stack-project',
                               roles='heat_stack_user')
        response = self.get('/software_deployments/metadata/' + SERVER,
                            headers=headers,
                            project_id='another-stack-project', status=200)
        self.assertEqual({'metadata': []}, response.json)

    def test_tenant_check_precedes_policy(self):
        # A role-less user of another project hears about the URL first.
        headers = self.headers(project_id=OTHER, roles='')
        self.assertError(self.get('/software_configs', headers=headers),
                         403, 'HTTPForbidden')


# -- every route is protected by a registered policy rule ------------------

# (controller class, HTTP method) -> [(path under /v1/{tenant_id}, rule)]
PROTECTED = {
    ('ConfigsController', 'GET'): [
        ('/software_configs', sc_policies.INDEX),
        ('/software_configs?global_tenant=true', sc_policies.INDEX)],
    ('ConfigsController', 'POST'): [
        ('/software_configs', sc_policies.CREATE)],
    ('ConfigController', 'GET'): [
        ('/software_configs/{config_id}', sc_policies.SHOW),
        ('/software_configs/no-such-config', sc_policies.SHOW)],
    ('ConfigController', 'DELETE'): [
        ('/software_configs/{config_id}', sc_policies.DELETE)],
    ('DeploymentsController', 'GET'): [
        ('/software_deployments', sd_policies.INDEX),
        ('/software_deployments?server_id=' + SERVER, sd_policies.INDEX)],
    ('DeploymentsController', 'POST'): [
        ('/software_deployments', sd_policies.CREATE)],
    ('DeploymentController', 'GET'): [
        ('/software_deployments/{deployment_id}', sd_policies.SHOW),
        ('/software_deployments/no-such-deployment', sd_policies.SHOW)],
    ('DeploymentController', 'PUT'): [
        ('/software_deployments/{deployment_id}', sd_policies.UPDATE)],
    ('DeploymentController', 'DELETE'): [
        ('/software_deployments/{deployment_id}', sd_policies.DELETE)],
    ('ServerMetadataController', 'GET'): [
        ('/software_deployments/metadata/' + SERVER, sd_policies.METADATA),
        ('/software_deployments/metadata/no-such-server',
         sd_policies.METADATA)],
    ('ValidateController', 'POST'): [
        ('/validate', sc_policies.VALIDATE)],
    # The agent capability URLs of a server (deploysvc's own API).
    ('ServerAgentController', 'GET'): [
        ('/server_agents/' + SERVER, 'server_agents:show')],
    ('ServerAgentController', 'POST'): [
        ('/server_agents/' + SERVER, 'server_agents:rotate')],
    ('ServerAgentController', 'DELETE'): [
        ('/server_agents/' + SERVER, 'server_agents:delete')],
    # A deployment's history (signals, status changes).
    ('EventsController', 'GET'): [
        ('/software_deployments/{deployment_id}/events', sd_policies.SHOW),
        ('/software_deployments/no-such-deployment/events',
         sd_policies.SHOW)],
    # Heat routes GET .../software_deployments/metadata to "show deployment
    # 'metadata'", which checks software_deployments:show before its 404.
    ('MetadataController', 'GET'): [
        ('/software_deployments/metadata', sd_policies.SHOW)],
}

BODIES = {
    'POST /software_configs': {'name': 'x'},
    'POST /software_deployments': {'config_id': '{config_id}',
                                   'server_id': SERVER},
    'PUT /software_deployments/{deployment_id}': {'status': 'COMPLETE'},
    'POST /validate': {'template': TEMPLATE},
}


@ddt.ddt
class TestEveryRouteIsProtected(SeededTestCase):
    """A role-less user of the URL's project is refused everywhere."""

    def routes(self):
        """(controller, HTTP method) of every route of the API.

        The route list is ``v1.ROUTES``, the router itself; the methods of
        a route are those its ``OPTIONS`` answer allows.
        """
        found = set()
        for shape, controller in v1.ROUTES.items():
            path = ''.join('/' + ('an-id' if word == '*' else word)
                           for word in shape)
            response = self.request('OPTIONS', self.url(path), status=204)
            for method in response.headers['Allow'].split(','):
                found.add((controller.__name__, method.strip()))
        return found

    def test_table_is_complete(self):
        routes = self.routes()
        self.assertIn(('DeploymentController', 'PUT'), routes)
        self.assertEqual(set(PROTECTED), routes,
                         'Every API route needs a row in PROTECTED (and '
                         'a policy check).')

    def _assert_protected(self, method, path, rule):
        self.assertIn(rule, policy.init().registered_rules)
        key = '%s %s' % (method, path)
        body = BODIES.get(key)
        if body is not None:
            body = dict((k, self.fill(v) if isinstance(v, str) else v)
                        for k, v in body.items())
        response = self.request(method, self.url(self.fill(path)),
                                body=body,
                                headers=self.headers(roles=''))
        self.assertError(response, 403, 'Forbidden',
                         'You are not authorized to use %s.' % rule)

    @ddt.data(*sorted(PROTECTED))
    @ddt.unpack
    def test_handler_is_protected(self, cls_name, method):
        for path, rule in PROTECTED[(cls_name, method)]:
            self._assert_protected(method, path, rule)
