"""Agent loop API tests (issue 5): the metadata URL and its document.

``/agent/v1/metadata/...`` serves os-collect-config's document, to the
holder of the URL only (doc/source/contributor/behaviour.rst,
behaviour-agent-not-found and behaviour-agent-document).
"""

import urllib.parse

import ddt

from deploysvc.agent import tokens
from deploysvc.tests import base as test_base
from deploysvc.tests.unit.api import agent_base

DEPLOY_INPUTS = ('deploy_server_id', 'deploy_action',
                 'deploy_signal_transport', 'deploy_signal_id',
                 'deploy_signal_verb')
ITEM_KEYS = ['id', 'name', 'group', 'creation_time', 'config', 'inputs',
             'outputs', 'options']


@ddt.ddt
class TestMetadataAccess(agent_base.AgentTestCase):

    def setUp(self):
        super().setUp()
        self.deployment = self.create_deployment()
        self.md_url = self.rotate()
        credential_id, self.mac = agent_base.path_of(
            self.md_url).split('/')[-2:]
        self.base = self.md_url[:-len(self.mac)]
        self.credential_id = credential_id

    def test_no_identity_needed(self):
        response = self.agent('GET', self.md_url, status=200, headers={})
        self.assertEqual(1, len(response.json['deployments']))

    @ddt.data({'X-Project-Id': agent_base.OTHER_PROJECT, 'X-Roles': 'admin'},
              {'X-Project-Id': test_base.PROJECT, 'X-Roles': ''},
              {'X-Roles': 'reader', 'X-User-Id': 'someone'},
              {'X-Auth-Token': 'garbage'})
    def test_identity_headers_ignored(self, headers):
        expected = self.poll(self.md_url).body
        response = self.agent('GET', self.md_url, status=200, headers=headers)
        self.assertEqual(expected, response.body)

    def test_wrong_mac(self):
        self.assertError(self.poll(self.base + agent_base.other_mac(self.mac),
                                   status=404), 404, 'NotFound',
                         agent_base.NOT_FOUND)

    @ddt.data('x', 'not-a-mac', 'é', '0' * 64)
    def test_malformed_mac(self, mac):
        url = self.base + urllib.parse.quote(mac)
        self.assertError(self.poll(url, status=404), 404, 'NotFound',
                         agent_base.NOT_FOUND)

    def test_no_mac(self):
        self.assertError(self.poll(self.base.rstrip('/'), status=404), 404,
                         'HTTPNotFound')

    def test_unknown_credential(self):
        url = self.md_url.replace(self.credential_id,
                                  '00000000-0000-4000-8000-000000000000')
        self.assertError(self.poll(url, status=404), 404, 'NotFound',
                         agent_base.NOT_FOUND)

    def test_mac_of_another_purpose(self):
        secret = self.credential().secret
        mac = tokens.mac(secret, tokens.SIGNAL, self.credential_id)
        self.assertError(self.poll(self.base + mac, status=404), 404,
                         'NotFound', agent_base.NOT_FOUND)

    def test_mac_of_another_credential(self):
        other = self.rotate(agent_base.OTHER_SERVER)
        other_mac_ = agent_base.path_of(other).split('/')[-1]
        self.assertError(self.poll(self.base + other_mac_, status=404), 404,
                         'NotFound', agent_base.NOT_FOUND)

    def test_extra_path_segment(self):
        self.assertEqual(404, self.poll(self.md_url + '/extra',
                                        status=404).status_int)

    @ddt.data('PUT', 'POST', 'DELETE', 'PATCH')
    def test_method_not_allowed(self, method):
        response = self.agent(method, self.md_url, status=405)
        self.assertError(response, 405, 'HTTPMethodNotAllowed')
        self.assertAllow(response, 'GET', 'HEAD')


@ddt.ddt
class TestMetadataDocument(agent_base.AgentTestCase):

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
        self.assertEqual({'deploy_server_id': agent_base.SERVER,
                          'deploy_action': 'CREATE',
                          'deploy_signal_transport': 'TEMP_URL_SIGNAL',
                          'deploy_signal_verb': 'PUT'}, values)
        self.assertTrue(signal_url.startswith('http://localhost/'))
        self.assertEqual(deployment['id'],
                         agent_base.SIGNAL_PATH.match(
                             agent_base.path_of(signal_url)).group(1))
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
        self.create_deployment(server_id=agent_base.OTHER_SERVER)
        self.create_deployment(project_id=agent_base.OTHER_PROJECT)
        url = self.rotate()
        doc = self.document(url)
        self.assertEqual(1, len(doc['deployments']))
        self.item(url, mine['id'])
        theirs = self.rotate(project_id=agent_base.OTHER_PROJECT)
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
                                    agent_base.SERVER,
                                    status=200).json['metadata']]
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
        self.create_deployment(server_id=agent_base.OTHER_SERVER)
        self.create_deployment(project_id=agent_base.OTHER_PROJECT)
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
            self.create_deployment(server_id=agent_base.OTHER_SERVER)
            self.rotate(agent_base.OTHER_SERVER)
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
class TestServedId(agent_base.AgentTestCase):
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
