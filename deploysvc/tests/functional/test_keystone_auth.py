"""The keystone pipeline against the real Keystone: tokens and the catalog.

Identities and tokens: see keystone_base.  Without
``DEPLOYSVC_TEST_KEYSTONE_URL`` every test fails, saying so.
"""

import json
import os

import ddt
import fixtures
from heatclient import client as heat_client

from deploysvc.tests.functional import base
from deploysvc.tests.functional import keystone_base
from deploysvc.tests.functional import keystone_fixtures


@ddt.ddt
class TestAuthentication(keystone_base.KeystoneTestCase):

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


class TestThroughTheCatalog(base.OpenStackCLI, keystone_base.KeystoneTestCase):
    """Unmodified clients, password auth, endpoint from the catalog."""

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        # The catalog is global: hold it for the whole test.
        keystone_fixtures.hold_catalog(self)
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
                                             group='script',
                                             config=keystone_base.SCRIPT)
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
            f.write(keystone_base.SCRIPT)
        server = keystone_base.new_id()
        # POST /validate, then POST /software_configs.
        config = self.openstack_json('software', 'config', 'create',
                                     'cli-config', '--config-file', path,
                                     '--group', 'script')
        stored = self.ok('DEMO_MEMBER', 'GET', self.project('DEMO_MEMBER'),
                         '/software_configs/' + config['id'])[
            'software_config']
        self.assertEqual(('cli-config', 'script', keystone_base.SCRIPT),
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
