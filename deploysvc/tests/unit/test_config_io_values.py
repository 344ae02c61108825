"""Tests for deploysvc.common.config_io: booleans, defaults and values."""

import ddt

from deploysvc.common import config_io
from deploysvc.tests.unit import test_config_io


@ddt.ddt
class BooleanFieldsTest(test_config_io.ConfigIOTestCase):

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
class TypedDefaultTest(test_config_io.ConfigIOTestCase):

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
class UntypedDefaultAndValueTest(test_config_io.ConfigIOTestCase):

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
