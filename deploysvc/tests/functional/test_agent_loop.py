"""The agent loop end to end, with the unmodified os-collect-config and
heat-agents (see ``agents.py``) against the real ``deploysvc-api``.

A config and a deployment are created through the plain API (as Heat's
engine or an operator would), ``POST /v1/{tenant}/server_agents/{server}``
gives the server's capability URL, and one ``os-collect-config`` poll
fetches the metadata, runs the ``script`` hook through ``55-heat-config``
and lets ``heat-config-notify`` PUT the result to the deployment's signal
URL, which applies Heat's signal rules.
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


class AgentLoopTest(utils.HttpHelpers, base.FunctionalTestCase):

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

    def deploy(self, script, action='CREATE', greeting='hello'):
        """A config running ``script`` and its deployment on the server."""
        config = self.create_config(
            name='agent-loop', config=script,
            inputs=[{'name': 'greeting'}, {'name': 'marker'}],
            outputs=[{'name': 'result'}])
        deployment = self.create_deployment(
            config['id'], self.server_id,
            input_values={'greeting': greeting, 'marker': self.marker},
            action=action, status_reason='Deploy data available')
        self.assertEqual('IN_PROGRESS', deployment['status'])
        return config, deployment

    def metadata_url(self):
        agent = self.api('POST', '/server_agents/%s' % self.server_id,
                         {})['server_agent']
        self.assertEqual({'server_id', 'metadata_url', 'created_at'},
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

    # -- tests --------------------------------------------------------------

    def test_script_runs_and_outputs_are_signalled(self):
        config, deployment = self.deploy(GOOD_SCRIPT)
        url = self.metadata_url()
        _, item = self.served(url)
        self.assertEqual(GOOD_SCRIPT, item['config'])
        self.assert_item(item, deployment, 'CREATE', 'hello')

        self.run_agent(url)

        self.assertEqual(['CREATE hello'], self.marker_lines())
        deployed = self.agent.deployed()
        self.assertEqual([item['id']], list(deployed))
        outputs = {'result': 'hello from %s' % self.server_id,
                   'deploy_stdout': 'to-stdout\n',
                   'deploy_stderr': 'to-stderr\n',
                   'deploy_status_code': 0}
        # What the hook produced is what heat-config-notify was given...
        self.assertEqual(outputs, self.agent.notified(item['id']))
        # ... and what the signal stored.
        shown = self.deployment(deployment['id'])
        self.assertEqual('COMPLETE', shown['status'])
        self.assertEqual('Outputs received', shown['status_reason'])
        self.assertEqual(outputs, shown['output_values'])
        self.assertEqual('CREATE', shown['action'])
        self.assertEqual(config['id'], shown['config_id'])
        self.assertIn('Outputs received', self.history(deployment['id']))

    def test_failing_script_fails_the_deployment(self):
        _, deployment = self.deploy(BAD_SCRIPT)
        url = self.metadata_url()
        _, item = self.served(url)
        self.assert_item(item, deployment, 'CREATE', 'hello')

        self.run_agent(url)

        self.assertEqual(['CREATE hello'], self.marker_lines())
        shown = self.deployment(deployment['id'])
        reason = ('deploy_status_code : Deployment exited with non-zero '
                  'status code: 3')
        self.assertEqual('FAILED', shown['status'])
        self.assertEqual(reason, shown['status_reason'])
        self.assertEqual({'deploy_stdout': 'failing\n',
                          'deploy_stderr': 'broken\n',
                          'deploy_status_code': 3}, shown['output_values'])
        self.assertIn(reason, self.history(deployment['id']))

    def test_new_action_and_new_inputs_run_the_script_again(self):
        _, deployment = self.deploy(GOOD_SCRIPT)
        url = self.metadata_url()
        _, first = self.served(url)
        self.run_agent(url)
        self.assertEqual('COMPLETE',
                         self.deployment(deployment['id'])['status'])
        etag = self.get_metadata(url)[1]['ETag']

        # A second action, as Heat's resource sends it.
        updated = self.api('PUT', '/software_deployments/%s'
                           % deployment['id'],
                           {'action': 'UPDATE', 'status': 'IN_PROGRESS'})
        self.assertEqual('IN_PROGRESS',
                         updated['software_deployment']['status'])
        self.assertEqual('UPDATE', updated['software_deployment']['action'])
        status, headers, _ = self.get_metadata(url, {'If-None-Match': etag})
        self.assertEqual(200, status)
        self.assertNotEqual(etag, headers['ETag'])
        _, second = self.served(url)
        # 55-heat-config skips ids it deployed: the served id must change.
        self.assertNotEqual(first['id'], second['id'])
        self.assert_item(second, deployment, 'UPDATE', 'hello')

        self.run_agent(url)

        self.assertEqual(['CREATE hello', 'UPDATE hello'],
                         self.marker_lines())
        self.assertEqual({first['id'], second['id']},
                         set(self.agent.deployed()))
        shown = self.deployment(deployment['id'])
        self.assertEqual('COMPLETE', shown['status'])
        self.assertEqual('Outputs received', shown['status_reason'])

        # New input values, same action: a new id again.
        self.api('PUT', '/software_deployments/%s' % deployment['id'],
                 {'input_values': {'greeting': 'bonjour',
                                   'marker': self.marker},
                  'status': 'IN_PROGRESS'})
        _, third = self.served(url)
        self.assertNotIn(third['id'], (first['id'], second['id']))
        self.assert_item(third, deployment, 'UPDATE', 'bonjour')

        self.run_agent(url)

        self.assertEqual(['CREATE hello', 'UPDATE hello', 'UPDATE bonjour'],
                         self.marker_lines())
        shown = self.deployment(deployment['id'])
        self.assertEqual('COMPLETE', shown['status'])
        self.assertEqual('bonjour from %s' % self.server_id,
                         shown['output_values']['result'])

    def test_replay_of_an_earlier_run_is_refused(self):
        # What heat-config-notify sent in the first run, captured and sent
        # again once a second action is under way, is recorded and refused
        # (behaviour-signal-runs); the real agent then completes the
        # second action through its new URL.
        _, deployment = self.deploy(GOOD_SCRIPT)
        url = self.metadata_url()
        _, first = self.served(url)
        self.run_agent(url)
        captured = self.agent.notified(first['id'])
        first_signal = self.values(first)['deploy_signal_id']
        self.api('PUT', '/software_deployments/%s' % deployment['id'],
                 {'action': 'UPDATE', 'status': 'IN_PROGRESS'})
        _, second = self.served(url)
        self.assertNotEqual(first_signal,
                            self.values(second)['deploy_signal_id'])

        status, _, raw = self.http('PUT', first_signal,
                                   json.dumps(captured),
                                   {'Content-Type': 'application/json'})
        self.assertEqual(409, status, raw)
        self.assertEqual('StaleSignal', json.loads(raw)['error']['type'])
        shown = self.deployment(deployment['id'])
        self.assertEqual(('IN_PROGRESS', 'UPDATE'),
                         (shown['status'], shown['action']))
        self.assertIn('Ignored: sent to the signal URL of run 0',
                      self.history(deployment['id']))

        self.run_agent(url)
        self.assertEqual(['CREATE hello', 'UPDATE hello'],
                         self.marker_lines())
        self.assertEqual('COMPLETE',
                         self.deployment(deployment['id'])['status'])

    def test_unchanged_metadata_is_not_modified_and_not_rerun(self):
        _, deployment = self.deploy(GOOD_SCRIPT)
        url = self.metadata_url()
        self.run_agent(url)
        self.assertEqual('COMPLETE',
                         self.deployment(deployment['id'])['status'])

        # The signal changed the deployment, not the served metadata: the
        # next poll finds the cached document and does not run the command.
        self.run_agent(url, command_runs=0)
        self.assertEqual(['CREATE hello'], self.marker_lines())
        self.assertEqual(1, len(self.agent.deployed()))

        status, headers, raw = self.get_metadata(url)
        self.assertEqual(200, status)
        with open(os.path.join(self.agent.cachedir, 'request.json')) as f:
            self.assertEqual(json.load(f), json.loads(raw))
        etag = headers['ETag']
        self.assertRegex(etag, r'^"[^"]+"$')  # strong
        # Two agent runs (each well over a second) separate the last
        # change from this request, so Last-Modified is announced.
        last_modified = headers['Last-Modified']

        for conditional in ({'If-None-Match': etag},
                            {'If-None-Match': '"other", %s' % etag},
                            {'If-Modified-Since': last_modified}):
            status, headers, body = self.get_metadata(url, conditional)
            self.assertEqual(304, status, conditional)
            self.assertEqual(b'', body)
            self.assertEqual(etag, headers['ETag'])
        status, _, body = self.get_metadata(url, {'If-None-Match': '"x"'})
        self.assertEqual(200, status)
        self.assertEqual(json.loads(raw), json.loads(body))
        status, headers, body = self.http('HEAD', url)
        self.assertEqual(200, status)
        self.assertEqual(b'', body)
        self.assertEqual((etag, last_modified),
                         (headers['ETag'], headers['Last-Modified']))

    def test_rotated_and_revoked_urls_stop_working(self):
        path = '/server_agents/%s' % self.server_id
        self.api('GET', path, status=404)
        self.deploy(GOOD_SCRIPT)
        old = self.metadata_url()
        shown = self.api('GET', path)['server_agent']
        self.assertEqual(old, shown['metadata_url'])
        self.assertEqual(200, self.get_metadata(old)[0])

        new = self.metadata_url()
        self.assertNotEqual(old, new)
        self.assertEqual(404, self.get_metadata(old)[0])
        # The agent polling the old URL finds nothing and runs nothing.
        run = self.agent.run(old)
        self.assertEqual((0, 0), (run.returncode, run.command_runs),
                         run.output)
        self.assertFalse(os.path.exists(self.marker))
        self.assertEqual(200, self.get_metadata(new)[0])

        self.api('DELETE', path, status=204)
        self.assertEqual(404, self.get_metadata(new)[0])
        self.api('GET', path, status=404)
