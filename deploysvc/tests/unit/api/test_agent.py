"""API tests of the agent loop (issue 5), through the real paste pipeline.

``/v1/{tenant}/server_agents/{server}`` hands out a server's capability
URL; ``/agent/v1/metadata/...`` serves os-collect-config's document with
conditional GETs; ``/agent/v1/signal/...`` applies heat-config-notify's
results with Heat's rules (contract section 5.4); every status change and
every signal lands in ``.../software_deployments/{id}/events``.
"""

import calendar
import datetime
import json
import re
import time
import urllib.parse

import ddt
import fixtures
import sqlalchemy as sa
import webob
import webtest

from deploysvc.agent import tokens
from deploysvc.agent import urls
from deploysvc.common import cache as cache_module
from deploysvc.db import agents
from deploysvc.db import deployments
from deploysvc.db import engine as db_engine
from deploysvc.db import models
from deploysvc.tests import base as test_base
from deploysvc.tests.unit.api import base
from deploysvc.tests import utils

SERVER = 'f6a0c2d4-1b3e-4c5d-8e9f-0a1b2c3d4e5f'
OTHER_SERVER = '0d9c8b7a-6f5e-4d3c-2b1a-0f9e8d7c6b5a'
OTHER_PROJECT = test_base.OTHER_PROJECT

METADATA_PATH = re.compile(r'^/agent/v1/metadata/[0-9a-f-]{36}/[0-9a-f]{64}$')
SIGNAL_PATH = re.compile(r'^/agent/v1/signal/([0-9a-f-]{36})/[0-9a-f]{64}$')
NOT_FOUND = 'The resource could not be found.'
DEPLOY_INPUTS = ('deploy_server_id', 'deploy_action',
                 'deploy_signal_transport', 'deploy_signal_id',
                 'deploy_signal_verb')
ITEM_KEYS = ['id', 'name', 'group', 'creation_time', 'config', 'inputs',
             'outputs', 'options']
EVENT_KEYS = {'id', 'deployment_id', 'time', 'source', 'actor',
              'status_from', 'status_to', 'applied', 'reason', 'details'}
CODE_REASON = ('deploy_status_code : Deployment exited with non-zero '
               'status code: %s')
OUTPUTS = [{'name': 'result', 'type': 'String'},
           {'name': 'err', 'type': 'String', 'error_output': True}]
# The frozen clock's start (the "Last-Modified" tests).
T0 = datetime.datetime(2026, 3, 4, 5, 6, 7, 250000)
STANDARD_NULLS = {'deploy_stdout': None, 'deploy_stderr': None,
                  'deploy_status_code': None}


def http_date(when):
    return when.strftime('%a, %d %b %Y %H:%M:%S GMT')


def path_of(url):
    """The routed path of an agent URL (without a public_endpoint path)."""
    path = urllib.parse.urlsplit(url).path
    return path[path.index('/agent/'):] if '/agent/' in path else path


def other_mac(mac):
    """A well-formed mac that is not ``mac``."""
    return ('1' if mac[0] == '0' else '0') + mac[1:]


class Clock(fixtures.Fixture):
    """A frozen clock for both time.time() and timeutils.utcnow()."""

    def __init__(self, start):
        super().__init__()
        self.now = start

    def _setUp(self):
        self.useFixture(fixtures.MockPatch(
            'oslo_utils.timeutils.utcnow',
            side_effect=lambda with_timezone=False: self.now))
        self.useFixture(fixtures.MockPatch(
            'time.time', side_effect=lambda: (
                calendar.timegm(self.now.utctimetuple())
                + self.now.microsecond / 1e6)))

    def advance(self, seconds):
        self.now += datetime.timedelta(seconds=seconds)


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
        return deployment, url, self.signal_url(url, deployment['id'])

    def assertAllow(self, response, *methods):
        self.assertEqual(sorted(methods),
                         sorted(response.headers['Allow'].split(', ')))

    def credential(self, server_id=SERVER):
        return agents.get(self.context, server_id)


class TestServerAgents(AgentTestCase):

    def test_create(self):
        response = self.post('/server_agents/' + SERVER, None, status=200)
        body = response.json
        self.assertEqual(['server_agent'], list(body))
        agent = body['server_agent']
        self.assertEqual({'server_id', 'metadata_url', 'created_at'},
                         set(agent))
        self.assertEqual(SERVER, agent['server_id'])
        self.assertTrue(agent['metadata_url'].startswith(
            'http://localhost/agent/v1/metadata/'), agent)
        self.assertRegex(path_of(agent['metadata_url']), METADATA_PATH)
        self.assertRegex(agent['created_at'],
                         r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$')

    def test_create_uses_request_host(self):
        headers = self.headers(Host='agents.example.org:8019')
        response = self.post('/server_agents/' + SERVER, None, status=200,
                             headers=headers)
        url = response.json['server_agent']['metadata_url']
        self.assertTrue(url.startswith(
            'http://agents.example.org:8019/agent/v1/metadata/'), url)

    def test_public_endpoint(self):
        self.config(public_endpoint='https://deploy.example.com/base/',
                    group='api')
        deployment = self.create_deployment()
        url = self.rotate()
        prefix = 'https://deploy.example.com/base/agent/v1/'
        self.assertTrue(url.startswith(prefix + 'metadata/'), url)
        self.assertEqual(url, self.get('/server_agents/' + SERVER,
                                       status=200).json['server_agent'][
                                           'metadata_url'])
        # The document's own URLs use it too (the path is what routes).
        doc = self.document(url)
        self.assertEqual(url, doc['os-collect-config']['request'][
            'metadata_url'])
        signal_url = self.signal_url(url, deployment['id'])
        self.assertTrue(signal_url.startswith(prefix + 'signal/%s/' %
                                              deployment['id']), signal_url)

    def test_show_before_create(self):
        self.assertError(self.get('/server_agents/' + SERVER), 404,
                         'NotFound', 'No agent URL for server %s' % SERVER)

    def test_show_after_create(self):
        url = self.rotate()
        body = self.get('/server_agents/' + SERVER, status=200).json
        self.assertEqual(url, body['server_agent']['metadata_url'])
        self.assertEqual(SERVER, body['server_agent']['server_id'])
        self.assertEqual(url, self.get('/server_agents/' + SERVER,
                                       status=200).json['server_agent'][
                                           'metadata_url'])

    def test_rotate_revokes_old_metadata_url(self):
        old = self.rotate()
        old_body = self.poll(old).body
        new = self.rotate()
        self.assertNotEqual(old, new)
        self.assertError(self.poll(old, status=404), 404, 'NotFound',
                         NOT_FOUND)
        self.assertEqual(404, self.poll(old, status=404,
                                        method='HEAD').status_int)
        doc = self.document(new)
        self.assertEqual(new, doc['os-collect-config']['request'][
            'metadata_url'])
        self.assertNotEqual(old_body, self.poll(new).body)
        self.assertEqual(new, self.get('/server_agents/' + SERVER,
                                       status=200).json['server_agent'][
                                           'metadata_url'])

    def test_rotate_revokes_old_signal_urls(self):
        deployment, old, old_signal = self.setup_signal()
        new = self.rotate()
        new_signal = self.signal_url(new, deployment['id'])
        self.assertNotEqual(old_signal, new_signal)
        self.assertError(self.signal(old_signal, {}, status=404), 404,
                         'NotFound')
        self.assertEqual(deployment, self.show_deployment(deployment['id']))
        self.assertEqual('COMPLETE', self.signal(new_signal, {})['status'])

    def test_delete(self):
        deployment, url, signal_url = self.setup_signal()
        response = self.delete('/server_agents/' + SERVER, status=204)
        self.assertEqual(b'', response.body)
        self.assertError(self.poll(url, status=404), 404, 'NotFound',
                         NOT_FOUND)
        self.assertError(self.signal(signal_url, {}, status=404), 404,
                         'NotFound')
        self.assertEqual(deployment, self.show_deployment(deployment['id']))
        self.assertError(self.get('/server_agents/' + SERVER), 404,
                         'NotFound', 'No agent URL for server %s' % SERVER)
        self.assertError(self.delete('/server_agents/' + SERVER), 404,
                         'NotFound', 'No agent URL for server %s' % SERVER)

    def test_create_after_delete_gives_a_new_url(self):
        old = self.rotate()
        self.delete('/server_agents/' + SERVER, status=204)
        new = self.rotate()
        self.assertNotEqual(old, new)
        self.poll(old, status=404)
        self.poll(new, status=200)

    def test_servers_have_distinct_urls(self):
        first = self.create_deployment()
        second = self.create_deployment(server_id=OTHER_SERVER)
        url, other = self.rotate(), self.rotate(OTHER_SERVER)
        self.assertNotEqual(url, other)
        self.item(url, first['id'])
        self.item(other, second['id'])
        self.assertEqual(1, len(self.document(url)['deployments']))
        self.assertEqual(1, len(self.document(other)['deployments']))

    def test_other_project_cannot_see_or_delete(self):
        url = self.rotate()
        path = '/server_agents/' + SERVER
        other = self.headers(project_id=OTHER_PROJECT)
        self.assertError(self.get(path, project_id=OTHER_PROJECT,
                                  headers=other),
                         404, 'NotFound')
        self.assertError(self.delete(path, project_id=OTHER_PROJECT,
                                     headers=other),
                         404, 'NotFound')
        self.poll(url, status=200)
        # Its own URL for the same server id is another credential.
        theirs = self.rotate(project_id=OTHER_PROJECT)
        self.assertNotEqual(url, theirs)
        self.poll(url, status=200)
        self.assertEqual(url, self.get(path, status=200).json[
            'server_agent']['metadata_url'])

    def test_other_tenant_in_url_is_forbidden(self):
        response = self.get('/server_agents/' + SERVER,
                            project_id=OTHER_PROJECT,
                            headers=self.headers())
        self.assertIn(response.status_int, (403, 404), response.text)

    def test_method_not_allowed(self):
        response = self.put('/server_agents/' + SERVER, {})
        self.assertError(response, 405, 'HTTPMethodNotAllowed')
        self.assertAllow(response, 'GET', 'POST', 'DELETE')


@ddt.ddt
class TestServerAgentsPolicy(AgentTestCase):

    @ddt.data('GET', 'POST', 'DELETE')
    def test_reader_is_forbidden(self, method):
        self.rotate()
        response = self.request(method, self.url('/server_agents/' + SERVER),
                                headers=self.headers(roles='reader'))
        self.assertError(response, 403, 'Forbidden')

    @ddt.data('GET', 'POST', 'DELETE')
    def test_no_role_is_forbidden(self, method):
        response = self.request(method, self.url('/server_agents/' + SERVER),
                                headers=self.headers(roles=''))
        self.assertError(response, 403, 'Forbidden')

    def test_reader_does_not_rotate(self):
        url = self.rotate()
        self.request('POST', self.url('/server_agents/' + SERVER),
                     headers=self.headers(roles='reader'), status=403)
        self.poll(url, status=200)


@ddt.ddt
class TestMetadataAccess(AgentTestCase):

    def setUp(self):
        super().setUp()
        self.deployment = self.create_deployment()
        self.md_url = self.rotate()
        credential_id, self.mac = path_of(self.md_url).split('/')[-2:]
        self.base = self.md_url[:-len(self.mac)]
        self.credential_id = credential_id

    def test_no_identity_needed(self):
        response = self.agent('GET', self.md_url, status=200, headers={})
        self.assertEqual(1, len(response.json['deployments']))

    @ddt.data({'X-Project-Id': OTHER_PROJECT, 'X-Roles': 'admin'},
              {'X-Project-Id': test_base.PROJECT, 'X-Roles': ''},
              {'X-Roles': 'reader', 'X-User-Id': 'someone'},
              {'X-Auth-Token': 'garbage'})
    def test_identity_headers_ignored(self, headers):
        expected = self.poll(self.md_url).body
        response = self.agent('GET', self.md_url, status=200, headers=headers)
        self.assertEqual(expected, response.body)

    def test_wrong_mac(self):
        self.assertError(self.poll(self.base + other_mac(self.mac),
                                   status=404), 404, 'NotFound', NOT_FOUND)

    @ddt.data('x', 'not-a-mac', 'é', '0' * 64)
    def test_malformed_mac(self, mac):
        url = self.base + urllib.parse.quote(mac)
        self.assertError(self.poll(url, status=404), 404, 'NotFound',
                         NOT_FOUND)

    def test_no_mac(self):
        self.assertError(self.poll(self.base.rstrip('/'), status=404), 404,
                         'HTTPNotFound')

    def test_unknown_credential(self):
        url = self.md_url.replace(self.credential_id,
                                  '00000000-0000-4000-8000-000000000000')
        self.assertError(self.poll(url, status=404), 404, 'NotFound',
                         NOT_FOUND)

    def test_mac_of_another_purpose(self):
        secret = self.credential().secret
        mac = tokens.mac(secret, tokens.SIGNAL, self.credential_id)
        self.assertError(self.poll(self.base + mac, status=404), 404,
                         'NotFound', NOT_FOUND)

    def test_mac_of_another_credential(self):
        other = self.rotate(OTHER_SERVER)
        other_mac_ = path_of(other).split('/')[-1]
        self.assertError(self.poll(self.base + other_mac_, status=404), 404,
                         'NotFound', NOT_FOUND)

    def test_extra_path_segment(self):
        self.assertEqual(404, self.poll(self.md_url + '/extra',
                                        status=404).status_int)

    @ddt.data('PUT', 'POST', 'DELETE', 'PATCH')
    def test_method_not_allowed(self, method):
        response = self.agent(method, self.md_url, status=405)
        self.assertError(response, 405, 'HTTPMethodNotAllowed')
        self.assertAllow(response, 'GET', 'HEAD')


@ddt.ddt
class TestMetadataDocument(AgentTestCase):

    def test_empty_document(self):
        url = self.rotate()
        response = self.poll(url)
        self.assertEqual('application/json', response.content_type)
        self.assertEqual('no-cache', response.headers['Cache-Control'])
        self.assertEqual({'deployments': [], 'os-collect-config': {
            'collectors': ['request', 'local'],
            'request': {'metadata_url': url}}}, response.json)

    def test_item(self):
        config = self.create_config()
        deployment = self.create_deployment(
            config['id'], input_values={'foo': 'FOO', 'extra': 3})
        url = self.rotate()
        doc = self.document(url)
        self.assertEqual(['deployments', 'os-collect-config'], list(doc))
        [item] = doc['deployments']
        self.assertEqual(ITEM_KEYS, list(item))
        for key in ('name', 'group', 'config', 'outputs', 'options',
                    'creation_time'):
            self.assertEqual(config[key], item[key], key)
        self.assertNotIn(item['id'], (config['id'], deployment['id']))
        self.assertEqual(
            [{'name': 'foo', 'type': 'String', 'value': 'FOO'},
             {'name': 'bar', 'type': 'String', 'default': 'dflt',
              'value': 'dflt'},
             {'name': 'extra', 'type': 'String', 'value': 3}],
            [i for i in item['inputs']
             if i['name'] not in DEPLOY_INPUTS])
        deploy = dict((i['name'], i) for i in item['inputs']
                      if i['name'] in DEPLOY_INPUTS)
        self.assertEqual(sorted(DEPLOY_INPUTS), sorted(deploy))
        values = dict((name, i['value']) for name, i in deploy.items())
        signal_url = values.pop('deploy_signal_id')
        self.assertEqual({'deploy_server_id': SERVER,
                          'deploy_action': 'CREATE',
                          'deploy_signal_transport': 'TEMP_URL_SIGNAL',
                          'deploy_signal_verb': 'PUT'}, values)
        self.assertTrue(signal_url.startswith('http://localhost/'))
        self.assertEqual(deployment['id'],
                         SIGNAL_PATH.match(path_of(signal_url)).group(1))
        for i in deploy.values():
            self.assertEqual('String', i['type'])
            self.assertTrue(i['description'])

    def test_every_input_has_a_value(self):
        config = self.create_config(inputs=[
            {'name': 'a', 'type': 'String'},
            {'name': 'b', 'type': 'Number', 'default': 2},
            {'name': 'c', 'type': 'Json', 'default': {'k': 'v'}}])
        self.create_deployment(config['id'], input_values={'a': 'x'})
        self.create_deployment(self.create_config(inputs=[])['id'])
        url = self.rotate()
        for item in self.document(url)['deployments']:
            for i in item['inputs']:
                self.assertIn('value', i, i)
        first = self.document(url)['deployments'][0]
        self.assertEqual(['x', 2, {'k': 'v'}],
                         [self.value(first, n) for n in 'abc'])

    def test_deploy_action_follows_the_deployment(self):
        deployment = self.create_deployment(action='UPDATE')
        url = self.rotate()
        self.assertEqual('UPDATE', self.value(
            self.item(url, deployment['id']), 'deploy_action'))

    def test_only_this_projects_server(self):
        mine = self.create_deployment()
        self.create_deployment(server_id=OTHER_SERVER)
        self.create_deployment(project_id=OTHER_PROJECT)
        url = self.rotate()
        doc = self.document(url)
        self.assertEqual(1, len(doc['deployments']))
        self.item(url, mine['id'])
        theirs = self.rotate(project_id=OTHER_PROJECT)
        self.assertEqual(1, len(self.document(theirs)['deployments']))

    def test_order_like_the_metadata_endpoint(self):
        for name in ('b', 'a', None, 'c', 'a'):
            self.create_deployment(self.create_config(
                name=name, config='run %s' % name)['id'])
        url = self.rotate()
        served = [(i['name'], i['config'], i['creation_time'])
                  for i in self.document(url)['deployments']]
        listed = [(c['name'], c['config'], c['creation_time'])
                  for c in self.get('/software_deployments/metadata/' +
                                    SERVER, status=200).json['metadata']]
        self.assertEqual(listed, served)
        self.assertEqual([None, 'a', 'a', 'b', 'c'],
                         [name for name, _, _ in served])

    def test_byte_identical_across_polls(self):
        for name in ('one', 'two'):
            self.create_deployment(self.create_config(name=name)['id'],
                                   input_values={'foo': name, 'z': 1,
                                                 'a': [1, 2]})
        url = self.rotate()
        first = self.poll(url)
        # Changes elsewhere do not touch this server's document.
        self.create_deployment(server_id=OTHER_SERVER)
        self.create_deployment(project_id=OTHER_PROJECT)
        second = self.poll(url)
        self.assertEqual(first.body, second.body)
        self.assertEqual(first.headers['ETag'], second.headers['ETag'])
        self.assertEqual(first.body, self.poll(url).body)

    def test_etag_is_strong_and_stable(self):
        self.create_deployment()
        url = self.rotate()
        etag = self.poll(url).headers['ETag']
        self.assertRegex(etag, r'^"[0-9a-f]{32}"$')
        self.assertEqual(etag, self.poll(url).headers['ETag'])
        self.assertEqual(etag, self.poll(url, method='HEAD').headers['ETag'])

    def test_etag_depends_on_the_url(self):
        url = self.rotate()
        etag = self.poll(url).headers['ETag']
        response = self.poll(url, Host='agents.example.org')
        self.assertNotEqual(etag, response.headers['ETag'])
        self.assertTrue(response.json['os-collect-config']['request'][
            'metadata_url'].startswith('http://agents.example.org/'))
        self.assertEqual(etag, self.poll(url).headers['ETag'])

    def _change(self, change):
        """Apply a named change to the server's only deployment."""
        deployment_id = self.deployment['id']
        if change == 'create':
            self.create_deployment()
        elif change == 'delete':
            self.delete('/software_deployments/' + deployment_id,
                        status=204)
        elif change == 'config_id':
            self.update_deployment(deployment_id, {
                'config_id': self.create_config(name='cfg')['id']})
        elif change == 'input_values':
            self.update_deployment(deployment_id,
                                   {'input_values': {'foo': 'new'}})
        elif change == 'action':
            self.update_deployment(deployment_id, {'action': 'UPDATE'})
        elif change == 'status':
            self.update_deployment(deployment_id, {'status': 'COMPLETE'})
        elif change == 'status_reason':
            self.update_deployment(deployment_id,
                                   {'status_reason': 'something'})
        elif change == 'output_values':
            self.update_deployment(deployment_id,
                                   {'output_values': {'result': 'x'}})
        elif change == 'same_input_values':
            self.update_deployment(deployment_id,
                                   {'input_values': {'foo': 'old'}})
        elif change == 'same_action':
            self.update_deployment(deployment_id, {'action': 'CREATE'})
        elif change == 'signal':
            self.signal(self.signal_url(self.md_url, deployment_id),
                        {'result': 'x', 'deploy_status_code': 0})
        elif change == 'ignored_signal':
            signal_url = self.signal_url(self.md_url, deployment_id)
            self.signal(signal_url, {})
            self.signal(signal_url, {'deploy_status_code': 1})
        elif change == 'other_server':
            self.create_deployment(server_id=OTHER_SERVER)
            self.rotate(OTHER_SERVER)
        else:
            raise AssertionError(change)

    def _setup_change(self):
        self.deployment = self.create_deployment(
            input_values={'foo': 'old'})
        self.md_url = self.rotate()
        return self.poll(self.md_url)

    @ddt.data('create', 'delete', 'config_id', 'input_values', 'action')
    def test_document_changes(self, change):
        before = self._setup_change()
        self._change(change)
        after = self.poll(self.md_url)
        self.assertNotEqual(before.headers['ETag'], after.headers['ETag'])
        self.assertNotEqual(before.body, after.body)
        self.poll(self.md_url, status=200,
                  **{'If-None-Match': before.headers['ETag']})
        self.poll(self.md_url, status=304,
                  **{'If-None-Match': after.headers['ETag']})

    @ddt.data('status', 'status_reason', 'output_values',
              'same_input_values', 'same_action', 'signal',
              'ignored_signal', 'other_server')
    def test_document_unchanged(self, change):
        before = self._setup_change()
        self._change(change)
        after = self.poll(self.md_url)
        self.assertEqual(before.headers['ETag'], after.headers['ETag'])
        self.assertEqual(before.body, after.body)
        self.poll(self.md_url, status=304,
                  **{'If-None-Match': before.headers['ETag']})

    def test_etag_changes_with_rotation(self):
        self.create_deployment()
        old = self.rotate()
        etag = self.poll(old).headers['ETag']
        new = self.rotate()
        self.assertNotEqual(etag, self.poll(new).headers['ETag'])
        self.poll(new, status=200, **{'If-None-Match': etag})


@ddt.ddt
class TestConditionalGet(AgentTestCase):

    def setUp(self):
        super().setUp()
        # A frozen clock, past the second of the change: Last-Modified is
        # announced and stays the same in every response of the test.
        clock = self.useFixture(Clock(T0))
        self.create_deployment()
        self.md_url = self.rotate()
        clock.advance(1)
        self.full = self.poll(self.md_url)
        self.assertEqual('Wed, 04 Mar 2026 05:06:07 GMT',
                         self.full.headers['Last-Modified'])
        self.etag = self.full.headers['ETag']

    @ddt.data('GET', 'HEAD')
    def test_if_none_match(self, method):
        response = self.poll(self.md_url, status=304, method=method,
                             **{'If-None-Match': self.etag})
        self.assertEqual(b'', response.body)
        self.assertEqual(self.etag, response.headers['ETag'])
        self.assertEqual('no-cache', response.headers['Cache-Control'])
        self.assertEqual(self.full.headers['Last-Modified'],
                         response.headers['Last-Modified'])

    @ddt.data('"0123456789abcdef0123456789abcdef"', 'garbage', '""')
    def test_if_none_match_other(self, value):
        response = self.poll(self.md_url, status=200,
                             **{'If-None-Match': value})
        self.assertEqual(self.full.body, response.body)
        self.assertEqual(self.etag, response.headers['ETag'])

    def test_if_none_match_list(self):
        value = '"0123456789abcdef0123456789abcdef", %s' % self.etag
        response = self.poll(self.md_url, status=304,
                             **{'If-None-Match': value})
        self.assertEqual(b'', response.body)

    def test_if_none_match_weak_comparison(self):
        # RFC 9110 13.1.2: If-None-Match compares weakly.
        response = self.poll(self.md_url, status=304,
                             **{'If-None-Match': 'W/' + self.etag})
        self.assertEqual(b'', response.body)

    @ddt.data('GET', 'HEAD')
    def test_if_none_match_star(self, method):
        # RFC 9110 13.1.2: "*" is false when a representation exists.
        response = self.poll(self.md_url, status=304, method=method,
                             **{'If-None-Match': '*'})
        self.assertEqual(b'', response.body)
        self.assertEqual(self.etag, response.headers['ETag'])

    def test_if_none_match_wins_over_if_modified_since(self):
        # A date far in the future would match; the failing tag decides.
        response = self.poll(self.md_url, status=200, **{
            'If-None-Match': '"0123456789abcdef0123456789abcdef"',
            'If-Modified-Since': 'Fri, 01 Jan 2100 00:00:00 GMT'})
        self.assertEqual(self.full.body, response.body)

    def test_head(self):
        response = self.poll(self.md_url, method='HEAD')
        self.assertEqual(b'', response.body)
        for header in ('ETag', 'Content-Type', 'Cache-Control'):
            self.assertEqual(self.full.headers[header],
                             response.headers[header], header)
        self.assertEqual(self.full.headers['Last-Modified'],
                         response.headers['Last-Modified'])
        self.assertEqual(str(len(self.full.body)),
                         response.headers['Content-Length'])

    def test_head_wrong_mac(self):
        credential_id, mac = path_of(self.md_url).split('/')[-2:]
        response = self.poll(self.md_url[:-len(mac)] + other_mac(mac),
                             status=404, method='HEAD')
        self.assertEqual(b'', response.body)


class TestLastModified(AgentTestCase):
    """Last-Modified: withheld until the second of the last change is over.

    It has whole seconds only; a frozen clock, no sleeps.
    """

    def setUp(self):
        super().setUp()
        self.clock = self.useFixture(Clock(T0))

    def _since(self, when, status, method='GET'):
        return self.poll(self.md_url, status=status, method=method,
                         **{'If-Modified-Since': http_date(when)})

    def test_withheld_during_the_second_of_the_change(self):
        self.md_url = self.rotate()
        self.clock.advance(0.7)
        response = self.poll(self.md_url)
        self.assertNotIn('Last-Modified', response.headers)
        # Without Last-Modified a date is not honoured.
        self._since(T0, 200)
        self._since(T0 + datetime.timedelta(days=1), 200)

    def test_announced_then_honoured(self):
        self.md_url = self.rotate()
        self.clock.advance(0.75)
        response = self.poll(self.md_url)
        self.assertEqual('Wed, 04 Mar 2026 05:06:07 GMT',
                         response.headers['Last-Modified'])
        not_modified = self._since(T0, 304)
        self.assertEqual(b'', not_modified.body)
        self.assertEqual(response.headers['ETag'],
                         not_modified.headers['ETag'])
        self.assertEqual(response.headers['Last-Modified'],
                         not_modified.headers['Last-Modified'])
        self._since(T0 + datetime.timedelta(hours=1), 304)
        self._since(T0, 304, method='HEAD')

    def test_older_date_is_modified(self):
        self.md_url = self.rotate()
        self.clock.advance(1)
        response = self._since(T0 - datetime.timedelta(seconds=1), 200)
        self.assertEqual(self.poll(self.md_url).body, response.body)

    def test_a_change_is_never_hidden(self):
        self.md_url = self.rotate()
        self.clock.advance(1)
        seen = self.poll(self.md_url)
        last_modified = seen.headers['Last-Modified']
        # A change in the very next second after the date was announced.
        self.clock.advance(0.1)
        self.create_deployment()
        response = self.poll(self.md_url,
                             **{'If-Modified-Since': last_modified})
        self.assertNotIn('Last-Modified', response.headers)
        self.assertNotEqual(seen.body, response.body)
        self.clock.advance(1)
        response = self.poll(self.md_url,
                             **{'If-Modified-Since': last_modified})
        self.assertEqual('Wed, 04 Mar 2026 05:06:08 GMT',
                         response.headers['Last-Modified'])
        self._since(T0 + datetime.timedelta(seconds=1), 304)

    def test_unchanged_keeps_its_date(self):
        deployment = self.create_deployment()
        self.md_url = self.rotate()
        self.clock.advance(5)
        self.update_deployment(deployment['id'], {'status': 'FAILED'})
        response = self.poll(self.md_url)
        self.assertEqual('Wed, 04 Mar 2026 05:06:07 GMT',
                         response.headers['Last-Modified'])

    def test_invalid_date_is_ignored(self):
        self.md_url = self.rotate()
        self.clock.advance(2)
        response = self.poll(self.md_url, status=200,
                             **{'If-Modified-Since': 'yesterday'})
        self.assertIn('deployments', response.json)

    def test_dates_are_utc_whatever_the_local_zone(self):
        # Five hours west of UTC (POSIX TZ syntax: no tz database needed).
        self.addCleanup(time.tzset)
        self.useFixture(fixtures.EnvironmentVariable('TZ', 'XST+05'))
        time.tzset()
        self.md_url = self.rotate()
        self.clock.advance(1)
        response = self.poll(self.md_url)
        self.assertEqual('Wed, 04 Mar 2026 05:06:07 GMT',
                         response.headers.get('Last-Modified'))
        self._since(T0, 304)
        self._since(T0 - datetime.timedelta(seconds=1), 200)


@ddt.ddt
class TestServedId(AgentTestCase):
    """An item's id changes exactly when what the agent must run changes.

    55-heat-config skips ids it has already deployed.
    """

    def setUp(self):
        super().setUp()
        self.deployment = self.create_deployment(input_values={'foo': 'a'})
        self.other = self.create_deployment()
        self.md_url = self.rotate()

    def served_id(self, deployment_id=None):
        return self.item(self.md_url, deployment_id or self.deployment['id'])[
            'id']

    @ddt.data({'config_id': None}, {'input_values': {'foo': 'b'}},
              {'input_values': {'foo': 'a', 'more': 1}},
              {'action': 'UPDATE'},
              {'action': 'UPDATE', 'status': 'IN_PROGRESS'})
    def test_changes(self, body):
        before, other = self.served_id(), self.served_id(self.other['id'])
        if 'config_id' in body:
            body = {'config_id': self.create_config(name='cfg')['id']}
        self.update_deployment(self.deployment['id'], body)
        self.assertNotEqual(before, self.served_id())
        self.assertEqual(other, self.served_id(self.other['id']))

    @ddt.data({'status': 'COMPLETE'}, {'status_reason': 'x'},
              {'output_values': {'result': 1}},
              {'input_values': {'foo': 'a'}}, {'action': 'CREATE'})
    def test_stays(self, body):
        before = self.served_id()
        self.update_deployment(self.deployment['id'], body)
        self.assertEqual(before, self.served_id())

    def test_stays_after_signals_and_rotation(self):
        before = self.served_id()
        self.signal(self.signal_url(self.md_url, self.deployment['id']),
                    {'deploy_status_code': 0})
        self.md_url = self.rotate()
        self.assertEqual(before, self.served_id())

    def test_distinct_per_deployment(self):
        config_id = self.deployment['config_id']
        twin = self.create_deployment(config_id, input_values={'foo': 'a'})
        ids = [self.served_id(d) for d in (self.deployment['id'],
                                           twin['id'], self.other['id'])]
        self.assertEqual(3, len(set(ids)))

    def test_reverted_change_gets_a_fresh_id(self):
        # The agent has deployed the first id; after foo=b and back to
        # foo=a it must run foo=a again, so it needs an id it never saw.
        seen = [self.served_id()]
        for foo in ('b', 'a'):
            self.update_deployment(self.deployment['id'],
                                   {'input_values': {'foo': foo}})
            served = self.served_id()
            self.assertNotIn(served, seen)
            seen.append(served)


@ddt.ddt
class TestSignals(AgentTestCase):

    def test_success(self):
        deployment, _, url = self.setup_signal()
        details = {'result': 'ok', 'deploy_stdout': 'out',
                   'deploy_stderr': 'err', 'deploy_status_code': 0}
        body = self.signal(url, details)
        self.assertEqual({'status': 'COMPLETE', 'applied': True,
                          'event': 'deployment %s succeeded' %
                          deployment['id']}, body)
        shown = self.show_deployment(deployment['id'])
        self.assertEqual('COMPLETE', shown['status'])
        self.assertEqual('Outputs received', shown['status_reason'])
        self.assertEqual(details, shown['output_values'])
        self.assertIn('updated_time', shown)
        for key in ('config_id', 'input_values', 'action', 'server_id',
                    'creation_time'):
            self.assertEqual(deployment[key], shown[key])

    @ddt.data('PUT', 'POST')
    def test_methods(self, method):
        deployment, _, url = self.setup_signal()
        body = self.signal(url, {'deploy_status_code': 3}, method=method)
        self.assertEqual({'status': 'FAILED', 'applied': True,
                          'event': 'deployment %s failed (3)' %
                          deployment['id']}, body)
        self.assertEqual(CODE_REASON % 3, self.show_deployment(
            deployment['id'])['status_reason'])

    @ddt.data(0, '0', None, '', False, 0.0)
    def test_success_codes(self, code):
        deployment, _, url = self.setup_signal()
        body = self.signal(url, {'deploy_status_code': code})
        self.assertEqual('COMPLETE', body['status'])
        shown = self.show_deployment(deployment['id'])
        self.assertEqual(('COMPLETE', 'Outputs received'),
                         (shown['status'], shown['status_reason']))
        self.assertEqual(dict(STANDARD_NULLS, deploy_status_code=code),
                         shown['output_values'])

    @ddt.data((1, '1'), ('1', '1'), (-1, '-1'), (True, 'True'),
              ('127', '127'), ('00', '00'), ('false', 'false'),
              (2.5, '2.5'))
    @ddt.unpack
    def test_failure_codes(self, code, text):
        deployment, _, url = self.setup_signal()
        body = self.signal(url, {'deploy_status_code': code})
        self.assertEqual({'status': 'FAILED', 'applied': True,
                          'event': 'deployment %s failed (%s)' % (
                              deployment['id'], text)}, body)
        shown = self.show_deployment(deployment['id'])
        self.assertEqual('FAILED', shown['status'])
        self.assertEqual(CODE_REASON % text, shown['status_reason'])
        self.assertEqual(code, shown['output_values']['deploy_status_code'])

    @ddt.data(('boom', 'err : boom'), (None, 'err : None'),
              ('', 'err : '), (0, 'err : 0'),
              ({'a': 1}, "err : {'a': 1}"), ([1, 'x'], "err : [1, 'x']"))
    @ddt.unpack
    def test_error_output_present_fails(self, value, reason):
        deployment, _, url = self.setup_signal()
        body = self.signal(url, {'err': value, 'deploy_status_code': 0})
        self.assertEqual({'status': 'FAILED', 'applied': True,
                          'event': 'deployment %s failed' %
                          deployment['id']}, body)
        shown = self.show_deployment(deployment['id'])
        self.assertEqual(('FAILED', reason),
                         (shown['status'], shown['status_reason']))
        self.assertEqual(dict(STANDARD_NULLS, err=value,
                              deploy_status_code=0), shown['output_values'])

    def test_code_and_error_output(self):
        # Heat: the status code's reason first; the event of the error
        # output (no code) wins.
        deployment, _, url = self.setup_signal()
        body = self.signal(url, {'err': 'boom', 'deploy_status_code': 4})
        self.assertEqual('deployment %s failed' % deployment['id'],
                         body['event'])
        self.assertEqual(CODE_REASON % 4 + ', err : boom',
                         self.show_deployment(deployment['id'])[
                             'status_reason'])

    def test_several_error_outputs_in_declared_order(self):
        config = self.create_config(outputs=[
            {'name': 'e2', 'error_output': True},
            {'name': 'ok'},
            {'name': 'e1', 'error_output': True}])
        deployment, _, url = self.setup_signal(config_id=config['id'])
        self.signal(url, {'e1': 'one', 'e2': 'two', 'ok': 'fine'})
        shown = self.show_deployment(deployment['id'])
        self.assertEqual('e2 : two, e1 : one', shown['status_reason'])
        self.assertEqual(dict(STANDARD_NULLS, e1='one', e2='two', ok='fine'),
                         shown['output_values'])

    def test_error_output_false_does_not_fail(self):
        config = self.create_config(outputs=[
            {'name': 'warn', 'error_output': False}])
        deployment, _, url = self.setup_signal(config_id=config['id'])
        self.assertEqual('COMPLETE', self.signal(url, {'warn': 'x'})[
            'status'])

    def test_merges_into_existing_output_values(self):
        deployment, _, url = self.setup_signal()
        self.update_deployment(deployment['id'], {
            'output_values': {'result': 'old', 'keep': 1,
                              'deploy_stdout': 'previous'}})
        self.signal(url, {'deploy_stderr': 'e'})
        self.assertEqual({'result': 'old', 'keep': 1, 'deploy_stdout': None,
                          'deploy_stderr': 'e', 'deploy_status_code': None},
                         self.show_deployment(deployment['id'])[
                             'output_values'])

    def test_declared_output_overwrites(self):
        deployment, _, url = self.setup_signal()
        self.update_deployment(deployment['id'],
                               {'output_values': {'result': 'old'}})
        self.signal(url, {'result': None})
        self.assertEqual(dict(STANDARD_NULLS, result=None),
                         self.show_deployment(deployment['id'])[
                             'output_values'])

    def test_undeclared_keys_dropped(self):
        deployment, _, url = self.setup_signal()
        self.signal(url, {'result': 'r', 'extra': 1, 'deploy_other': 'x',
                          'deploy_status_code': 0})
        self.assertEqual(dict(STANDARD_NULLS, result='r',
                              deploy_status_code=0),
                         self.show_deployment(deployment['id'])[
                             'output_values'])

    def test_config_without_outputs(self):
        config = self.create_config(outputs=None)
        deployment, _, url = self.setup_signal(config_id=config['id'])
        self.signal(url, {'result': 'r', 'deploy_stdout': 'o'})
        self.assertEqual(dict(STANDARD_NULLS, deploy_stdout='o'),
                         self.show_deployment(deployment['id'])[
                             'output_values'])

    @ddt.data(b'', b'  \n', b'{}')
    def test_empty_body_is_an_empty_object(self, raw):
        deployment, _, url = self.setup_signal()
        body = self.signal(url, raw)
        self.assertEqual('COMPLETE', body['status'])
        shown = self.show_deployment(deployment['id'])
        self.assertEqual(STANDARD_NULLS, shown['output_values'])
        self.assertEqual('Outputs received', shown['status_reason'])
        self.assertEqual({}, self.events(deployment['id'])[0]['details'])

    def test_no_content_type(self):
        deployment, _, url = self.setup_signal()
        response = self.request('PUT', path_of(url), headers={},
                                body=b'{"deploy_status_code": 0}',
                                content_type='', status=200)
        self.assertEqual('COMPLETE', response.json['status'])

    @ddt.data(b'[]', b'"text"', b'null', b'1', b'not json', b'{bad',
              b'{"a": NaN}')
    def test_non_object_body(self, raw):
        deployment, _, url = self.setup_signal()
        response = self.signal(url, raw, status=400)
        self.assertError(response, 400, 'HTTPBadRequest')
        self.assertEqual(deployment, self.show_deployment(deployment['id']))
        self.assertEqual(1, len(self.events(deployment['id'])))

    def test_body_too_large(self):
        self.config(max_json_body_size=512)
        deployment, _, url = self.setup_signal()
        raw = json.dumps({'deploy_stdout': 'x' * 600}).encode()
        response = self.signal(url, raw, status=400)
        self.assertError(response, 400, 'RequestLimitExceeded',
                         'Request limit exceeded: JSON body size (%d bytes) '
                         'exceeds maximum allowed size (512 bytes).'
                         % len(raw))
        self.assertEqual(deployment, self.show_deployment(deployment['id']))
        self.assertEqual(1, len(self.events(deployment['id'])))

    def test_large_details_are_trimmed_in_the_history(self):
        deployment, _, url = self.setup_signal()
        details = {'deploy_stdout': 'x' * 70000}
        self.signal(url, details)
        shown = self.show_deployment(deployment['id'])
        self.assertEqual('x' * 70000, shown['output_values']['deploy_stdout'])
        event = self.events(deployment['id'])[0]
        self.assertEqual({'truncated': True,
                          'size': len(json.dumps(details))},
                         event['details'])

    def test_no_identity_needed_and_identity_ignored(self):
        deployment, _, url = self.setup_signal()
        headers = {'X-User-Id': 'intruder', 'X-Project-Id': OTHER_PROJECT,
                   'X-Roles': 'admin'}
        self.signal(url, {}, headers=headers)
        self.assertEqual('agent', self.events(deployment['id'])[0]['actor'])

    @ddt.data('COMPLETE', 'FAILED')
    def test_not_in_progress(self, status):
        deployment, _, url = self.setup_signal()
        before = self.update_deployment(deployment['id'], {
            'status': status, 'status_reason': 'done by hand',
            'output_values': {'result': 'kept'}})
        details = {'result': 'late', 'deploy_status_code': 1}
        body = self.signal(url, details)
        self.assertEqual({'status': status, 'applied': False}, body)
        self.assertEqual(before, self.show_deployment(deployment['id']))
        event = self.events(deployment['id'])[0]
        self.assertEqual({'source': 'signal', 'actor': 'agent',
                          'status_from': status, 'status_to': status,
                          'applied': False,
                          'reason': 'Ignored: the deployment is %s, not '
                                    'IN_PROGRESS.' % status,
                          'details': details},
                         dict((k, event[k]) for k in EVENT_KEYS
                              if k not in ('id', 'deployment_id', 'time')))

    def test_duplicate_signal_is_ignored_but_recorded(self):
        deployment, _, url = self.setup_signal()
        self.signal(url, {'result': 'first'})
        done = self.show_deployment(deployment['id'])
        body = self.signal(url, {'result': 'second', 'err': 'x'},
                           method='POST')
        self.assertEqual({'status': 'COMPLETE', 'applied': False}, body)
        self.assertEqual(done, self.show_deployment(deployment['id']))
        events = self.events(deployment['id'])
        self.assertEqual([False, True, True],
                         [e['applied'] for e in events])
        self.assertEqual({'result': 'second', 'err': 'x'},
                         events[0]['details'])

    def test_without_status_is_ignored(self):
        deployment, _, url = self.setup_signal(status=None,
                                               status_reason=None)
        body = self.signal(url, {'deploy_status_code': 0})
        self.assertEqual({'status': None, 'applied': False}, body)
        self.assertEqual(deployment, self.show_deployment(deployment['id']))
        [event] = self.events(deployment['id'])
        self.assertEqual((None, None, False), (
            event['status_from'], event['status_to'], event['applied']))
        self.assertEqual('Ignored: the deployment is without a status, not '
                         'IN_PROGRESS.', event['reason'])

    def test_wrong_mac(self):
        deployment, _, url = self.setup_signal()
        mac = url.rsplit('/', 1)[1]
        response = self.signal(url[:-len(mac)] + other_mac(mac), {},
                               status=404)
        self.assertError(response, 404, 'NotFound',
                         'Deployment with id %s not found' % deployment['id'])
        self.assertEqual(deployment, self.show_deployment(deployment['id']))
        self.assertEqual(1, len(self.events(deployment['id'])))

    def test_metadata_mac_is_not_a_signal_mac(self):
        deployment, _, url = self.setup_signal()
        secret = self.credential().secret
        mac = tokens.mac(secret, tokens.METADATA, deployment['id'])
        self.signal(url.rsplit('/', 1)[0] + '/' + mac, {}, status=404)
        self.assertEqual(deployment, self.show_deployment(deployment['id']))

    def test_unknown_deployment(self):
        self.setup_signal()
        unknown = '00000000-0000-4000-8000-000000000000'
        mac = tokens.mac(self.credential().secret, tokens.SIGNAL, unknown)
        response = self.signal('/agent/v1/signal/%s/%s' % (unknown, mac), {},
                               status=404)
        self.assertError(response, 404, 'NotFound',
                         'Deployment with id %s not found' % unknown)

    def test_mac_of_another_deployment(self):
        first, url, first_signal = self.setup_signal()
        second = self.create_deployment()
        mac = first_signal.rsplit('/', 1)[1]
        self.signal('/agent/v1/signal/%s/%s' % (second['id'], mac), {},
                    status=404)
        self.assertEqual(second, self.show_deployment(second['id']))

    def test_other_projects_deployment_on_the_same_server(self):
        # A project's credential never signs another project's deployment.
        self.rotate()
        theirs = self.create_deployment(project_id=OTHER_PROJECT)
        mac = tokens.mac(self.credential().secret, tokens.SIGNAL,
                         theirs['id'])
        self.signal('/agent/v1/signal/%s/%s' % (theirs['id'], mac), {},
                    status=404)
        self.assertEqual(theirs, self.show_deployment(
            theirs['id'], project_id=OTHER_PROJECT))

    def test_server_without_agent_url(self):
        deployment = self.create_deployment()
        self.rotate(OTHER_SERVER)
        mac = tokens.mac(self.credential(OTHER_SERVER).secret, tokens.SIGNAL,
                         deployment['id'])
        self.signal('/agent/v1/signal/%s/%s' % (deployment['id'], mac), {},
                    status=404)
        self.assertEqual(deployment, self.show_deployment(deployment['id']))

    @ddt.data('GET', 'DELETE', 'PATCH')
    def test_method_not_allowed(self, method):
        deployment, _, url = self.setup_signal()
        response = self.agent(method, url, status=405)
        self.assertError(response, 405, 'HTTPMethodNotAllowed')
        self.assertAllow(response, 'PUT', 'POST')
        self.assertEqual(deployment, self.show_deployment(deployment['id']))

    def test_extra_path_segment(self):
        deployment, _, url = self.setup_signal()
        self.signal(url + '/more', {}, status=404)
        self.assertEqual(deployment, self.show_deployment(deployment['id']))

    def test_deleted_deployment(self):
        deployment, _, url = self.setup_signal()
        self.delete('/software_deployments/' + deployment['id'], status=204)
        self.signal(url, {}, status=404)


@ddt.ddt
class TestEvents(AgentTestCase):

    def test_create_with_status(self):
        deployment = self.create_deployment()
        [event] = self.events(deployment['id'])
        self.assertEqual(EVENT_KEYS, set(event))
        self.assertIsInstance(event['id'], int)
        self.assertRegex(event['time'], r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$')
        del event['id'], event['time']
        self.assertEqual({'deployment_id': deployment['id'],
                          'source': 'api',
                          'actor': 'user-' + self.project_id[:8],
                          'status_from': None, 'status_to': 'IN_PROGRESS',
                          'applied': True,
                          'reason': 'Deploy data available',
                          'details': None}, event)

    def test_create_without_status(self):
        deployment = self.create_deployment(status=None, status_reason=None)
        self.assertEqual([], self.events(deployment['id']))

    def test_put_with_status(self):
        deployment = self.create_deployment()
        headers = self.headers(user_id='operator')
        self.put('/software_deployments/' + deployment['id'],
                 {'status': 'COMPLETE', 'status_reason': 'by hand'},
                 status=200, headers=headers)
        event = self.events(deployment['id'])[0]
        self.assertEqual(
            ('api', 'operator', 'IN_PROGRESS', 'COMPLETE', True, 'by hand',
             None),
            tuple(event[k] for k in ('source', 'actor', 'status_from',
                                     'status_to', 'applied', 'reason',
                                     'details')))

    def test_put_without_status(self):
        deployment = self.create_deployment()
        self.update_deployment(deployment['id'], {
            'output_values': {'a': 1}, 'status_reason': 'r',
            'input_values': {'foo': 'x'}})
        self.assertEqual(1, len(self.events(deployment['id'])))

    def test_signal(self):
        deployment, _, url = self.setup_signal()
        details = {'deploy_status_code': 2, 'deploy_stderr': 'bad'}
        self.signal(url, details)
        event = self.events(deployment['id'])[0]
        del event['id'], event['time']
        self.assertEqual({'deployment_id': deployment['id'],
                          'source': 'signal', 'actor': 'agent',
                          'status_from': 'IN_PROGRESS',
                          'status_to': 'FAILED', 'applied': True,
                          'reason': CODE_REASON % 2,
                          'details': details}, event)

    def test_newest_first(self):
        deployment, _, url = self.setup_signal()
        self.signal(url, {'n': 1})
        self.update_deployment(deployment['id'], {'status': 'IN_PROGRESS'})
        self.signal(url, {'n': 2})
        self.signal(url, {'n': 3})
        events = self.events(deployment['id'])
        self.assertEqual(
            [('signal', False, {'n': 3}), ('signal', True, {'n': 2}),
             ('api', True, None), ('signal', True, {'n': 1}),
             ('api', True, None)],
            [(e['source'], e['applied'], e['details']) for e in events])
        ids = [e['id'] for e in events]
        self.assertEqual(sorted(ids, reverse=True), ids)
        self.assertEqual(len(ids), len(set(ids)))

    def test_paging(self):
        deployment, _, url = self.setup_signal()
        for n in range(6):
            self.signal(url, {'n': n})
        everything = self.events(deployment['id'])
        self.assertEqual(7, len(everything))
        pages, marker = [], None
        while True:
            query = '?limit=3' + ('&marker=%d' % marker if marker else '')
            page = self.events(deployment['id'], query)
            if not page:
                break
            self.assertLessEqual(len(page), 3)
            pages.append(page)
            marker = page[-1]['id']
        self.assertEqual([3, 3, 1], [len(p) for p in pages])
        self.assertEqual(everything, [e for p in pages for e in p])

    def test_marker_alone(self):
        deployment, _, url = self.setup_signal()
        self.signal(url, {})
        everything = self.events(deployment['id'])
        self.assertEqual(everything[1:], self.events(
            deployment['id'], '?marker=%d' % everything[0]['id']))
        self.assertEqual([], self.events(
            deployment['id'], '?marker=%d' % everything[-1]['id']))

    def test_limit_capped_by_max_limit(self):
        self.config(max_limit=2, group='api')
        deployment, _, url = self.setup_signal()
        for _ in range(3):
            self.signal(url, {})
        self.assertEqual(2, len(self.events(deployment['id'])))
        self.assertEqual(2, len(self.events(deployment['id'], '?limit=50')))
        self.assertEqual(1, len(self.events(deployment['id'], '?limit=1')))

    @ddt.data(('marker', 'abc', "Only integer is acceptable by 'marker'."),
              ('limit', 'x', "Only integer is acceptable by 'limit'."),
              ('limit', '-1', "Value '-1' is invalid for 'limit' which only "
                              "accepts non-negative integer."),
              ('marker', '-3', "Value '-3' is invalid for 'marker' which "
                               "only accepts non-negative integer."))
    @ddt.unpack
    def test_bad_query(self, name, value, message):
        deployment = self.create_deployment()
        response = self.events(deployment['id'], '?%s=%s' % (name, value),
                               status=400)
        self.assertError(response, 400, 'HTTPBadRequest', message)

    def test_other_project(self):
        deployment = self.create_deployment(project_id=OTHER_PROJECT)
        response = self.events(deployment['id'], status=404)
        self.assertError(response, 404, 'NotFound',
                         'Deployment with id %s not found' % deployment['id'])
        self.assertEqual(1, len(self.events(deployment['id'],
                                            project_id=OTHER_PROJECT)))

    def test_unknown_deployment(self):
        self.assertError(self.events('nope', status=404), 404, 'NotFound',
                         'Deployment with id nope not found')

    def test_reader_may_read(self):
        deployment = self.create_deployment()
        events = self.events(deployment['id'],
                             headers=self.headers(roles='reader'))
        self.assertEqual(1, len(events))

    def test_no_role_is_forbidden(self):
        deployment = self.create_deployment()
        response = self.events(deployment['id'], status=403,
                               headers=self.headers(roles=''))
        self.assertError(response, 403, 'Forbidden')

    def test_admin_sees_other_projects(self):
        deployment = self.create_deployment(project_id=OTHER_PROJECT)
        events = self.events(deployment['id'],
                             headers=self.headers(roles='admin,member,reader'))
        self.assertEqual(deployment['id'], events[0]['deployment_id'])

    def test_deleted_deployment(self):
        deployment = self.create_deployment()
        self.delete('/software_deployments/' + deployment['id'], status=204)
        self.assertError(self.events(deployment['id'], status=404), 404,
                         'NotFound')
        with db_engine.get_engine().connect() as connection:
            self.assertEqual(0, connection.scalar(sa.select(sa.func.count())
                             .select_from(models.DeploymentEvent)))

    def test_method_not_allowed(self):
        deployment = self.create_deployment()
        response = self.post('/software_deployments/%s/events'
                             % deployment['id'], {})
        self.assertError(response, 405, 'HTTPMethodNotAllowed')
        self.assertAllow(response, 'GET')


class TestConcurrency(AgentTestCase):
    """Threads on one database: no signal and no event is lost."""

    threads = 6
    database_threads = True

    def setUp(self):
        super().setUp()
        # Not the in-memory SQLite that threads cannot share.
        self.assertNotEqual('sqlite://', str(self.db.engine.url))

    def run_threads(self, func):
        return utils.run_concurrently(self.threads, func)

    def put(self, url, details):
        """A signal from a thread (webtest apps are not shared)."""
        client = webtest.TestApp(self.app.app)
        response = client.put(path_of(url), json.dumps(details).encode(),
                              content_type='application/json',
                              expect_errors=True)
        return response.status_int, response.json

    def test_one_deployment(self):
        deployment, _, url = self.setup_signal()
        results = self.run_threads(
            lambda i: self.put(url, {'result': i, 'deploy_status_code': 0}))
        self.assertEqual(['ok'] * self.threads, [r[0] for r in results],
                         results)
        statuses = [r[1][0] for r in results]
        self.assertEqual([200] * self.threads, statuses, results)
        applied = [i for i, r in enumerate(results) if r[1][1]['applied']]
        self.assertEqual(1, len(applied), results)
        shown = self.show_deployment(deployment['id'])
        self.assertEqual('COMPLETE', shown['status'])
        self.assertEqual(applied[0], shown['output_values']['result'])
        events = self.events(deployment['id'])
        self.assertEqual(self.threads + 1, len(events))
        signals = [e for e in events if e['source'] == 'signal']
        self.assertEqual(list(range(self.threads)),
                         sorted(e['details']['result'] for e in signals))
        self.assertEqual(1, len([e for e in signals if e['applied']]))
        # Only the first one found it IN_PROGRESS: it is the oldest.
        self.assertTrue(signals[-1]['applied'])

    def test_many_deployments_of_one_server(self):
        deployments = [self.create_deployment()
                       for _ in range(self.threads)]
        url = self.rotate()
        etag = self.poll(url).headers['ETag']
        signal_urls = [self.signal_url(url, d['id']) for d in deployments]
        results = self.run_threads(
            lambda i: self.put(signal_urls[i], {'result': i}))
        self.assertEqual([('ok', (200, {'status': 'COMPLETE',
                                        'applied': True,
                                        'event': 'deployment %s succeeded'
                                        % d['id']}))
                          for d in deployments], results)
        for i, deployment in enumerate(deployments):
            shown = self.show_deployment(deployment['id'])
            self.assertEqual(('COMPLETE', i), (
                shown['status'], shown['output_values']['result']))
            self.assertEqual(2, len(self.events(deployment['id'])))
        self.assertEqual(etag, self.poll(url).headers['ETag'])

    def test_concurrent_first_rotations(self):
        deployment = self.create_deployment()

        def rotate(i):
            client = webtest.TestApp(self.app.app)
            response = client.post(self.url('/server_agents/' + SERVER),
                                   headers=self.headers(),
                                   expect_errors=True)
            return response.status_int, response.json

        results = self.run_threads(rotate)
        self.assertEqual(['ok'] * self.threads, [r[0] for r in results],
                         results)
        self.assertEqual([200] * self.threads, [r[1][0] for r in results],
                         results)
        urls = [r[1][1]['server_agent']['metadata_url'] for r in results]
        self.assertEqual(self.threads, len(set(urls)))
        current = self.get('/server_agents/' + SERVER, status=200).json[
            'server_agent']['metadata_url']
        self.assertIn(current, urls)
        for url in urls:
            self.poll(url, status=200 if url == current else 404)
        self.item(current, deployment['id'])


class TestServerIdLength(base.ApiTestCase):

    def test_over_long_server_id_is_400(self):
        response = self.post('/server_agents/' + 'x' * 37, {})
        self.assertError(response, 400, 'Invalid',
                         'Data supplied was not valid: "server_id" should '
                         'be no more than 36 characters')
        self.get('/server_agents/' + 'x' * 37, status=404)


class TestDocumentCache(AgentTestCase):
    """Unchanged polls are served from the worker's document cache."""

    def test_unchanged_poll_reads_no_deployments(self):
        self.create_deployment()
        url = self.rotate()
        first = self.poll(url)
        served = self.useFixture(fixtures.MockPatchObject(
            deployments, 'served',
            side_effect=AssertionError('document should be cached')))
        for method in ('GET', 'HEAD'):
            again = self.poll(url, method=method)
            self.assertEqual(first.headers['ETag'], again.headers['ETag'])
        self.assertEqual(first.body, self.poll(url).body)
        self.assertEqual(0, served.mock.call_count)

    def test_change_is_served_at_once(self):
        deployment = self.create_deployment()
        url = self.rotate()
        before = self.item(url, deployment['id'])
        self.update_deployment(deployment['id'],
                               {'input_values': {'foo': 'changed'}})
        after = self.item(url, deployment['id'])
        self.assertNotEqual(before['id'], after['id'])
        self.assertEqual('changed', self.value(after, 'foo'))

    def test_budget_drops_least_recently_used(self):
        cache = cache_module.BytesCache(10)
        cache.put('"a"', b'12345')
        cache.put('"b"', b'1234')
        self.assertEqual(b'12345', cache.get('"a"'))   # a is now recent
        cache.put('"c"', b'123')                        # 12 > 10: drop b
        self.assertIsNone(cache.get('"b"'))
        self.assertEqual(b'12345', cache.get('"a"'))
        self.assertEqual(b'123', cache.get('"c"'))
        self.assertEqual(8, cache.size)
        cache.put('"d"', b'x' * 11)                     # over the budget
        self.assertIsNone(cache.get('"d"'))


@ddt.ddt
class TestHostUrl(test_base.TestCase):
    """Where agents reach us when [api] public_endpoint is not set."""

    @ddt.data(
        ({'HTTP_HOST': 'api.example:8019'}, 'http://api.example:8019'),
        ({'HTTP_HOST': 'api.example:80'}, 'http://api.example'),
        ({'HTTP_HOST': 'api.example'}, 'http://api.example'),
        ({'HTTP_HOST': '[fd00::1]'}, 'http://[fd00::1]'),
        ({'HTTP_HOST': '[fd00::1]:8019'}, 'http://[fd00::1]:8019'),
        ({'HTTP_HOST': 'api.example:443', 'wsgi.url_scheme': 'https'},
         'https://api.example'),
        ({'HTTP_HOST': 'api.example:80', 'wsgi.url_scheme': 'https'},
         'https://api.example:80'),
        ({'SERVER_NAME': '10.0.0.5', 'SERVER_PORT': '8019'},
         'http://10.0.0.5:8019'),
        ({'SERVER_NAME': '10.0.0.5', 'SERVER_PORT': '80'},
         'http://10.0.0.5'),
    )
    @ddt.unpack
    def test_host_url(self, environ, expected):
        environ = dict({'wsgi.url_scheme': 'http'}, **environ)
        self.assertEqual(expected, urls.host_url(environ))
        # The same as webob's reading of the request.
        self.assertEqual(webob.Request(environ).host_url, expected)
