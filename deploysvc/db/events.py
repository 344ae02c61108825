"""Deployments' histories: every status change and every signal."""

import json

import sqlalchemy as sa

from deploysvc.db import models
from deploysvc.db import prepared
from deploysvc.db import query

_EVENTS = models.DeploymentEvent.__table__
_INSERT = prepared.Statement(_EVENTS.insert(), column_keys=[
    column.name for column in _EVENTS.c if column.name != 'id'])
_PAGE = sa.select(*_EVENTS.c).where(
    _EVENTS.c.deployment_id == sa.bindparam('p_deployment_id')).order_by(
        _EVENTS.c.id.desc())
_PAGE_AFTER = _PAGE.where(_EVENTS.c.id < sa.bindparam('p_marker'))

# Stored signal bodies are cut to this many characters of JSON.
MAX_DETAILS = 65535


def _trim(details):
    if details is None:
        return None
    text = json.dumps(details)
    if len(text) <= MAX_DETAILS:
        return details
    return {'truncated': True, 'size': len(text)}


def record(w, context, deployment_id, source, status_from, status_to,
           applied, reason=None, details=None, reason_code=None):
    """Add an entry to a deployment's history (caller's transaction).

    ``context`` is who acted (its user is the actor), None for the service
    itself (a deadline).
    """
    w.execute(_INSERT, {
        'deployment_id': deployment_id, 'created_at': query.now(),
        'source': source,
        'actor': None if context is None else context.user_id,
        'status_from': status_from, 'status_to': status_to,
        'applied': applied,
        'reason': None if reason is None else reason[:query.MAX_REASON],
        'details': _trim(details), 'reason_code': reason_code})


def page(w, deployment_id, limit, marker=None):
    """A deployment's history, newest first (keyset paging on id)."""
    params = {'p_deployment_id': deployment_id}
    statement = _PAGE
    if marker is not None:
        statement = _PAGE_AFTER
        params['p_marker'] = marker
    return [models.Event._make(row)
            for row in w.execute(statement.limit(limit), params)]
