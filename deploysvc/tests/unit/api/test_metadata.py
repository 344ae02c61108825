"""GET /v1/{tenant_id}/software_deployments/metadata/{server_id}.

Heat's server metadata (see doc/source/contributor/behaviour.rst,
behaviour-metadata-order): one full config (8 keys) per visible
deployment on the server, sorted by (config name or "", deployment creation
time, deployment id).
"""

import datetime

import ddt
from oslo_utils import fixture as utils_fixture

from deploysvc.tests import base as test_base
from deploysvc.tests.unit.api import base
from deploysvc.tests import utils

NOW = datetime.datetime(2015, 1, 31, 15, 12, 36)
SERVER = 'ec14c864-096e-4e27-bb8a-2c2b4dc6f3f5'
STACK_USER_PROJECT = 'c024bfada67845ddb17d2b0c0be8cd79'
PATH = '/software_deployments/metadata/' + SERVER


def _time(seconds=0):
    return (NOW + datetime.timedelta(seconds=seconds)).strftime(
        '%Y-%m-%dT%H:%M:%SZ')


@ddt.ddt
class TestMetadata(base.ApiTestCase):

    def setUp(self):
        super().setUp()
        self.clock = self.useFixture(utils_fixture.TimeFixture(NOW))

    def deploy(self, name='a-config', context=None, server_id=SERVER,
               **kw):
        """A config named ``name`` and a deployment of it; returns both."""
        context = context or self.context
        config = utils.create_test_config(context, name=name)
        deployment = utils.create_test_deployment(
            context, config_id=config.id, server_id=server_id, **kw)
        return config, deployment

    def metadata(self, path=PATH, **kw):
        response = self.get(path, status=200, **kw)
        self.assertEqual('application/json', response.content_type)
        self.assertEqual(['metadata'], list(response.json))
        return response.json['metadata']

    def names(self, **kw):
        return [item['name'] for item in self.metadata(**kw)]

    def test_full_config_per_deployment(self):
        config, _ = self.deploy()
        self.assertEqual([{
            'id': config.id,
            'name': 'a-config',
            'group': 'script',
            'creation_time': _time(),
            'config': '#!/bin/sh\necho hello',
            'inputs': [{'name': 'foo', 'type': 'String'}],
            'outputs': [{'name': 'result', 'type': 'String',
                         'error_output': False}],
            'options': {},
        }], self.metadata())

    def test_config_created_through_api_passes_through(self):
        # A derived config as OSC builds it: inputs carry "value"s, of any
        # JSON type, plus the deploy_* inputs.  They are served untouched.
        derived = {
            'name': 'deploy-1', 'group': 'script', 'config': 'echo $foo',
            'options': {'opt': [1, 2]},
            'inputs': [
                {'name': 'foo', 'type': 'String', 'value': 'fooooo',
                 'description': 'the foo'},
                {'name': 'n', 'type': 'Number', 'default': 3, 'value': 7},
                {'name': 'j', 'type': 'Json', 'value': {'a': [1, None]}},
                {'name': 'nothing', 'value': None},
                {'name': 'deploy_server_id', 'type': 'String',
                 'value': SERVER,
                 'description': 'ID of the server being deployed to'},
                {'name': 'deploy_action', 'type': 'String',
                 'value': 'CREATE'},
                {'name': 'deploy_signal_transport', 'type': 'String',
                 'value': 'NO_SIGNAL'},
            ],
            'outputs': [{'name': 'result'}],
        }
        config = self.post('/software_configs', derived,
                           status=200).json['software_config']
        self.post('/software_deployments',
                  {'config_id': config['id'], 'server_id': SERVER,
                   'input_values': {'foo': 'not merged'}}, status=200)
        metadata = self.metadata()
        self.assertEqual([config], metadata)
        self.assertEqual(
            ['fooooo', 7, {'a': [1, None]}, None, SERVER, 'CREATE',
             'NO_SIGNAL'],
            [i['value'] for i in metadata[0]['inputs']])

    def test_input_values_are_not_merged(self):
        config, _ = self.deploy(input_values={'foo': 'bar'})
        self.assertEqual([[{'name': 'foo', 'type': 'String'}]],
                         [c['inputs'] for c in self.metadata()])

    @ddt.data('IN_PROGRESS', 'COMPLETE', 'FAILED', None)
    def test_any_status(self, status):
        config, _ = self.deploy(status=status, action=None)
        self.assertEqual([config.id], [c['id'] for c in self.metadata()])

    def test_unknown_server(self):
        self.deploy()
        self.assertEqual([], self.metadata(
            '/software_deployments/metadata/unknown-server'))

    def test_only_this_servers_deployments(self):
        config, _ = self.deploy()
        self.deploy(name='elsewhere', server_id='another-server')
        self.assertEqual([config.id], [c['id'] for c in self.metadata()])

    def test_one_entry_per_deployment_of_a_shared_config(self):
        config = utils.create_test_config(self.context, name='shared')
        for _ in range(2):
            utils.create_test_deployment(self.context, config_id=config.id)
        self.assertEqual([config.id, config.id],
                         [c['id'] for c in self.metadata()])

    def test_sorted_by_name_stable_over_creation_order(self):
        created = []
        for name in ('b', 'a', 'B', 'b', 'a', '_'):
            created.append(self.deploy(name=name)[0].id)
            self.clock.advance_time_seconds(1)
        # Code-point order of the names; equal names keep creation order.
        expected = [created[i] for i in (2, 5, 1, 4, 0, 3)]
        self.assertEqual(expected, [c['id'] for c in self.metadata()])

    def test_unnamed_configs_sort_first_by_creation_time(self):
        created = []
        for name in (None, 'b', None, 'a', None):
            created.append(self.deploy(name=name)[0].id)
            self.clock.advance_time_seconds(1)
        metadata = self.metadata()
        self.assertEqual([created[i] for i in (0, 2, 4, 3, 1)],
                         [c['id'] for c in metadata])
        self.assertEqual([None, None, None, 'a', 'b'],
                         [c['name'] for c in metadata])

    def test_unnamed_configs_created_together_sort_by_deployment_id(self):
        pairs = [self.deploy(name=None) for _ in range(4)]
        expected = [c.id for c, d in sorted(pairs, key=lambda p: p[1].id)]
        self.assertEqual(expected, [c['id'] for c in self.metadata()])

    def test_empty_name_and_null_name_sort_together(self):
        first, _ = self.deploy(name='')
        self.clock.advance_time_seconds(1)
        second, _ = self.deploy(name=None)
        self.assertEqual([first.id, second.id],
                         [c['id'] for c in self.metadata()])

    def test_other_projects_deployments_excluded(self):
        own, _ = self.deploy(name='own')
        other_context = self.make_context(test_base.OTHER_PROJECT)
        foreign, _ = self.deploy(name='foreign', context=other_context)
        self.assertEqual([own.id], [c['id'] for c in self.metadata()])
        self.assertEqual([foreign.id], [c['id'] for c in self.metadata(
            project_id=test_base.OTHER_PROJECT,
            headers=self.headers(test_base.OTHER_PROJECT))])

    def test_admin_sees_every_project_without_project_key(self):
        own, _ = self.deploy(name='own')
        other_context = self.make_context(test_base.OTHER_PROJECT)
        foreign, _ = self.deploy(name='foreign', context=other_context)
        metadata = self.metadata(
            headers=self.headers(roles='admin,member,reader'))
        self.assertEqual([foreign.id, own.id], [c['id'] for c in metadata])
        self.assertEqual(
            [['config', 'creation_time', 'group', 'id', 'inputs', 'name',
              'options', 'outputs']] * 2,
            [sorted(c) for c in metadata])

    def test_reader_gets_metadata(self):
        config, _ = self.deploy()
        self.assertEqual([config.id], [c['id'] for c in self.metadata(
            headers=self.headers(roles='reader'))])

    def test_deleted_deployment_disappears(self):
        kept, _ = self.deploy(name='kept')
        _, gone = self.deploy(name='gone')
        self.delete('/software_deployments/' + gone.id, status=204)
        self.assertEqual([kept.id], [c['id'] for c in self.metadata()])

    def test_config_change_is_served(self):
        _, deployment = self.deploy(name='old')
        new = utils.create_test_config(self.context, name='new')
        self.put('/software_deployments/' + deployment.id,
                 {'config_id': new.id}, status=200)
        self.assertEqual([new.id], [c['id'] for c in self.metadata()])

    def test_without_server_is_deployment_not_found(self):
        self.assertError(self.get('/software_deployments/metadata'),
                         404, 'NotFound',
                         'Deployment with id metadata not found')


@ddt.ddt
class TestStackUser(base.ApiTestCase):
    """A Heat stack user: role heat_stack_user in stack_user_project_id."""

    def setUp(self):
        super().setUp()
        self.useFixture(utils_fixture.TimeFixture(NOW))
        self.config_row = utils.create_test_config(self.context, name='sc')
        self.deployment = utils.create_test_deployment(
            self.context, config_id=self.config_row.id,
            stack_user_project_id=STACK_USER_PROJECT)
        self.stack_user = {
            'project_id': STACK_USER_PROJECT,
            'headers': self.headers(STACK_USER_PROJECT,
                                    roles='heat_stack_user')}

    def test_metadata(self):
        # Not named by the stack user project: not visible to it.
        hidden = utils.create_test_config(self.context, name='hidden')
        utils.create_test_deployment(self.context, config_id=hidden.id)
        response = self.get(PATH, status=200, **self.stack_user)
        self.assertEqual({'metadata': [{
            'id': self.config_row.id,
            'name': 'sc',
            'group': 'script',
            'creation_time': _time(),
            'config': '#!/bin/sh\necho hello',
            'inputs': [{'name': 'foo', 'type': 'String'}],
            'outputs': [{'name': 'result', 'type': 'String',
                         'error_output': False}],
            'options': {},
        }]}, response.json)

    def test_metadata_of_own_url_only(self):
        # The URL's tenant must be the token's project.
        response = self.get(PATH, headers=self.stack_user['headers'])
        self.assertError(response, 403, 'HTTPForbidden',
                         'Access was denied to this resource.')

    @ddt.unpack
    @ddt.data(
        ('GET', '/software_deployments/%(id)s/events', 'events'),
        ('GET', '/software_deployments', 'index'),
        ('POST', '/software_deployments', 'create'),
        ('PUT', '/software_deployments/%(id)s', 'update'),
        ('DELETE', '/software_deployments/%(id)s', 'delete'),
    )
    def test_other_calls_forbidden(self, method, path, action):
        body = None
        if method in ('POST', 'PUT'):
            body = {'config_id': self.config_row.id, 'server_id': SERVER}
        url = self.url(path % {'id': self.deployment.id}, STACK_USER_PROJECT)
        response = self.request(method, url, body=body,
                                headers=self.stack_user['headers'])
        self.assertError(
            response, 403, 'Forbidden',
            'You are not authorized to use software_deployments:%s.'
            % action)
        # Nothing changed.
        shown = self.get('/software_deployments/' + self.deployment.id,
                         status=200).json['software_deployment']
        self.assertEqual(('IN_PROGRESS', None),
                         (shown['status'], shown.get('updated_time')))
