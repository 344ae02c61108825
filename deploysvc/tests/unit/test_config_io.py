"""Tests for deploysvc.common.config_io (behaviour-config-io): shapes, types.

The booleans and the defaults and values of typed inputs are in
test_config_io_values.py.
"""

import copy

import ddt
import testtools

from deploysvc.common import config_io
from deploysvc import exception

_FALSY = (None, [], {}, '', 0, 0.0, False)


class ConfigIOTestCase(testtools.TestCase):

    def assertNormalized(self, func, raw, expected):
        """Assert the whole result, including the key order of each item."""
        result = func(raw)
        self.assertEqual(expected, result)
        self.assertEqual([list(item) for item in expected],
                         [list(item) for item in result])

    def assertRaisesMessage(self, exc_class, message, func, raw):
        exc = self.assertRaises(exc_class, func, raw)
        self.assertEqual(message, exc.message)
        return exc

    def assertInputs(self, raw, expected):
        self.assertNormalized(config_io.normalize_inputs, raw, expected)

    def assertOutputs(self, raw, expected):
        self.assertNormalized(config_io.normalize_outputs, raw, expected)

    def assertInvalidInput(self, raw, message):
        return self.assertRaisesMessage(exception.InvalidConfigIO, message,
                                        config_io.normalize_inputs, raw)

    def assertInvalidOutput(self, raw, message):
        return self.assertRaisesMessage(exception.InvalidConfigIO, message,
                                        config_io.normalize_outputs, raw)

    def assertDefault(self, input_type, default, expected):
        raw = [{'name': 'x', 'type': input_type, 'default': default}]
        self.assertInputs(raw, [{'name': 'x', 'type': input_type,
                                 'default': expected}])

    def assertBadDefault(self, input_type, default, detail):
        self.assertInvalidInput(
            [{'name': 'x', 'type': input_type, 'default': default}],
            'Property default in inputs[0]: %s' % detail)


class SpecExamplesTest(ConfigIOTestCase):
    """Heat's normalisation examples, verbatim."""

    def test_input_null_default_and_description(self):
        self.assertInputs(
            [{'default': None, 'type': 'String', 'name': 'foo',
              'description': None}],
            [{'name': 'foo', 'description': '', 'type': 'String',
              'default': ''}])

    def test_output_null_description(self):
        self.assertOutputs(
            [{'type': 'String', 'name': 'result', 'error_output': False,
              'description': None}],
            [{'name': 'result', 'description': '', 'type': 'String',
              'error_output': False}])

    def test_input_name_only(self):
        self.assertInputs([{'name': 'mode'}],
                          [{'name': 'mode', 'type': 'String'}])

    def test_output_name_only(self):
        self.assertOutputs([{'name': 'endpoint'}],
                           [{'name': 'endpoint', 'type': 'String',
                             'error_output': False}])

    def test_api_ref_config_create_request(self):
        inputs = [{'default': None, 'type': 'String', 'name': 'foo',
                   'description': None},
                  {'default': None, 'type': 'String', 'name': 'bar',
                   'description': None}]
        outputs = [{'type': 'String', 'name': 'result',
                    'error_output': False, 'description': None}]
        self.assertInputs(inputs, [
            {'name': 'foo', 'description': '', 'type': 'String',
             'default': ''},
            {'name': 'bar', 'description': '', 'type': 'String',
             'default': ''}])
        self.assertOutputs(outputs, [
            {'name': 'result', 'description': '', 'type': 'String',
             'error_output': False}])

    def test_api_ref_metadata_derived_config(self):
        url = 'http://192.168.20.103:8000/v1/signal/arn%3A'
        raw = [
            {'default': None, 'type': 'String', 'name': 'foo',
             'value': 'fooooo', 'description': None},
            {'type': 'String', 'name': 'deploy_server_id',
             'value': 'ec14c864-096e-4e27-bb8a-2c2b4dc6f3f5',
             'description': 'ID of the server being deployed to'},
            {'type': 'String', 'name': 'deploy_signal_id', 'value': url,
             'description': 'ID of signal to use for signalling output '
                            'values'}]
        self.assertInputs(raw, [
            {'name': 'foo', 'description': '', 'type': 'String',
             'default': '', 'value': 'fooooo'},
            {'name': 'deploy_server_id',
             'description': 'ID of the server being deployed to',
             'type': 'String',
             'value': 'ec14c864-096e-4e27-bb8a-2c2b4dc6f3f5'},
            {'name': 'deploy_signal_id',
             'description': 'ID of signal to use for signalling output '
                            'values',
             'type': 'String', 'value': url}])

    def test_osc_derived_config_inputs(self):
        self.assertInputs(
            [{'name': 'deploy_action', 'value': 'UPDATE'},
             {'name': 'extra', 'type': 'String', 'value': 'v'}],
            [{'name': 'deploy_action', 'type': 'String', 'value': 'UPDATE'},
             {'name': 'extra', 'type': 'String', 'value': 'v'}])

    def test_full_input_key_order(self):
        raw = [{'value': 1, 'replace_on_change': True, 'default': 'd',
                'type': 'String', 'description': 'desc', 'name': 'n'}]
        self.assertInputs(raw, [{'name': 'n', 'description': 'desc',
                                 'type': 'String', 'default': 'd',
                                 'replace_on_change': True, 'value': 1}])

    def test_full_output_key_order(self):
        raw = [{'error_output': True, 'type': 'Json', 'description': 'd',
                'name': 'n'}]
        self.assertOutputs(raw, [{'name': 'n', 'description': 'd',
                                  'type': 'Json', 'error_output': True}])


@ddt.ddt
class ListShapeTest(ConfigIOTestCase):

    @ddt.data(*_FALSY)
    def test_falsy_is_empty(self, raw):
        self.assertEqual([], config_io.normalize_inputs(raw))
        self.assertEqual([], config_io.normalize_outputs(raw))

    @ddt.data('abc', {'a': 1}, 5, True, 1.5)
    def test_not_a_list(self, raw):
        for func, field in ((config_io.normalize_inputs, 'inputs'),
                            (config_io.normalize_outputs, 'outputs')):
            exc = self.assertRaisesMessage(
                exception.BadRequest,
                "'%s' must be a list of objects" % field, func, raw)
            self.assertEqual(400, exc.code)
            self.assertEqual('HTTPBadRequest', exc.type)

    @ddt.data(['x'], [None], [[]], [1])
    def test_element_not_an_object(self, raw):
        self.assertRaisesMessage(
            exception.BadRequest,
            "'inputs' must be a list of objects, but inputs[0] is not an "
            "object", config_io.normalize_inputs, raw)

    def test_element_index_is_named(self):
        self.assertRaisesMessage(
            exception.BadRequest,
            "'outputs' must be a list of objects, but outputs[1] is not an "
            "object", config_io.normalize_outputs, [{'name': 'a'}, 'b'])

    def test_list_shape_is_checked_before_items(self):
        self.assertRaises(exception.BadRequest, config_io.normalize_inputs,
                          [{'bogus': 1}, 'x'])

    def test_order_of_items_is_kept(self):
        self.assertInputs([{'name': 'b'}, {'name': 'a'}],
                          [{'name': 'b', 'type': 'String'},
                           {'name': 'a', 'type': 'String'}])

    def test_request_is_not_modified(self):
        raw = [{'name': 'n', 'type': 'Json', 'default': [1],
                'replace_on_change': 'false', 'value': {'k': [1]}}]
        before = copy.deepcopy(raw)
        config_io.normalize_inputs(raw)
        self.assertEqual(before, raw)


@ddt.ddt
class KeysTest(ConfigIOTestCase):

    def test_unknown_input_key(self):
        exc = self.assertInvalidInput(
            [{'name': 'x', 'bogus': 1}],
            'Unknown Property bogus in inputs[0]')
        self.assertEqual(400, exc.code)
        self.assertEqual('ValueError', exc.type)

    @ddt.data('error_output', 'bogus')
    def test_unknown_input_keys(self, key):
        self.assertInvalidInput(
            [{'name': 'a'}, {'name': 'x', key: False}],
            'Unknown Property %s in inputs[1]' % key)

    @ddt.data('value', 'default', 'replace_on_change', 'bogus')
    def test_unknown_output_keys(self, key):
        self.assertInvalidOutput([{'name': 'x', key: 'true'}],
                                 'Unknown Property %s in outputs[0]' % key)

    def test_missing_name(self):
        self.assertInvalidInput([{'type': 'String'}],
                                'Property name not assigned in inputs[0]')
        self.assertInvalidOutput([{}],
                                 'Property name not assigned in outputs[0]')

    def test_unknown_key_reported_before_missing_name(self):
        self.assertInvalidOutput([{'bogus': 1}],
                                 'Unknown Property bogus in outputs[0]')


@ddt.ddt
class StringFieldsTest(ConfigIOTestCase):

    @ddt.data((None, ''), ('', ''), ('n', 'n'), (5, '5'), (-1, '-1'),
              (True, 'True'), (False, 'False'))
    @ddt.unpack
    def test_name(self, raw, expected):
        self.assertInputs([{'name': raw}],
                          [{'name': expected, 'type': 'String'}])
        self.assertOutputs([{'name': raw}],
                           [{'name': expected, 'type': 'String',
                             'error_output': False}])

    @ddt.data((None, ''), ('d', 'd'), (0, '0'), (True, 'True'))
    @ddt.unpack
    def test_description(self, raw, expected):
        self.assertInputs([{'name': 'n', 'description': raw}],
                          [{'name': 'n', 'description': expected,
                            'type': 'String'}])

    @ddt.data((1.5, '1.5'), ([1], '[1]'), ({'a': 'b'}, '{"a": "b"}'))
    @ddt.unpack
    def test_not_a_string(self, raw, shown):
        self.assertInvalidInput(
            [{'name': raw}],
            'Property name in inputs[0]: Value must be a string; got %s'
            % shown)
        self.assertInvalidOutput(
            [{'name': 'n', 'description': raw}],
            'Property description in outputs[0]: Value must be a string; '
            'got %s' % shown)


@ddt.ddt
class TypeTest(ConfigIOTestCase):

    @ddt.data(*config_io.TYPES)
    def test_allowed(self, io_type):
        self.assertInputs([{'name': 'n', 'type': io_type}],
                          [{'name': 'n', 'type': io_type}])
        self.assertOutputs([{'name': 'n', 'type': io_type}],
                           [{'name': 'n', 'type': io_type,
                             'error_output': False}])

    def test_null_is_string(self):
        self.assertInputs([{'name': 'n', 'type': None}],
                          [{'name': 'n', 'type': 'String'}])
        self.assertOutputs([{'name': 'n', 'type': None}],
                           [{'name': 'n', 'type': 'String',
                             'error_output': False}])

    @ddt.data(('string', 'string'), ('Integer', 'Integer'), (5, '5'),
              (True, 'True'))
    @ddt.unpack
    def test_not_allowed(self, raw, shown):
        message = ('Property type in %%s[0]: "%s" is not one of the '
                   'allowed types: String, Number, CommaDelimitedList, '
                   'Json, Boolean' % shown)
        self.assertInvalidInput([{'name': 'n', 'type': raw}],
                                message % 'inputs')
        self.assertInvalidOutput([{'name': 'n', 'type': raw}],
                                 message % 'outputs')

    def test_not_a_string(self):
        self.assertInvalidOutput(
            [{'name': 'n', 'type': ['String']}],
            'Property type in outputs[0]: Value must be a string; '
            'got ["String"]')

    @ddt.data(('Bogus', 'Bogus'), (5, '5'), ('number', 'number'))
    @ddt.unpack
    def test_unknown_type_with_default(self, raw, shown):
        exc = self.assertRaisesMessage(
            exception.InvalidSchemaError, 'Invalid type (%s)' % shown,
            config_io.normalize_inputs,
            [{'name': 'n', 'type': raw, 'default': 1}])
        self.assertEqual(400, exc.code)
        self.assertEqual('InvalidSchemaError', exc.type)

    def test_schema_error_comes_first(self):
        # As in Heat, the typed-default schema is built before validation.
        self.assertRaises(exception.InvalidSchemaError,
                          config_io.normalize_inputs,
                          [{'type': 'Bogus', 'default': 1, 'bogus': 1}])

    def test_unknown_type_with_legacy_empty_default(self):
        self.assertInvalidInput(
            [{'name': 'n', 'type': 'Bogus', 'default': ''}],
            'Property type in inputs[0]: "Bogus" is not one of the allowed '
            'types: String, Number, CommaDelimitedList, Json, Boolean')
