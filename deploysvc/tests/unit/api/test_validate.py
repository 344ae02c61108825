"""/v1/{tenant_id}/validate: the call "openstack software config create"
makes first (see doc/source/contributor/behaviour.rst, behaviour-validate)."""

import json

import ddt
import yaml

from deploysvc.tests import base as test_base
from deploysvc.tests.unit.api import base

SC = 'OS::Heat::SoftwareConfig'
ONLY = 'only OS::Heat::SoftwareConfig resources can be validated by this ' \
       'service'
NO_DESCRIPTION = {'Description': 'No description', 'Parameters': {}}


def osc_body(name='my-config', **properties):
    """The body python-heatclient's OSC plugin sends."""
    props = {'group': 'Heat::Ungrouped', 'config': '', 'inputs': [],
             'outputs': [], 'options': {}}
    props.update(properties)
    return {'template': {
        'heat_template_version': '2013-05-23',
        'resources': {name: {'type': SC, 'properties': props}},
    }}


def template(resources, **extra):
    return {'template': dict({'heat_template_version': '2013-05-23',
                              'resources': resources}, **extra)}


@ddt.ddt
class TestValidate(base.ApiTestCase):

    def validate(self, body, status, **kw):
        return self.post('/validate', body, status=status, **kw)

    def assertNoConfigs(self):
        listed = self.get('/software_configs', status=200)
        self.assertEqual({'software_configs': []}, listed.json)

    def test_osc_body(self):
        response = self.validate(osc_body(), 200)
        self.assertEqual('application/json', response.content_type)
        self.assertEqual(NO_DESCRIPTION, response.json)
        # Validation creates nothing.
        self.assertNoConfigs()

    def test_osc_body_with_definition(self):
        # --config-file and --definition-file (inputs/outputs/options).
        body = osc_body(
            group='script', config='#!/bin/sh\necho $foo',
            inputs=[{'name': 'foo', 'default': 'bar'},
                    {'name': 'n', 'type': 'Number', 'default': '3'}],
            outputs=[{'name': 'result', 'error_output': True}],
            options={'timeout': 30})
        response = self.validate(body, 200)
        self.assertEqual(NO_DESCRIPTION, response.json)

    def test_description(self):
        body = osc_body()
        body['template']['description'] = 'What it does'
        response = self.validate(body, 200)
        self.assertEqual({'Description': 'What it does', 'Parameters': {}},
                         response.json)

    def test_properties_may_be_absent(self):
        for resource in ({'type': SC}, {'type': SC, 'properties': None},
                         {'type': SC, 'properties': {}}):
            response = self.validate(template({'a': resource}), 200)
            self.assertEqual(NO_DESCRIPTION, response.json)

    def test_several_software_configs(self):
        body = template({'a': {'type': SC}, 'b': {'type': SC, 'properties': {
            'group': 'script', 'config': {'structured': True}}}})
        self.assertEqual(NO_DESCRIPTION, self.validate(body, 200).json)

    def test_yaml_string(self):
        text = yaml.safe_dump(dict(osc_body()['template'],
                                   description='from yaml'))
        response = self.validate({'template': text}, 200)
        self.assertEqual({'Description': 'from yaml', 'Parameters': {}},
                         response.json)

    def test_yaml_string_hand_written(self):
        text = ('heat_template_version: 2013-05-23\n'
                'resources:\n'
                '  cfg:\n'
                '    type: OS::Heat::SoftwareConfig\n'
                '    properties:\n'
                '      group: script\n'
                '      config: |\n'
                '        #!/bin/sh\n'
                '        echo hi\n'
                '      inputs:\n'
                '        - name: foo\n')
        response = self.validate({'template': text}, 200)
        self.assertEqual(NO_DESCRIPTION, response.json)

    def test_json_string(self):
        text = json.dumps(osc_body()['template'])
        response = self.validate({'template': text}, 200)
        self.assertEqual(NO_DESCRIPTION, response.json)

    def test_extra_keys_ignored(self):
        body = dict(osc_body(), environment={}, files={}, parameters={},
                    show_nested=False)
        self.assertEqual(NO_DESCRIPTION, self.validate(body, 200).json)

    @ddt.data(
        {'a': {'type': 'OS::Nova::Server', 'properties': {}}},
        {'a': {'type': SC}, 'b': {'type': 'OS::Heat::SoftwareDeployment'}},
        {'a': {'type': 'OS::Heat::StructuredConfig'}},
        {'a': {'type': 'os::heat::softwareconfig'}},
        {'a': {'properties': {'group': 'script'}}},
        {'a': 'OS::Heat::SoftwareConfig'},
        {'a': None},
        {},
    )
    def test_other_resources_rejected(self, resources):
        response = self.validate(template(resources), 400)
        self.assertError(response, 400, 'HTTPBadRequest', ONLY)

    @ddt.data(None, [], ['a'], 'resources')
    def test_resources_missing_or_not_a_map(self, resources):
        body = template(resources)
        response = self.validate(body, 400)
        self.assertError(response, 400, 'HTTPBadRequest', ONLY)
        del body['template']['resources']
        response = self.validate(body, 400)
        self.assertError(response, 400, 'HTTPBadRequest', ONLY)

    @ddt.data(
        ({'inputs': [{'name': 'x', 'bogus': 1}]}, 'ValueError',
         'Unknown Property bogus in inputs[0]'),
        ({'inputs': 'abc'}, 'HTTPBadRequest',
         "'inputs' must be a list of objects"),
        ({'outputs': [None]}, 'HTTPBadRequest',
         "'outputs' must be a list of objects, but outputs[0] is not an "
         "object"),
        ({'inputs': [{'name': 'a', 'type': 'Foo', 'default': 1}]},
         'InvalidSchemaError', 'Invalid type (Foo)'),
        ({'inputs': [{'name': 'a', 'type': 'Number', 'default': 'x'}]},
         'ValueError', 'Property default in inputs[0]: "x" is not a number'),
        ({'outputs': [{'name': 'a', 'error_output': 'maybe'}]},
         'ValueError', 'Property error_output in outputs[0]: "maybe" is '
                       'not a valid boolean'),
        ({'group': 5}, 'Invalid',
         'Data supplied was not valid: "group" must be a string or null'),
        ({'group': 'g' * 256}, 'Invalid',
         'Data supplied was not valid: "group" should be no more than 255 '
         'characters'),
        ({'options': 'abc'}, 'Invalid',
         'Data supplied was not valid: "options" must be an object or '
         'null'),
    )
    @ddt.unpack
    def test_invalid_properties_as_config_create(self, properties,
                                                 error_type, message):
        response = self.validate(osc_body(**properties), 400)
        self.assertError(response, 400, error_type, message)
        # Config create answers the same.
        body = dict(osc_body()['template']['resources']['my-config'][
            'properties'], **properties)
        response = self.post('/software_configs', body, status=400)
        self.assertError(response, 400, error_type, message)
        self.assertNoConfigs()

    def test_unknown_property(self):
        # "name" is a config create field, not a resource property.
        body = osc_body(name='cfg')
        body['template']['resources']['cfg']['properties']['name'] = 'x'
        response = self.validate(body, 400)
        self.assertError(response, 400, 'HTTPBadRequest',
                         'Unknown Property name in resource cfg.')

    @ddt.data([1], 'group: script', 5)
    def test_properties_not_a_map(self, properties):
        body = template({'cfg': {'type': SC, 'properties': properties}})
        response = self.validate(body, 400)
        self.assertError(response, 400, 'HTTPBadRequest',
                         'Properties of resource cfg must be a map.')

    def test_missing_template(self):
        response = self.validate({}, 400)
        self.assertError(response, 400, 'HTTPBadRequest',
                         'No template specified')
        response = self.validate({'files': {}}, 400)
        self.assertError(response, 400, 'HTTPBadRequest',
                         'No template specified')

    def test_template_url_not_supported(self):
        response = self.validate({'template_url': 'http://127.0.0.1/t'}, 400)
        self.assertError(response, 400, 'HTTPBadRequest',
                         '"template_url" is not supported by this service: '
                         'send the template in "template".')

    @ddt.data(None, 5, ['heat_template_version'], '- a\n- b', '42', '')
    def test_template_not_a_mapping(self, value):
        response = self.validate({'template': value}, 400)
        message = 'The template is not a JSON object or YAML mapping.'
        if value == '':
            # Heat reads an empty document as an empty template.
            message = 'Template format version not found.'
        self.assertError(response, 400, 'HTTPBadRequest',
                         'Template not in valid format: %s' % message)

    def test_template_invalid_yaml(self):
        response = self.validate({'template': 'a: [b\nc: {'}, 400)
        body = self.assertError(response, 400, 'HTTPBadRequest')
        self.assertTrue(body['error']['message'].startswith(
            'Template not in valid format: Error parsing template: '),
            body['error']['message'])

    def test_template_unsafe_yaml(self):
        text = ('heat_template_version: 2013-05-23\n'
                'resources: !!python/object/apply:os.system ["true"]\n')
        response = self.validate({'template': text}, 400)
        body = self.assertError(response, 400, 'HTTPBadRequest')
        self.assertIn('could not determine a constructor',
                      body['error']['message'])

    def test_template_version_required(self):
        body = osc_body()
        del body['template']['heat_template_version']
        response = self.validate(body, 400)
        self.assertError(response, 400, 'HTTPBadRequest',
                         'Template not in valid format: Template format '
                         'version not found.')

    @ddt.data('', 'reader', 'heat_stack_user')
    def test_policy_denied(self, roles):
        # Heat's stacks:validate_template default is a project member.
        response = self.validate(osc_body(), 403,
                                 headers=self.headers(roles=roles))
        self.assertError(response, 403, 'Forbidden',
                         'You are not authorized to use '
                         'stacks:validate_template.')

    def test_member_may_validate(self):
        response = self.validate(osc_body(), 200,
                                 headers=self.headers(roles='member'))
        self.assertEqual(NO_DESCRIPTION, response.json)

    def test_policy_override(self):
        self.policy.set_rules({'stacks:validate_template': '!'})
        response = self.validate(osc_body(), 403)
        self.assertError(response, 403, 'Forbidden',
                         'You are not authorized to use '
                         'stacks:validate_template.')

    def test_policy_before_validation(self):
        response = self.validate({}, 403, headers=self.headers(roles=''))
        self.assertError(response, 403, 'Forbidden',
                         'You are not authorized to use '
                         'stacks:validate_template.')

    def test_other_tenant(self):
        response = self.validate(osc_body(), 403,
                                 project_id=test_base.OTHER_PROJECT,
                                 headers=self.headers())
        self.assertError(response, 403, 'HTTPForbidden',
                         'Access was denied to this resource.')
