"""JSON views of the database rows, in Heat's envelopes and key order."""

from oslo_serialization import jsonutils

from deploysvc.common import cache

_TIME_FORMAT = '%Y-%m-%dT%H:%M:%SZ'


def _time(value):
    # isoformat writes the same characters as strftime for the naive UTC
    # times the database returns (years 1000-9999) in half the time: 0.7
    # against 1.6 us, up to four times per row of a list.
    if value.tzinfo is None and value.year >= 1000:
        return value.isoformat(timespec='seconds') + 'Z'
    return value.strftime(_TIME_FORMAT)


def _maybe_time(value):
    return None if value is None else _time(value)


def config_summary(row, admin=False):
    """An item of the config list: id, name, group, creation_time."""
    return _config(row, admin, full=False)


def config(row, admin=False):
    """The full config, as shown, created and served in metadata."""
    return _config(row, admin, full=True)


def _config(row, admin, full):
    result = {
        'id': row.id,
        'name': row.name,
        'group': row.group,
        'creation_time': _time(row.created_at),
    }
    if full:
        result.update(config=row.config, inputs=row.inputs,
                      outputs=row.outputs, options=row.options)
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
    # deploysvc's additions (behaviour-deadlines), after Heat's keys.
    result['status_reason_code'] = row.status_reason_code
    result['delivery_timeout'] = row.delivery_timeout
    result['timeout'] = row.timeout
    result['delivered_at'] = _maybe_time(row.delivered_at)
    result['deadline_at'] = _maybe_time(row.deadline_at)
    if row.group_id is not None:
        # A child of a deployment group (a fleet rollout).
        result['group_id'] = row.group_id
    if admin:
        result['project'] = row.project_id
    return result


def server_agent(row, metadata_url):
    return {
        'server_id': row.server_id,
        'metadata_url': metadata_url,
        'created_at': _time(row.created_at),
        'agent_last_seen': _maybe_time(row.last_seen_at),
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
        'reason_code': row.reason_code,
        'details': row.details,
    }


def deployment_group(row, admin=False):
    """A deployment group: its rollout settings, counts and status."""
    result = {
        'id': row.id,
        'config_id': row.config_id,
        'action': row.action,
        'input_values': row.input_values,
        'max_concurrency': row.max_concurrency_spec,
        'max_errors': row.max_errors_spec,
        'resolved_max_concurrency': row.max_concurrency,
        'resolved_max_errors': row.max_errors,
        'timeout': row.timeout,
        'delivery_timeout': row.delivery_timeout,
        'status': row.status,
        'status_reason': row.status_reason,
        'status_reason_code': row.status_reason_code,
        'counts': {
            'total': row.total,
            'pending': row.total - row.released,
            'in_progress': row.in_progress,
            'complete': row.complete,
            'failed': row.failed,
            'cancelled': row.cancelled,
        },
        'creation_time': _time(row.created_at),
        'updated_time': _maybe_time(row.updated_at),
    }
    if admin:
        result['project'] = row.project_id
    return result


def deployment_group_event(row):
    """An entry of a deployment group's history."""
    return {
        'id': row.id,
        'group_id': row.group_id,
        'time': _time(row.created_at),
        'kind': row.kind,
        'actor': row.actor,
        'deployment_id': row.deployment_id,
        'server_id': row.server_id,
        'status_from': row.status_from,
        'status_to': row.status_to,
        'reason': row.reason,
        'reason_code': row.reason_code,
    }


def list_body(key, items, next_href=None):
    """``{key: items}``; a cut page also has ``<key>_links``.

    ``<key>_links`` is Nova's form, the one openstacksdk's Resource.list
    follows for any resource: ``[{"rel": "next", "href": ...}]``.
    """
    body = {key: items}
    if next_href is not None:
        body[key + '_links'] = [{'rel': 'next', 'href': next_href}]
    return body


def list_chunks(key, pages, render):
    """``{key: [render(row), ...]}`` as bytes, one chunk per page of rows.

    ``pages`` yields lists of rows.  The chunks joined are the bytes
    ``jsonutils.dump_as_bytes({key: [...]})`` makes of the same rows (the
    separators of json.dumps), so a list sent whole has one shape however
    it is sent.
    """
    yield b'{"%s": [' % key.encode('ascii')
    separator = b''
    for rows in pages:
        if rows:
            # One dumps per page: '[a, b]' without its brackets.
            yield separator + jsonutils.dump_as_bytes(
                [render(row) for row in rows])[1:-1]
            separator = b', '
    yield b']}'


# The JSON of each config as a server's metadata lists it, by config id,
# per worker process: configs never change, so a server's metadata is one
# small query (its config ids in order) and a join of cached bytes (see
# doc/source/contributor/behaviour.rst, behaviour-cache-config-json).
_CONFIG_JSON = cache.BytesCache(8 * 1024 * 1024, 'config_json')


def server_metadata_json(config_ids, load_configs):
    """``{"metadata": [config, ...]}`` as bytes, as json.dumps makes it.

    ``load_configs(ids)`` returns the rows of the configs not cached yet;
    an id it does not return (deleted meanwhile with its deployment) is
    left out.
    """
    parts = {}
    missing = []
    for config_id in set(config_ids):
        part = _CONFIG_JSON.get(config_id)
        if part is None:
            missing.append(config_id)
        else:
            parts[config_id] = part
    if missing:
        for row in load_configs(missing):
            parts[row.id] = _CONFIG_JSON.put(
                row.id, jsonutils.dump_as_bytes(config(row)))
    return b'{"metadata": [%s]}' % b', '.join(
        parts[config_id] for config_id in config_ids if config_id in parts)
