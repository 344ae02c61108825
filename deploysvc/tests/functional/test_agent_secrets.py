"""A secret input end to end, with the unmodified os-collect-config and
heat-agents (issue 17).

The script receives the secret value (it writes its SHA-256 as an
output, which the test compares), while the API shows only the mask and
the server's log never holds the value.
"""

import hashlib

from cryptography import fernet

from deploysvc.tests.functional import agent_loop_base as loop
from deploysvc.tests.functional import agents
from deploysvc.tests.functional import base

SECRET = 's3cret-for-the-agent-0b7e'
SCRIPT = '''#!/bin/sh
set -e
digest=$(printf '%s' "$password" | sha256sum | cut -d' ' -f1)
printf '%s' "$digest" > "$heat_outputs_path.digest"
'''


class AgentSecretsTest(loop.AgentLoopCase):

    @classmethod
    def setUpClass(cls):
        cls.agents = agents.prepare()
        super(base.FunctionalTestCase, cls).setUpClass()
        cls.server = base.ServerFixture(extra_conf=(
            '[crypto]\nencryption_keys = %s\n'
            % fernet.Fernet.generate_key().decode()))
        cls.server.setUp()

    def test_script_receives_the_secret(self):
        config = self.create_config(
            name='secret', config=SCRIPT,
            inputs=[{'name': 'password', 'secret': True}],
            outputs=[{'name': 'digest'}])
        deployment = self.create_deployment(
            config['id'], self.server_id,
            input_values={'password': SECRET}, action='CREATE',
            status_reason='Deploy data available')
        self.assertEqual({'password': '******'}, deployment['input_values'])

        self.run_agent(self.metadata_url())

        shown = self.deployment(deployment['id'])
        self.assertEqual('COMPLETE', shown['status'], shown)
        self.assertEqual(hashlib.sha256(SECRET.encode()).hexdigest(),
                         shown['output_values']['digest'])
        self.assertEqual({'password': '******'}, shown['input_values'])
        self.assertNotIn(SECRET, self.server.log())
