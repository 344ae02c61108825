"""JSON views of the database rows, in Heat's envelopes and key order."""

_TIME_FORMAT = '%Y-%m-%dT%H:%M:%SZ'


def _time(value):
    return value.strftime(_TIME_FORMAT)


def config_summary(row, admin=False):
    """An item of the config list: id, name, group, creation_time."""
    result = {
        'id': row.id,
        'name': row.name,
        'group': row.group,
        'creation_time': _time(row.created_at),
    }
    if admin:
        result['project'] = row.project_id
    return result


def config(row, admin=False):
    """The full config, as shown, created and served in metadata."""
    result = {
        'id': row.id,
        'name': row.name,
        'group': row.group,
        'creation_time': _time(row.created_at),
        'config': row.config,
        'inputs': row.inputs,
        'outputs': row.outputs,
        'options': row.options,
    }
    if admin:
        result['project'] = row.project_id
    return result


def deployment(row, admin=False):
    result = {
        'id': row.id,
        'server_id': row.server_id,
        'config_id': row.config_id,
        'input_values': row.input_values,
        'output_values': row.output_values,
        'action': row.action,
        'status': row.status,
        'status_reason': row.status_reason,
        'creation_time': _time(row.created_at),
    }
    if row.updated_at is not None:
        result['updated_time'] = _time(row.updated_at)
    if admin:
        result['project'] = row.project_id
    return result


def server_agent(row, metadata_url):
    return {
        'server_id': row.server_id,
        'metadata_url': metadata_url,
        'created_at': _time(row.created_at),
    }


def event(row):
    """An entry of a deployment's history."""
    return {
        'id': row.id,
        'deployment_id': row.deployment_id,
        'time': _time(row.created_at),
        'source': row.source,
        'actor': row.actor,
        'status_from': row.status_from,
        'status_to': row.status_to,
        'applied': row.applied,
        'reason': row.reason,
        'details': row.details,
    }
