"""The api-ref samples are real responses of this service.

Every file in ``doc/source/api-ref/samples`` is produced here by driving the
real application, so the documentation cannot drift from the code.  Ids and
times vary from run to run: every UUID is replaced, in order of first
appearance, by a fixed one (so a config's id in one sample is the
``config_id`` of the next; the ids the test chooses itself are kept), every
capability URL mac (64 hex digits) likewise, and the times
(``creation_time``, ``updated_time``, ``created_at``, ``time``,
``delivered_at``, ``deadline_at``, ``agent_last_seen``) by fixed
times once their format has been checked; event ids by their ranks.

After an intended change of the API, rewrite the samples with::

    DEPLOYSVC_REGEN_SAMPLES=1 python -m stestr run test_api_samples

and review the diff.
"""

import hashlib
import json
import os
import re
import uuid

from deploysvc.tests.unit.api import base

SAMPLES_DIR = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', 'doc',
    'source', 'api-ref', 'samples')

REGENERATE = os.environ.get('DEPLOYSVC_REGEN_SAMPLES') == '1'

# Every sample file, and so every file the directory may hold.
SAMPLES = (
    'versions-response.json',
    'config-create-request.json',
    'config-create-response.json',
    'config-show-response.json',
    'config-list-response.json',
    'config-list-admin-response.json',
    'config-list-page-response.json',
    'config-delete-conflict-response.json',
    'deployment-create-request.json',
    'deployment-create-response.json',
    'deployment-create-invalid-response.json',
    'deployment-show-response.json',
    'deployment-list-response.json',
    'deployment-update-request.json',
    'deployment-update-response.json',
    'deployment-metadata-response.json',
    'deployment-events-response.json',
    'server-agent-response.json',
    'server-agent-not-found-response.json',
    'agent-metadata-response.json',
    'agent-not-found-response.json',
    'agent-signal-request.json',
    'agent-signal-response.json',
    'agent-signal-ignored-response.json',
    'agent-signal-stale-response.json',
    'validate-request.json',
    'validate-response.json',
    'error-not-found-response.json',
    'error-forbidden-response.json',
    'error-tenant-forbidden-response.json',
)

_UUID = re.compile(r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-'
                   r'[0-9a-f]{12}')
_MAC = re.compile(r'\b[0-9a-f]{64}\b')
_TIME_FORMAT = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$')
_TIMES = {'creation_time': '2026-01-31T15:12:36Z',
          'updated_time': '2026-01-31T15:18:21Z',
          'created_at': '2026-01-31T15:13:02Z',
          'time': '2026-01-31T15:18:21Z',
          'delivered_at': '2026-01-31T15:13:05Z',
          'deadline_at': '2026-01-31T16:12:36Z',
          'agent_last_seen': '2026-01-31T15:13:05Z'}

SERVER_ID = 'ec14c864-096e-4e27-bb8a-2c2b4dc6f3f5'
MISSING_ID = '5f0e3c1d-8e8c-4c4b-9d3b-0a1c2e3f4a5b'
# [api] public_endpoint of the agent samples.
PUBLIC_ENDPOINT = 'https://deploy.example.com'

CONFIG = {
    'name': 'install-web',
    'group': 'script',
    'config': '#!/bin/sh -x\necho "Writing to /tmp/$bar"\n'
              'echo $foo > /tmp/$bar\n'
              'echo -n "The file /tmp/$bar contains `cat /tmp/$bar` for '
              'server $deploy_server_id during $deploy_action" > '
              '$heat_outputs_path.result\n',
    'inputs': [
        {'name': 'foo', 'default': 'fooooo'},
        {'name': 'bar', 'default': 'baaaaa'},
    ],
    'outputs': [{'name': 'result'}],
    'options': {},
}


class Normalizer(object):
    """Replace run-dependent values by fixed ones, consistently."""

    def __init__(self, keep=(SERVER_ID, MISSING_ID)):
        self.ids = dict((value, value) for value in keep)
        self.macs = {}

    def _uuid(self, match):
        value = match.group(0)
        if value not in self.ids:
            self.ids[value] = str(uuid.uuid5(
                uuid.NAMESPACE_URL,
                'https://deploysvc.example/sample/%d' % len(self.ids)))
        return self.ids[value]

    def _mac(self, match):
        value = match.group(0)
        if value not in self.macs:
            self.macs[value] = hashlib.sha256(
                b'deploysvc sample mac %d' % len(self.macs)).hexdigest()
        return self.macs[value]

    @staticmethod
    def _events(events):
        # Event ids come from a sequence that PostgreSQL and MariaDB do
        # not reset between tests: the sample shows their ranks (1 the
        # oldest), which the service's order (newest first) keeps.
        ranks = dict((event_id, rank) for rank, event_id in enumerate(
            sorted(event['id'] for event in events), 1))
        return [dict(event, id=ranks[event['id']]) for event in events]

    def __call__(self, value, key=None):
        if key == 'events' and isinstance(value, list):
            value = self._events(value)
        if isinstance(value, dict):
            return dict((k, self(v, k)) for k, v in value.items())
        if isinstance(value, list):
            return [self(v) for v in value]
        if isinstance(value, str):
            if key in _TIMES and _TIME_FORMAT.match(value):
                return _TIMES[key]
            return _UUID.sub(self._uuid, _MAC.sub(self._mac, value))
        return value


class TestApiSamples(base.ApiTestCase):

    def setUp(self):
        super().setUp()
        self.normalize = Normalizer()

    def assertSample(self, name, body):
        """``body``, normalised, is the content of sample ``name``."""
        self.assertIn(name, SAMPLES)
        actual = self.normalize(body)
        path = os.path.join(SAMPLES_DIR, name)
        if REGENERATE:
            with open(path, 'w') as f:
                json.dump(actual, f, indent=4)
                f.write('\n')
            return
        with open(path) as f:
            expected = json.load(f)
        self.assertEqual(
            expected, actual,
            'The service no longer answers what sample %s shows. If the '
            'change is intended, regenerate the samples with '
            'DEPLOYSVC_REGEN_SAMPLES=1 and review the diff.' % name)

    def assertResponseSample(self, name, response, status):
        self.assertEqual(status, response.status_int, response.text)
        self.assertEqual('application/json', response.content_type)
        self.assertSample(name, response.json)

    def test_every_sample_is_checked(self):
        self.assertEqual(sorted(SAMPLES), sorted(
            name for name in os.listdir(SAMPLES_DIR)
            if not name.startswith('.')))

    def test_versions(self):
        response = self.request('GET', '/', status=300, headers={})
        self.assertResponseSample('versions-response.json', response, 300)

    def test_configs(self):
        self.assertSample('config-create-request.json', CONFIG)
        created = self.post('/software_configs', CONFIG, status=200)
        self.assertResponseSample('config-create-response.json', created,
                                  200)
        config_id = created.json['software_config']['id']
        shown = self.get('/software_configs/' + config_id)
        self.assertResponseSample('config-show-response.json', shown, 200)
        self.create_config(name='motd', group='ansible',
                           config='- hosts: all\n')
        listed = self.get('/software_configs?limit=10')
        self.assertResponseSample('config-list-response.json', listed, 200)
        admin = self.get('/software_configs',
                         headers=self.headers(roles='admin,member,reader'))
        self.assertResponseSample('config-list-admin-response.json', admin,
                                  200)
        page = self.get('/software_configs?limit=1')
        self.assertResponseSample('config-list-page-response.json', page,
                                  200)
        self.assertEqual(
            '<%s>; rel="next"' % page.json['software_configs_links'][0][
                'href'], page.headers['Link'])

    def test_deployments(self):
        config_id = self.create_config(**CONFIG)['id']
        request = {
            'config_id': config_id,
            'server_id': SERVER_ID,
            'action': 'CREATE',
            'status': 'IN_PROGRESS',
            'status_reason': 'Deploy data available',
            'input_values': {'foo': 'fooooo', 'bar': 'baaaaa'},
        }
        self.assertSample('deployment-create-request.json', request)
        created = self.post('/software_deployments', request)
        self.assertResponseSample('deployment-create-response.json', created,
                                  200)
        deployment_id = created.json['software_deployment']['id']
        shown = self.get('/software_deployments/' + deployment_id)
        self.assertResponseSample('deployment-show-response.json', shown, 200)
        listed = self.get('/software_deployments?server_id=' + SERVER_ID)
        self.assertResponseSample('deployment-list-response.json', listed,
                                  200)
        update = {
            'status': 'COMPLETE',
            'status_reason': 'Outputs received',
            'output_values': {
                'deploy_stdout': 'Writing to /tmp/baaaaa\n',
                'deploy_stderr': '+ echo Writing to /tmp/baaaaa\n',
                'deploy_status_code': 0,
                'result': 'The file /tmp/baaaaa contains fooooo for server '
                          '%s during CREATE' % SERVER_ID,
            },
        }
        self.assertSample('deployment-update-request.json', update)
        updated = self.put('/software_deployments/' + deployment_id, update)
        self.assertResponseSample('deployment-update-response.json', updated,
                                  200)
        metadata = self.get('/software_deployments/metadata/' + SERVER_ID)
        self.assertResponseSample('deployment-metadata-response.json',
                                  metadata, 200)

    def agent_request(self, method, url, body=None, status=None,
                      headers=None):
        """A request of an in-instance agent: a capability URL, no token."""
        self.assertTrue(url.startswith(PUBLIC_ENDPOINT + '/agent/v1/'), url)
        return self.request(method, url[len(PUBLIC_ENDPOINT):], body=body,
                            status=status, headers=headers or {})

    def test_agent_loop(self):
        self.config(public_endpoint=PUBLIC_ENDPOINT, group='api')
        config_id = self.create_config(**CONFIG)['id']
        deployment_id = self.create_deployment(
            config_id, SERVER_ID, status_reason='Deploy data available',
            input_values={'bar': 'web.conf'})['id']

        path = '/server_agents/' + SERVER_ID
        created = self.post(path, None)
        self.assertResponseSample('server-agent-response.json', created, 200)
        url = created.json['server_agent']['metadata_url']
        shown = self.get(path)
        self.assertResponseSample('server-agent-response.json', shown, 200)

        served = self.agent_request('GET', url)
        self.assertResponseSample('agent-metadata-response.json', served,
                                  200)
        etag = served.headers['ETag']
        not_modified = self.agent_request(
            'GET', url, status=304, headers={'If-None-Match': etag})
        self.assertEqual((b'', etag),
                         (not_modified.body, not_modified.headers['ETag']))
        (item,) = served.json['deployments']
        inputs = dict((i['name'], i['value']) for i in item['inputs'])
        signal_url = inputs['deploy_signal_id']

        signal = {
            'deploy_stdout': 'Writing to /tmp/web.conf\n',
            'deploy_stderr': '+ echo Writing to /tmp/web.conf\n',
            'deploy_status_code': 0,
            'result': 'The file /tmp/web.conf contains fooooo for server '
                      '%s during CREATE' % SERVER_ID,
        }
        self.assertSample('agent-signal-request.json', signal)
        response = self.agent_request('PUT', signal_url, signal)
        self.assertResponseSample('agent-signal-response.json', response,
                                  200)
        response = self.agent_request('PUT', signal_url, signal)
        self.assertResponseSample('agent-signal-ignored-response.json',
                                  response, 200)
        shown = self.get('/software_deployments/' + deployment_id).json
        self.assertEqual(('COMPLETE', 'Outputs received', signal),
                         tuple(shown['software_deployment'][key] for key in (
                             'status', 'status_reason', 'output_values')))
        events = self.get('/software_deployments/%s/events?limit=10'
                          % deployment_id)
        self.assertResponseSample('deployment-events-response.json', events,
                                  200)
        # A new action: the first run's signal, sent again, is refused.
        self.put('/software_deployments/' + deployment_id,
                 {'action': 'UPDATE', 'status': 'IN_PROGRESS'})
        response = self.agent_request('PUT', signal_url, signal)
        self.assertResponseSample('agent-signal-stale-response.json',
                                  response, 409)

        self.delete(path, status=204)
        response = self.get(path)
        self.assertResponseSample('server-agent-not-found-response.json',
                                  response, 404)
        response = self.agent_request('GET', url)
        self.assertResponseSample('agent-not-found-response.json', response,
                                  404)

    def test_validate(self):
        request = {'template': {
            'heat_template_version': '2013-05-23',
            'resources': {'install-web': {
                'type': 'OS::Heat::SoftwareConfig',
                'properties': dict((key, CONFIG[key]) for key in (
                    'group', 'config', 'inputs', 'outputs', 'options')),
            }},
        }}
        self.assertSample('validate-request.json', request)
        response = self.post('/validate', request)
        self.assertResponseSample('validate-response.json', response, 200)

    def test_errors(self):
        response = self.get('/software_configs/' + MISSING_ID)
        self.assertResponseSample('error-not-found-response.json', response,
                                  404)
        response = self.post('/software_configs', CONFIG,
                             headers=self.headers(roles='reader'))
        self.assertResponseSample('error-forbidden-response.json', response,
                                  403)
        response = self.get('/software_configs',
                            project_id=base.base.OTHER_PROJECT,
                            headers=self.headers())
        self.assertResponseSample('error-tenant-forbidden-response.json',
                                  response, 403)
        config_id = self.create_config(**CONFIG)['id']
        response = self.post('/software_deployments',
                             {'config_id': config_id, 'server_id': SERVER_ID,
                              'status': 'DONE'})
        self.assertResponseSample('deployment-create-invalid-response.json',
                                  response, 400)
        self.post('/software_deployments',
                  {'config_id': config_id, 'server_id': SERVER_ID},
                  status=200)
        response = self.delete('/software_configs/' + config_id)
        self.assertResponseSample('config-delete-conflict-response.json',
                                  response, 409)
