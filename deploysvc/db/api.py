"""Database API: every function takes the request context first.

Transactions belong to the context (oslo.db enginefacade): functions
decorated ``@reader``/``@writer`` join the caller's transaction when there is
one.  Driver errors never leave this module; they become
``deploysvc.exception`` errors.

The first statement of every writer transaction is a write (an UPDATE or
DELETE).  On SQLite a transaction that has read first holds a SHARED lock
and fails at once with "database is locked" when it later needs to write
while another transaction writes; one that writes first simply waits for
the lock.  On the other databases the same order takes the row locks
early, so concurrent writers serialize instead of deadlocking.
"""

import datetime
import types

from oslo_db import api as oslo_db_api
from oslo_db import exception as db_exc
from oslo_db.sqlalchemy import enginefacade
from oslo_db.sqlalchemy import utils as db_utils
from oslo_utils import timeutils
from oslo_utils import uuidutils
import sqlalchemy as sa

from deploysvc.db import hot
from deploysvc.db import models
from deploysvc import exception

context_manager = enginefacade.transaction_context()
_CONFIGURED = False
_RECYCLE = None

# Bulk UPDATEs here never need to refresh objects already in the session.
_NO_SYNC = {'synchronize_session': False}


def _execute(context, statement, params=None):
    """Run a Core statement on the transaction's connection.

    Skips the ORM session's execution layer: the hot paths' statements
    need no identity map or unit of work.
    """
    return context.session.connection().execute(statement, params)


# The smallest step of the stored timestamps (microseconds everywhere).
_TICK = datetime.timedelta(microseconds=1)

CONFIGS = 'software_configs'
DEPLOYMENTS = 'software_deployments'


def configure(conf):
    """Configure the engine facade once per process."""
    global _CONFIGURED, _RECYCLE
    if not _CONFIGURED:
        context_manager.configure(sqlite_fk=True,
                                  **dict(conf.database.items()))
        _RECYCLE = conf.database.connection_recycle_time
        _CONFIGURED = True


def recycle_time():
    """Seconds a connection may be reused (``[database]`` option)."""
    return _RECYCLE


def get_engine():
    return context_manager.writer.get_engine()


def dispose_engine():
    """Drop pooled and parked connections (after fork, or in tests)."""
    hot.reset()
    if _CONFIGURED:
        get_engine().dispose()


# status_reason is cut to this many characters (MEDIUMTEXT on MySQL).
MAX_REASON = 65535


# -- helpers ---------------------------------------------------------------

def _now():
    return timeutils.utcnow()


now = _now


def next_update_time(row):
    """Now, but always later than the row's previous update."""
    now = _now()
    if row.updated_at is not None and row.updated_at >= now:
        now = row.updated_at + _TICK
    return now


def new_id():
    return uuidutils.generate_uuid()


_AGENT = models.AgentServer.__table__
_BUMP = hot.Statement(sa.update(_AGENT).where(
    _AGENT.c.project_id == sa.bindparam('p_project_id'),
    _AGENT.c.server_id == sa.bindparam('p_server_id')).values(
        revision=_AGENT.c.revision + 1,
        changed_at=sa.bindparam('p_changed_at',
                                type_=_AGENT.c.changed_at.type)))


def bump_server(executor, project_id, server_id):
    """Mark a server's agent metadata as changed (caller's transaction).

    ``executor`` is the transaction's ``hot.Work``.  ``project_id`` and
    ``server_id`` may be scalar subqueries.  A server without an agent
    credential has no row, and nothing happens.
    """
    if isinstance(project_id, str) and isinstance(server_id, str):
        executor.execute(_BUMP, {'p_project_id': project_id,
                                 'p_server_id': server_id,
                                 'p_changed_at': _now()})
        return
    agent = models.AgentServer
    executor.execute(
        sa.update(agent).where(agent.project_id == project_id,
                               agent.server_id == server_id)
        .values(revision=agent.revision + 1, changed_at=_now()))


_EVENTS = models.DeploymentEvent.__table__
_EVENT_INSERT = hot.Statement(_EVENTS.insert(), column_keys=[
    column.name for column in _EVENTS.c if column.name != 'id'])


def record_event(executor, context, deployment_id, source, status_from,
                 status_to, applied, reason=None, details=None):
    """Add an entry to a deployment's history (caller's transaction)."""
    executor.execute(_EVENT_INSERT, {
        'deployment_id': deployment_id, 'created_at': _now(),
        'source': source, 'actor': context.user_id,
        'status_from': status_from, 'status_to': status_to,
        'applied': applied, 'reason': reason, 'details': details})


_USAGE = models.QuotaUsage.__table__
_TAKE = sa.update(_USAGE).where(
    _USAGE.c.project_id == sa.bindparam('p_project_id'),
    _USAGE.c.resource == sa.bindparam('p_resource')).values(
        in_use=_USAGE.c.in_use + 1)
_TAKE_BELOW = hot.Statement(
    _TAKE.where(_USAGE.c.in_use < sa.bindparam('p_limit')))
_TAKE = hot.Statement(_TAKE)
_USAGE_OF = hot.Statement(sa.select(_USAGE.c.in_use).where(
    _USAGE.c.project_id == sa.bindparam('p_project_id'),
    _USAGE.c.resource == sa.bindparam('p_resource')))
_USAGE_INSERT = hot.Statement(_USAGE.insert(), column_keys=[
    'project_id', 'resource', 'in_use'])


def _reserve(executor, context, resource, limit):
    """Count one more ``resource`` for the context's project.

    Raises RequestLimitExceeded when ``limit`` (-1: none) is reached and the
    caller is not an administrator.  The conditional UPDATE takes the row
    lock, so concurrent creates of one project serialize on it.
    """
    enforce = limit >= 0 and not context.is_admin
    params = {'p_project_id': context.project_id, 'p_resource': resource}
    if enforce:
        taken = executor.execute(_TAKE_BELOW, dict(params, p_limit=limit))
    else:
        taken = executor.execute(_TAKE, params)
    if taken.rowcount:
        return
    exists = executor.execute(_USAGE_OF, params).first()
    if exists is not None or (enforce and limit == 0):
        raise _quota_error(resource, limit)
    # No savepoint: on MySQL a deadlock rolls back the whole transaction,
    # savepoints included, and ROLLBACK TO SAVEPOINT then fails with a
    # DBError that hides the DBDeadlock from the retry.  Nothing before
    # this INSERT needs keeping: a retry of the whole transaction is right.
    try:
        executor.execute(_USAGE_INSERT, {
            'project_id': context.project_id, 'resource': resource,
            'in_use': 1})
    except db_exc.DBDuplicateEntry as e:
        # Another transaction created the row first: start over.
        raise db_exc.RetryRequest(e)


def _quota_error(resource, limit):
    noun = resource.replace('_', ' ')
    reason = ('You have reached the maximum %s per tenant, %d. Please '
              'delete some %s.' % (noun, limit, noun.split(' ')[-1]))
    # The keyword "message" of the exception is the whole message, so the
    # class's "Request limit exceeded: " prefix is applied here.
    return exception.RequestLimitExceeded(
        exception.RequestLimitExceeded.msg_fmt % {'message': reason})


def _release(context, project_id, resource):
    usage = models.QuotaUsage
    _execute(
        context,
        sa.update(usage).where(usage.project_id == project_id,
                               usage.resource == resource,
                               usage.in_use > 0)
        .values(in_use=usage.in_use - 1))


def _config_visible(context, query):
    if context.is_admin:
        return query
    return query.where(models.SoftwareConfig.project_id == context.project_id)


def _deployment_visible(context, query):
    if context.is_admin:
        return query
    sd = models.SoftwareDeployment
    return query.where(sa.or_(sd.project_id == context.project_id,
                              sd.stack_user_project_id == context.project_id))


# -- software configs -------------------------------------------------------

# Creates are hot paths: plain INSERTs, no ORM unit of work.
_SC = models.SoftwareConfig.__table__
_SD = models.SoftwareDeployment.__table__
_SC_COLUMNS = tuple(column.name for column in _SC.c)
_SD_COLUMNS = tuple(column.name for column in _SD.c)
_SC_INSERT = hot.Statement(_SC.insert(), column_keys=_SC_COLUMNS)
_SD_INSERT = hot.Statement(_SD.insert(), column_keys=_SD_COLUMNS)
_SD_DEFAULTS = {'stack_user_project_id': None, 'input_values': {},
                'output_values': None, 'action': None, 'status': None,
                'status_reason': None, 'updated_at': None,
                'served_revision': 0}


@oslo_db_api.wrap_db_retry(max_retries=5, retry_on_deadlock=True)
def config_create(context, values, limit=-1):
    row = dict.fromkeys(_SC_COLUMNS)
    row.update(values, id=uuidutils.generate_uuid(),
               project_id=context.project_id, created_at=_now())

    def work(w):
        _reserve(w, context, CONFIGS, limit)
        w.execute(_SC_INSERT, row)
    hot.write(work)
    return types.SimpleNamespace(**row)


class _Scoped(object):
    """A hot statement for administrators and its form for everyone else.

    ``visible`` is the condition (on ``p_project_id``) that limits the rows
    to the caller's project; administrators see every project's rows.
    """

    def __init__(self, statement, visible):
        # (The restricted form is derived before the statement is compiled:
        # its memoized columns would otherwise be copied into it.)
        self.own = hot.Statement(statement.where(visible))
        self.any = hot.Statement(statement)

    def bind(self, context, **params):
        """The statement for ``context`` and its parameters."""
        if context.is_admin:
            return self.any, params
        params['p_project_id'] = context.project_id
        return self.own, params


_OWN_PROJECT = _SC.c.project_id == sa.bindparam('p_project_id')
_CONFIG = _Scoped(sa.select(*_SC.c).where(_SC.c.id == sa.bindparam('p_id')),
                  _OWN_PROJECT)


def config_get(context, config_id):
    """A visible config, as a plain row."""
    query, params = _CONFIG.bind(context, p_id=config_id)
    row = hot.read(lambda r: r.execute(query, params).first())
    if row is None:
        raise exception.ConfigNotFound(config_id=config_id)
    return row


@context_manager.reader
def _config_row(context, config_id):
    """The visible config as an ORM object (the caller's session)."""
    query = _config_visible(context, sa.select(models.SoftwareConfig).where(
        models.SoftwareConfig.id == config_id))
    row = context.session.execute(query).scalar_one_or_none()
    if row is None:
        raise exception.ConfigNotFound(config_id=config_id)
    return row


@context_manager.reader
def config_list(context, limit, marker=None, all_projects=False):
    """Newest first (Heat's order); an unknown marker is ignored."""
    sc = models.SoftwareConfig
    query = sa.select(sc)
    if not (all_projects or context.is_admin):
        query = query.where(sc.project_id == context.project_id)
    marker_row = None
    if marker:
        marker_row = context.session.execute(
            sa.select(sc).where(sc.id == marker)).scalar_one_or_none()
    query = db_utils.paginate_query(query, sc, limit, ['created_at', 'id'],
                                    marker=marker_row, sort_dir='desc')
    return context.session.execute(query).scalars().all()


@oslo_db_api.wrap_db_retry(max_retries=5, retry_on_deadlock=True)
@context_manager.writer
def config_delete(context, config_id):
    sc = models.SoftwareConfig
    # Write first (see the module docstring): release the owner's quota,
    # the rollback restores it when the config cannot be deleted.
    _release(context, _config_visible(context, sa.select(sc.project_id).where(
        sc.id == config_id)).scalar_subquery(), CONFIGS)
    row = _config_row(context, config_id)
    sd = models.SoftwareDeployment
    in_use = context.session.execute(
        sa.select(sd.id).where(sd.config_id == config_id).limit(1)).first()
    if in_use is not None:
        raise exception.InvalidRestrictedAction(config_id=config_id)
    try:
        context.session.delete(row)
        context.session.flush()
    except db_exc.DBReferenceError:
        # A deployment referencing it was committed meanwhile.
        raise exception.InvalidRestrictedAction(config_id=config_id)


# -- software deployments ---------------------------------------------------

_SORT_KEYS = {
    'created_at': 'created_at', 'creation_time': 'created_at',
    'updated_at': 'updated_at', 'updated_time': 'updated_at',
    'id': 'id', 'status': 'status', 'action': 'action',
    'server_id': 'server_id', 'config_id': 'config_id',
}
SORT_KEYS = sorted(_SORT_KEYS)


_CONFIG_ID = _Scoped(
    sa.select(_SC.c.id).where(_SC.c.id == sa.bindparam('p_id')), _OWN_PROJECT)


def _check_config(executor, context, config_id):
    """ConfigNotFound unless the caller may use the config."""
    query, params = _CONFIG_ID.bind(context, p_id=config_id)
    if executor.execute(query, params).first() is None:
        raise exception.ConfigNotFound(config_id=config_id)


# A deployment's quota slot, taken only if its config is usable: one
# statement where the quota UPDATE and the config check were two.
_TAKE_DEPLOYMENT = sa.update(_USAGE).where(
    _USAGE.c.project_id == sa.bindparam('p_project_id'),
    _USAGE.c.resource == DEPLOYMENTS).values(in_use=_USAGE.c.in_use + 1)
_ANY_CONFIG = sa.exists().where(_SC.c.id == sa.bindparam('p_config_id'))
_OWN_CONFIG = _ANY_CONFIG.where(_OWN_PROJECT)
_TAKE_FOR_CONFIG = {
    # (limit enforced, caller is an administrator)
    (False, True): hot.Statement(_TAKE_DEPLOYMENT.where(_ANY_CONFIG)),
    (False, False): hot.Statement(_TAKE_DEPLOYMENT.where(_OWN_CONFIG)),
    (True, False): hot.Statement(_TAKE_DEPLOYMENT.where(
        _USAGE.c.in_use < sa.bindparam('p_limit'), _OWN_CONFIG)),
}


def _reserve_for_config(executor, context, limit, config_id):
    """Take a deployment quota slot if the config is usable, in one step.

    False when nothing was taken: the quota is reached, the project has no
    quota row yet, or the config is not usable; ``_reserve`` and
    ``_check_config`` then tell which, in that order.
    """
    enforce = limit >= 0 and not context.is_admin
    params = {'p_project_id': context.project_id, 'p_config_id': config_id}
    if enforce:
        params['p_limit'] = limit
    return executor.execute(
        _TAKE_FOR_CONFIG[enforce, bool(context.is_admin)],
        params).rowcount == 1


@oslo_db_api.wrap_db_retry(max_retries=5, retry_on_deadlock=True)
def deployment_create(context, values, limit=-1):
    row = dict(_SD_DEFAULTS, **values)
    row.update(id=uuidutils.generate_uuid(), project_id=context.project_id,
               created_at=_now())

    def work(w):
        if not _reserve_for_config(w, context, limit, row['config_id']):
            # Which one failed, in the order of the checks: quota first.
            _reserve(w, context, DEPLOYMENTS, limit)
            _check_config(w, context, row['config_id'])
        try:
            w.execute(_SD_INSERT, row)
        except db_exc.DBReferenceError:
            # The config was deleted by a concurrent transaction.
            raise exception.ConfigNotFound(config_id=row['config_id'])
        bump_server(w, row['project_id'], row['server_id'])
        if row['status'] is not None:
            record_event(w, context, row['id'], 'api', None, row['status'],
                         True, row['status_reason'])
    hot.write(work)
    return types.SimpleNamespace(**row)


# Built once: the show of a deployment is a hot path.
_VISIBLE = sa.or_(
    _SD.c.project_id == sa.bindparam('p_project_id'),
    _SD.c.stack_user_project_id == sa.bindparam('p_project_id'))
_SHOW = _Scoped(sa.select(*_SD.c).where(_SD.c.id == sa.bindparam('p_id')),
                _VISIBLE)


def deployment_get(context, deployment_id):
    """A visible deployment, as a plain row (no ORM object is needed)."""
    query, params = _SHOW.bind(context, p_id=deployment_id)
    row = hot.read(lambda r: r.execute(query, params).first())
    if row is None:
        raise exception.DeploymentNotFound(deployment_id=deployment_id)
    return row


def deployment_list(context, filters=None, limit=None, marker=None,
                    sort_key='created_at', sort_dir='asc'):
    """Visible deployments, oldest first by default, with keyset paging.

    ``filters`` maps column names to required values; ``sort_key`` is one of
    ``SORT_KEYS``; an unknown or invisible ``marker`` is a BadRequest.
    Plain rows on a parked reader (deploysvc.db.hot): no ORM objects.
    """
    return hot.read(lambda r: _list(r, context, filters, limit, marker,
                                    sort_key, sort_dir))


def _list(reader, context, filters, limit, marker, sort_key, sort_dir):
    sd = models.SoftwareDeployment
    if context.is_admin or _is_stack_user_project(reader, context):
        query = _deployment_visible(context, sa.select(*_SD.c))
    else:
        # The usual case: a plain condition the (project_id, created_at,
        # id) index serves in order, where the OR of the visibility rule
        # would make the database read and drop every earlier row.
        query = sa.select(*_SD.c).where(sd.project_id == context.project_id)
    for key, value in (filters or {}).items():
        query = query.where(getattr(sd, key) == value)
    marker_row = None
    if marker:
        query_marker, params = _SHOW.bind(context, p_id=marker)
        marker_row = reader.execute(query_marker, params).first()
        if marker_row is None:
            raise exception.BadRequest(
                message='Invalid marker: deployment %s not found.' % marker)
    # PostgreSQL and SQLite turn "(a, b) > (x, y)" into an index range;
    # MySQL/MariaDB do not always, so they get the expanded OR.
    row_values = reader.dialect.name in ('postgresql', 'sqlite')
    query = _keyset_page(query, sd, _SORT_KEYS[sort_key], sort_dir == 'desc',
                         marker_row, row_values)
    if limit is not None:
        query = query.limit(limit)
    return reader.execute(query).all()


_STACK_USER_PROJECT = hot.Statement(sa.select(_SD.c.id).where(
    _SD.c.stack_user_project_id == sa.bindparam('p_project_id')).limit(1))


def _is_stack_user_project(reader, context):
    """Whether some deployment names the caller's project as stack user."""
    return reader.execute(_STACK_USER_PROJECT, {
        'p_project_id': context.project_id}).first() is not None


def _keyset_page(query, model, key, descending, marker=None,
                 row_values=False):
    """Order by ``key`` then ``id``; only rows after ``marker``.

    NULL is the smallest value on every database (first ascending, last
    descending), and a marker whose key is NULL pages correctly, which
    oslo.db's paginate_query does not do.
    """
    column = getattr(model, key)
    order = sa.desc if descending else sa.asc
    nullable = key != 'id' and model.__table__.c[key].nullable
    if nullable:
        query = query.order_by(order(column.is_not(None)))
    if key != 'id':
        query = query.order_by(order(column))
    query = query.order_by(order(model.id))
    if marker is None:
        return query
    after_id = (model.id < marker.id) if descending else (model.id > marker.id)
    if key == 'id':
        return query.where(after_id)
    value = getattr(marker, key)
    if row_values and not nullable:
        pair = sa.tuple_(column, model.id)
        return query.where(pair < (value, marker.id) if descending
                           else pair > (value, marker.id))
    if value is None:
        same = sa.and_(column.is_(None), after_id)
        return query.where(same if descending
                           else sa.or_(same, column.is_not(None)))
    tie = sa.and_(column == value, after_id)
    if descending:
        criteria = [column < value, tie]
        if nullable:
            criteria.append(column.is_(None))
        return query.where(sa.or_(*criteria))
    return query.where(sa.or_(column > value, tie))


# The no-op UPDATE that takes a deployment's row lock (see
# deployment_update), returning the row where the database can.
_LOCK = sa.update(_SD).where(_SD.c.id == sa.bindparam('p_id')).values(
    updated_at=_SD.c.updated_at)
# (The RETURNING form is derived before the plain one is compiled: a
# statement's memoized columns would otherwise be copied into it.)
_LOCK_RETURNING = _Scoped(_LOCK.returning(*_SD.c), _VISIBLE)
_LOCK = _Scoped(_LOCK, _VISIBLE)
# What an update writes: every updatable column, from the merged row.
_WRITTEN = ('config_id', 'input_values', 'output_values', 'action',
            'status', 'status_reason', 'updated_at', 'served_revision')
_WRITE = hot.Statement(sa.update(_SD).where(
    _SD.c.id == sa.bindparam('p_id')).values(**{
        name: sa.bindparam('v_' + name, type_=_SD.c[name].type)
        for name in _WRITTEN}))


def _lock(executor, context, deployment_id):
    """Lock a visible deployment's row and read it, or None."""
    if executor.dialect.update_returning:
        return executor.execute(*_LOCK_RETURNING.bind(
            context, p_id=deployment_id)).first()
    if executor.execute(*_LOCK.bind(context, p_id=deployment_id)
                        ).rowcount != 1:
        return None
    return executor.execute(_SHOW.any, {'p_id': deployment_id}).first()


@oslo_db_api.wrap_db_retry(max_retries=5, retry_on_deadlock=True)
def deployment_update(context, deployment_id, values):
    """Apply ``values``; concurrent updates of one deployment serialize.

    The first statement is a no-op UPDATE of the row: it takes the row's
    write lock (on every database, SQLite included) before anything is read,
    so no read-modify-write can interleave and nothing is lost; where the
    database has UPDATE ... RETURNING, the same statement reads the row.
    ``updated_at`` is chosen under that lock: now, but always later than the
    previous value, so every update gets a distinct, increasing time even
    when clocks of API nodes differ.
    """
    return hot.write(lambda w: _update(w, context, deployment_id, values))


def _update(executor, context, deployment_id, values):
    old = _lock(executor, context, deployment_id)
    if old is None:
        raise exception.DeploymentNotFound(deployment_id=deployment_id)
    row = types.SimpleNamespace(**old._asdict())
    if values.get('config_id') not in (None, old.config_id):
        _check_config(executor, context, values['config_id'])
    for key, value in values.items():
        setattr(row, key, value)
    if (old.config_id, old.input_values, old.action) != (
            row.config_id, row.input_values, row.action):
        row.served_revision = (old.served_revision or 0) + 1
        bump_server(executor, row.project_id, row.server_id)
    row.updated_at = next_update_time(old)
    params = dict(('v_' + name, getattr(row, name)) for name in _WRITTEN)
    params['p_id'] = deployment_id
    try:
        executor.execute(_WRITE, params)
    except db_exc.DBReferenceError:
        raise exception.ConfigNotFound(config_id=values['config_id'])
    if 'status' in values:
        record_event(executor, context, row.id, 'api', old.status,
                     row.status, True, row.status_reason)
    return row


@oslo_db_api.wrap_db_retry(max_retries=5, retry_on_deadlock=True)
@context_manager.writer
def deployment_delete(context, deployment_id):
    sd = models.SoftwareDeployment
    # Write first (see the module docstring): release the owner's quota,
    # then delete; the rollback restores the quota when nothing matched.
    owner = _deployment_visible(context, sa.select(sd.project_id).where(
        sd.id == deployment_id)).scalar_subquery()
    _release(context, owner, DEPLOYMENTS)
    server = sa.select(sd.server_id).where(
        sd.id == deployment_id).scalar_subquery()
    bump_server(hot.on(context.session.connection()), owner, server)
    deleted = context.session.execute(
        _deployment_visible(context, sa.delete(sd).where(
            sd.id == deployment_id)), execution_options=_NO_SYNC)
    if deleted.rowcount != 1:
        raise exception.DeploymentNotFound(deployment_id=deployment_id)


_WITH_CONFIG = sa.select(
    *_SD.c, *[column.label('config__' + column.name) for column in _SC.c]
).join_from(_SD, _SC, _SD.c.config_id == _SC.c.id).where(
    _SD.c.server_id == sa.bindparam('p_server'))
_SERVER_OWNED = hot.Statement(_WITH_CONFIG.where(
    _SD.c.project_id == sa.bindparam('p_project_id')))


def metadata_sort_key(deployment):
    """Order of a server's deployments in its metadata.

    Heat sorts by config name (stable over creation order) and crashes on
    unnamed configs; the key here is (name or "", created_at, id).
    """
    return (deployment.config.name or '', deployment.created_at,
            deployment.id)


def _with_configs(query, params):
    """Deployments, each with its ``config``, in metadata order."""
    rows = hot.read(lambda r: r.execute(query, params).all())
    result = []
    width = len(_SD_COLUMNS)
    for row in rows:
        deployment = types.SimpleNamespace(**dict(zip(_SD_COLUMNS, row)))
        deployment.config = types.SimpleNamespace(
            **dict(zip(_SC_COLUMNS, row[width:])))
        result.append(deployment)
    result.sort(key=metadata_sort_key)
    return result


def served_deployments(project_id, server_id):
    """What a server's agent is served: the project's deployments there."""
    return _with_configs(_SERVER_OWNED, {'p_server': server_id,
                                         'p_project_id': project_id})


_ORDER = sa.select(_SD.c.config_id, _SC.c.name, _SD.c.created_at, _SD.c.id
                   ).join_from(_SD, _SC, _SD.c.config_id == _SC.c.id).where(
    _SD.c.server_id == sa.bindparam('p_server'))
_ORDER = _Scoped(_ORDER, _VISIBLE)


def server_config_ids(context, server_id):
    """The config ids of the server's visible deployments, in metadata order.

    Only the columns of the order are read: configs never change, so
    callers can keep what they make of each config by its id.
    """
    query, params = _ORDER.bind(context, p_server=server_id)
    rows = hot.read(lambda r: r.execute(query, params).all())
    rows.sort(key=lambda row: (row.name or '', row.created_at, row.id))
    return [row.config_id for row in rows]


def configs_by_id(config_ids):
    """The configs with these ids (any project: callers checked access)."""
    query = sa.select(*_SC.c).where(_SC.c.id.in_(sorted(set(config_ids))))
    return hot.read(lambda r: r.execute(query).all())
