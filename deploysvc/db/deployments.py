"""Software deployments: one config applied to one server.

The first statement of every write transaction here is a write (an UPDATE
or DELETE).  On SQLite a transaction that has read first holds a SHARED
lock and fails at once with "database is locked" when it later needs to
write while another transaction writes; one that writes first simply waits
for the lock.  On the other databases the same order takes the row locks
early, so concurrent writers serialize instead of deadlocking.
"""

import collections

from oslo_db import exception as db_exc
from oslo_utils import uuidutils
import sqlalchemy as sa

from deploysvc.common import notify
from deploysvc.db import agents
from deploysvc.db import configs
from deploysvc.db import deployment_rows
from deploysvc.db import engine
from deploysvc.db import events
from deploysvc.db import lifecycle
from deploysvc.db import models
from deploysvc.db import prepared
from deploysvc.db import query
from deploysvc.db import quotas
from deploysvc.db import runs
from deploysvc.db import secrets
from deploysvc import exception

_SC = models.SoftwareConfig.__table__
_SD = models.SoftwareDeployment.__table__

# API sort keys (Heat's names and the column names) -> columns.
_SORT_KEYS = {
    'created_at': 'created_at', 'creation_time': 'created_at',
    'updated_at': 'updated_at', 'updated_time': 'updated_at',
    'id': 'id', 'status': 'status', 'action': 'action',
    'server_id': 'server_id', 'config_id': 'config_id',
}
SORT_KEYS = sorted(_SORT_KEYS)

_OWN = deployment_rows.OWN
_SHARED = deployment_rows.SHARED
_BY_ID = deployment_rows.BY_ID
_INSERT = prepared.Statement(_SD.insert(),
                             column_keys=models.Deployment._fields)
_NEW = dict(dict.fromkeys(models.Deployment._fields), input_values={},
            served_revision=0)
_OUTPUTS = prepared.Statement(sa.select(_SC.c.outputs).where(
    _SC.c.id == sa.bindparam('p_id')))
# The visible deployments past their deadline (ix_software_deployment_
# deadline: only IN_PROGRESS rows with a deadline have one).
_OVERDUE = query.Scoped(sa.select(*_SD.c).where(
    _SD.c.deadline_at <= sa.bindparam('p_now', type_=_SD.c.deadline_at.type),
    _SD.c.status == runs.IN_PROGRESS).limit(1000), _OWN)
_ORDER = query.Scoped(sa.select(
    _SD.c.config_id, _SC.c.name, _SD.c.created_at, _SD.c.id,
    _SD.c.status_reason_code, _SD.c.delivered_at,
    _SD.c.group_state).join_from(
        _SD, _SC, _SD.c.config_id == _SC.c.id).where(
            _SD.c.server_id == sa.bindparam('p_server')), _OWN, _SHARED)
_GROUP_OF = query.Scoped(sa.select(_SD.c.group_id, _SD.c.group_state).where(
    _SD.c.id == sa.bindparam('p_id')), _OWN)
_DELETE = query.Scoped(
    sa.delete(_SD).where(_SD.c.id == sa.bindparam('p_id')), _OWN)
_ON_SERVER = prepared.Statement(sa.select(*_SD.c).where(
    _SD.c.server_id == sa.bindparam('p_server'),
    _SD.c.project_id == sa.bindparam('p_project_id')))


def create(context, values, limit=-1, then=None):
    """A new deployment of the context's project; ``limit`` is the quota.

    ``values`` may name the ``id`` (else a new UUID): DeploymentExists when
    a deployment has it, and its ``timeout`` and ``delivery_timeout``
    (else the config's options, else the service's).  ``then(w, row)``,
    when given, runs last in the same transaction.
    """
    now = query.now()
    base = dict(_NEW, **values)
    base.update(id=values.get('id') or uuidutils.generate_uuid(),
                project_id=context.project_id, created_at=now,
                run_started_at=now)
    if base['status'] is not None:
        base['status_reason_code'] = runs.API_UPDATE
    created = []

    def work(w):
        del created[:]
        if not quotas.take_for_config(w, context, limit, base['config_id']):
            # Which check failed, in the order of the checks: quota first.
            quotas.take(w, context, quotas.DEPLOYMENTS, limit)
            configs.check_usable(w, context, base['config_id'])
        row = dict(base)
        # The secret inputs' values are encrypted, the row shows masks.
        row['input_values'], row['sealed_inputs'] = secrets.seal_values(
            row['input_values'], configs.secret_names_of(
                w, row['config_id']))
        row = runs.with_deadline(models.Deployment(**runs.defaults(
            row, configs.options_of(w, base['config_id']))))
        try:
            w.execute(_INSERT, row._asdict())
        except db_exc.DBReferenceError:
            # The config was deleted by a concurrent transaction.
            raise exception.ConfigNotFound(config_id=row.config_id)
        except db_exc.DBDuplicateEntry:
            raise exception.DeploymentExists(deployment_id=row.id)
        agents.bump(w, row.project_id, row.server_id)
        if row.status is not None:
            events.record(w, context, row.id, 'api', None, row.status,
                          True, row.status_reason,
                          reason_code=row.status_reason_code)
        if then is not None:
            then(w, row)
        notify.deployment(w, context, 'create', row)
        created.append(row)
    engine.write(work)
    return created[-1]


def _get(w, context, deployment_id, shared=False):
    row = w.execute(*_BY_ID.bind(context, shared=shared,
                                 p_id=deployment_id)).first()
    if row is None:
        raise exception.DeploymentNotFound(deployment_id=deployment_id)
    return models.Deployment._make(row)


def get(context, deployment_id):
    """A deployment the caller may see, else DeploymentNotFound.

    As it is now: one past its deadline is failed first.
    """
    return lifecycle.fresh(context, engine.read(
        lambda w: _get(w, context, deployment_id, shared=True)))


def history(context, deployment_id, limit, marker=None):
    """A visible deployment's events, newest first."""
    deployment = engine.read(lambda w: _get(w, context, deployment_id))
    # (A deadline that has passed is in the history before it is read.)
    lifecycle.fresh(context, deployment)
    return engine.read(
        lambda w: events.page(w, deployment_id, limit, marker))


# The list statements, one per shape (who is asking, which filters, the
# sort, the kind of marker, whether there is a limit), built and compiled
# once, with every value a parameter, and run as prepared statements (see
# deploysvc/db/prepared.py).  Built per request (select, keyset_page,
# Connection.execute) they cost about 0.3-0.4 ms of CPU per list: in
# process on PostgreSQL, best of 3 x 7 rounds of 300 requests, GET
# ?limit=50&marker=... went from 1.39 to 1.00 ms, GET ?server_id=... (10
# rows) from 0.71 to 0.42 ms.  At most 2 x 16 x 6 x 2 x 3 x 2 x 2 shapes
# exist, a few of them in use.  A list is of the caller's project only,
# stack users included: an in-instance agent reads its server's metadata,
# and a list would show it every server of the stack.
_PAGES = {}


def _page_statement(visible, filter_keys, column, descending, marker,
                    row_values, limited):
    shape = (visible, filter_keys, column, descending, marker, row_values,
             limited)
    statement = _PAGES.get(shape)
    if statement is not None:
        return statement
    query_ = sa.select(*_SD.c)
    if visible == 'own':
        # A plain condition the (project_id, created_at, id) index serves
        # in order.
        query_ = query_.where(_OWN)
    for key in filter_keys:
        query_ = query_.where(_SD.c[key] == sa.bindparam(
            'f_' + key, type_=_SD.c[key].type))
    after = None
    if marker is not None:
        # keyset_page reads the marker's id and sort value: parameters
        # here (no value for a null one, which changes the condition).
        after = {'id': sa.bindparam('m_id', type_=_SD.c.id.type)}
        if column != 'id':
            after[column] = (None if marker == 'null' else sa.bindparam(
                'm_value', type_=_SD.c[column].type))
        after = collections.namedtuple('Marker', list(after))(**after)
    query_ = query.keyset_page(query_, _SD, column, descending, after,
                               row_values)
    if limited:
        query_ = query_.limit(sa.bindparam('p_limit', type_=sa.Integer))
    # Rows made as models.Deployment at once: 4,096 of them, as openstacksdk
    # reads a project's list, are not made twice.
    statement = _PAGES[shape] = prepared.Statement(
        query_, row=models.Deployment)
    return statement


def page(context, filters=None, limit=None, marker=None,
         sort_key='created_at', sort_dir='asc', after=None):
    """Visible deployments, oldest first by default, with keyset paging.

    ``filters`` maps column names to required values; ``sort_key`` is one of
    ``SORT_KEYS``; an unknown or invisible ``marker`` is a BadRequest.
    ``after`` is a row of a previous page (a ``models.Deployment``): the
    page starts after it without looking it up, so a list read page by
    page goes on even when that row has been deleted meanwhile; it takes
    the place of ``marker``.

    Each deployment is as it is now: one past its deadline is failed
    before it is listed.  When the list is chosen or ordered by status,
    those of the caller's project past their deadline are failed before
    the list is read (an index range on deadline_at), so the list agrees
    with their status.
    """
    if 'status' in (filters or {}) or _SORT_KEYS[sort_key] == 'status':
        for row in _overdue(context):
            lifecycle.fresh(context, row)
    rows = _page(context, filters, limit, marker, sort_key, sort_dir, after)
    now = query.now()
    return [lifecycle.fresh(context, row) if runs.overdue(row, now)
            else row for row in rows]


@engine.replica_reader
def _overdue(w, context):
    return [models.Deployment._make(row) for row in w.execute(
        *_OVERDUE.bind(context, p_now=query.now()))]


@engine.replica_reader
def _page(w, context, filters, limit, marker, sort_key, sort_dir, after):
    if context.is_admin:
        visible, params = 'any', {}
    else:
        visible = 'own'
        params = {'p_project_id': context.project_id}
    filters = filters or {}
    for key, value in filters.items():
        params['f_' + key] = value
    marker_row = after
    if marker and after is None:
        marker_row = w.execute(*_BY_ID.bind(context, p_id=marker)).first()
        if marker_row is None:
            raise exception.BadRequest(
                message='Invalid marker: deployment %s not found.' % marker)
    column = _SORT_KEYS[sort_key]
    kind = None
    if marker_row is not None:
        params['m_id'] = marker_row.id
        value = getattr(marker_row, column)
        kind = 'null' if value is None else 'value'
        params['m_value'] = value
    if limit is not None:
        params['p_limit'] = limit
    statement = _page_statement(
        visible, tuple(sorted(filters)), column, sort_dir == 'desc', kind,
        query.row_values(w), limit is not None)
    return w.execute(statement, params).all()


@engine.writer
def update(w, context, deployment_id, values, check=None):
    """Apply ``values``; concurrent updates of one deployment serialize.

    ``check(row)``, when given, sees the locked row before anything is
    written and may refuse the update by raising.
    """
    old = deployment_rows.lock(w, context, deployment_id)
    if old is None:
        raise exception.DeploymentNotFound(deployment_id=deployment_id)
    # A deadline that passed is recorded before the update applies (and
    # before an If-Match is compared: the version is the failed one).
    old = lifecycle.expire_locked(w, old)
    if check is not None:
        check(old)
    if values.get('config_id') not in (None, old.config_id):
        configs.check_usable(w, context, values['config_id'])
    values = dict(values)
    for name in runs.FIELDS:
        if name in values:
            # 0: no deadline.
            values[name] = values[name] or None
    if 'status' in values:
        values['status_reason_code'] = runs.API_UPDATE
    config_id = values.get('config_id') or old.config_id
    if 'input_values' in values or config_id != old.config_id:
        # Which values are secret follows the (new) config; a mask sent
        # back keeps the stored value.
        values['input_values'], values['sealed_inputs'] = (
            secrets.seal_values(
                values.get('input_values', secrets.plain_values(old)),
                configs.secret_names_of(w, config_id), old))
    try:
        new = deployment_rows.write(w, old, values)
    except db_exc.DBReferenceError:
        raise exception.ConfigNotFound(config_id=values['config_id'])
    if 'status' in values:
        events.record(w, context, new.id, 'api', old.status, new.status,
                      True, new.status_reason, reason_code=runs.API_UPDATE)
    notify.deployment(w, context, 'update', new)
    return new


@engine.writer
def signal(w, context, deployment_id, decide, details, authorize=None):
    """Apply an agent's signal to a deployment, atomically.

    The row is locked first, so concurrent signals serialize and each sees
    the previous one's result.  ``authorize(secret, row)``, for a signal
    URL, then checks the signal against the secret of the deployment's
    server; without it the caller's identity is the authorisation (the
    deployment must be visible to it, a stack user's included).  An
    unknown deployment or a refused signal is DeploymentNotFound (no
    existence leak).  ``decide(row, outputs)`` (``outputs``: the config's
    declared outputs) returns the values to store, empty to leave the row
    alone, and the reason the history records with ``details``.
    Returns ``(row, applied)``.
    """
    old = deployment_rows.lock(w, context, deployment_id,
                               shared=authorize is None)
    if old is None:
        raise exception.DeploymentNotFound(deployment_id=deployment_id)
    if authorize is not None:
        secret = agents.secret_of(w, old.project_id, old.server_id)
        if secret is None or not authorize(secret, old):
            raise exception.DeploymentNotFound(deployment_id=deployment_id)
    # A signal after the deadline finds the deployment failed: it is
    # recorded, outputs and all, and ignored.
    old = lifecycle.expire_locked(w, old)
    outputs = w.execute(_OUTPUTS, {'p_id': old.config_id}).scalar()
    values, reason = decide(old, outputs)
    new = deployment_rows.write(w, old, values) if values else old
    events.record(w, context, old.id, 'signal', old.status, new.status,
                  bool(values), reason, details,
                  reason_code=values.get('status_reason_code') if values
                  else runs.SIGNAL_IGNORED)
    notify.deployment(w, context, 'signal', new, signal_applied=bool(values))
    return new, bool(values)


@engine.writer
def delete(w, context, deployment_id):
    # Write first (see the module docstring): give the owner's quota slot
    # back, then delete; the rollback restores it when nothing matched.
    owner = _BY_ID.column(context, _SD.c.project_id, p_id=deployment_id)
    quotas.give_back(w, owner, quotas.DEPLOYMENTS)
    agents.bump(w, owner, _BY_ID.column(context, _SD.c.server_id,
                                        p_id=deployment_id))
    row = w.execute(*_GROUP_OF.bind(context, p_id=deployment_id)).first()
    if row is not None and row.group_state not in (None, runs.ENDED):
        # Its group counts on its end: cancel it (or the group) first.
        raise exception.Conflict(
            message='Deployment %s is IN_PROGRESS in deployment group %s: '
                    'cancel it or its group before deleting it.' % (
                        deployment_id, row.group_id))
    # The row as it was, for the notification only (one more statement,
    # not run when notifications are off).
    gone = (w.execute(*_BY_ID.bind(context, p_id=deployment_id)).first()
            if notify.enabled() else None)
    if w.execute(*_DELETE.bind(context, p_id=deployment_id)).rowcount != 1:
        raise exception.DeploymentNotFound(deployment_id=deployment_id)
    if gone is not None:
        notify.deployment(w, context, 'delete',
                          models.Deployment._make(gone))


def _metadata_order(config_name, created_at, deployment_id):
    """Order of a server's deployments in its metadata.

    Heat sorts by config name (stable over creation order) and crashes on
    unnamed configs; the key here is (name or "", created_at, id): see
    doc/source/contributor/behaviour.rst, behaviour-metadata-order.
    """
    return (config_name or '', created_at, deployment_id)


@engine.reader
def server_config_ids(w, context, server_id):
    """The config ids of the server's visible deployments, in order.

    And the ids of those not delivered yet.

    Only the columns of the order are read: configs never change, so
    callers can keep what they make of each config by its id.
    """
    rows = [row for row in w.execute(*_ORDER.bind(
        context, shared=True, p_server=server_id)) if runs.is_served(row)]
    rows.sort(key=lambda row: _metadata_order(*row[1:4]))
    return ([row.config_id for row in rows],
            [row.id for row in rows if row.delivered_at is None])


@engine.reader
def served(w, project_id, server_id):
    """What a server's agent is served: ``(deployment, config)`` pairs.

    The project's deployments on the server, in metadata order, but
    those cancelled before their delivery.
    """
    rows = [models.Deployment._make(row) for row in w.execute(
        _ON_SERVER, {'p_server': server_id, 'p_project_id': project_id})]
    rows = [row for row in rows if runs.is_served(row)]
    if not rows:
        return []
    by_id = {config.id: config for config in configs.load(
        w, [row.config_id for row in rows])}
    pairs = [(row, by_id[row.config_id]) for row in rows]
    pairs.sort(key=lambda pair: _metadata_order(
        pair[1].name, pair[0].created_at, pair[0].id))
    return pairs
