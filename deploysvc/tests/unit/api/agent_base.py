"""Helpers of the agent loop's API tests (issue 5): the real paste pipeline.

``/v1/{tenant}/server_agents/{server}`` hands out a server's capability
URL; ``/agent/v1/metadata/...`` serves os-collect-config's document with
conditional GETs; ``/agent/v1/signal/...`` applies heat-config-notify's
results with Heat's rules (doc/source/contributor/behaviour.rst,
behaviour-signal-rules); every status change and every signal lands in
``.../software_deployments/{id}/events``.  The tests are in
test_agent_*.py, one module a behaviour.
"""

import json
import re
import urllib.parse

from deploysvc.db import agents
from deploysvc.tests import base as test_base
from deploysvc.tests.unit.api import base

SERVER = 'f6a0c2d4-1b3e-4c5d-8e9f-0a1b2c3d4e5f'
OTHER_SERVER = '0d9c8b7a-6f5e-4d3c-2b1a-0f9e8d7c6b5a'
OTHER_PROJECT = test_base.OTHER_PROJECT
SIGNAL_PATH = re.compile(
    r'^/agent/v1/signal/([0-9a-f-]{36})/([0-9]+)\.[0-9a-f]{64}$')
NOT_FOUND = 'The resource could not be found.'
EVENT_KEYS = {'id', 'deployment_id', 'time', 'source', 'actor',
              'status_from', 'status_to', 'applied', 'reason', 'details',
              'reason_code'}
CODE_REASON = ('deploy_status_code : Deployment exited with non-zero '
               'status code: %s')
OUTPUTS = [{'name': 'result', 'type': 'String'},
           {'name': 'err', 'type': 'String', 'error_output': True}]


def path_of(url):
    """The routed path of an agent URL (without a public_endpoint path)."""
    path = urllib.parse.urlsplit(url).path
    return path[path.index('/agent/'):] if '/agent/' in path else path


def other_mac(mac):
    """A well-formed mac that is not ``mac``."""
    return ('1' if mac[0] == '0' else '0') + mac[1:]


class AgentTestCase(base.ApiTestCase):
    """Helpers: configs, deployments, agent URLs, polls and signals."""

    config_defaults = {
        'inputs': [{'name': 'foo', 'type': 'String'},
                   {'name': 'bar', 'type': 'String', 'default': 'dflt'}],
        'outputs': OUTPUTS, 'options': {'opt': 1}}
    deployment_defaults = {'server_id': SERVER,
                           'status_reason': 'Deploy data available'}

    def update_deployment(self, deployment_id, body, project_id=None):
        return self.put('/software_deployments/' + deployment_id, body,
                        status=200, project_id=project_id
                        ).json['software_deployment']

    def show_deployment(self, deployment_id, project_id=None):
        return self.get('/software_deployments/' + deployment_id,
                        status=200, project_id=project_id
                        ).json['software_deployment']

    def events(self, deployment_id, query='', status=200, **kw):
        response = self.get('/software_deployments/%s/events%s' % (
            deployment_id, query), status=status, **kw)
        return response.json['events'] if status == 200 else response

    def rotate(self, server_id=SERVER, project_id=None):
        response = self.post('/server_agents/' + server_id, None,
                             status=200, project_id=project_id)
        self.assertEqual('application/json', response.content_type)
        return response.json['server_agent']['metadata_url']

    def agent(self, method, url, status=None, headers=None, **kw):
        """A request of an in-instance agent: no identity headers."""
        return self.request(method, path_of(url), status=status,
                            headers=headers or {}, **kw)

    def poll(self, url, status=200, method='GET', **headers):
        return self.agent(method, url, status=status, headers=headers)

    def document(self, url):
        response = self.poll(url)
        self.assertEqual('application/json', response.content_type)
        return response.json

    def item(self, url, deployment_id):
        """The served item of a deployment (found by its signal URL)."""
        found = [item for item in self.document(url)['deployments']
                 if deployment_id == SIGNAL_PATH.match(path_of(
                     self.value(item, 'deploy_signal_id'))).group(1)]
        self.assertEqual(1, len(found))
        return found[0]

    @staticmethod
    def value(item, name):
        values = [i['value'] for i in item['inputs'] if i['name'] == name]
        return values[0] if values else None

    def signal_url(self, url, deployment_id):
        return self.value(self.item(url, deployment_id), 'deploy_signal_id')

    def signal(self, url, body, status=200, method='PUT', **kw):
        if not isinstance(body, bytes):
            body = json.dumps(body).encode()
        response = self.agent(method, url, status=status, body=body, **kw)
        return response.json if status == 200 else response

    def setup_signal(self, **kw):
        """An IN_PROGRESS deployment, its metadata URL and signal URL."""
        deployment = self.create_deployment(**kw)
        url = self.rotate()
        signal_url = self.signal_url(url, deployment['id'])
        # As it is once its agent has fetched it (delivered_at).
        return (self.show_deployment(deployment['id']), url, signal_url)

    def assertAllow(self, response, *methods):
        self.assertEqual(sorted(methods),
                         sorted(response.headers['Allow'].split(', ')))

    def credential(self, server_id=SERVER):
        return agents.get(self.context, server_id)
