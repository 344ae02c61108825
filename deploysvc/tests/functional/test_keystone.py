"""The keystone pipeline against the real Keystone, with real tokens.

``deploysvc-api`` runs with ``auth_strategy = keystone`` (see
keystone_fixtures); every token comes from the Keystone that
tools/test-setup.sh started and tools/keystone_seed.py seeded:

=============  ======================  ===================================
identity       project                 roles (Keystone expands implied)
=============  ======================  ===================================
ADMIN          admin (the admin        admin: a cloud administrator
               project)
SERVICE        service                 admin, service: admin of a project
                                       that is not the admin project
DEMO_MEMBER    demo (the owner here)   member
DEMO_READER    demo                    reader
ALT_MEMBER     alt                     member
STACK_AGENT    stack-user-project      heat_stack_user (an in-instance
               (domain heat_stack)     agent of Heat's stack user domain)
=============  ======================  ===================================

Without ``DEPLOYSVC_TEST_KEYSTONE_URL`` every test fails, saying so.
"""

import contextlib
import json
import os

import ddt
import fixtures
from heatclient import client as heat_client
from oslo_utils import uuidutils
import testtools

from deploysvc.tests.functional import base
from deploysvc.tests.functional import keystone_fixtures
from deploysvc.tests import rbac_matrix
from deploysvc.tests import utils

ELSEWHERE = 'no-such-project'
AUTH_MESSAGE = keystone_fixtures.AUTH_MESSAGE

# persona -> seeded identity
PERSONAS = {
    'reader': 'DEMO_READER',
    'member': 'DEMO_MEMBER',
    'cloud_admin': 'ADMIN',
    'scoped_admin': 'SERVICE',
    'other_member': 'ALT_MEMBER',
    'stack_user': 'STACK_AGENT',
}

# The unit RBAC matrix (deploysvc/tests/rbac_matrix.py), for the personas
# a real Keystone gives here.
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
MATRIX = dict((key, outcomes) for key, outcomes in rbac_matrix.MATRIX.items()
              if key[0] in PERSONAS)
ROWS = rbac_matrix.rows(PERSONAS)

TEMPLATE = {'heat_template_version': '2013-05-23',
            'resources': {'cfg': {'type': 'OS::Heat::SoftwareConfig',
                                  'properties': {'group': 'script',
                                                 'config': 'echo hi'}}}}

SCRIPT = '#!/bin/sh\necho hello\n'


def _route(method, path, rule, status, body=None):
    return {'method': method, 'path': path, 'rule': rule, 'status': status,
            'body': body}


# {config_id}, {deployment_id}: the class's seeded objects (never
# changed); {spare_id}, {victim_id}: made for the test that destroys them.
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
                       {'template': TEMPLATE}),
}


def new_id():
    return uuidutils.generate_uuid()


class KeystoneTestCase(utils.HttpHelpers, testtools.TestCase):
    """One keystone-pipeline server per class, and a token per identity.

    When Keystone is not available the class starts nothing and every
    test fails with keystone_fixtures.MISSING.
    """

    server = None
    tokens = None
    problem = None
    WHERE = ('key',)
    config_defaults = {'config': SCRIPT}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.problem = keystone_fixtures.missing()
        if cls.problem:
            return
        cls.identities = dict((key, keystone_fixtures.Identity(key))
                              for key in keystone_fixtures.IDENTITIES)
        cls.tokens = dict((key, identity.token())
                          for key, identity in cls.identities.items())
        cls.server = keystone_fixtures.KeystoneServerFixture()
        cls.server.setUp()

    @classmethod
    def tearDownClass(cls):
        if cls.server is not None:
            cls.server.cleanUp()
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        if self.problem:
            self.fail(self.problem)
        self.useFixture(fixtures.Timeout(
            int(os.environ.get('OS_TEST_TIMEOUT', 160)), gentle=True))
        self.addOnException(self._attach_server_log)

    def _attach_server_log(self, exc_info):
        if self.server is not None:
            self.addDetail('deploysvc-api-log', self.server.log_content())

    def project(self, key):
        return self.identities[key].project_id

    def call(self, key, method, project, path, body=None, token=None):
        """``method /v1/<project><path>`` with the token of ``key``."""
        if token is None and key is not None:
            token = self.tokens[key]
        response = self.server.call(method, '/v1/%s%s' % (project, path),
                                    token=token, body=body)
        self.assertNotEqual(500, response.status, response.body)
        return response

    def ok(self, key, method, project, path, body=None, status=200):
        response = self.call(key, method, project, path, body)
        self.assertEqual(status, response.status, response.body)
        return response.body

    def post_json(self, path, body, key='DEMO_MEMBER'):
        """POST to the project of ``key`` with its token; asserts 200."""
        return self.ok(key, 'POST', self.project(key), path, body)

    def assertError(self, response, status, error_type, message):
        self.assertEqual(status, response.status, response.body)
        self.assertEqual(
            {'code': status, 'title': response.body.get('title'),
             'explanation': response.body.get('explanation'),
             'error': {'type': error_type, 'message': message,
                       'traceback': None}}, response.body)

    def assertUnauthorized(self, response):
        """keystonemiddleware's refusal, in Heat's error shape (D2)."""
        self.assertEqual(401, response.status, response.body)
        self.assertEqual(
            'Keystone uri="%s"' % keystone_fixtures.keystone_url(),
            response.headers.get('WWW-Authenticate'))
        self.assertTrue(response.headers.get('Content-Type', '').startswith(
            'application/json'), response.headers)
        self.assertEqual(
            {'code': 401, 'title': 'Unauthorized',
             'explanation': response.body.get('explanation'),
             'error': {'type': 'HTTPUnauthorized', 'message': AUTH_MESSAGE,
                       'traceback': None}}, response.body)


@ddt.ddt
class TestAuthentication(KeystoneTestCase):

    @ddt.data(('GET', '/software_configs', None),
              ('POST', '/software_configs', {'name': 'x'}),
              ('GET', '/software_deployments/metadata/srv', None),
              ('PUT', '/software_deployments/x', {'status': 'COMPLETE'}))
    @ddt.unpack
    def test_no_token(self, method, path, body):
        response = self.call(None, method, self.project('DEMO_MEMBER'), path,
                             body)
        self.assertUnauthorized(response)

    @ddt.data('not-a-token', 'gAAAAABnot-a-fernet-token-at-all')
    def test_bad_token(self, token):
        response = self.call(None, 'GET', self.project('DEMO_MEMBER'),
                             '/software_configs', token=token)
        self.assertUnauthorized(response)

    def test_no_token_for_the_version_document(self):
        response = self.server.call('GET', '/')
        self.assertEqual(300, response.status, response.body)
        self.assertEqual('v1.0', response.body['versions'][0]['id'])

    def test_revoked_token(self):
        token = self.identities['DEMO_MEMBER'].token()
        project = self.project('DEMO_MEMBER')
        response = self.call(None, 'GET', project, '/software_configs',
                             token=token)
        self.assertEqual(200, response.status, response.body)
        keystone_fixtures.revoke(token)
        # token_cache_time = -1: refused at once, by every worker.
        for _ in range(self.server.workers + 1):
            response = self.call(None, 'GET', project, '/software_configs',
                                 token=token)
            self.assertUnauthorized(response)

    def test_identity_headers_of_the_client_are_ignored(self):
        # A reader claiming to be an admin of the admin project.
        response = self.server.call(
            'POST', '/v1/%s/software_configs' % self.project('DEMO_MEMBER'),
            token=self.tokens['DEMO_READER'], body={'name': 'x'},
            headers={'X-Roles': 'admin,member', 'X-Is-Admin-Project': 'True',
                     'X-Project-Id': self.project('ADMIN')})
        self.assertError(response, 403, 'Forbidden',
                         'You are not authorized to use '
                         'software_configs:create.')

    def test_url_project_is_not_the_token_project(self):
        for key, project in (('DEMO_MEMBER', self.project('ALT_MEMBER')),
                             ('ALT_MEMBER', self.project('DEMO_MEMBER')),
                             ('SERVICE', self.project('DEMO_MEMBER'))):
            response = self.call(key, 'GET', project, '/software_configs')
            self.assertError(response, 403, 'HTTPForbidden',
                             'Access was denied to this resource.')


@ddt.ddt
class TestRbacMatrix(KeystoneTestCase):
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
        seed = {'server': new_id(), 'unshared': new_id()}

        def post(path, body):
            response = cls.server.call('POST', '/v1/%s%s' % (project, path),
                                       token=token, body=body)
            if response.status != 200:
                raise RuntimeError('seeding failed: %s %s'
                                   % (response.status, response.body))
            return response.body

        seed['config_id'] = post('/software_configs', {
            'name': 'used', 'group': 'script',
            'config': SCRIPT})['software_config']['id']
        seed['deployment_id'] = post('/software_deployments', {
            'config_id': seed['config_id'], 'server_id': seed['server'],
            'stack_user_project_id': cls.identities[
                'STACK_AGENT'].project_id})['software_deployment']['id']
        post('/software_deployments', {'config_id': seed['config_id'],
                                       'server_id': seed['unshared']})
        return seed

    def test_matrix_covers_every_persona_and_route(self):
        self.assertEqual(set(PERSONAS), set(p for p, _ in MATRIX))
        self.assertEqual(set(ROUTE_NAMES), set(ROUTES))
        for outcomes in MATRIX.values():
            self.assertEqual(len(ROUTE_NAMES), len(outcomes))
        self.assertGreaterEqual(len(ROWS), 150)

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
                self.seed['config_id'], new_id())['id']
        url_project = {OWN: self.project(key),
                       AT_OWNER: self.project('DEMO_MEMBER'),
                       AT_ELSEWHERE: ELSEWHERE}[where]
        response = self.call(key, route['method'], url_project,
                             self.fill(route['path'], values),
                             self.fill(route['body'], values))
        if outcome == TENANT:
            self.assertError(response, 403, 'HTTPForbidden',
                             'Access was denied to this resource.')
        elif outcome.startswith(DENIED):
            rule = outcome.partition(':')[2] or route['rule']
            self.assertError(response, 403, 'Forbidden',
                             'You are not authorized to use %s.' % rule)
        elif outcome == NOT_FOUND:
            self.assertEqual(404, response.status, response.body)
            self.assertEqual('NotFound', response.body['error']['type'])
            self.assertRegex(response.body['error']['message'],
                             r'^(Software config|Deployment) with id \S+ '
                             r'not found$')
        else:
            self.assertEqual(route['status'], response.status,
                             response.body)
            self.check(route_name, response, values, outcome == OK)

    def check(self, route_name, response, values, visible):
        body = response.body
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


class TestStackUser(KeystoneTestCase):
    """heat_stack_user in the stack user project: metadata, nothing else."""

    def test_reads_only_the_metadata_of_deployments_naming_its_project(self):
        stack_project = self.project('STACK_AGENT')
        server = new_id()
        config = self.create_config(name='b-shared')
        hidden = self.create_config(name='a-hidden')
        shared = self.create_deployment(
            config['id'], server, stack_user_project_id=stack_project)
        self.create_deployment(hidden['id'], server)

        metadata = self.ok('STACK_AGENT', 'GET', stack_project,
                           '/software_deployments/metadata/' + server)
        owner_view = self.ok('DEMO_MEMBER', 'GET',
                             self.project('DEMO_MEMBER'),
                             '/software_deployments/metadata/' + server)
        self.assertEqual([hidden['id'], config['id']],
                         [c['id'] for c in owner_view['metadata']])
        self.assertEqual({'metadata': [owner_view['metadata'][1]]},
                         metadata)
        self.assertEqual(SCRIPT, metadata['metadata'][0]['config'])

        denied = [
            ('GET', '/software_configs', None, 'software_configs:index'),
            ('POST', '/software_configs', {'name': 'x'},
             'software_configs:create'),
            ('GET', '/software_configs/' + config['id'], None,
             'software_configs:show'),
            ('DELETE', '/software_configs/' + config['id'], None,
             'software_configs:delete'),
            ('GET', '/software_deployments', None,
             'software_deployments:index'),
            ('POST', '/software_deployments',
             {'config_id': config['id'], 'server_id': server},
             'software_deployments:create'),
            ('GET', '/software_deployments/' + shared['id'], None,
             'software_deployments:show'),
            ('PUT', '/software_deployments/' + shared['id'],
             {'status': 'FAILED', 'output_values': {'x': 1}},
             'software_deployments:update'),
            ('DELETE', '/software_deployments/' + shared['id'], None,
             'software_deployments:delete'),
            ('POST', '/validate', {'template': TEMPLATE},
             'stacks:validate_template'),
        ]
        for method, path, body, rule in denied:
            response = self.call('STACK_AGENT', method, stack_project, path,
                                 body)
            self.assertError(response, 403, 'Forbidden',
                             'You are not authorized to use %s.' % rule)
        # Not even the metadata under the owner's URL.
        response = self.call('STACK_AGENT', 'GET',
                             self.project('DEMO_MEMBER'),
                             '/software_deployments/metadata/' + server)
        self.assertError(response, 403, 'HTTPForbidden',
                         'Access was denied to this resource.')
        # Nothing changed.
        shown = self.ok('DEMO_MEMBER', 'GET', self.project('DEMO_MEMBER'),
                        '/software_deployments/' + shared['id'])
        self.assertEqual(shared, shown['software_deployment'])
        self.ok('DEMO_MEMBER', 'GET', self.project('DEMO_MEMBER'),
                '/software_configs/' + config['id'])

    def test_sees_nothing_of_deployments_naming_no_or_another_project(self):
        server = new_id()
        config = self.create_config()
        self.create_deployment(config['id'], server)
        self.create_deployment(config['id'], server,
                               stack_user_project_id=self.project(
                                   'ALT_MEMBER'))
        metadata = self.ok('STACK_AGENT', 'GET', self.project('STACK_AGENT'),
                           '/software_deployments/metadata/' + server)
        self.assertEqual({'metadata': []}, metadata)


class TestAdmin(KeystoneTestCase):
    """The admin of Keystone's admin project sees every project."""

    def test_admin_sees_and_manages_every_project(self):
        server = new_id()
        demo_config = self.create_config(key='DEMO_MEMBER', name='demo-config')
        alt_config = self.create_config(key='ALT_MEMBER', name='alt-config')
        demo = self.create_deployment(demo_config['id'], server,
                                      key='DEMO_MEMBER')
        alt = self.create_deployment(alt_config['id'], server,
                                     key='ALT_MEMBER')
        expected = {demo['id']: self.project('DEMO_MEMBER'),
                    alt['id']: self.project('ALT_MEMBER')}

        for url_project in (self.project('ADMIN'), ELSEWHERE):
            configs = self.ok('ADMIN', 'GET', url_project,
                              '/software_configs')['software_configs']
            projects = dict((c['id'], c['project']) for c in configs)
            self.assertEqual(self.project('DEMO_MEMBER'),
                             projects.get(demo_config['id']))
            self.assertEqual(self.project('ALT_MEMBER'),
                             projects.get(alt_config['id']))
            deployments = self.ok(
                'ADMIN', 'GET', url_project,
                '/software_deployments?server_id=' + server)[
                'software_deployments']
            self.assertEqual(expected, dict((d['id'], d['project'])
                                            for d in deployments))
            metadata = self.ok('ADMIN', 'GET', url_project,
                               '/software_deployments/metadata/' + server)
            self.assertEqual({alt_config['id'], demo_config['id']},
                             set(c['id'] for c in metadata['metadata']))

        shown = self.ok('ADMIN', 'GET', self.project('ADMIN'),
                        '/software_configs/' + alt_config['id'])
        self.assertEqual(self.project('ALT_MEMBER'),
                         shown['software_config']['project'])
        updated = self.ok('ADMIN', 'PUT', self.project('ADMIN'),
                          '/software_deployments/' + alt['id'],
                          {'status': 'COMPLETE'})['software_deployment']
        self.assertEqual(('COMPLETE', self.project('ALT_MEMBER')),
                         (updated['status'], updated['project']))
        # The owners still see their own objects only, without "project".
        listed = self.ok('ALT_MEMBER', 'GET', self.project('ALT_MEMBER'),
                         '/software_deployments?server_id=' + server)
        self.assertEqual([alt['id']], [d['id'] for d in
                                       listed['software_deployments']])
        self.assertNotIn('project', listed['software_deployments'][0])
        self.assertEqual('COMPLETE',
                         listed['software_deployments'][0]['status'])

    def test_an_admin_outside_the_admin_project_is_not_cloud_admin(self):
        config = self.create_config(key='DEMO_MEMBER')
        response = self.call('SERVICE', 'GET', self.project('SERVICE'),
                             '/software_configs/' + config['id'])
        self.assertError(response, 404, 'NotFound',
                         'Software config with id %s not found'
                         % config['id'])
        listed = self.ok('SERVICE', 'GET', self.project('SERVICE'),
                         '/software_configs')['software_configs']
        self.assertNotIn(config['id'], [c['id'] for c in listed])


class TestThroughTheCatalog(base.OpenStackCLI, KeystoneTestCase):
    """Unmodified clients, password auth, endpoint from the catalog."""

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        # The catalog is global: hold it for the whole test.
        stack = contextlib.ExitStack()
        stack.enter_context(keystone_fixtures.catalog_lock())
        self.addCleanup(stack.close)
        self.server.register_endpoint()

    def openstack(self, *args, **kw):
        return self.run_openstack(
            args, env=self.identities['DEMO_MEMBER'].os_environ(),
            returncode=kw.pop('returncode', 0))

    def test_heatclient_finds_deploysvc_in_the_catalog(self):
        session = self.identities['DEMO_MEMBER'].session()
        self.assertEqual(
            self.server.project_endpoint(self.project('DEMO_MEMBER')),
            session.get_endpoint(service_type='orchestration',
                                 interface='public',
                                 region_name=keystone_fixtures.REGION))
        hc = heat_client.Client('1', session=session,
                                service_type='orchestration',
                                region_name=keystone_fixtures.REGION)
        created = hc.software_configs.create(name='via-catalog',
                                             group='script', config=SCRIPT)
        shown = self.ok('DEMO_MEMBER', 'GET', self.project('DEMO_MEMBER'),
                        '/software_configs/' + created.id)
        self.assertEqual(created.to_dict(), shown['software_config'])
        hc.software_configs.delete(created.id)
        response = self.call('DEMO_MEMBER', 'GET',
                             self.project('DEMO_MEMBER'),
                             '/software_configs/' + created.id)
        self.assertEqual(404, response.status, response.body)

    def test_openstack_software_commands(self):
        path = os.path.join(self.tmp, 'config.sh')
        with open(path, 'w') as f:
            f.write(SCRIPT)
        server = new_id()
        # POST /validate, then POST /software_configs.
        config = self.openstack_json('software', 'config', 'create',
                                     'cli-config', '--config-file', path,
                                     '--group', 'script')
        stored = self.ok('DEMO_MEMBER', 'GET', self.project('DEMO_MEMBER'),
                         '/software_configs/' + config['id'])[
            'software_config']
        self.assertEqual(('cli-config', 'script', SCRIPT),
                         (stored['name'], stored['group'],
                          stored['config']))
        self.assertEqual(stored, self.openstack_json(
            'software', 'config', 'show', config['id']))

        deployment = self.openstack_json(
            'software', 'deployment', 'create', 'cli-deployment',
            '--config', config['id'], '--server', server,
            '--signal-transport', 'NO_SIGNAL')
        self.assertEqual((server, 'UPDATE', 'IN_PROGRESS'),
                         (deployment['server_id'], deployment['action'],
                          deployment['status']))
        listed = self.openstack_json('software', 'deployment', 'list',
                                     '--server', server)
        self.assertEqual([deployment['id']], [d['id'] for d in listed])
        metadata = self.openstack('software', 'deployment', 'metadata',
                                  'show', server)
        self.assertEqual([deployment['config_id']],
                         [c['id'] for c in json.loads(metadata.stdout)])

        # GET, DELETE the deployment, then its derived config.
        self.openstack('software', 'deployment', 'delete', deployment['id'])
        for path in ('/software_deployments/' + deployment['id'],
                     '/software_configs/' + deployment['config_id']):
            response = self.call('DEMO_MEMBER', 'GET',
                                 self.project('DEMO_MEMBER'), path)
            self.assertEqual(404, response.status, response.body)
        self.openstack('software', 'config', 'delete', config['id'])
        missing = self.openstack('software', 'config', 'show', config['id'],
                                 returncode=1)
        self.assertIn('Configuration not found: %s' % config['id'],
                      missing.stderr)
