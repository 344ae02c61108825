"""A cloud user's clients, through Keystone's catalog: no endpoint given.

The unmodified ``openstack`` (with deploysvc's plugin and heatclient's)
and openstacksdk authenticate by password from a clouds.yaml and find
deploysvc in the catalog: under ``software-deployment`` for the plugin,
under ``orchestration`` for heatclient and openstacksdk in a cloud without
Heat (the install guide's two registrations).
"""

import json

import fixtures
import openstack
from openstack.config import loader
import requests

from deploysvc.tests.functional import base
from deploysvc.tests.functional import catalog_fixtures as catalog
from deploysvc.tests.functional import keystone_base
from deploysvc.tests.functional import keystone_fixtures


class CatalogTestCase(base.OpenStackCLI, keystone_base.KeystoneTestCase):
    """The catalog holds this class's server; clouds.yaml in ``self.tmp``."""

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        # The catalog is global: hold it for the whole test.
        keystone_fixtures.hold_catalog(self)
        for service_type in (catalog.OWN, catalog.ORCHESTRATION):
            catalog.register(service_type, self.server.catalog_url)
        self.user = self.identities['DEMO_MEMBER']
        self.clouds = catalog.write_clouds_yaml(self.tmp, self.user)

    def openstack(self, *args, **kw):
        return self.run_openstack(
            ('--os-cloud', catalog.CLOUD) + args,
            env={'OS_CLIENT_CONFIG_FILE': self.clouds},
            returncode=kw.pop('returncode', 0))

    def assertFailsWith(self, message, *args):
        """``openstack ARGS`` exits 1 with ``message``, no traceback."""
        result = self.openstack(*args, returncode=1)
        self.assertIn(message, result.stderr)
        self.assertNotIn('Traceback', result.stderr + result.stdout)

    def connection(self):
        config = loader.OpenStackConfig(config_files=[self.clouds])
        return openstack.connection.Connection(
            config=config.get_one(catalog.CLOUD))


class TestPluginCommands(CatalogTestCase):

    def test_version_discovery(self):
        # What keystoneauth makes of the catalog's .../v1/<project id>: it
        # takes the project id off, reads the version document (/v1/ is
        # not one, as in Heat: the root's 300 answers) and puts it back.
        data = self.user.session().get_endpoint_data(
            service_type=catalog.OWN, interface='public',
            region_name=keystone_fixtures.REGION, min_version='1',
            max_version='1.latest', discover_versions=True)
        self.assertEqual(
            ((1, 0), 'CURRENT',
             self.server.project_endpoint(self.project('DEMO_MEMBER'))),
            (data.api_version, data.status,
             data.service_url.rstrip('/')))

    def test_agent_commands(self):
        server = keystone_base.new_id()
        created = self.openstack_json(
            'software', 'agent', 'create',
            server)
        self.assertEqual(['agent_last_seen', 'created_at', 'metadata_url',
                          'server_id'], sorted(created))
        self.assertEqual(server, created['server_id'])
        self.assertTrue(created['metadata_url'].startswith(
            self.server.url + '/agent/v1/metadata/'), created)
        self.assertEqual(200, requests.get(created['metadata_url'],
                                           timeout=30).status_code)

        shown = self.openstack('software', 'agent', 'show', server,
                               '-f', 'value', '-c', 'metadata_url')
        self.assertEqual(created['metadata_url'] + '\n', shown.stdout)
        table = self.openstack('software', 'agent', 'show', server).stdout
        self.assertIn(created['metadata_url'], table)
        # The same from an openrc's OS_* variables, without clouds.yaml.
        from_env = self.run_openstack(
            ['software', 'agent', 'show', server, '-f', 'json'],
            env=self.user.os_environ())
        from_env = json.loads(from_env.stdout)
        # (The poll above was recorded: agent_last_seen.)
        self.assertIsNotNone(from_env.pop('agent_last_seen'))
        self.assertEqual(dict(created, agent_last_seen=None),
                         dict(from_env, agent_last_seen=None))

        # Rotation: the old URL is dead, the new one serves.
        rotated = self.openstack_json(
            'software', 'agent', 'create',
            server)
        self.assertNotEqual(created['metadata_url'], rotated['metadata_url'])
        self.assertEqual(404, requests.get(created['metadata_url'],
                                           timeout=30).status_code)

        self.assertEqual('', self.openstack('software', 'agent', 'delete',
                                            server).stdout)
        self.assertEqual(404, requests.get(rotated['metadata_url'],
                                           timeout=30).status_code)
        self.assertFailsWith('No agent URL for server %s' % server,
                             'software', 'agent', 'show', server)
        self.assertFailsWith('Unable to revoke 1 of the 1 agent URLs.',
                             'software', 'agent', 'delete', server)

    def test_event_list_and_heatclient_commands(self):
        # heatclient's commands, through the catalog's orchestration.
        path = self.tmp + '/config.sh'
        with open(path, 'w') as f:
            f.write(keystone_base.SCRIPT)
        config = self.openstack_json(
            'software', 'config', 'create',
            'cli-config', '--config-file', path, '--group', 'script')
        server = keystone_base.new_id()
        deployment = self.openstack_json(
            'software', 'deployment', 'create',
            'cli-deployment', '--config', config['id'], '--server', server,
            '--signal-transport', 'NO_SIGNAL')
        self.assertEqual(config['id'], self.openstack_json(
            'software', 'config', 'show',
            config['id'])['id'])
        self.assertEqual([deployment['id']], [d['id'] for d in (
            self.openstack_json('software',
                                'deployment', 'list', '--server', server))])
        for status in ('COMPLETE', 'FAILED'):
            self.ok('DEMO_MEMBER', 'PUT', self.project('DEMO_MEMBER'),
                    '/software_deployments/' + deployment['id'],
                    {'status': status, 'status_reason': status.lower()})

        events = self.openstack_json('software',
                                     'deployment', 'event', 'list',
                                     deployment['id'])
        self.assertEqual(
            [('COMPLETE', 'FAILED'), ('IN_PROGRESS', 'COMPLETE'),
             (None, 'IN_PROGRESS')],
            [(e['status_from'], e['status_to']) for e in events])
        self.assertEqual(
            ['id', 'deployment_id', 'time', 'source', 'actor', 'status_from',
             'status_to', 'applied', 'reason', 'reason_code', 'details'],
            list(events[0]))
        first = self.openstack_json(
            'software', 'deployment', 'event',
            'list', deployment['id'], '--limit', '1')
        self.assertEqual(events[:1], first)
        rest = self.openstack_json(
            'software', 'deployment', 'event',
            'list', deployment['id'], '--marker', str(first[0]['id']))
        self.assertEqual(events[1:], rest)

        # Cancel: only an IN_PROGRESS deployment.
        self.assertFailsWith(
            'Deployment %s is FAILED, not IN_PROGRESS: there is nothing to '
            'cancel.' % deployment['id'],
            'software', 'deployment', 'cancel', deployment['id'])
        self.ok('DEMO_MEMBER', 'PUT', self.project('DEMO_MEMBER'),
                '/software_deployments/' + deployment['id'],
                {'status': 'IN_PROGRESS', 'action': 'UPDATE'})
        running = self.openstack_json('software', 'deployment', 'state',
                                      'show', deployment['id'])
        self.assertEqual(('IN_PROGRESS', 'API_UPDATE', None), (
            running['status'], running['status_reason_code'],
            running['delivered_at']))
        self.assertIsNotNone(running['deadline_at'])
        cancelled = self.openstack_json('software', 'deployment', 'cancel',
                                        deployment['id'])
        self.assertEqual(('FAILED', 'CANCELLED', None), (
            cancelled['status'], cancelled['status_reason_code'],
            cancelled['deadline_at']))

        self.openstack('software', 'deployment', 'delete', deployment['id'])
        self.assertFailsWith(
            'Deployment with id %s not found' % deployment['id'],
            'software', 'deployment', 'event', 'list', deployment['id'])
        self.openstack('software', 'config', 'delete', config['id'])


class TestOpenStackSDK(CatalogTestCase):

    def test_orchestration_software_calls(self):
        conn = self.connection()
        self.addCleanup(conn.close)
        config = conn.orchestration.create_software_config(
            name='sdk-config', group='script', config=keystone_base.SCRIPT)
        self.assertEqual([config.id], [
            c.id for c in conn.orchestration.software_configs()])
        self.assertEqual(keystone_base.SCRIPT,
                         conn.orchestration.get_software_config(
                             config.id).config)
        server = keystone_base.new_id()
        deployment = conn.orchestration.create_software_deployment(
            config_id=config.id, server_id=server, action='CREATE',
            status='IN_PROGRESS')
        self.assertEqual([deployment.id], [
            d.id for d in conn.orchestration.software_deployments(
                server_id=server)])
        updated = conn.orchestration.update_software_deployment(
            deployment, status='COMPLETE', output_values={'result': 'ok'})
        self.assertEqual(('COMPLETE', {'result': 'ok'}),
                         (updated.status, updated.output_values))
        conn.orchestration.delete_software_deployment(deployment)
        conn.orchestration.delete_software_config(config)
        self.assertEqual([], list(conn.orchestration.software_configs()))


class TestCloudWithHeat(CatalogTestCase):
    """A cloud whose ``orchestration`` is Heat's (here: nobody listens).

    The install guide's way for it: deploysvc's ``orchestration`` (and
    ``software-deployment``) endpoints in a region of their own, chosen by
    a cloud entry's ``region_name``; openstacksdk users may instead keep
    the cloud's region and set ``orchestration_endpoint_override``.
    """

    def setUp(self):
        super().setUp()
        heat = 'http://127.0.0.1:%d/v1/%%(tenant_id)s' % base.free_port()
        catalog.register(catalog.ORCHESTRATION, heat)
        for service_type in (catalog.OWN, catalog.ORCHESTRATION):
            catalog.register(service_type, self.server.catalog_url,
                             region=catalog.REGION)
        self.override = self.server.url + '/v1/%(project_id)s'

    def test_a_region_of_its_own(self):
        self.clouds = catalog.write_clouds_yaml(
            self.tmp, self.user, region_name=catalog.REGION)
        config = self.openstack_json('software', 'config', 'create',
                                     'in-region', '--group', 'script')
        # (The class's tests share their server and project.)
        self.assertIn(config['id'], [c['id'] for c in self.openstack_json(
            'software', 'config', 'list')])
        self.assertEqual('x', self.openstack_json(
            'software', 'agent', 'create', 'x')['server_id'])

    def test_endpoint_override(self):
        self.clouds = catalog.write_clouds_yaml(
            self.tmp, self.user,
            orchestration_endpoint_override=self.override)
        conn = self.connection()
        self.addCleanup(conn.close)
        config = conn.orchestration.create_software_config(
            name='overridden', group='script', config='')
        self.assertIn(config.id, [
            c.id for c in conn.orchestration.software_configs()])
        # heatclient's openstackclient plugin gives its client the
        # catalog's endpoint, never the override: its commands still reach
        # the region's Heat (python-heatclient 4.x/5.x).
        self.assertFailsWith('Unable to establish connection',
                             'software', 'config', 'list')
