"""/v1/{tenant_id}/software_configs: the HTTP contract (sections 2.1-2.4)."""

import datetime

import ddt
from oslo_utils import fixture as utils_fixture
from oslo_utils import timeutils
from oslo_utils import uuidutils

from deploysvc.tests import base as test_base
from deploysvc.tests.unit.api import base
from deploysvc.tests import utils

BAD_REQUEST = ('The server could not comply with the request since it is '
               'either malformed or otherwise incorrect.')
ADMIN_ROLES = 'admin,member,reader'
CONFIG_KEYS = {'id', 'name', 'group', 'creation_time', 'config', 'inputs',
               'outputs', 'options'}
SUMMARY_KEYS = {'id', 'name', 'group', 'creation_time'}
T0 = datetime.datetime(2015, 1, 31, 15, 12, 36)

# The api-ref request sample (section 8) and what Heat's code returns.
API_REF_CONFIG = ('#!/bin/sh -x\necho "Writing to /tmp/$bar"\n'
                  'echo $foo > /tmp/$bar\n')
API_REF_REQUEST = {
    'inputs': [
        {'default': None, 'type': 'String', 'name': 'foo',
         'description': None},
        {'default': None, 'type': 'String', 'name': 'bar',
         'description': None},
    ],
    'group': 'script',
    'name': 'a-config-we5zpvyu7b5o',
    'outputs': [{'type': 'String', 'name': 'result', 'error_output': False,
                 'description': None}],
    'config': API_REF_CONFIG,
    'options': None,
}
API_REF_RESPONSE = {
    'name': 'a-config-we5zpvyu7b5o',
    'group': 'script',
    'creation_time': '2015-01-31T15:12:36Z',
    'config': API_REF_CONFIG,
    'options': {},
    'inputs': [
        {'name': 'foo', 'description': '', 'type': 'String', 'default': ''},
        {'name': 'bar', 'description': '', 'type': 'String', 'default': ''},
    ],
    'outputs': [{'name': 'result', 'description': '', 'type': 'String',
                 'error_output': False}],
}


def summary(config, project=None):
    """The list item of a full config (plus ``project`` for admins)."""
    item = dict((key, config[key]) for key in SUMMARY_KEYS)
    if project is not None:
        item['project'] = project
    return item


class ConfigsTestCase(base.ApiTestCase):

    def create(self, body=None, **kw):
        body = {'name': 'c'} if body is None else body
        response = self.post('/software_configs', body, status=200, **kw)
        return response.json['software_config']

    def list_configs(self, query='', **kw):
        response = self.get('/software_configs' + query, status=200, **kw)
        self.assertEqual(['software_configs'], list(response.json))
        return response.json['software_configs']

    def at(self, when):
        """Freeze the clock (creation times) at ``when``."""
        self.useFixture(utils_fixture.TimeFixture(when))


@ddt.ddt
class TestCreate(ConfigsTestCase):

    def test_create_minimal(self):
        # heat-tempest-plugin's gabbi body.
        self.at(T0)
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
        self.assertEqual(CONFIG_KEYS, set(created))
        self.assertEqual('http://localhost/v1/%s/software_configs/%s'
                         % (self.project_id, created['id']),
                         response.headers['Location'])
        shown = self.get('/software_configs/' + created['id'], status=200)
        self.assertEqual(response.json, shown.json)

    def test_create_api_ref_sample(self):
        self.at(T0)
        created = self.create(API_REF_REQUEST)
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
        # Section 7 rules, through the API.
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
        self.assertEqual(CONFIG_KEYS, set(created))
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
        # The URL's project is ignored for admins (Heat); D15: admins are
        # told the project.
        created = self.create({'name': 'c'},
                              headers=self.headers(roles=ADMIN_ROLES),
                              project_id=test_base.OTHER_PROJECT)
        self.assertEqual(CONFIG_KEYS | {'project'}, set(created))
        self.assertEqual(self.project_id, created['project'])
        self.assertEqual([summary(created)], self.list_configs())


@ddt.ddt
class TestShow(ConfigsTestCase):

    def test_show(self):
        self.at(T0)
        created = self.create(API_REF_REQUEST)
        response = self.get('/software_configs/' + created['id'], status=200)
        self.assertEqual({'software_config': created}, response.json)
        self.assertEqual(CONFIG_KEYS, set(created))

    @ddt.data('0d2ab0a8-1b0c-4d1e-8f3a-2b4c6d8e0f12', 'not-a-uuid', 'x' * 300)
    def test_not_found(self, config_id):
        response = self.get('/software_configs/' + config_id, status=404)
        self.assertError(response, 404, 'NotFound',
                         'Software config with id %s not found' % config_id)

    def test_other_project(self):
        other = utils.create_test_config(
            self.make_context(test_base.OTHER_PROJECT))
        response = self.get('/software_configs/' + other.id, status=404)
        self.assertError(response, 404, 'NotFound',
                         'Software config with id %s not found' % other.id)

    def test_admin_sees_other_project(self):
        other = utils.create_test_config(
            self.make_context(test_base.OTHER_PROJECT), name='theirs')
        response = self.get('/software_configs/' + other.id,
                            headers=self.headers(roles=ADMIN_ROLES),
                            status=200)
        shown = response.json['software_config']
        self.assertEqual(CONFIG_KEYS | {'project'}, set(shown))
        self.assertEqual((other.id, 'theirs', test_base.OTHER_PROJECT),
                         (shown['id'], shown['name'], shown['project']))

    def test_show_policy(self):
        config = utils.create_test_config(self.context)
        response = self.get('/software_configs/' + config.id,
                            headers=self.headers(roles='member'),
                            status=403)
        self.assertError(response, 403, 'Forbidden',
                         'You are not authorized to use '
                         'software_configs:show.')


class TestDelete(ConfigsTestCase):

    def test_delete(self):
        created = self.create()
        response = self.delete('/software_configs/' + created['id'],
                               status=204)
        self.assertEqual(b'', response.body)
        response = self.get('/software_configs/' + created['id'], status=404)
        self.assertError(response, 404, 'NotFound',
                         'Software config with id %s not found'
                         % created['id'])
        self.assertEqual([], self.list_configs())

    def test_delete_twice(self):
        created = self.create()
        self.delete('/software_configs/' + created['id'], status=204)
        response = self.delete('/software_configs/' + created['id'],
                               status=404)
        self.assertError(response, 404, 'NotFound',
                         'Software config with id %s not found'
                         % created['id'])

    def test_delete_other_project(self):
        other_context = self.make_context(test_base.OTHER_PROJECT)
        other = utils.create_test_config(other_context)
        response = self.delete('/software_configs/' + other.id, status=404)
        self.assertError(response, 404, 'NotFound',
                         'Software config with id %s not found' % other.id)
        shown = self.get('/software_configs/' + other.id,
                         headers=self.headers(test_base.OTHER_PROJECT),
                         project_id=test_base.OTHER_PROJECT, status=200)
        self.assertEqual(other.id, shown.json['software_config']['id'])

    def test_delete_referenced(self):
        created = self.create(API_REF_REQUEST)
        deployment = self.post('/software_deployments',
                               {'config_id': created['id'],
                                'server_id': 'srv'}, status=200)
        response = self.delete('/software_configs/' + created['id'],
                               status=409)
        self.assertEqual({
            'code': 409, 'title': 'Conflict',
            'explanation': 'There was a conflict when trying to complete '
                           'your request.',
            'error': {'type': 'InvalidRestrictedAction',
                      'message': 'Software config with id %s can not be '
                                 'deleted as it is referenced.'
                                 % created['id'],
                      'traceback': None}}, response.json)
        shown = self.get('/software_configs/' + created['id'], status=200)
        self.assertEqual({'software_config': created}, shown.json)
        # Once the deployment is gone the config can go.
        self.delete('/software_deployments/%s' % deployment.json[
            'software_deployment']['id'], status=204)
        self.delete('/software_configs/' + created['id'], status=204)

    def test_delete_referenced_by_other_project(self):
        created = self.create()
        utils.create_test_deployment(
            self.make_context(test_base.OTHER_PROJECT, is_admin=True),
            config_id=created['id'])
        response = self.delete('/software_configs/' + created['id'],
                               status=409)
        self.assertError(response, 409, 'InvalidRestrictedAction',
                         'Software config with id %s can not be deleted as '
                         'it is referenced.' % created['id'])
        self.get('/software_configs/' + created['id'], status=200)

    def test_delete_policy(self):
        created = self.create()
        response = self.delete('/software_configs/' + created['id'],
                               headers=self.headers(roles='reader'),
                               status=403)
        self.assertError(response, 403, 'Forbidden',
                         'You are not authorized to use '
                         'software_configs:delete.')
        self.get('/software_configs/' + created['id'], status=200)


@ddt.ddt
class TestList(ConfigsTestCase):

    def _create_many(self, count, times=None):
        """``count`` configs; creation times cycle through ``times``."""
        times = times or [T0]
        self.at(times[0])
        created = []
        for index in range(count):
            timeutils.set_time_override(times[index % len(times)])
            created.append(self.create({'name': 'c%d' % index,
                                        'group': 'g%d' % index}))
        return created

    @staticmethod
    def _expected_order(configs):
        return [summary(c) for c in sorted(
            configs, key=lambda c: (c['creation_time'], c['id']),
            reverse=True)]

    def test_empty(self):
        self.assertEqual([], self.list_configs())

    def test_items(self):
        created = self.create(API_REF_REQUEST)
        listed = self.list_configs()
        self.assertEqual([summary(created)], listed)
        self.assertEqual(SUMMARY_KEYS, set(listed[0]))

    def test_order_created_at_desc_id_desc(self):
        # Ties on the second are common: id DESC breaks them.
        times = [T0, T0 + datetime.timedelta(seconds=5), T0,
                 T0 - datetime.timedelta(seconds=3)]
        created = self._create_many(9, times)
        listed = self.list_configs()
        self.assertEqual(self._expected_order(created), listed)
        self.assertEqual('2015-01-31T15:12:41Z', listed[0]['creation_time'])
        self.assertEqual('2015-01-31T15:12:33Z', listed[-1]['creation_time'])

    @ddt.data('abc', '1.5', '0x10')
    def test_limit_not_an_integer(self, limit):
        response = self.get('/software_configs?limit=' + limit, status=400)
        self.assertError(response, 400, 'HTTPBadRequest',
                         "Only integer is acceptable by 'limit'.")

    @ddt.data('-1', '-10')
    def test_limit_negative(self, limit):
        response = self.get('/software_configs?limit=' + limit, status=400)
        self.assertError(response, 400, 'HTTPBadRequest',
                         "Value '%s' is invalid for 'limit' which only "
                         "accepts non-negative integer." % limit)

    def test_limit(self):
        expected = self._expected_order(self._create_many(4))
        self.assertEqual([], self.list_configs('?limit=0'))
        self.assertEqual(expected[:1], self.list_configs('?limit=1'))
        self.assertEqual(expected[:3], self.list_configs('?limit=3'))
        self.assertEqual(expected, self.list_configs('?limit=10'))
        # Empty value ignored; the last of repeated values wins.
        self.assertEqual(expected, self.list_configs('?limit='))
        self.assertEqual(expected[:2],
                         self.list_configs('?limit=abc&limit=2'))

    def test_marker_is_exclusive(self):
        expected = self._expected_order(self._create_many(5, [T0, T0]))
        self.assertEqual(expected[2:], self.list_configs(
            '?marker=' + expected[1]['id']))
        self.assertEqual(expected[2:4], self.list_configs(
            '?marker=%s&limit=2' % expected[1]['id']))
        self.assertEqual([], self.list_configs(
            '?marker=' + expected[-1]['id']))

    @ddt.data('0d2ab0a8-1b0c-4d1e-8f3a-2b4c6d8e0f12', 'junk')
    def test_unknown_marker_ignored(self, marker):
        expected = self._expected_order(self._create_many(3))
        self.assertEqual(expected[:2], self.list_configs(
            '?limit=2&marker=' + marker))
        self.assertEqual(expected, self.list_configs('?marker=' + marker))

    def test_marker_paging_walks_everything_once(self):
        times = [T0, T0, T0 + datetime.timedelta(seconds=1),
                 T0 - datetime.timedelta(seconds=1)]
        expected = self._expected_order(self._create_many(11, times))
        seen, query = [], '?limit=3'
        while True:
            page = self.list_configs(query)
            if not page:
                break
            self.assertLessEqual(len(page), 3)
            seen.extend(page)
            query = '?limit=3&marker=' + page[-1]['id']
        self.assertEqual(expected, seen)

    def test_other_projects_not_listed(self):
        mine = self.create({'name': 'mine'})
        utils.create_test_config(self.make_context(test_base.OTHER_PROJECT))
        self.assertEqual([summary(mine)], self.list_configs())

    def test_admin_sees_all_projects(self):
        self.at(T0)
        mine = self.create({'name': 'mine'})
        theirs = self.create({'name': 'theirs'},
                             headers=self.headers(test_base.OTHER_PROJECT),
                             project_id=test_base.OTHER_PROJECT)
        listed = self.list_configs(headers=self.headers(roles=ADMIN_ROLES))
        expected = [dict(summary(c), project=project) for c, project in (
            (mine, self.project_id), (theirs, test_base.OTHER_PROJECT))]
        expected.sort(key=lambda c: c['id'], reverse=True)
        self.assertEqual(expected, listed)
        # Whatever tenant the admin's URL names.
        self.assertEqual(expected, self.list_configs(
            headers=self.headers(roles=ADMIN_ROLES),
            project_id=test_base.OTHER_PROJECT))

    @ddt.data('true', 'True', 'TRUE')
    def test_global_tenant_denied_by_default(self, value):
        self.create()
        for roles in ('member,reader', ADMIN_ROLES):
            response = self.get('/software_configs?global_tenant=' + value,
                                headers=self.headers(roles=roles),
                                status=403)
            self.assertError(response, 403, 'Forbidden',
                             'You are not authorized to use '
                             'software_configs:global_index.')

    def test_global_tenant_allowed_by_policy(self):
        self.policy.set_rules({'software_configs:global_index': ''})
        self.at(T0)
        mine = self.create({'name': 'mine'})
        theirs = self.create({'name': 'theirs'},
                             headers=self.headers(test_base.OTHER_PROJECT),
                             project_id=test_base.OTHER_PROJECT)
        expected = [dict(summary(c), project=project) for c, project in (
            (mine, self.project_id), (theirs, test_base.OTHER_PROJECT))]
        expected.sort(key=lambda c: c['id'], reverse=True)
        self.assertEqual(expected,
                         self.list_configs('?global_tenant=true'))
        # Paging still applies.
        self.assertEqual(expected[1:], self.list_configs(
            '?global_tenant=true&marker=' + expected[0]['id']))
        self.assertEqual([summary(mine)],
                         self.list_configs('?global_tenant=false'))

    @ddt.data('yes', '1', 'on')
    def test_global_tenant_invalid(self, value):
        response = self.get('/software_configs?global_tenant=' + value,
                            status=400)
        self.assertError(response, 400, 'HTTPBadRequest',
                         'Unrecognized value "%s" for "global_tenant", '
                         'acceptable values are: true, false.' % value)

    def test_max_limit(self):
        self.config(max_limit=2, group='api')
        expected = self._expected_order(self._create_many(4))
        self.assertEqual(expected[:2], self.list_configs())
        self.assertEqual(expected[:2], self.list_configs('?limit=3'))
        self.assertEqual(expected[:1], self.list_configs('?limit=1'))
        self.assertEqual(expected[2:], self.list_configs(
            '?marker=' + expected[1]['id']))

    def test_index_policy(self):
        response = self.get('/software_configs',
                            headers=self.headers(roles='member'),
                            status=403)
        self.assertError(response, 403, 'Forbidden',
                         'You are not authorized to use '
                         'software_configs:index.')


class TestQuota(ConfigsTestCase):

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
                        headers=self.headers(roles=ADMIN_ROLES))
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
