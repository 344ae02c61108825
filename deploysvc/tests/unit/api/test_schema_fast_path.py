"""The request schemas' fast check agrees with jsonschema."""

import random

import jsonschema

from deploysvc.api import schemas
from deploysvc.api import validation
from deploysvc import exception
from deploysvc.tests import base

_VALIDATORS = {'deployment_create': schemas.deployment_create,
               'deployment_update': schemas.deployment_update,
               'config_create': schemas.config_create}

_KEYS = ('config_id', 'server_id', 'input_values', 'output_values', 'action',
         'status', 'status_reason', 'stack_user_project_id', 'name', 'group',
         'options', 'other', 'id', 'timeout', 'delivery_timeout')


def _value(rng):
    return rng.choice([
        None, True, False, 0, 1, -1, 10 ** 9, 10 ** 12, 1.0, 2.5, -0.5,
        '', 'x', 'x' * 36, 'x' * 37,
        'ü' * 36, 'ü' * 37, 'x' * 256, 'COMPLETE', 'FAILED', 'IN_PROGRESS',
        'complete', [], ['COMPLETE'], {}, {'a': 1}, {'a': None}])


def _integral_float_in(body):
    values = body.values() if isinstance(body, dict) else [body]
    return any(isinstance(value, float) and value.is_integer()
               for value in values)


def _body(rng):
    if rng.random() < 0.05:
        return _value(rng)
    return dict((key, _value(rng)) for key in rng.sample(
        _KEYS, rng.randint(0, len(_KEYS))))


class TestFastPath(base.TestCase):

    def test_every_request_schema_is_compiled(self):
        for name, validator in _VALIDATORS.items():
            self.assertIsNotNone(validator._valid, name)

    def test_agrees_with_jsonschema(self):
        rng = random.Random(20261127)
        seen = {True: 0, False: 0}
        for _ in range(20000):
            body = _body(rng)
            for name, validator in _VALIDATORS.items():
                expected = not any(validator._validator.iter_errors(body))
                fast = validator._valid(body)
                # Never valid when jsonschema finds an error; equal for all
                # but the integers the fast check leaves to jsonschema
                # (1.0 is one for jsonschema's draft 7).
                self.assertEqual(expected, fast or (
                    expected and _integral_float_in(body)), (name, body))
                seen[fast] += 1
        self.assertGreater(seen[True], 1000)
        self.assertGreater(seen[False], 1000)

    def test_unknown_keywords_are_left_to_jsonschema(self):
        for schema in ({'type': 'object', 'pattern': 'x'},
                       {'properties': {'a': {'format': 'uuid'}}},
                       {'enum': [1, 2]},
                       {'type': 'number'},
                       {'allOf': [{'exclusiveMinimum': 1}]}):
            self.assertIsNone(validation._compile(schema), schema)

    def test_integer_is_conservative(self):
        check = validation._compile({'type': 'integer'})
        self.assertTrue(check(3))
        self.assertFalse(check(True))
        # jsonschema (draft 7) takes 3.0 as an integer; the fast check
        # answers no and lets jsonschema decide.
        self.assertFalse(check(3.0))
        self.assertEqual([], list(jsonschema.Draft7Validator(
            {'type': 'integer'}).iter_errors(3.0)))

    def test_invalid_body_keeps_jsonschema_message(self):
        self.assertRaisesRegex(
            exception.Invalid,
            '"status" must be one of IN_PROGRESS, COMPLETE, FAILED',
            schemas.deployment_create.validate,
            {'config_id': 'c', 'server_id': 's', 'status': 'x'})
