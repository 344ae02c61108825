"""Agent loop API tests (issue 5): the capability URLs.

``/v1/{tenant}/server_agents/{server}`` hands out a server's capability
URL, rotates and revokes it (doc/source/contributor/behaviour.rst,
behaviour-agent-urls); the URLs start with the request's host unless
``[api] public_endpoint`` is set (behaviour-agent-base-url).
"""

import re

import ddt
import webob

from deploysvc.agent import urls
from deploysvc.tests import base as test_base
from deploysvc.tests.unit.api import agent_base
from deploysvc.tests.unit.api import base

METADATA_PATH = re.compile(r'^/agent/v1/metadata/[0-9a-f-]{36}/[0-9a-f]{64}$')


class TestServerAgents(agent_base.AgentTestCase):

    def test_create(self):
        response = self.post('/server_agents/' + agent_base.SERVER, None,
                             status=200)
        body = response.json
        self.assertEqual(['server_agent'], list(body))
        agent = body['server_agent']
        self.assertEqual({'server_id', 'metadata_url', 'created_at',
                          'agent_last_seen'},
                         set(agent))
        self.assertEqual(agent_base.SERVER, agent['server_id'])
        self.assertTrue(agent['metadata_url'].startswith(
            'http://localhost/agent/v1/metadata/'), agent)
        self.assertRegex(agent_base.path_of(agent['metadata_url']),
                         METADATA_PATH)
        self.assertRegex(agent['created_at'],
                         r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$')

    def test_create_uses_request_host(self):
        headers = self.headers(Host='agents.example.org:8019')
        response = self.post('/server_agents/' + agent_base.SERVER, None,
                             status=200,
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
        self.assertEqual(url, self.get('/server_agents/' + agent_base.SERVER,
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
        self.assertError(self.get('/server_agents/' + agent_base.SERVER), 404,
                         'NotFound',
                         'No agent URL for server %s' % agent_base.SERVER)

    def test_show_after_create(self):
        url = self.rotate()
        body = self.get('/server_agents/' + agent_base.SERVER, status=200).json
        self.assertEqual(url, body['server_agent']['metadata_url'])
        self.assertEqual(agent_base.SERVER, body['server_agent']['server_id'])
        self.assertEqual(url, self.get('/server_agents/' + agent_base.SERVER,
                                       status=200).json['server_agent'][
                                           'metadata_url'])

    def test_rotate_revokes_old_metadata_url(self):
        old = self.rotate()
        old_body = self.poll(old).body
        new = self.rotate()
        self.assertNotEqual(old, new)
        self.assertError(self.poll(old, status=404), 404, 'NotFound',
                         agent_base.NOT_FOUND)
        self.assertEqual(404, self.poll(old, status=404,
                                        method='HEAD').status_int)
        doc = self.document(new)
        self.assertEqual(new, doc['os-collect-config']['request'][
            'metadata_url'])
        self.assertNotEqual(old_body, self.poll(new).body)
        self.assertEqual(new, self.get('/server_agents/' + agent_base.SERVER,
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
        response = self.delete('/server_agents/' + agent_base.SERVER,
                               status=204)
        self.assertEqual(b'', response.body)
        self.assertError(self.poll(url, status=404), 404, 'NotFound',
                         agent_base.NOT_FOUND)
        self.assertError(self.signal(signal_url, {}, status=404), 404,
                         'NotFound')
        self.assertEqual(deployment, self.show_deployment(deployment['id']))
        self.assertError(self.get('/server_agents/' + agent_base.SERVER), 404,
                         'NotFound',
                         'No agent URL for server %s' % agent_base.SERVER)
        self.assertError(self.delete('/server_agents/' + agent_base.SERVER),
                         404, 'NotFound',
                         'No agent URL for server %s' % agent_base.SERVER)

    def test_create_after_delete_gives_a_new_url(self):
        old = self.rotate()
        self.delete('/server_agents/' + agent_base.SERVER, status=204)
        new = self.rotate()
        self.assertNotEqual(old, new)
        self.poll(old, status=404)
        self.poll(new, status=200)

    def test_servers_have_distinct_urls(self):
        first = self.create_deployment()
        second = self.create_deployment(server_id=agent_base.OTHER_SERVER)
        url, other = self.rotate(), self.rotate(agent_base.OTHER_SERVER)
        self.assertNotEqual(url, other)
        self.item(url, first['id'])
        self.item(other, second['id'])
        self.assertEqual(1, len(self.document(url)['deployments']))
        self.assertEqual(1, len(self.document(other)['deployments']))

    def test_other_project_cannot_see_or_delete(self):
        url = self.rotate()
        path = '/server_agents/' + agent_base.SERVER
        other = self.headers(project_id=agent_base.OTHER_PROJECT)
        self.assertError(self.get(path, project_id=agent_base.OTHER_PROJECT,
                                  headers=other),
                         404, 'NotFound')
        self.assertError(self.delete(path, project_id=agent_base.OTHER_PROJECT,
                                     headers=other),
                         404, 'NotFound')
        self.poll(url, status=200)
        # Its own URL for the same server id is another credential.
        theirs = self.rotate(project_id=agent_base.OTHER_PROJECT)
        self.assertNotEqual(url, theirs)
        self.poll(url, status=200)
        self.assertEqual(url, self.get(path, status=200).json[
            'server_agent']['metadata_url'])

    def test_other_tenant_in_url_is_forbidden(self):
        response = self.get('/server_agents/' + agent_base.SERVER,
                            project_id=agent_base.OTHER_PROJECT,
                            headers=self.headers())
        self.assertIn(response.status_int, (403, 404), response.text)

    def test_method_not_allowed(self):
        response = self.put('/server_agents/' + agent_base.SERVER, {})
        self.assertError(response, 405, 'HTTPMethodNotAllowed')
        self.assertAllow(response, 'GET', 'POST', 'DELETE')


@ddt.ddt
class TestServerAgentsPolicy(agent_base.AgentTestCase):

    @ddt.data('GET', 'POST', 'DELETE')
    def test_reader_is_forbidden(self, method):
        self.rotate()
        response = self.request(
            method, self.url('/server_agents/' + agent_base.SERVER),
            headers=self.headers(roles='reader'))
        self.assertError(response, 403, 'Forbidden')

    @ddt.data('GET', 'POST', 'DELETE')
    def test_no_role_is_forbidden(self, method):
        response = self.request(
            method, self.url('/server_agents/' + agent_base.SERVER),
            headers=self.headers(roles=''))
        self.assertError(response, 403, 'Forbidden')

    def test_reader_does_not_rotate(self):
        url = self.rotate()
        self.request('POST', self.url('/server_agents/' + agent_base.SERVER),
                     headers=self.headers(roles='reader'), status=403)
        self.poll(url, status=200)


class TestServerIdLength(base.ApiTestCase):

    def test_over_long_server_id_is_400(self):
        response = self.post('/server_agents/' + 'x' * 37, {})
        self.assertError(response, 400, 'Invalid',
                         'Data supplied was not valid: "server_id" should '
                         'be no more than 36 characters')
        self.get('/server_agents/' + 'x' * 37, status=404)


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
