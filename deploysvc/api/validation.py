"""Request body and query validation with clear messages naming the field."""

import codecs
import collections
import json
import math
import re

import jsonschema
from oslo_serialization import jsonutils
import webob.exc

from deploysvc import exception

_JSON_CONTENT_TYPES = ('', 'application/json', 'json')

# A request's body as decoded, kept in its environ under _DECODED: the
# stream it was read from (a new body is a new stream: webob's own cache of
# form bodies goes by the stream too), the bytes, the object or the
# ValueError parse_body gets from them, and what Pecan gets from them.
_Decoded = collections.namedtuple('_Decoded',
                                  'stream raw value error for_pecan')
_DECODED = 'deploysvc.json_body'

# Deepest nesting of objects and lists a body may have.  Python's decoder
# fails at about 990 levels (a 400), but a body of 960-990 levels it still
# decoded then failed when stored (the JSON encoder recurses too, from a
# deeper stack): a 500.  No Heat body needs more than a handful of levels.
MAX_DEPTH = 100

# What no database column can store: NUL (PostgreSQL refuses it in text and
# JSON) and an unpaired UTF-16 surrogate (not encodable in UTF-8: every
# driver refuses it).  A valid pair such as "\ud83d\ude00" is decoded into
# one character outside this range.
_UNSTORABLE = re.compile('[\x00\ud800-\udfff]')
_NOT_STORABLE = ('%s has a character the service cannot store: NUL or an '
                 'unpaired surrogate (\\u0000, \\ud800-\\udfff).')


def storable(text):
    """Whether a string can be stored (no NUL, no lone surrogate)."""
    return _UNSTORABLE.search(text) is None


def check_path(environ):
    """400 for a URL path with a NUL (%00), which no id can hold.

    An undecodable path (an unpaired surrogate is not UTF-8) is already a
    400 of ErrorHook: a NUL is the one character left to refuse.
    """
    if '\x00' in environ.get('PATH_INFO', ''):
        raise exception.BadRequest(message=_NOT_STORABLE % 'The URL path')


def check_query(request):
    """400 for a query string with a NUL in a name or value.

    Percent-decoding gives a NUL only from "%00" (a raw NUL cannot come
    through the server): the decoded query is looked at only then.
    """
    query = request.environ.get('QUERY_STRING')
    if query and ('%00' in query or '\x00' in query):
        for name, value in request.GET.items():
            if not (storable(name) and storable(value)):
                raise exception.BadRequest(
                    message=_NOT_STORABLE % ('The query parameter "%s"'
                                             % name.replace('\x00', '')))


def _check_value(raw, value):
    """400 for a body nested too deep or with a string nobody can store.

    Walks the decoded value only when the bytes say it may be needed: a
    NUL or a surrogate can only come from a "\\u" escape (raw ones are not
    valid JSON or not UTF-8), and a body with at most MAX_DEPTH brackets
    cannot be nested deeper.  Both tests run over the bytes in C: about
    0.2 us for a 1 KB body, where the walk costs about 1 us per 10 values.
    """
    strings = b'\\u' in raw
    if not strings and raw.count(b'[') + raw.count(b'{') <= MAX_DEPTH:
        return
    # Iterative: the point is not to recurse over a client's nesting.
    stack = [(value, 1, ())]
    while stack:
        item, depth, path = stack.pop()
        if isinstance(item, dict):
            children = item.items()
        elif isinstance(item, list):
            children = enumerate(item)
        else:
            continue
        if depth > MAX_DEPTH:
            raise exception.BadRequest(
                message='The request body is nested more than %d levels '
                        'deep.' % MAX_DEPTH)
        for key, child in children:
            where = path + (key,)
            if strings and (
                    (isinstance(key, str) and not storable(key))
                    or (isinstance(child, str) and not storable(child))):
                raise exception.BadRequest(message=_NOT_STORABLE % (
                    '"%s"' % '.'.join(str(p) for p in where)
                    .replace('\x00', '')))
            if isinstance(child, (dict, list)):
                stack.append((child, depth + 1, where))


def _decoded(request):
    """This request's _Decoded, if its body is still the one decoded."""
    decoded = request.environ.get(_DECODED)
    if decoded is not None and decoded.stream is request.body_file_raw:
        return decoded
    return None


def pecan_json(request):
    """``request.json`` as Pecan reads it, the body decoded only once.

    Pecan decodes a JSON body to match controller arguments, where only a
    failure to decode the text (a 400), a too deep nesting (a 400) or an
    error other than ``ValueError``/``TypeError`` counts; ``parse_body``
    then reuses the object (or the message of its ``ValueError``) instead
    of decoding the same bytes again.  The decoding is parse_body's, which
    rejects the NaN and infinities that Python's decoder lets through: for
    those bodies Pecan still gets what Python's decoder makes of them.
    """
    charset = request.charset
    try:
        codecs.lookup(charset)
    except LookupError:
        # A charset nobody knows: read UTF-8, as parse_body (and Heat) do.
        charset = 'UTF-8'
    # parse_body reads every body as UTF-8: only then is there one reading.
    shared = charset == 'UTF-8'
    decoded = _decoded(request) if shared else None
    if decoded is None:
        raw = request.body
        try:
            text = raw.decode(charset)
        except UnicodeDecodeError:
            # pecan.Request's answer to an undecodable attribute.
            raise webob.exc.HTTPBadRequest()
        try:
            value = _loads(text)
            found = (value, None, value)
        except _NotJson as e:
            found = (None, e, json.loads(text))
        except ValueError as e:
            found = (None, e, e)
        decoded = _Decoded(request.body_file_raw, raw, *found)
        if shared:
            request.environ[_DECODED] = decoded
    if isinstance(decoded.for_pecan, ValueError):
        raise decoded.for_pecan
    return decoded.for_pecan


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
    # Used once: a later call decodes the body again.
    decoded = _decoded(request)
    request.environ.pop(_DECODED, None)
    raw = request.body if decoded is None else decoded.raw
    if not raw:
        raise exception.BadRequest(
            message='The request body is missing: send a JSON object.')
    if not raw.startswith(b'{'):
        raise exception.BadRequest(
            message='The request body must be a JSON object.')
    if decoded is not None:
        value, error = decoded.value, decoded.error
    else:
        try:
            value, error = jsonutils.loads(raw, **_STRICT), None
        except (ValueError, RecursionError) as e:
            # RecursionError: Python's decoder gives up at about 990
            # levels of nesting (what Pecan's decoding answers 400 too).
            error = e
    if error is not None:
        raise exception.BadRequest(message=str(error))
    _check_value(raw, value)
    return value


class _NotJson(ValueError):
    """Valid for Python's decoder, not JSON."""


def _no_constant(name):
    """NaN and Infinity are not JSON (and could not be sent back)."""
    raise _NotJson('%s is not a valid JSON value' % name)


def _finite_float(text):
    value = float(text)
    if math.isinf(value):
        raise _NotJson('Number %s is too large' % text)
    return value


_STRICT = dict(parse_constant=_no_constant, parse_float=_finite_float)


def _loads(text):
    return json.loads(text, **_STRICT)


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


_TYPES = {
    'string': lambda value: isinstance(value, str),
    'object': lambda value: isinstance(value, dict),
    'array': lambda value: isinstance(value, list),
    'null': lambda value: value is None,
    'boolean': lambda value: isinstance(value, bool),
    'integer': lambda value: (isinstance(value, int)
                              and not isinstance(value, bool)),
}


def _compile(schema):
    """A predicate equal to "``schema`` finds no error", or None.

    jsonschema walks its whole machinery even for a valid body, which cost
    a fifth of a create.  The request schemas use a small subset of the
    vocabulary; for a schema within it this returns a plain function that
    answers whether a value is valid, and ``Validator`` asks jsonschema
    only for the error of an invalid one.  Any other keyword: None (then
    jsonschema decides everything).
    """
    checks = []
    for keyword, argument in schema.items():
        if keyword == 'type':
            names = [argument] if isinstance(argument, str) else argument
            if any(name not in _TYPES for name in names):
                return None
            tests = [_TYPES[name] for name in names]
            checks.append(lambda value, tests=tests: any(
                test(value) for test in tests))
        elif keyword in ('maxLength', 'minLength'):
            bound, longest = argument, keyword == 'maxLength'
            checks.append(lambda value, bound=bound, longest=longest: (
                not isinstance(value, str)
                or (len(value) <= bound if longest else len(value) >= bound)))
        elif keyword in ('minimum', 'maximum'):
            # Only numbers are bounded (a boolean is not one).
            bound, least = argument, keyword == 'minimum'
            checks.append(lambda value, bound=bound, least=least: (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or (value >= bound if least else value <= bound)))
        elif keyword == 'enum':
            if any(not (item is None or isinstance(item, str))
                   for item in argument):
                return None
            allowed = tuple(argument)
            checks.append(lambda value, allowed=allowed: (
                (value is None or isinstance(value, str))
                and value in allowed))
        elif keyword == 'required':
            names = tuple(argument)
            checks.append(lambda value, names=names: (
                not isinstance(value, dict)
                or all(name in value for name in names)))
        elif keyword == 'properties':
            compiled = {}
            for name, subschema in argument.items():
                compiled[name] = _compile(subschema)
                if compiled[name] is None:
                    return None
            checks.append(lambda value, compiled=compiled: (
                not isinstance(value, dict)
                or all(check(value[name]) for name, check in compiled.items()
                       if name in value)))
        elif keyword == 'allOf':
            parts = [_compile(subschema) for subschema in argument]
            if any(part is None for part in parts):
                return None
            checks.append(lambda value, parts=parts: all(
                part(value) for part in parts))
        else:
            return None
    return lambda value: all(check(value) for check in checks)


class Validator(object):
    """A compiled JSON schema; ``validate`` raises exception.Invalid."""

    def __init__(self, schema):
        jsonschema.Draft7Validator.check_schema(schema)
        self._validator = jsonschema.Draft7Validator(schema)
        self._valid = _compile(schema)

    def validate(self, data):
        if self._valid is not None and self._valid(data):
            return data
        error = jsonschema.exceptions.best_match(
            self._validator.iter_errors(data))
        if error is not None:
            raise exception.Invalid(reason=_describe(error))
        return data
