"""The real clients against the real server: python-heatclient.

python-heatclient's Python API, unmodified, talks to ``deploysvc-api``
running in its own process (see base.ServerFixture).  Each test works in a
project of its own, so tests sharing the class's server never see each
other's objects.
"""

from heatclient import exc
from oslo_utils import uuidutils

from deploysvc.tests.functional import base
from deploysvc.tests.functional import clients_base
from deploysvc.tests import utils

# What the client sends, and what any later read must give back
# (doc/source/contributor/behaviour.rst, behaviour-config-io).
INPUTS = [
    {'name': 'foo', 'type': 'String', 'default': None, 'description': None},
    {'name': 'count', 'type': 'Number', 'default': '5'},
    {'name': 'flag', 'type': 'Boolean', 'default': 'true',
     'replace_on_change': True},
    {'name': 'hosts', 'type': 'CommaDelimitedList', 'default': 'a,b'},
    {'name': 'plain'},
]
NORMALISED_INPUTS = [
    {'name': 'foo', 'description': '', 'type': 'String', 'default': ''},
    {'name': 'count', 'type': 'Number', 'default': 5},
    {'name': 'flag', 'type': 'Boolean', 'default': True,
     'replace_on_change': True},
    {'name': 'hosts', 'type': 'CommaDelimitedList', 'default': ['a', 'b']},
    {'name': 'plain', 'type': 'String'},
]
OUTPUTS = [{'name': 'result', 'type': 'String', 'description': None},
           {'name': 'err', 'error_output': True}]
NORMALISED_OUTPUTS = [
    {'name': 'result', 'description': '', 'type': 'String',
     'error_output': False},
    {'name': 'err', 'type': 'String', 'error_output': True},
]
CONFIG_KEYS = {'id', 'name', 'group', 'creation_time', 'config', 'inputs',
               'outputs', 'options'}
DEPLOYMENT_KEYS = {'id', 'server_id', 'config_id', 'input_values',
                   'output_values', 'action', 'status', 'status_reason',
                   'creation_time'}


class HeatClientTest(base.FunctionalTestCase):
    """python-heatclient's v1 Python API (legacy HTTPClient on requests)."""

    def setUp(self):
        super().setUp()
        self.project_id = clients_base.new_project()
        self.hc = self.heat(self.project_id)

    def hc_create_config(self, **kw):
        """A config created through heatclient (the client under test)."""
        return self.hc.software_configs.create(
            **utils.config_body(**dict({'config': clients_base.SCRIPT}, **kw)))

    def test_config_create_get_delete(self):
        created = self.hc.software_configs.create(
            name='a-config', group='script', config=clients_base.SCRIPT,
            inputs=INPUTS, outputs=OUTPUTS, options=None)
        expected = {'id': created.id, 'name': 'a-config', 'group': 'script',
                    'creation_time': created.creation_time,
                    'config': clients_base.SCRIPT, 'inputs': NORMALISED_INPUTS,
                    'outputs': NORMALISED_OUTPUTS, 'options': {}}
        self.assertEqual(expected, created.to_dict())
        self.assertTrue(uuidutils.is_uuid_like(created.id))
        self.assertRegex(created.creation_time, clients_base.TIME)

        shown = self.hc.software_configs.get(created.id)
        self.assertEqual(expected, shown.to_dict())

        self.hc.software_configs.delete(created.id)
        error = self.assertRaises(exc.HTTPNotFound,
                                  self.hc.software_configs.get, created.id)
        self.assertEqual('ERROR: Software config with id %s not found'
                         % created.id, str(error))

    def test_config_structured_and_empty(self):
        structured = {'configs': [{'actions': ['CREATE'], 'tool': 'script',
                                   'config': 'echo ok'}]}
        created = self.hc.software_configs.create(
            group='component', config=structured,
            options={'retries': 3, 'nested': {'a': [1, 2]}})
        self.assertEqual(
            {'id': created.id, 'name': None, 'group': 'component',
             'creation_time': created.creation_time, 'config': structured,
             'inputs': [], 'outputs': [],
             'options': {'retries': 3, 'nested': {'a': [1, 2]}}},
            self.hc.software_configs.get(created.id).to_dict())

    def test_config_list_limit_marker(self):
        ids = {self.hc_create_config(name='c%d' % i).id for i in range(3)}
        # Another project's config is never listed.
        self.heat(clients_base.new_project()).software_configs.create(
            name='foreign')

        everything = self.hc.software_configs.list()
        self.assertEqual(ids, {c.id for c in everything})
        for config in everything:
            self.assertEqual({'id', 'name', 'group', 'creation_time'},
                             set(config.to_dict()))
            self.assertEqual('script', config.group)
        times = [c.creation_time for c in everything]
        self.assertEqual(sorted(times, reverse=True), times)

        first = self.hc.software_configs.list(limit=2)
        self.assertEqual([c.id for c in everything[:2]],
                         [c.id for c in first])
        rest = self.hc.software_configs.list(limit=2, marker=first[-1].id)
        self.assertEqual([c.id for c in everything[2:]],
                         [c.id for c in rest])
        self.assertEqual([everything[0].id],
                         [c.id for c in self.hc.software_configs.list(
                             limit=1)])

    def test_config_list_bad_limit(self):
        error = self.assertRaises(exc.HTTPBadRequest,
                                  self.hc.software_configs.list, limit=-1)
        self.assertEqual("ERROR: Value '-1' is invalid for 'limit' which "
                         "only accepts non-negative integer.", str(error))

    def test_get_missing_config(self):
        error = self.assertRaises(exc.HTTPNotFound,
                                  self.hc.software_configs.get, 'no-such-id')
        self.assertEqual(404, error.code)
        self.assertEqual('ERROR: Software config with id no-such-id not '
                         'found', str(error))
        self.assertEqual('NotFound', error.error['error']['type'])

    def test_deployment_lifecycle(self):
        config = self.hc_create_config(inputs=[{'name': 'foo'}],
                                       outputs=[{'name': 'result'}])
        created = self.hc.software_deployments.create(
            config_id=config.id, server_id='server-1', action='CREATE',
            status='IN_PROGRESS', input_values={'foo': 'fooooo'})
        expected = {'id': created.id, 'server_id': 'server-1',
                    'config_id': config.id,
                    'input_values': {'foo': 'fooooo'},
                    'output_values': None, 'action': 'CREATE',
                    'status': 'IN_PROGRESS', 'status_reason': None,
                    'creation_time': created.creation_time}
        expected = clients_base.with_additions(expected)
        # An omitted status_reason is null; no updated_time yet
        # (doc/source/contributor/behaviour.rst, behaviour-status-reason).
        self.assertEqual(expected, created.to_dict())
        self.assertRegex(created.creation_time, clients_base.TIME)
        self.assertEqual(expected,
                         self.hc.software_deployments.get(created.id)
                         .to_dict())

        outputs = {'result': 'The file contains fooooo',
                   'deploy_stdout': 'Writing\n', 'deploy_stderr': '',
                   'deploy_status_code': 0}
        updated = self.hc.software_deployments.update(
            created.id, status='COMPLETE', status_reason='Outputs received',
            output_values=outputs)
        self.assertRegex(updated.updated_time, clients_base.TIME)
        self.assertGreaterEqual(updated.updated_time, created.creation_time)
        expected.update(status='COMPLETE', status_reason='Outputs received',
                        output_values=outputs, deadline_at=None,
                        updated_time=updated.updated_time)
        self.assertEqual(expected, updated.to_dict())
        self.assertEqual(expected,
                         self.hc.software_deployments.get(created.id)
                         .to_dict())

        # output_values are replaced, not merged.
        replaced = self.hc.software_deployments.update(
            created.id, output_values={'result': 'again'})
        self.assertEqual({'result': 'again'}, replaced.output_values)
        self.assertEqual('COMPLETE', replaced.status)

        self.hc.software_deployments.delete(created.id)
        error = self.assertRaises(exc.HTTPNotFound,
                                  self.hc.software_deployments.get,
                                  created.id)
        self.assertEqual('ERROR: Deployment with id %s not found'
                         % created.id, str(error))
        # The config outlives its deployment.
        self.assertEqual(config.id,
                         self.hc.software_configs.get(config.id).id)

    def test_deployment_list_by_server(self):
        config = self.hc_create_config()
        mine = [self.hc.software_deployments.create(
            config_id=config.id, server_id='server-a', action='CREATE',
            status='COMPLETE', status_reason='r%d' % i) for i in range(2)]
        other = self.hc.software_deployments.create(
            config_id=config.id, server_id='server-b', action='UPDATE')

        listed = self.hc.software_deployments.list(server_id='server-a')
        self.assertEqual(sorted(d.id for d in mine),
                         sorted(d.id for d in listed))
        for deployment in listed:
            self.assertEqual(DEPLOYMENT_KEYS | clients_base.DEPLOYSVC_KEYS,
                             set(deployment.to_dict()))
            self.assertEqual('server-a', deployment.server_id)
            self.assertEqual(config.id, deployment.config_id)
        self.assertEqual({d.id: d.to_dict() for d in mine},
                         {d.id: d.to_dict() for d in listed})

        everything = self.hc.software_deployments.list()
        self.assertEqual(sorted([d.id for d in mine] + [other.id]),
                         sorted(d.id for d in everything))
        self.assertEqual([], self.hc.software_deployments.list(
            server_id='server-none'))

    def test_metadata_sorted_by_config_name(self):
        configs = {}
        for name in ('c-third', 'a-first', 'b-second'):
            configs[name] = self.hc_create_config(
                name=name, inputs=[{'name': 'foo', 'value': name}])
            self.hc.software_deployments.create(
                config_id=configs[name].id, server_id='server-md',
                action='CREATE', status='IN_PROGRESS')
        unrelated = self.hc_create_config(name='0-elsewhere')
        self.hc.software_deployments.create(
            config_id=unrelated.id, server_id='server-other')

        metadata = self.hc.software_deployments.metadata('server-md')
        self.assertEqual(['a-first', 'b-second', 'c-third'],
                         [item['name'] for item in metadata])
        for item in metadata:
            config = configs[item['name']]
            self.assertEqual(config.to_dict(), item)
            self.assertEqual(CONFIG_KEYS, set(item))
            # The derived-config value is passed through untouched.
            self.assertEqual([{'name': 'foo', 'type': 'String',
                               'value': item['name']}], item['inputs'])
        self.assertEqual([],
                         self.hc.software_deployments.metadata('nothing'))

    def test_delete_referenced_config_conflicts(self):
        config = self.hc_create_config()
        deployment = self.hc.software_deployments.create(
            config_id=config.id, server_id='server-1')

        error = self.assertRaises(exc.HTTPConflict,
                                  self.hc.software_configs.delete, config.id)
        self.assertEqual(409, error.code)
        self.assertEqual('ERROR: Software config with id %s can not be '
                         'deleted as it is referenced.' % config.id,
                         str(error))
        self.assertEqual('InvalidRestrictedAction',
                         error.error['error']['type'])
        # Still there; deletable once the deployment is gone.
        self.assertEqual(config.id,
                         self.hc.software_configs.get(config.id).id)
        self.hc.software_deployments.delete(deployment.id)
        self.hc.software_configs.delete(config.id)
        self.assertRaises(exc.HTTPNotFound, self.hc.software_configs.get,
                          config.id)

    def test_deployment_of_unknown_or_foreign_config(self):
        foreign = self.heat(
            clients_base.new_project()).software_configs.create(name='f')
        for config_id in ('no-such-config', foreign.id):
            error = self.assertRaises(
                exc.HTTPNotFound, self.hc.software_deployments.create,
                config_id=config_id, server_id='server-1')
            self.assertEqual('ERROR: Software config with id %s not found'
                             % config_id, str(error))
        self.assertEqual([], self.hc.software_deployments.list())

    def test_update_with_unknown_status_rejected(self):
        config = self.hc_create_config()
        deployment = self.hc.software_deployments.create(
            config_id=config.id, server_id='server-1', status='IN_PROGRESS')
        error = self.assertRaises(exc.HTTPBadRequest,
                                  self.hc.software_deployments.update,
                                  deployment.id, status='WAITING')
        self.assertIn('status', error.error['error']['message'])
        shown = self.hc.software_deployments.get(deployment.id)
        self.assertEqual('IN_PROGRESS', shown.status)
        self.assertNotIn('updated_time', shown.to_dict())
