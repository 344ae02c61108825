"""JSON schemas of the request bodies (compiled once, at import)."""

from deploysvc.api import validation
from deploysvc.db import groups
from deploysvc import exception

STATUSES = ('IN_PROGRESS', 'COMPLETE', 'FAILED')

# status_reason fits MySQL's MEDIUMTEXT with 4-byte characters.
MAX_REASON = 65535


def _string(max_length, nullable=True, min_length=0):
    schema = {'type': ['string', 'null'] if nullable else 'string',
              'maxLength': max_length}
    if min_length:
        schema['minLength'] = min_length
    return schema


_OBJECT_OR_NULL = {'type': ['object', 'null']}
# Seconds; 0 is no deadline, null the default (behaviour-deadlines).
_TIMEOUT = {'type': ['integer', 'null'], 'minimum': 0,
            'maximum': 10 * 365 * 24 * 3600}

_DEPLOYMENT_FIELDS = {
    'config_id': _string(36, nullable=False, min_length=1),
    'server_id': _string(36, nullable=False, min_length=1),
    'input_values': _OBJECT_OR_NULL,
    'action': _string(255),
    'status': {'enum': list(STATUSES) + [None]},
    'status_reason': _string(MAX_REASON),
    'stack_user_project_id': _string(64),
    'timeout': _TIMEOUT,
    'delivery_timeout': _TIMEOUT,
}

deployment_create = validation.Validator({
    'type': 'object',
    # A client may choose the id (a UUID; Heat's engine chooses its own).
    'properties': dict(_DEPLOYMENT_FIELDS, id=_string(36)),
    'required': ['config_id', 'server_id'],
})

deployment_update = validation.Validator({
    'type': 'object',
    'properties': dict(
        (key, value) for key, value in _DEPLOYMENT_FIELDS.items()
        if key in ('input_values', 'action', 'status', 'status_reason',
                   'timeout', 'delivery_timeout')),
    # config_id may be sent as null (ignored, as Heat does).
    'allOf': [{'properties': {
        'config_id': _string(36, min_length=1),
        'output_values': _OBJECT_OR_NULL,
    }}],
})

config_create = validation.Validator({
    'type': 'object',
    'properties': {
        'name': _string(255),
        'group': _string(255),
        'options': _OBJECT_OR_NULL,
    },
})

# A deployment group's limits: a number, or a percentage of its servers
# (deploysvc.db.groups.resolve rounds them).
_PERCENT = {'type': 'string', 'pattern': '^(100|[1-9]?[0-9])%$'}
# The server limit of one group.
MAX_GROUP_SERVERS = groups.MAX_SERVERS
_MAX_INT32 = 2 ** 31 - 1

deployment_group_create = validation.Validator({
    'type': 'object',
    'properties': {
        'config_id': _string(36, nullable=False, min_length=1),
        'input_values': _OBJECT_OR_NULL,
        'action': _string(255),
        # Each item is checked by group_servers (10,000 of them through
        # jsonschema's anyOf would cost more than the create itself).
        'servers': {'type': 'array'},
        # (Bounded: the value is stored as sent, in 16 characters.)
        'max_concurrency': {'anyOf': [
            {'type': 'integer', 'minimum': 1, 'maximum': _MAX_INT32},
            _PERCENT]},
        'max_errors': {'anyOf': [
            {'type': 'integer', 'minimum': 0, 'maximum': _MAX_INT32},
            _PERCENT]},
        'timeout': _TIMEOUT,
        'delivery_timeout': _TIMEOUT,
    },
    'required': ['config_id', 'servers'],
})


_SERVER_ITEM = validation.Validator({
    'type': 'object',
    'properties': {
        'server_id': _string(36, nullable=False, min_length=1),
        'input_values': _OBJECT_OR_NULL},
    'required': ['server_id'],
})


def group_servers(servers):
    """``[(server_id, input_values or None)]`` of a group's ``servers``.

    Each item is a server id or ``{"server_id": ..., "input_values":
    {...}}``; 1 to MAX_GROUP_SERVERS of them, each server once.
    """
    if not 1 <= len(servers) <= MAX_GROUP_SERVERS:
        raise exception.Invalid(
            reason='"servers" must list 1 to %d servers (a larger fleet '
                   'is several groups)' % MAX_GROUP_SERVERS)
    result = []
    for index, item in enumerate(servers):
        if isinstance(item, str):
            server_id, inputs = item, None
        elif isinstance(item, dict):
            try:
                _SERVER_ITEM.validate(item)
            except exception.Invalid as e:
                raise exception.Invalid(reason='"servers.%d": %s' % (
                    index, e.kwargs.get('reason', '')))
            server_id, inputs = item['server_id'], item.get('input_values')
        else:
            raise exception.Invalid(
                reason='"servers.%d" must be a string or an object' % index)
        if not 1 <= len(server_id) <= 36:
            raise exception.Invalid(
                reason='"servers.%d" must be a server id of 1 to 36 '
                       'characters' % index)
        result.append((server_id, inputs))
    if len(set(server_id for server_id, _ in result)) != len(result):
        raise exception.Invalid(
            reason='"servers" lists a server more than once')
    return result
