"""The metadata document served to os-collect-config."""

import datetime
import json

import testtools

from deploysvc.agent import metadata
from deploysvc.db import models

CREATED = datetime.datetime(2026, 1, 2, 3, 4, 5)


def _config(**kw):
    values = dict(id='cfg-1', name='hello', group='script', project_id='p',
                  created_at=CREATED, config='echo $foo',
                  inputs=[{'name': 'foo', 'type': 'String'},
                          {'name': 'bar', 'type': 'String',
                           'default': 'dflt'}],
                  outputs=[{'name': 'result', 'type': 'String',
                            'error_output': False}],
                  options={}, sealed_inputs=None)
    values.update(kw)
    return models.Config(**values)


def _deployment(**kw):
    values = dict.fromkeys(models.Deployment._fields)
    values.update(id='dep-1', server_id='srv', config_id='cfg-1',
                  input_values={'foo': 'FOO', 'extra': 3}, action='CREATE',
                  served_revision=0)
    values.update(kw)
    return models.Deployment(**values)


class TestServedConfig(testtools.TestCase):

    def test_inputs_merged_and_deploy_inputs_added(self):
        item = metadata.served_config(_deployment(), _config(),
                                      'http://sig')
        self.assertEqual(['id', 'name', 'group', 'creation_time', 'config',
                          'inputs', 'outputs', 'options'], list(item))
        by_name = dict((i['name'], i) for i in item['inputs'])
        self.assertEqual('FOO', by_name['foo']['value'])
        self.assertEqual('dflt', by_name['bar']['value'])
        self.assertEqual({'name': 'extra', 'type': 'String', 'value': 3},
                         by_name['extra'])
        self.assertEqual('srv', by_name['deploy_server_id']['value'])
        self.assertEqual('CREATE', by_name['deploy_action']['value'])
        self.assertEqual('TEMP_URL_SIGNAL',
                         by_name['deploy_signal_transport']['value'])
        self.assertEqual('http://sig', by_name['deploy_signal_id']['value'])
        self.assertEqual('PUT', by_name['deploy_signal_verb']['value'])
        self.assertEqual('2026-01-02T03:04:05Z', item['creation_time'])

    def test_stored_config_not_modified(self):
        config = _config()
        metadata.served_config(_deployment(), config, 'http://sig')
        self.assertNotIn('value', config.inputs[0])

    def test_derived_config_keeps_its_deploy_inputs(self):
        config = _config(inputs=[{'name': 'deploy_signal_id',
                                  'type': 'String', 'value': 'theirs'}])
        item = metadata.served_config(_deployment(input_values={}), config,
                                      'ours')
        signal_ids = [i for i in item['inputs']
                      if i['name'] == 'deploy_signal_id']
        self.assertEqual([{'name': 'deploy_signal_id', 'type': 'String',
                           'value': 'theirs'}], signal_ids)

    def test_served_id_changes_with_what_must_run(self):
        base = metadata.served_id(_deployment())
        self.assertEqual(base, metadata.served_id(_deployment()))
        for change in ({'config_id': 'cfg-2'},
                       {'input_values': {'foo': 'other'}},
                       {'action': 'UPDATE'}, {'id': 'dep-2'},
                       {'served_revision': 1}):
            self.assertNotEqual(base,
                                metadata.served_id(_deployment(**change)))

    def test_served_id_ignores_input_order(self):
        self.assertEqual(
            metadata.served_id(_deployment(input_values={'a': 1, 'b': 2})),
            metadata.served_id(_deployment(input_values={'b': 2, 'a': 1})))


class TestDocument(testtools.TestCase):

    def test_shape_and_stability(self):
        pairs = [(_deployment(), _config()),
                 (_deployment(id='dep-2'), _config())]
        body = metadata.document(pairs, 'http://md',
                                 lambda row: 'http://sig/' + row.id)
        self.assertEqual(body, metadata.document(
            pairs, 'http://md', lambda row: 'http://sig/' + row.id))
        doc = json.loads(body)
        self.assertEqual({'collectors': ['request', 'local'],
                          'request': {'metadata_url': 'http://md'}},
                         doc['os-collect-config'])
        self.assertEqual(2, len(doc['deployments']))

    def test_etag_is_strong_and_depends_on_revision(self):
        tag = metadata.etag('cred', 1, 'http://h')
        self.assertTrue(tag.startswith('"') and tag.endswith('"'))
        self.assertNotEqual(tag, metadata.etag('cred', 2, 'http://h'))
        self.assertNotEqual(tag, metadata.etag('cred2', 1, 'http://h'))
        self.assertNotEqual(tag, metadata.etag('cred', 1, 'http://other'))
