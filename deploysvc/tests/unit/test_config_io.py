"""Tests for deploysvc.common.config_io (contract section 7)."""

import copy

import ddt
import testtools

from deploysvc.common import config_io
from deploysvc import exception

_FALSY = (None, [], {}, '', 0, 0.0, False)


class _Base(testtools.TestCase):

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


class SpecExamplesTest(_Base):
    """The normalisation examples of sections 7 and 8, verbatim."""

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
class ListShapeTest(_Base):

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
class KeysTest(_Base):

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
class StringFieldsTest(_Base):

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
class TypeTest(_Base):

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


@ddt.ddt
class BooleanFieldsTest(_Base):

    @ddt.data(True, 'true', 'TRUE', 'True')
    def test_replace_on_change_true(self, raw):
        self.assertInputs([{'name': 'n', 'replace_on_change': raw}],
                          [{'name': 'n', 'type': 'String',
                            'replace_on_change': True}])

    @ddt.data(False, 'false', 'FaLsE', None)
    def test_replace_on_change_false_is_omitted(self, raw):
        self.assertInputs([{'name': 'n', 'replace_on_change': raw}],
                          [{'name': 'n', 'type': 'String'}])

    @ddt.data((True, True), ('tRuE', True), (False, False),
              ('false', False), (None, False))
    @ddt.unpack
    def test_error_output(self, raw, expected):
        self.assertOutputs([{'name': 'n', 'error_output': raw}],
                           [{'name': 'n', 'type': 'String',
                             'error_output': expected}])

    @ddt.data((1, '1'), (0, '0'), ('yes', '"yes"'), ('', '""'),
              ([], '[]'), ({}, '{}'))
    @ddt.unpack
    def test_invalid(self, raw, shown):
        self.assertInvalidInput(
            [{'name': 'n', 'replace_on_change': raw}],
            'Property replace_on_change in inputs[0]: %s is not a valid '
            'boolean' % shown)
        self.assertInvalidOutput(
            [{'name': 'n', 'error_output': raw}],
            'Property error_output in outputs[0]: %s is not a valid '
            'boolean' % shown)


@ddt.ddt
class TypedDefaultTest(_Base):

    @ddt.data(('s', 's'), (None, ''), (5, '5'), (True, 'True'), ('', ''))
    @ddt.unpack
    def test_string(self, raw, expected):
        self.assertDefault('String', raw, expected)

    @ddt.data((1.5, '1.5'), ([1], '[1]'), ({}, '{}'))
    @ddt.unpack
    def test_string_invalid(self, raw, shown):
        self.assertBadDefault('String', raw,
                              'Value must be a string; got %s' % shown)

    @ddt.data(('0', 0), ('42', 42), ('-7', -7), (' 3 ', 3), ('1.5', 1.5),
              ('1e3', 1000.0), (None, 0), (0, 0), (7, 7), (2.5, 2.5),
              (2.0, 2.0))
    @ddt.unpack
    def test_number(self, raw, expected):
        raw_input = [{'name': 'x', 'type': 'Number', 'default': raw}]
        default = config_io.normalize_inputs(raw_input)[0]['default']
        self.assertEqual(expected, default)
        self.assertIs(type(expected), type(default))

    @ddt.data(('abc', '"abc"'), ('0x10', '"0x10"'), ('1_000', '"1_000"'),
              ('nan', '"nan"'), ('inf', '"inf"'), ('1e400', '"1e400"'),
              (float('inf'), 'Infinity'), (True, 'true'), ([1], '[1]'),
              ({'a': 1}, '{"a": 1}'))
    @ddt.unpack
    def test_number_invalid(self, raw, shown):
        self.assertBadDefault('Number', raw, '%s is not a number' % shown)

    @ddt.data((True, True), (False, False), ('true', True),
              ('False', False), (None, False))
    @ddt.unpack
    def test_boolean(self, raw, expected):
        self.assertDefault('Boolean', raw, expected)

    @ddt.data((1, '1'), ('yes', '"yes"'), ([], '[]'))
    @ddt.unpack
    def test_boolean_invalid(self, raw, shown):
        self.assertBadDefault('Boolean', raw, '%s is not a valid boolean'
                              % shown)

    @ddt.data(('a,b', ['a', 'b']), ('a', ['a']), ('a, b', ['a', ' b']),
              ('a,,b', ['a', '', 'b']), (['x', 1, None], ['x', 1, None]),
              ([], []), (None, []))
    @ddt.unpack
    def test_comma_delimited_list(self, raw, expected):
        self.assertDefault('CommaDelimitedList', raw, expected)

    @ddt.data((5, '5'), ({'a': 1}, '{"a": 1}'), (True, 'true'))
    @ddt.unpack
    def test_comma_delimited_list_invalid(self, raw, shown):
        self.assertBadDefault(
            'CommaDelimitedList', raw,
            '%s is not a list or a comma-delimited string' % shown)

    @ddt.data(({'a': [1]}, {'a': [1]}), ({}, {}), ('{"a": 1}', '{"a": 1}'),
              ('plain', 'plain'), ([1, 'a'], '[1, "a"]'), ([], '[]'),
              ([{'k': 'v'}], '[{"k": "v"}]'), (None, {}))
    @ddt.unpack
    def test_json(self, raw, expected):
        self.assertDefault('Json', raw, expected)

    @ddt.data((5, '5'), (1.5, '1.5'), (False, 'false'))
    @ddt.unpack
    def test_json_invalid(self, raw, shown):
        self.assertBadDefault('Json', raw,
                              '%s is not a JSON object, array or string'
                              % shown)

    @ddt.data('Number', 'Boolean', 'CommaDelimitedList', 'Json')
    def test_legacy_empty_default_is_kept(self, io_type):
        self.assertDefault(io_type, '', '')

    @ddt.data((5, '5'), (None, ''), ('', ''))
    @ddt.unpack
    def test_null_type_types_default_as_string(self, raw, expected):
        self.assertInputs([{'name': 'x', 'type': None, 'default': raw}],
                          [{'name': 'x', 'type': 'String',
                            'default': expected}])

    def test_null_type_with_invalid_string_default(self):
        self.assertBadDefault(None, [1], 'Value must be a string; got [1]')


@ddt.ddt
class UntypedDefaultAndValueTest(_Base):

    @ddt.data('abc', 5, 1.5, True, [1, 'a'], {'a': None}, '')
    def test_untyped_default_is_kept(self, raw):
        self.assertInputs([{'name': 'x', 'default': raw}],
                          [{'name': 'x', 'type': 'String', 'default': raw}])

    def test_untyped_null_default_is_dropped(self):
        self.assertInputs([{'name': 'x', 'default': None}],
                          [{'name': 'x', 'type': 'String'}])

    @ddt.data(None, '', 0, False, 'abc', 1.5, [1, 2], {'k': {'n': None}})
    def test_value_is_kept_verbatim(self, raw):
        self.assertInputs([{'name': 'x', 'type': 'Number', 'value': raw}],
                          [{'name': 'x', 'type': 'Number', 'value': raw}])

    def test_value_is_not_typed_by_default(self):
        self.assertInputs(
            [{'name': 'x', 'type': 'Number', 'default': '3', 'value': '4'}],
            [{'name': 'x', 'type': 'Number', 'default': 3, 'value': '4'}])

    def test_absent_value_is_not_emitted(self):
        self.assertNotIn('value',
                         config_io.normalize_inputs([{'name': 'x'}])[0])
