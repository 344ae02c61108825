"""JSON schemas of the request bodies (compiled once, at import)."""

from deploysvc.api import validation

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
