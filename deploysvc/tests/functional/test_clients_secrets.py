"""Secret inputs through the real clients (issue 17).

python-heatclient and openstacksdk, unmodified, create a config with a
``"secret": true`` input and a deployment giving it a value: both pass
the key through, read back the mask, and the server's agent URL serves
the value.
"""

import json

from cryptography import fernet
import openstack
import requests

from deploysvc.tests.functional import base
from deploysvc.tests.functional import clients_base

SECRET = 'fn-secret-3e9d1c'
MASK = '******'
INPUTS = [{'name': 'password', 'type': 'String', 'secret': True},
          {'name': 'user', 'type': 'String', 'default': 'admin'}]
SERVER = '5b1d0c3e-7a2f-4e6d-9c8b-1a0f2e3d4c5b'


class SecretInputsClientsTest(base.FunctionalTestCase):

    @classmethod
    def setUpClass(cls):
        super(base.FunctionalTestCase, cls).setUpClass()
        cls.server = base.ServerFixture(extra_conf='[crypto]\n'
                                        'encryption_keys = %s\n' % (
                                            fernet.Fernet.generate_key()
                                            .decode()))
        cls.server.setUp()

    def setUp(self):
        super().setUp()
        self.project_id = clients_base.new_project()

    def sdk(self):
        return openstack.connect(
            auth_type='admin_token',
            auth={'endpoint': self.server.project_endpoint(self.project_id),
                  'token': 'any-token'},
            load_envvars=False, load_yaml_config=False)

    def served_value(self):
        response = self.server.request(
            'POST', '/v1/%s/server_agents/%s' % (self.project_id, SERVER),
            headers={'X-Project-Id': self.project_id, 'X-Roles': 'member'})
        url = json.loads(response.body)['server_agent']['metadata_url']
        document = requests.get(url, timeout=10).json()
        return [i['value'] for d in document['deployments']
                for i in d['inputs'] if i['name'] == 'password']

    def check(self, config_inputs, deployment_values, text):
        self.assertEqual(INPUTS, config_inputs)
        self.assertEqual({'password': MASK, 'user': 'me'},
                         deployment_values)
        self.assertNotIn(SECRET, text)
        self.assertEqual([SECRET], self.served_value())

    def test_heatclient_round_trip(self):
        hc = self.heat(self.project_id)
        config = hc.software_configs.create(
            name='s', group='script', config=clients_base.SCRIPT,
            inputs=INPUTS, outputs=[], options={})
        deployment = hc.software_deployments.create(
            config_id=config.id, server_id=SERVER, action='CREATE',
            status='IN_PROGRESS', status_reason='',
            input_values={'password': SECRET, 'user': 'me'})
        shown = hc.software_deployments.get(deployment.id)
        self.check(hc.software_configs.get(config.id).inputs,
                   shown.input_values,
                   repr(shown.to_dict()) + repr(deployment.to_dict()))

    def test_openstacksdk_round_trip(self):
        conn = self.sdk()
        config = conn.orchestration.create_software_config(
            name='s', group='script', config=clients_base.SCRIPT,
            inputs=INPUTS, outputs=[], options={})
        deployment = conn.orchestration.create_software_deployment(
            config_id=config.id, server_id=SERVER, action='CREATE',
            status='IN_PROGRESS', status_reason='',
            input_values={'password': SECRET, 'user': 'me'})
        shown = conn.orchestration.get_software_deployment(deployment.id)
        self.check(conn.orchestration.get_software_config(config.id).inputs,
                   shown.input_values,
                   repr(shown.to_dict()) + repr(deployment.to_dict()))
