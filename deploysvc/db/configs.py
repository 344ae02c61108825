"""Software configs: immutable once created (Heat has no update)."""

import collections

from oslo_db import exception as db_exc
from oslo_utils import uuidutils
import sqlalchemy as sa

from deploysvc.common import notify
from deploysvc.db import engine
from deploysvc.db import models
from deploysvc.db import prepared
from deploysvc.db import query
from deploysvc.db import quotas
from deploysvc.db import secrets
from deploysvc import exception

_SC = models.SoftwareConfig.__table__
_SD = models.SoftwareDeployment.__table__
_OWN_PROJECT = _SC.c.project_id == sa.bindparam('p_project_id')
# A stack user also reads the configs of the deployments that name its
# project (the in-instance agent reads what it runs).
_SHARED = sa.or_(_OWN_PROJECT, sa.exists().where(
    _SD.c.config_id == _SC.c.id,
    _SD.c.stack_user_project_id == sa.bindparam('p_project_id')))
_BY_ID = query.Scoped(
    sa.select(*_SC.c).where(_SC.c.id == sa.bindparam('p_id')), _OWN_PROJECT,
    _SHARED)
_ID = query.Scoped(
    sa.select(_SC.c.id).where(_SC.c.id == sa.bindparam('p_id')),
    _OWN_PROJECT)
_ANY_BY_ID = sa.select(*_SC.c).where(_SC.c.id == sa.bindparam('p_id'))
_IN_USE = sa.select(_SD.c.id).where(
    _SD.c.config_id == sa.bindparam('p_id')).limit(1)
_BY_IDS = sa.select(*_SC.c).where(
    _SC.c.id.in_(sa.bindparam('p_ids', expanding=True)))
_INSERT = prepared.Statement(_SC.insert(), column_keys=models.Config._fields)
_DELETE = sa.delete(_SC).where(_SC.c.id == sa.bindparam('p_id'))


def create(context, values, limit=-1, then=None):
    """A new config of the context's project; ``limit`` is the quota.

    ``then(w, row)``, when given, runs last in the same transaction.
    """
    row = dict.fromkeys(models.Config._fields)
    row.update(values)
    # Secret defaults are encrypted, the row shows their mask.
    row['inputs'], row['sealed_inputs'] = secrets.seal_config(row['inputs'])
    row.update(id=uuidutils.generate_uuid(),
               project_id=context.project_id, created_at=query.now())
    row = models.Config(**row)

    def work(w):
        quotas.take(w, context, quotas.CONFIGS, limit)
        w.execute(_INSERT, row._asdict())
        if then is not None:
            then(w, row)
        notify.config(w, context, 'create', row)
    engine.write(work)
    return row


@engine.reader
def get(w, context, config_id):
    """A config the caller may see, else ConfigNotFound."""
    row = w.execute(*_BY_ID.bind(context, shared=True,
                                 p_id=config_id)).first()
    if row is None:
        raise exception.ConfigNotFound(config_id=config_id)
    return models.Config._make(row)


def check_usable(w, context, config_id):
    """ConfigNotFound unless the caller may use the config (in ``w``)."""
    if w.execute(*_ID.bind(context, p_id=config_id)).first() is None:
        raise exception.ConfigNotFound(config_id=config_id)


# A list shows a config's id, name, group, time and project, the first
# five columns: the list reads those alone, and its rows carry None for
# the others.  Reading the whole row decoded four JSON columns (the ~1 KiB
# script among them) per config: an unpaged list of 4,096 configs cost
# 104 ms of server CPU (25 us a row, more than a deployment list), 15 ms
# with the five columns (uWSGI, PostgreSQL, best of 9 rounds).
_SUMMARY = models.Config._fields[:5]
_NOT_LISTED = (None,) * (len(models.Config._fields) - len(_SUMMARY))
# The list statements, one per shape, built and compiled once (as the
# deployment lists', deploysvc/db/deployments.py).
_PAGES = {}
_Marker = collections.namedtuple('Marker', ['id', 'created_at'])


def _page_statement(own, marker, row_values, limited):
    shape = (own, marker, row_values, limited)
    statement = _PAGES.get(shape)
    if statement is not None:
        return statement
    query_ = sa.select(*(_SC.c[name] for name in _SUMMARY))
    if own:
        query_ = query_.where(_OWN_PROJECT)
    after = None
    if marker:
        after = _Marker(sa.bindparam('m_id', type_=_SC.c.id.type),
                        sa.bindparam('m_created_at',
                                     type_=_SC.c.created_at.type))
    query_ = query.keyset_page(query_, _SC, 'created_at', True, after,
                               row_values)
    if limited:
        query_ = query_.limit(sa.bindparam('p_limit', type_=sa.Integer))
    statement = _PAGES[shape] = prepared.Statement(query_)
    return statement


@engine.replica_reader
def page(w, context, limit, marker=None, all_projects=False, after=None):
    """Newest first (Heat's order); an unknown marker is ignored.

    ``after`` is a row of a previous page (a ``models.Config``): the page
    starts after it without looking it up, so a list read page by page
    goes on even when that row has been deleted meanwhile; it takes the
    place of ``marker``.  The rows carry what a list shows (id, project,
    time, name, group); their other fields are None.
    """
    own = not (all_projects or context.is_admin)
    params = {'p_project_id': context.project_id} if own else {}
    marker_row = after
    if marker and after is None:
        marker_row = w.execute(_ANY_BY_ID, {'p_id': marker}).first()
    if marker_row is not None:
        params['m_id'] = marker_row.id
        params['m_created_at'] = marker_row.created_at
    if limit is not None:
        params['p_limit'] = limit
    statement = _page_statement(own, marker_row is not None,
                                query.row_values(w), limit is not None)
    return [models.Config._make(row + _NOT_LISTED)
            for row in w.execute(statement, params)]


_OPTIONS = prepared.Statement(sa.select(_SC.c.options).where(
    _SC.c.id == sa.bindparam('p_id')))
# Configs never change: their options by id, per process, for the
# deadlines of new deployments (a create reads none once its config is
# known).  Bounded: the oldest half goes when it is full.
_OPTIONS_OF = {}
_OPTIONS_MAX = 4096


def options_of(w, config_id):
    """A config's options (any project: callers checked access), or None."""
    try:
        return _OPTIONS_OF[config_id]
    except KeyError:
        pass
    options = w.execute(_OPTIONS, {'p_id': config_id}).scalar()
    if options is not None:
        if len(_OPTIONS_OF) >= _OPTIONS_MAX:
            for key in list(_OPTIONS_OF)[:_OPTIONS_MAX // 2]:
                _OPTIONS_OF.pop(key, None)
        _OPTIONS_OF[config_id] = options
    return options


_INPUTS = prepared.Statement(sa.select(_SC.c.inputs).where(
    _SC.c.id == sa.bindparam('p_id')))
# The names of each config's secret inputs, by id, per process (configs
# never change).  Bounded like _OPTIONS_OF.
_SECRET_NAMES_OF = {}


def secret_names_of(w, config_id):
    """The names of a config's secret inputs (a frozenset)."""
    try:
        return _SECRET_NAMES_OF[config_id]
    except KeyError:
        pass
    names = secrets.secret_names(
        w.execute(_INPUTS, {'p_id': config_id}).scalar())
    if len(_SECRET_NAMES_OF) >= _OPTIONS_MAX:
        for key in list(_SECRET_NAMES_OF)[:_OPTIONS_MAX // 2]:
            _SECRET_NAMES_OF.pop(key, None)
    _SECRET_NAMES_OF[config_id] = names
    return names


def load(w, config_ids):
    """The configs with these ids (any project: callers checked access)."""
    return [models.Config._make(row) for row in w.execute(
        _BY_IDS, {'p_ids': sorted(set(config_ids))})]


by_ids = engine.reader(load)


@engine.writer
def delete(w, context, config_id):
    """Delete an unused config; InvalidRestrictedAction while deployed."""
    # Write first (see deploysvc.db.deployments): give the owner's quota
    # slot back; the rollback restores it when nothing can be deleted.
    owner = _ID.column(context, _SC.c.project_id, p_id=config_id)
    quotas.give_back(w, owner, quotas.CONFIGS)
    if w.execute(*_ID.bind(context, p_id=config_id)).first() is None:
        raise exception.ConfigNotFound(config_id=config_id)
    # The row as it was, for the notification only (not read when
    # notifications are off).
    gone = (w.execute(*_BY_ID.bind(context, p_id=config_id)).first()
            if notify.enabled() else None)
    if w.execute(_IN_USE, {'p_id': config_id}).first() is not None:
        raise exception.InvalidRestrictedAction(config_id=config_id)
    try:
        w.execute(_DELETE, {'p_id': config_id})
    except db_exc.DBReferenceError:
        # A deployment referencing it was committed meanwhile.
        raise exception.InvalidRestrictedAction(config_id=config_id)
    if gone is not None:
        notify.config(w, context, 'delete', models.Config._make(gone))
