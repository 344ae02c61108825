"""Database API: every function takes the request context first.

Transactions belong to the context (oslo.db enginefacade): functions
decorated ``@reader``/``@writer`` join the caller's transaction when there is
one.  Driver errors never leave this module; they become
``deploysvc.exception`` errors.
"""

import operator

from oslo_db import api as oslo_db_api
from oslo_db import exception as db_exc
from oslo_db.sqlalchemy import enginefacade
from oslo_db.sqlalchemy import utils as db_utils
from oslo_utils import timeutils
from oslo_utils import uuidutils
import sqlalchemy as sa
from sqlalchemy import orm

from deploysvc.db import models
from deploysvc import exception

context_manager = enginefacade.transaction_context()
_CONFIGURED = False

# Bulk UPDATEs here never need to refresh objects already in the session.
_NO_SYNC = {'synchronize_session': False}

CONFIGS = 'software_configs'
DEPLOYMENTS = 'software_deployments'


def configure(conf):
    """Configure the engine facade once per process."""
    global _CONFIGURED
    if not _CONFIGURED:
        context_manager.configure(sqlite_fk=True,
                                  **dict(conf.database.items()))
        _CONFIGURED = True


def get_engine():
    return context_manager.writer.get_engine()


def dispose_engine():
    """Drop pooled connections (after fork, or in tests)."""
    if _CONFIGURED:
        get_engine().dispose()


# -- helpers ---------------------------------------------------------------

def _now():
    return timeutils.utcnow()


def _reserve(context, resource, limit):
    """Count one more ``resource`` for the context's project.

    Raises RequestLimitExceeded when ``limit`` (-1: none) is reached and the
    caller is not an administrator.  The conditional UPDATE takes the row
    lock, so concurrent creates of one project serialize on it.
    """
    usage = models.QuotaUsage
    enforce = limit >= 0 and not context.is_admin
    stmt = sa.update(usage).where(
        usage.project_id == context.project_id,
        usage.resource == resource)
    if enforce:
        stmt = stmt.where(usage.in_use < limit)
    stmt = stmt.values(in_use=usage.in_use + 1)
    if context.session.execute(stmt, execution_options=_NO_SYNC).rowcount:
        return
    exists = context.session.execute(
        sa.select(usage.in_use).where(
            usage.project_id == context.project_id,
            usage.resource == resource)).first()
    if exists is not None or (enforce and limit == 0):
        raise _quota_error(resource, limit)
    try:
        with context.session.begin_nested():
            context.session.add(usage(project_id=context.project_id,
                                      resource=resource, in_use=1))
    except db_exc.DBDuplicateEntry as e:
        # Another transaction created the row first: start over.
        raise db_exc.RetryRequest(e)


def _quota_error(resource, limit):
    noun = resource.replace('_', ' ')
    return exception.RequestLimitExceeded(
        message='You have reached the maximum %s per tenant, %d. Please '
                'delete some %s.' % (noun, limit,
                                     noun.split(' ')[-1]))


def _release(context, project_id, resource):
    usage = models.QuotaUsage
    context.session.execute(
        sa.update(usage).where(usage.project_id == project_id,
                               usage.resource == resource,
                               usage.in_use > 0)
        .values(in_use=usage.in_use - 1), execution_options=_NO_SYNC)


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

@oslo_db_api.wrap_db_retry(max_retries=5, retry_on_deadlock=True)
@context_manager.writer
def config_create(context, values, limit=-1):
    _reserve(context, CONFIGS, limit)
    row = models.SoftwareConfig(id=uuidutils.generate_uuid(),
                                project_id=context.project_id,
                                created_at=_now(), **values)
    context.session.add(row)
    context.session.flush()
    return row


@context_manager.reader
def config_get(context, config_id):
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
    row = config_get(context, config_id)
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
    _release(context, row.project_id, CONFIGS)


# -- software deployments ---------------------------------------------------

_SORT_KEYS = {
    'created_at': 'created_at', 'creation_time': 'created_at',
    'updated_at': 'updated_at', 'updated_time': 'updated_at',
    'id': 'id', 'status': 'status', 'action': 'action',
    'server_id': 'server_id', 'config_id': 'config_id',
}
SORT_KEYS = sorted(_SORT_KEYS)


def _deployment_query(context):
    sd = models.SoftwareDeployment
    return _deployment_visible(
        context, sa.select(sd).options(orm.joinedload(sd.config)))


def _get_deployment(context, deployment_id):
    query = _deployment_query(context).where(
        models.SoftwareDeployment.id == deployment_id)
    row = context.session.execute(query).scalar_one_or_none()
    if row is None:
        raise exception.DeploymentNotFound(deployment_id=deployment_id)
    return row


@oslo_db_api.wrap_db_retry(max_retries=5, retry_on_deadlock=True)
@context_manager.writer
def deployment_create(context, values, limit=-1):
    config = config_get(context, values['config_id'])
    _reserve(context, DEPLOYMENTS, limit)
    row = models.SoftwareDeployment(id=uuidutils.generate_uuid(),
                                    project_id=context.project_id,
                                    created_at=_now(), **values)
    row.config = config
    context.session.add(row)
    try:
        context.session.flush()
    except db_exc.DBReferenceError:
        # The config was deleted by a concurrent transaction.
        raise exception.ConfigNotFound(config_id=values['config_id'])
    return row


@context_manager.reader
def deployment_get(context, deployment_id):
    return _get_deployment(context, deployment_id)


@context_manager.reader
def deployment_list(context, filters=None, limit=None, marker=None,
                    sort_key='created_at', sort_dir='asc'):
    """Visible deployments, oldest first by default, with keyset paging."""
    sd = models.SoftwareDeployment
    query = _deployment_query(context)
    for key, value in (filters or {}).items():
        query = query.where(getattr(sd, key) == value)
    marker_row = None
    if marker:
        marker_row = context.session.execute(
            _deployment_query(context).where(sd.id == marker)
        ).scalar_one_or_none()
        if marker_row is None:
            raise exception.BadRequest(
                message='Invalid marker: deployment %s not found.' % marker)
    keys = [_SORT_KEYS[sort_key]]
    if keys[0] == 'updated_at':
        sort_dirs = [sort_dir + ('-nullsfirst' if sort_dir == 'asc'
                                 else '-nullslast')]
    else:
        sort_dirs = [sort_dir]
    if keys[0] != 'id':
        keys.append('id')
        sort_dirs.append(sort_dir)
    query = db_utils.paginate_query(query, sd, limit, keys,
                                    marker=marker_row, sort_dirs=sort_dirs)
    return context.session.execute(query).scalars().all()


@oslo_db_api.wrap_db_retry(max_retries=5, retry_on_deadlock=True)
@context_manager.writer
def deployment_update(context, deployment_id, values):
    """Apply ``values``; concurrent updates of one deployment serialize.

    The first statement is the UPDATE of ``updated_at``: it takes the row's
    write lock (on every database, SQLite included) before anything is read,
    so no read-modify-write can interleave and nothing is lost.
    """
    sd = models.SoftwareDeployment
    now = _now()
    query = _deployment_visible(
        context, sa.update(sd).where(sd.id == deployment_id))
    locked = context.session.execute(
        query.values(updated_at=sa.case(
            (sd.updated_at > now, sd.updated_at), else_=now)),
        execution_options=_NO_SYNC)
    if locked.rowcount != 1:
        raise exception.DeploymentNotFound(deployment_id=deployment_id)
    row = _get_deployment(context, deployment_id)
    if values.get('config_id') not in (None, row.config_id):
        row.config = config_get(context, values['config_id'])
    for key, value in values.items():
        if key != 'config_id':
            setattr(row, key, value)
    try:
        context.session.flush()
    except db_exc.DBReferenceError:
        raise exception.ConfigNotFound(config_id=values['config_id'])
    return row


@oslo_db_api.wrap_db_retry(max_retries=5, retry_on_deadlock=True)
@context_manager.writer
def deployment_delete(context, deployment_id):
    row = _get_deployment(context, deployment_id)
    context.session.delete(row)
    context.session.flush()
    _release(context, row.project_id, DEPLOYMENTS)


@context_manager.reader
def deployments_for_server(context, server_id):
    """The server's visible deployments in metadata order.

    Heat sorts by config name (stable over creation order) and crashes on
    unnamed configs; the key here is (name or "", created_at, id).
    """
    sd = models.SoftwareDeployment
    query = _deployment_query(context).where(sd.server_id == server_id)
    rows = context.session.execute(query).scalars().all()
    return sorted(rows, key=operator.attrgetter('sort_key'))
