"""/v1/{tenant_id}/software_configs: create, and its quota.

See doc/source/contributor/behaviour.rst, behaviour-config-io,
behaviour-validation, behaviour-admin and behaviour-quotas.
"""

import ddt
from oslo_utils import uuidutils

from deploysvc.tests import base as test_base
from deploysvc.tests.unit.api import configs_base

BAD_REQUEST = ('The server could not comply with the request since it is '
               'either malformed or otherwise incorrect.')
API_REF_RESPONSE = {
    'name': 'a-config-we5zpvyu7b5o',
    'group': 'script',
    'creation_time': '2015-01-31T15:12:36Z',
    'config': configs_base.API_REF_CONFIG,
    'options': {},
    'inputs': [
        {'name': 'foo', 'description': '', 'type': 'String', 'default': ''},
        {'name': 'bar', 'description': '', 'type': 'String', 'default': ''},
    ],
    'outputs': [{'name': 'result', 'description': '', 'type': 'String',
                 'error_output': False}],
}


@ddt.ddt
class TestCreate(configs_base.ConfigsTestCase):

    def test_create_minimal(self):
        # heat-tempest-plugin's gabbi body.
        self.at(configs_base.T0)
        body = {'name': 'api-config', 'group': 'script',
                'config': '#!/bin/sh -x\necho hello'}
        response = self.post('/software_configs', body, status=200)
        created = response.json['software_config']
        self.assertEqual(['software_config'], list(response.json))
        self.assertTrue(uuidutils.is_uuid_like(created.pop('id')))
        self.assertEqual({'name': 'api-config', 'group': 'script',
                          'creation_time': '2015-01-31T15:12:36Z',
                          'config': '#!/bin/sh -x\necho hello',
                          'inputs': [], 'outputs': [], 'options': {}},
                         created)

    def test_create_keys_and_location(self):
        response = self.post('/software_configs', {'name': 'c'}, status=200)
        created = response.json['software_config']
        self.assertEqual(configs_base.CONFIG_KEYS, set(created))
        self.assertEqual('http://localhost/v1/%s/software_configs/%s'
                         % (self.project_id, created['id']),
                         response.headers['Location'])
        shown = self.get('/software_configs/' + created['id'], status=200)
        self.assertEqual(response.json, shown.json)

    def test_create_api_ref_sample(self):
        self.at(configs_base.T0)
        created = self.create(configs_base.API_REF_REQUEST)
        config_id = created.pop('id')
        self.assertEqual(API_REF_RESPONSE, created)
        shown = self.get('/software_configs/' + config_id, status=200).json
        self.assertEqual(dict(API_REF_RESPONSE, id=config_id),
                         shown['software_config'])

    def test_create_empty_body(self):
        created = self.create({})
        self.assertEqual({'id': created['id'], 'name': None, 'group': None,
                          'creation_time': created['creation_time'],
                          'config': None, 'inputs': [], 'outputs': [],
                          'options': {}}, created)

    @ddt.data(None, [], {}, '', 0, False)
    def test_falsy_inputs_outputs_options(self, falsy):
        created = self.create({'name': 'c', 'inputs': falsy,
                               'outputs': falsy, 'options': falsy})
        self.assertEqual(([], [], {}), (created['inputs'],
                                        created['outputs'],
                                        created['options']))

    @ddt.data('a string', {'structured': ['config', 1]}, ['a', 'list'], 42,
              None)
    def test_config_is_any_json(self, config):
        created = self.create({'config': config})
        self.assertEqual(config, created['config'])
        shown = self.get('/software_configs/' + created['id'], status=200)
        self.assertEqual(config, shown.json['software_config']['config'])

    def test_options_stored_verbatim(self):
        options = {'a': [1, {'b': None}], 'c': 'd'}
        created = self.create({'options': options})
        self.assertEqual(options, created['options'])

    def test_inputs_outputs_normalised(self):
        # The input/output rules (see doc/source/contributor/behaviour.rst,
        # behaviour-config-io), through the API.
        inputs = [
            {'name': 'mode'},
            {'name': 'n', 'type': 'Number', 'default': '0'},
            {'name': 'l', 'type': 'CommaDelimitedList', 'default': 'a,b'},
            {'name': 'b', 'type': 'Boolean', 'default': 'TRUE',
             'replace_on_change': 'true'},
            {'name': 'j', 'type': 'Json', 'default': [1, 2]},
            {'name': 'v', 'description': None, 'replace_on_change': False,
             'value': None},
            {'name': 'u', 'default': None},
        ]
        outputs = [{'name': 'endpoint'},
                   {'name': 'err', 'error_output': 'True', 'type': 'Json'}]
        created = self.create({'inputs': inputs, 'outputs': outputs})
        self.assertEqual([
            {'name': 'mode', 'type': 'String'},
            {'name': 'n', 'type': 'Number', 'default': 0},
            {'name': 'l', 'type': 'CommaDelimitedList',
             'default': ['a', 'b']},
            {'name': 'b', 'type': 'Boolean', 'default': True,
             'replace_on_change': True},
            {'name': 'j', 'type': 'Json', 'default': '[1, 2]'},
            {'name': 'v', 'description': '', 'type': 'String',
             'value': None},
            {'name': 'u', 'type': 'String'},
        ], created['inputs'])
        self.assertEqual([
            {'name': 'endpoint', 'type': 'String', 'error_output': False},
            {'name': 'err', 'type': 'Json', 'error_output': True},
        ], created['outputs'])
        shown = self.get('/software_configs/' + created['id'], status=200)
        self.assertEqual(created, shown.json['software_config'])

    def test_derived_config_values_kept(self):
        # What "openstack software deployment create" posts.
        inputs = [
            {'name': 'foo', 'type': 'String', 'value': 'fooooo',
             'description': 'd'},
            {'name': 'deploy_server_id', 'type': 'String', 'value': 'srv',
             'description': 'ID of the server being deployed to'},
            {'name': 'deploy_signal_transport', 'type': 'String',
             'value': 'NO_SIGNAL', 'description': 'How the server should '
                                                  'signal to heat with the '
                                                  'deployment output values.'},
        ]
        created = self.create({'name': 'd', 'group': 'Heat::Ungrouped',
                               'config': '', 'options': {}, 'outputs': [],
                               'inputs': inputs})
        self.assertEqual([
            {'name': 'foo', 'description': 'd', 'type': 'String',
             'value': 'fooooo'},
            {'name': 'deploy_server_id',
             'description': 'ID of the server being deployed to',
             'type': 'String', 'value': 'srv'},
            {'name': 'deploy_signal_transport',
             'description': 'How the server should signal to heat with the '
                            'deployment output values.',
             'type': 'String', 'value': 'NO_SIGNAL'},
        ], created['inputs'])

    @ddt.data(
        ('inputs', 'abc', 'HTTPBadRequest',
         "'inputs' must be a list of objects"),
        ('inputs', {'name': 'a'}, 'HTTPBadRequest',
         "'inputs' must be a list of objects"),
        ('outputs', 7, 'HTTPBadRequest',
         "'outputs' must be a list of objects"),
        ('inputs', ['x'], 'HTTPBadRequest',
         "'inputs' must be a list of objects, but inputs[0] is not an "
         "object"),
        ('outputs', [{'name': 'a'}, None], 'HTTPBadRequest',
         "'outputs' must be a list of objects, but outputs[1] is not an "
         "object"),
        ('inputs', [{'name': 'x', 'bogus': 1}], 'ValueError',
         'Unknown Property bogus in inputs[0]'),
        ('inputs', [{'name': 'ok'}, {'description': 'no name'}],
         'ValueError', 'Property name not assigned in inputs[1]'),
        ('inputs', [{'name': 'a', 'type': 'Foo'}], 'ValueError',
         'Property type in inputs[0]: "Foo" is not one of the allowed '
         'types: String, Number, CommaDelimitedList, Json, Boolean'),
        ('inputs', [{'name': 'a', 'type': 'Foo', 'default': 'x'}],
         'InvalidSchemaError', 'Invalid type (Foo)'),
        ('inputs', [{'name': 'a', 'type': 'Number', 'default': 'x'}],
         'ValueError',
         'Property default in inputs[0]: "x" is not a number'),
        ('inputs', [{'name': 'a', 'replace_on_change': 'yes'}],
         'ValueError', 'Property replace_on_change in inputs[0]: "yes" is '
                       'not a valid boolean'),
        ('inputs', [{'name': ['a']}], 'ValueError',
         'Property name in inputs[0]: Value must be a string; got ["a"]'),
        ('outputs', [{'name': 'a', 'error_output': 'maybe'}], 'ValueError',
         'Property error_output in outputs[0]: "maybe" is not a valid '
         'boolean'),
        ('outputs', [{'name': 'a', 'replace_on_change': True}],
         'ValueError', 'Unknown Property replace_on_change in outputs[0]'),
        ('outputs', [{'name': 'a', 'value': 1}], 'ValueError',
         'Unknown Property value in outputs[0]'),
    )
    @ddt.unpack
    def test_invalid_inputs_outputs(self, field, value, error_type, message):
        response = self.post('/software_configs', {'name': 'c', field: value},
                             status=400)
        self.assertEqual({'code': 400, 'title': 'Bad Request',
                          'explanation': BAD_REQUEST,
                          'error': {'type': error_type, 'message': message,
                                    'traceback': None}}, response.json)
        self.assertEqual([], self.list_configs())

    @ddt.data(
        ({'name': 'x' * 256},
         '"name" should be no more than 255 characters'),
        ({'group': 'g' * 256},
         '"group" should be no more than 255 characters'),
        ({'name': 5}, '"name" must be a string or null'),
        ({'name': ['a']}, '"name" must be a string or null'),
        ({'name': True}, '"name" must be a string or null'),
        ({'group': 1.5}, '"group" must be a string or null'),
        ({'options': [1]}, '"options" must be an object or null'),
        ({'options': 'abc'}, '"options" must be an object or null'),
        ({'options': True}, '"options" must be an object or null'),
    )
    @ddt.unpack
    def test_invalid_fields(self, body, reason):
        response = self.post('/software_configs', body, status=400)
        self.assertError(response, 400, 'Invalid',
                         'Data supplied was not valid: %s' % reason)
        self.assertEqual([], self.list_configs())

    def test_longest_name_and_group(self):
        created = self.create({'name': 'n' * 255, 'group': 'g' * 255})
        self.assertEqual(('n' * 255, 'g' * 255),
                         (created['name'], created['group']))

    def test_unknown_keys_ignored(self):
        fixed_id = uuidutils.generate_uuid()
        created = self.create({
            'name': 'c', 'id': fixed_id, 'project': 'someone-else',
            'tenant': 'someone-else', 'creation_time': '2000-01-01T00:00:00Z',
            'updated_time': '2000-01-01T00:00:00Z', 'bogus': {'x': 1}})
        self.assertEqual(configs_base.CONFIG_KEYS, set(created))
        self.assertNotEqual(fixed_id, created['id'])
        self.assertNotEqual('2000-01-01T00:00:00Z', created['creation_time'])
        # Created in the caller's project.
        self.get('/software_configs/' + created['id'], status=200)
        self.get('/software_configs/' + created['id'],
                 headers=self.headers(test_base.OTHER_PROJECT),
                 project_id=test_base.OTHER_PROJECT, status=404)

    def test_create_policy(self):
        response = self.post('/software_configs', {'name': 'c'},
                             headers=self.headers(roles='reader'),
                             status=403)
        self.assertError(response, 403, 'Forbidden',
                         'You are not authorized to use '
                         'software_configs:create.')
        self.assertEqual([], self.list_configs())

    def test_admin_create_lands_in_own_project(self):
        # The URL's project is ignored for admins (Heat); admins are told
        # the project (doc/source/contributor/behaviour.rst,
        # behaviour-admin).
        created = self.create({'name': 'c'},
                              headers=self.headers(
                                  roles=configs_base.ADMIN_ROLES),
                              project_id=test_base.OTHER_PROJECT)
        self.assertEqual(configs_base.CONFIG_KEYS | {'project'}, set(created))
        self.assertEqual(self.project_id, created['project'])
        self.assertEqual([configs_base.summary(created)], self.list_configs())


class TestQuota(configs_base.ConfigsTestCase):

    QUOTA_MESSAGE = ('Request limit exceeded: You have reached the maximum '
                     'software configs per tenant, %d. Please delete some '
                     'configs.')

    def test_quota(self):
        self.config(max_software_configs_per_tenant=2)
        first = self.create()
        self.create()
        response = self.post('/software_configs', {'name': 'third'},
                             status=400)
        self.assertError(response, 400, 'RequestLimitExceeded',
                         self.QUOTA_MESSAGE % 2)
        self.assertEqual(2, len(self.list_configs()))
        # Deleting frees a slot.
        self.delete('/software_configs/' + first['id'], status=204)
        self.create({'name': 'third'})
        self.post('/software_configs', {'name': 'fourth'}, status=400)

    def test_quota_per_project(self):
        self.config(max_software_configs_per_tenant=1)
        self.create()
        self.create(headers=self.headers(test_base.OTHER_PROJECT),
                    project_id=test_base.OTHER_PROJECT)
        response = self.post('/software_configs', {}, status=400)
        self.assertError(response, 400, 'RequestLimitExceeded',
                         self.QUOTA_MESSAGE % 1)

    def test_quota_zero(self):
        self.config(max_software_configs_per_tenant=0)
        response = self.post('/software_configs', {}, status=400)
        self.assertError(response, 400, 'RequestLimitExceeded',
                         self.QUOTA_MESSAGE % 0)

    def test_admin_exempt(self):
        self.config(max_software_configs_per_tenant=1)
        for index in range(3):
            self.create({'name': 'a%d' % index},
                        headers=self.headers(roles=configs_base.ADMIN_ROLES))
        self.assertEqual(3, len(self.list_configs()))

    def test_unlimited(self):
        self.config(max_software_configs_per_tenant=-1)
        for index in range(6):
            self.create({'name': 'c%d' % index})
        self.assertEqual(6, len(self.list_configs()))

    def test_failed_create_uses_no_slot(self):
        self.config(max_software_configs_per_tenant=1)
        self.post('/software_configs', {'inputs': 'bad'}, status=400)
        self.create()
