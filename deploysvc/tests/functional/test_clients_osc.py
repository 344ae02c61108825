"""The real clients against the real server: openstackclient.

The ``openstack software config|deployment`` commands, unmodified, talk to
``deploysvc-api`` running in its own process (see base.ServerFixture).
Each test works in a project of its own, so tests sharing the class's
server never see each other's objects.
"""

import json
import os

import fixtures
from heatclient import exc

from deploysvc.tests.functional import base
from deploysvc.tests.functional import clients_base


class OpenStackClientTest(base.OpenStackCLI, base.FunctionalTestCase):
    """``openstack software config|deployment`` as subprocesses.

    Every command starts a new Python interpreter (~1.5-4 s), so the
    checks are grouped into few invocations; state set up or checked
    between the commands goes through the Python API.
    """

    def setUp(self):
        super().setUp()
        self.project_id = clients_base.new_project()
        self.hc = self.heat(self.project_id)
        self.tmp = self.useFixture(fixtures.TempDir()).path

    def openstack(self, *args, **kw):
        """``openstack ARGS`` with admin_token auth on the server.

        Returns the CompletedProcess; asserts the exit code (0 unless
        ``returncode`` says otherwise).
        """
        endpoint = self.server.project_endpoint(self.project_id)
        return self.run_openstack(
            ['--os-auth-type', 'admin_token', '--os-endpoint', endpoint,
             '--os-token', 'any-token'] + list(args),
            returncode=kw.pop('returncode', 0))

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, 'w') as f:
            f.write(text)
        return path

    def test_config_commands(self):
        script = self.write('config.sh', clients_base.SCRIPT)
        definition = self.write('definition.yaml', (
            'inputs:\n'
            '- name: foo\n'
            '- name: bar\n'
            '  type: Number\n'
            '  default: "42"\n'
            '  description: how many\n'
            'outputs:\n'
            '- name: result\n'
            '- name: err\n'
            '  error_output: true\n'
            'options:\n'
            '  timeout: 30\n'))

        # POST /validate, then POST /software_configs.
        created = self.openstack_json(
            'software', 'config', 'create', 'cli-config', '--group',
            'script', '--config-file', script, '--definition-file',
            definition)
        expected = {
            'id': created['id'], 'name': 'cli-config', 'group': 'script',
            'creation_time': created['creation_time'],
            'config': clients_base.SCRIPT,
            'inputs': [{'name': 'foo', 'type': 'String'},
                       {'name': 'bar', 'description': 'how many',
                        'type': 'Number', 'default': 42}],
            'outputs': [{'name': 'result', 'type': 'String',
                         'error_output': False},
                        {'name': 'err', 'type': 'String',
                         'error_output': True}],
            'options': {'timeout': 30}}
        self.assertEqual(expected, created)
        self.assertRegex(created['creation_time'], clients_base.TIME)
        self.assertEqual(expected,
                         self.hc.software_configs.get(created['id'])
                         .to_dict())

        self.assertEqual(
            [{'id': created['id'], 'name': 'cli-config', 'group': 'script',
              'creation_time': created['creation_time']}],
            self.openstack_json('software', 'config', 'list'))

        self.assertEqual(expected, self.openstack_json(
            'software', 'config', 'show', created['id']))
        only = self.openstack('software', 'config', 'show', created['id'],
                              '--config-only')
        self.assertEqual(clients_base.SCRIPT + '\n', only.stdout)

        deleted = self.openstack('software', 'config', 'delete',
                                 created['id'])
        self.assertEqual('', deleted.stdout)
        self.assertRaises(exc.HTTPNotFound, self.hc.software_configs.get,
                          created['id'])

        missing = self.openstack('software', 'config', 'delete',
                                 created['id'], returncode=1)
        self.assertIn('Software config with ID %s not found' % created['id'],
                      missing.stdout + missing.stderr)
        self.assertIn('Unable to delete 1 of the 1 software configs.',
                      missing.stderr)
        shown = self.openstack('software', 'config', 'show', created['id'],
                               returncode=1)
        self.assertIn('Configuration not found: %s' % created['id'],
                      shown.stderr)

    def test_deployment_commands(self):
        source = self.hc.software_configs.create(
            name='source', group='script', config=clients_base.SCRIPT,
            inputs=[{'name': 'foo', 'default': 'bar'}],
            outputs=[{'name': 'result'}], options={'o': 1})
        elsewhere = self.hc.software_deployments.create(
            config_id=source.id, server_id='server-other')

        # GET the source config, POST a derived one, POST the deployment.
        created = self.openstack_json(
            'software', 'deployment', 'create', 'cli-deployment',
            '--server', 'server-cli', '--config', source.id,
            '--input-value', 'foo=baz', '--input-value', 'extra=1',
            '--action', 'CREATE', '--signal-transport', 'NO_SIGNAL')
        self.assertNotEqual(source.id, created['config_id'])
        self.assertEqual(clients_base.with_additions(
            {'id': created['id'], 'server_id': 'server-cli',
             'config_id': created['config_id'], 'input_values': {},
             'output_values': None, 'action': 'CREATE',
             'status': 'IN_PROGRESS', 'status_reason': None,
             'creation_time': created['creation_time']}), created)
        derived = self.hc.software_configs.get(created['config_id'])
        self.assertEqual(('cli-deployment', 'script', clients_base.SCRIPT,
                          {'o': 1}),
                         (derived.name, derived.group, derived.config,
                          derived.options))
        self.assertEqual(
            [('foo', 'baz'), ('extra', '1'),
             ('deploy_server_id', 'server-cli'), ('deploy_action', 'CREATE'),
             ('deploy_signal_transport', 'NO_SIGNAL')],
            [(i['name'], i['value']) for i in derived.inputs])

        self.assertEqual(
            [{'id': created['id'], 'config_id': created['config_id'],
              'server_id': 'server-cli', 'action': 'CREATE',
              'status': 'IN_PROGRESS'}],
            self.openstack_json('software', 'deployment', 'list',
                                '--server', 'server-cli'))

        outputs = {'result': 'done', 'deploy_stdout': 'hello\n',
                   'deploy_stderr': '', 'deploy_status_code': 0}
        updated = self.hc.software_deployments.update(
            created['id'], status='COMPLETE',
            status_reason='Outputs received', output_values=outputs)
        shown = self.openstack_json('software', 'deployment', 'show',
                                    created['id'])
        self.assertEqual(
            {'id': created['id'], 'server_id': 'server-cli',
             'config_id': created['config_id'],
             'creation_time': created['creation_time'],
             'updated_time': updated.updated_time, 'status': 'COMPLETE',
             'status_reason': 'Outputs received', 'input_values': {},
             'action': 'CREATE'}, shown)
        self.assertRegex(shown['updated_time'], clients_base.TIME)

        output = self.openstack('software', 'deployment', 'output', 'show',
                                created['id'], '--all')
        self.assertIn('output_values:\n', output.stdout)
        self.assertIn('  result: done\n', output.stdout)
        self.assertIn('  deploy_status_code: 0\n', output.stdout)
        self.assertIn('  deploy_stdout: |\n    hello\n', output.stdout)

        metadata = self.openstack('software', 'deployment', 'metadata',
                                  'show', 'server-cli')
        self.assertEqual([derived.to_dict()], json.loads(metadata.stdout))

        # GET, DELETE the deployment, then DELETE its derived config.
        self.openstack('software', 'deployment', 'delete', created['id'])
        self.assertRaises(exc.HTTPNotFound, self.hc.software_deployments.get,
                          created['id'])
        self.assertRaises(exc.HTTPNotFound, self.hc.software_configs.get,
                          created['config_id'])
        self.assertEqual([elsewhere.id],
                         [d.id for d in self.hc.software_deployments.list()])
        self.assertEqual([source.id],
                         [c.id for c in self.hc.software_configs.list()])
