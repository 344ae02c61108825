"""Request body and query validation with clear messages naming the field."""

import math

import jsonschema
from oslo_serialization import jsonutils

from deploysvc import exception

_JSON_CONTENT_TYPES = ('', 'application/json', 'json')


def parse_body(request):
    """The request's JSON object, or a 400 that says what is wrong.

    Heat reads a body only when it is JSON (or untyped/text) and starts with
    ``{``; anything else gets a 400 rather than being guessed at.
    """
    content_type = request.content_type or ''
    if (content_type.lower() not in _JSON_CONTENT_TYPES
            and not content_type.startswith('text/plain')):
        raise exception.BadRequest(
            message='Unsupported content type %s: send the body as '
                    'application/json.' % content_type)
    raw = request.body
    if not raw:
        raise exception.BadRequest(
            message='The request body is missing: send a JSON object.')
    if not raw.startswith(b'{'):
        raise exception.BadRequest(
            message='The request body must be a JSON object.')
    try:
        return jsonutils.loads(raw, parse_constant=_no_constant,
                               parse_float=_finite_float)
    except ValueError as e:
        raise exception.BadRequest(message=str(e))


def _no_constant(name):
    """NaN and Infinity are not JSON (and could not be sent back)."""
    raise ValueError('%s is not a valid JSON value' % name)


def _finite_float(text):
    value = float(text)
    if math.isinf(value):
        raise ValueError('Number %s is too large' % text)
    return value


def _field(error):
    path = '.'.join(str(p) for p in error.absolute_path)
    if error.validator == 'required':
        # The missing property is named in the message, not the path.
        missing = error.message.split("'")[1]
        path = '.'.join(filter(None, [path, missing]))
    return path or 'body'


_TYPE_NAMES = {'string': 'a string', 'object': 'an object',
               'array': 'a list', 'integer': 'an integer',
               'null': 'null', 'boolean': 'a boolean'}


def _describe(error):
    field = _field(error)
    schema = error.schema
    if error.validator == 'required':
        return '"%s" is required' % field
    if error.validator == 'maxLength':
        return '"%s" should be no more than %d characters' % (
            field, schema['maxLength'])
    if error.validator == 'minLength':
        return '"%s" must not be empty' % field
    if error.validator == 'enum':
        return '"%s" must be one of %s' % (
            field, ', '.join(str(v) for v in schema['enum'] if v))
    if error.validator == 'type':
        types = schema['type']
        if isinstance(types, str):
            types = [types]
        return '"%s" must be %s' % (
            field, ' or '.join(_TYPE_NAMES.get(t, t) for t in types))
    return '"%s" is not valid' % field


class Validator(object):
    """A compiled JSON schema; ``validate`` raises exception.Invalid."""

    def __init__(self, schema):
        jsonschema.Draft7Validator.check_schema(schema)
        self._validator = jsonschema.Draft7Validator(schema)

    def validate(self, data):
        error = jsonschema.exceptions.best_match(
            self._validator.iter_errors(data))
        if error is not None:
            raise exception.Invalid(reason=_describe(error))
        return data
