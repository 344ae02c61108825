"""Normalisation of software config inputs and outputs.

Implements the rules (see doc/source/contributor/behaviour.rst,
behaviour-config-io) Heat's
``software_config_io`` applies (through its resource property machinery) to
the ``inputs`` and ``outputs`` of a software config before storing them.

Each declaration is checked against a fixed set of keys, its fields are
coerced (strings, booleans, the ``type`` enum and, when both ``type`` and
``default`` are given, a typed ``default``) and it is re-emitted with its keys
in a fixed order.  Errors raise :mod:`deploysvc.exception` classes naming the
offending field, e.g. ``inputs[2]``.  The module is pure and does no I/O.
"""

import json
import math

from deploysvc import exception

TYPES = (STRING, NUMBER, LIST, JSON, BOOLEAN) = (
    'String', 'Number', 'CommaDelimitedList', 'Json', 'Boolean')

INPUT_KEYS = ('name', 'description', 'type', 'default',
              'replace_on_change', 'secret', 'value')
OUTPUT_KEYS = ('name', 'description', 'type', 'error_output')

_REQUIRED = object()


def _show(value):
    """Render a (JSON) value for an error message."""
    return json.dumps(value, default=repr)


def _identity(value):
    """Untyped ``default``: kept as it is (a null one is dropped later)."""
    return value


def _to_string(value, if_null=''):
    """Heat's String property: null -> "", ints and bools -> str()."""
    if value is None:
        return if_null
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, int)):
        return str(value)
    raise ValueError('Value must be a string; got %s' % _show(value))


def _to_type(value):
    """The ``type`` enum; a null type is the default, String."""
    value = _to_string(value, if_null=STRING)
    if value not in TYPES:
        raise ValueError('"%s" is not one of the allowed types: %s'
                         % (value, ', '.join(TYPES)))
    return value


def _to_bool(value):
    """true/false, or the strings "true"/"false" in any case; null -> false."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ('true', 'false'):
        return value.lower() == 'true'
    raise ValueError('%s is not a valid boolean' % _show(value))


def _to_number(value):
    """Number default: ints stay ints, other numerals become floats.

    A null default is 0.  Booleans, non-finite values and strings that are
    not plain numerals (e.g. with ``_`` digit separators) are rejected.
    """
    if value is None:
        return 0
    number = value
    if isinstance(value, str) and '_' not in value:
        for parse in (int, float):
            try:
                number = parse(value)
                break
            except ValueError:
                pass
    if (isinstance(number, bool) or not isinstance(number, (int, float)) or
            (isinstance(number, float) and not math.isfinite(number))):
        raise ValueError('%s is not a number' % _show(value))
    return number


def _to_list(value):
    """CommaDelimitedList default: "a,b" -> ["a", "b"]; null -> []."""
    if value is None:
        return []
    if isinstance(value, str):
        return value.split(',') if value else []
    if isinstance(value, list):
        return list(value)
    raise ValueError('%s is not a list or a comma-delimited string'
                     % _show(value))


def _to_json(value):
    """Json default: objects, strings kept; arrays serialised; null -> {}."""
    if value is None:
        return {}
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return json.dumps(value)
    raise ValueError('%s is not a JSON object, array or string'
                     % _show(value))


_TYPED_DEFAULT = {
    STRING: _to_string,
    NUMBER: _to_number,
    LIST: _to_list,
    JSON: _to_json,
    BOOLEAN: _to_bool,
}


def _default_coercer(item):
    """Choose how an input's ``default`` is coerced, from its ``type``.

    Only an input carrying both keys has a typed default.  A ``default`` of
    "" with a non-String type is a legacy form kept unvalidated (Heat bug
    1697627); a null type means String.  An unknown type is a schema error.
    """
    if 'type' not in item or 'default' not in item:
        return _identity
    declared = item['type']
    if declared is None:
        return _to_string
    if item['default'] == '' and declared != STRING:
        return _identity
    if declared not in TYPES:
        raise exception.InvalidSchemaError(
            message='Invalid type (%s)' % declared)
    return _TYPED_DEFAULT[declared]


def _coerce(item, where, schema, hidden=()):
    """Check ``item`` against ``schema`` and return its coerced fields.

    ``schema`` is a sequence of ``(key, coercer, default)``; a key that is
    absent takes its default (``_REQUIRED`` makes it mandatory) and keys that
    end up null are left out.  Every other key of ``item`` is unknown.
    """
    known = {key for key, _coercer, _default in schema}
    for key in item:
        if key not in known:
            raise exception.InvalidConfigIO(
                reason='Unknown Property %s in %s' % (key, where))
    result = {}
    for key, coercer, default in schema:
        if key in item:
            try:
                value = coercer(item[key])
            except ValueError as exc:
                if key in hidden:
                    # A secret's value never goes into a message.
                    exc = 'invalid value for its type'
                raise exception.InvalidConfigIO(
                    reason='Property %s in %s: %s' % (key, where, exc))
        elif default is _REQUIRED:
            raise exception.InvalidConfigIO(
                reason='Property %s not assigned in %s' % (key, where))
        else:
            value = default
        if value is not None:
            result[key] = value
    return result


def _normalize_input(item, where):
    schema = (
        ('name', _to_string, _REQUIRED),
        ('description', _to_string, None),
        ('type', _to_type, STRING),
        ('default', _default_coercer(item), None),
        ('replace_on_change', _to_bool, False),
        # deploysvc's: the value is encrypted at rest and shown masked
        # (deploysvc.db.secrets); Heat's clients pass it through.
        ('secret', _to_bool, False),
    )
    declaration = {key: val for key, val in item.items() if key != 'value'}
    hidden = ('default',) if item.get('secret') not in (None, False,
                                                        'false') else ()
    result = _coerce(declaration, where, schema, hidden)
    for flag in ('replace_on_change', 'secret'):
        if not result[flag]:
            del result[flag]
    if 'value' in item:
        result['value'] = item['value']
    return result


_OUTPUT_SCHEMA = (
    ('name', _to_string, _REQUIRED),
    ('description', _to_string, None),
    ('type', _to_type, STRING),
    ('error_output', _to_bool, False),
)


def _normalize_output(item, where):
    return _coerce(item, where, _OUTPUT_SCHEMA)


def _normalize_list(value, field, normalize_item):
    """Check that ``value`` is a list of objects, then normalise each."""
    if not value:
        return []
    if not isinstance(value, list):
        raise exception.BadRequest(
            message="'%s' must be a list of objects" % field)
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            raise exception.BadRequest(
                message="'%s' must be a list of objects, but %s[%d] is not "
                        "an object" % (field, field, index))
    return [normalize_item(item, '%s[%d]' % (field, index))
            for index, item in enumerate(value)]


def normalize_inputs(value):
    """Return the normalised ``inputs`` of a software config.

    :param value: the raw JSON ``inputs`` of a request body (any JSON type).
    :returns: a list of dicts, keys in the order name, description, type,
        default, replace_on_change, value.
    :raises deploysvc.exception.BadRequest: ``value`` is truthy but not a
        list of objects.
    :raises deploysvc.exception.InvalidConfigIO: an input is invalid.
    :raises deploysvc.exception.InvalidSchemaError: an input has both a
        ``type`` and a ``default`` and the type is unknown.
    """
    return _normalize_list(value, 'inputs', _normalize_input)


def normalize_outputs(value):
    """Return the normalised ``outputs`` of a software config.

    :param value: the raw JSON ``outputs`` of a request body (any JSON type).
    :returns: a list of dicts, keys in the order name, description, type,
        error_output (always present).
    :raises deploysvc.exception.BadRequest: ``value`` is truthy but not a
        list of objects.
    :raises deploysvc.exception.InvalidConfigIO: an output is invalid.
    """
    return _normalize_list(value, 'outputs', _normalize_output)
