"""The agent loop end to end: the shared case of its functional tests.

The unmodified os-collect-config and heat-agents (see ``agents.py``)
against the real ``deploysvc-api``: a config and a deployment are created
through the plain API (as Heat's engine or an operator would), ``POST
/v1/{tenant}/server_agents/{server}`` gives the server's capability URL,
and one ``os-collect-config`` poll fetches the metadata, runs the
``script`` hook through ``55-heat-config`` and lets ``heat-config-notify``
PUT the result to the deployment's signal URL.  The tests are in
test_agent_loop.py and test_agent_deadlines.py.
"""


import http.client
import json
import os
import urllib.parse
import uuid

from deploysvc.tests.functional import agents
from deploysvc.tests.functional import base
from deploysvc.tests import utils

DEPLOY_INPUTS = ('deploy_server_id', 'deploy_action',
                 'deploy_signal_transport', 'deploy_signal_id',
                 'deploy_signal_verb')
ITEM_KEYS = {'id', 'name', 'group', 'creation_time', 'config', 'inputs',
             'outputs', 'options'}

# Appends "<action> <greeting>" to $marker, writes the "result" output and
# prints one line on each stream.
GOOD_SCRIPT = '''#!/bin/sh
set -e
echo "$deploy_action $greeting" >> "$marker"
printf '%s from %s' "$greeting" "$deploy_server_id" \\
    > "$heat_outputs_path.result"
echo to-stdout
echo to-stderr >&2
'''
BAD_SCRIPT = '''#!/bin/sh
echo "$deploy_action $greeting" >> "$marker"
echo failing
echo broken >&2
exit 3
'''


class AgentLoopCase(utils.HttpHelpers, base.FunctionalTestCase):

    @classmethod
    def setUpClass(cls):
        # Outside the per-test timeout: a cold cache takes a minute or two.
        cls.agents = agents.prepare()
        super().setUpClass()

    def setUp(self):
        super().setUp()
        self.server_id = str(uuid.uuid4())
        self.agent = self.useFixture(agents.AgentFixture(self.agents))
        self.marker = os.path.join(self.agent.path, 'marker')

    # -- HTTP ---------------------------------------------------------------

    def http(self, method, url, body=None, headers=None):
        """(status, headers, body bytes) of one request to the server."""
        parts = urllib.parse.urlsplit(url)
        self.assertEqual(('http', '127.0.0.1', self.server.port),
                         (parts.scheme, parts.hostname, parts.port))
        connection = http.client.HTTPConnection('127.0.0.1',
                                                self.server.port, timeout=30)
        try:
            path = parts.path + ('?' + parts.query if parts.query else '')
            connection.request(method, path, body=body,
                               headers=headers or {})
            response = connection.getresponse()
            return response.status, response.headers, response.read()
        finally:
            connection.close()

    def api(self, method, path, body=None, status=200):
        """One call of the authenticated API; its JSON body (or None)."""
        data = None if body is None else json.dumps(body)
        headers = {}
        if data is not None:
            headers['Content-Type'] = 'application/json'
        endpoint = '%s/v1/%s' % (self.server.url, self.server.project_id)
        code, headers, raw = self.http(method, endpoint + path, data,
                                       headers)
        self.assertEqual(status, code, raw)
        if code == 204:
            self.assertEqual(b'', raw)
            return None
        self.assertIn('application/json', headers['Content-Type'])
        return json.loads(raw)

    def get_metadata(self, url, headers=None):
        return self.http('GET', url, headers=headers)

    # -- objects ------------------------------------------------------------

    def post_json(self, path, body):
        return self.api('POST', path, body)

    def deploy(self, script, action='CREATE', greeting='hello', **fields):
        """A config running ``script`` and its deployment on the server."""
        config = self.create_config(
            name='agent-loop', config=script,
            inputs=[{'name': 'greeting'}, {'name': 'marker'}],
            outputs=[{'name': 'result'}])
        deployment = self.create_deployment(
            config['id'], self.server_id,
            input_values={'greeting': greeting, 'marker': self.marker},
            action=action, status_reason='Deploy data available', **fields)
        self.assertEqual('IN_PROGRESS', deployment['status'])
        return config, deployment

    def metadata_url(self):
        agent = self.api('POST', '/server_agents/%s' % self.server_id,
                         {})['server_agent']
        self.assertEqual({'server_id', 'metadata_url', 'created_at',
                          'agent_last_seen'},
                         set(agent))
        self.assertEqual(self.server_id, agent['server_id'])
        self.assertTrue(agent['metadata_url'].startswith(
            self.server.url + '/agent/v1/metadata/'), agent)
        self.assertRegex(agent['created_at'],
                         r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$')
        return agent['metadata_url']

    def deployment(self, deployment_id):
        return self.api('GET', '/software_deployments/%s'
                        % deployment_id)['software_deployment']

    def history(self, deployment_id):
        """The deployment's events, as one JSON text to search."""
        body = self.api('GET', '/software_deployments/%s/events'
                        % deployment_id)
        self.assertIsInstance(body, dict)
        lists = [v for v in body.values() if isinstance(v, list)]
        self.assertEqual(1, len(lists), body)
        events = lists[0]
        self.assertTrue(events, body)
        return json.dumps(events)

    def served(self, url):
        """The metadata document and its only item, checked for shape."""
        status, headers, raw = self.get_metadata(url)
        self.assertEqual(200, status, raw)
        self.assertIn('application/json', headers['Content-Type'])
        document = json.loads(raw)
        self.assertEqual(
            {'collectors': ['request', 'local'],
             'request': {'metadata_url': url}},
            document['os-collect-config'])
        self.assertEqual({'deployments', 'os-collect-config'},
                         set(document))
        self.assertEqual(1, len(document['deployments']), document)
        item = document['deployments'][0]
        self.assertEqual(ITEM_KEYS, set(item))
        return document, item

    @staticmethod
    def values(item):
        return dict((i['name'], i['value']) for i in item['inputs'])

    def assert_item(self, item, deployment, action, greeting):
        self.assertEqual('script', item['group'])
        self.assertEqual(['result'], [o['name'] for o in item['outputs']])
        values = self.values(item)
        signal_url = values['deploy_signal_id']
        self.assertTrue(signal_url.startswith(
            '%s/agent/v1/signal/%s/' % (self.server.url, deployment['id'])),
            signal_url)
        self.assertEqual(
            {'greeting': greeting, 'marker': self.marker,
             'deploy_server_id': self.server_id, 'deploy_action': action,
             'deploy_signal_transport': 'TEMP_URL_SIGNAL',
             'deploy_signal_id': signal_url, 'deploy_signal_verb': 'PUT'},
            values)

    def run_agent(self, url, command_runs=1):
        run = self.agent.run(url)
        self.assertEqual(0, run.returncode, run.output)
        self.assertEqual(command_runs, run.command_runs, run.output)
        return run

    def marker_lines(self):
        with open(self.marker) as f:
            return f.read().splitlines()
