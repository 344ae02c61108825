"""Deployment groups: create, show, list, cancel, delete; their children.

The rules of a rollout (limits, waves, its end) are deploysvc.db.groups;
this module is what the API asks for.  Every write locks the group's row
first (deploysvc.db.groups.lock), as the transitions of its children do.
"""

from oslo_utils import uuidutils
import sqlalchemy as sa

from deploysvc.common import notify

from deploysvc.db import agents
from deploysvc.db import configs
from deploysvc.db import deployment_rows
from deploysvc.db import engine
from deploysvc.db import groups
from deploysvc.db import lifecycle
from deploysvc.db import models
from deploysvc.db import query
from deploysvc.db import quotas
from deploysvc.db import runs
from deploysvc.db import secrets
from deploysvc import exception

_SD = models.SoftwareDeployment.__table__
_GROUP = models.SoftwareDeploymentGroup.__table__
_EVENTS = models.DeploymentGroupEvent.__table__
_DEPLOYMENT_EVENTS = models.DeploymentEvent.__table__
_AGENT = models.AgentServer.__table__

_INSERT_GROUP = _GROUP.insert()
_INSERT_CHILDREN = _SD.insert()
_INSERT_CHILD_EVENTS = _DEPLOYMENT_EVENTS.insert()
_NEW = dict(dict.fromkeys(models.Deployment._fields), served_revision=0)


def create(context, values, servers, limit=-1, then=None):
    """A new group of the context's project, its first wave released.

    ``values``: config_id, action, input_values (common to all), the
    limits as sent (max_concurrency, max_errors) and the children's
    timeouts; ``servers``: ``(server_id, input_values or None)`` pairs,
    each server once.  ``limit`` is the deployment quota: the group's
    children count against it, all taken or none (RequestLimitExceeded).
    One transaction of a fixed number of statements, the children and
    their history entries inserted in one executemany each.  ``then(w,
    group)``, when given, runs last in that transaction (an
    Idempotency-Key's answer is stored with the group).
    """
    total = len(servers)
    conc_spec, concurrency = groups.resolve(
        values['max_concurrency'], total, 'max_concurrency')
    errors_spec, max_errors = groups.resolve(
        values['max_errors'], total, 'max_errors')
    now = query.now()
    common = values.get('input_values') or {}
    group = models.Group(**dict(
        dict.fromkeys(models.Group._fields),
        id=uuidutils.generate_uuid(), project_id=context.project_id,
        config_id=values['config_id'], action=values.get('action'),
        input_values=common, max_concurrency_spec=conc_spec,
        max_concurrency=concurrency, max_errors_spec=errors_spec,
        max_errors=max_errors, timeout=values.get('timeout'),
        delivery_timeout=values.get('delivery_timeout'), total=total,
        released=concurrency, in_progress=concurrency, complete=0,
        failed=0, cancelled=0, status=groups.IN_PROGRESS,
        status_reason='Rolling out to %d servers, %d at a time.' % (
            total, concurrency),
        created_at=now, updated_at=now))

    def work(w):
        quotas.take_many(w, context, quotas.DEPLOYMENTS, limit, total)
        configs.check_usable(w, context, group.config_id)
        options = configs.options_of(w, group.config_id)
        # Secret inputs: the group shows masks, each child holds its
        # values encrypted as a single deployment does (db/secrets.py).
        names = configs.secret_names_of(w, group.config_id)
        stored[:] = [group._replace(
            input_values=secrets.seal_values(common, names)[0])]
        w.execute(_INSERT_GROUP, stored[0]._asdict())
        notify.group(w, context, 'create', stored[0])
        children = []
        for ordinal, (server_id, inputs) in enumerate(servers):
            input_values, sealed = secrets.seal_values(
                dict(common, **(inputs or {})), names)
            row = dict(
                _NEW, id=uuidutils.generate_uuid(),
                project_id=group.project_id, server_id=server_id,
                config_id=group.config_id,
                input_values=input_values, sealed_inputs=sealed,
                action=group.action, status=runs.IN_PROGRESS,
                created_at=now, run_started_at=now, group_id=group.id,
                group_ordinal=ordinal, timeout=group.timeout,
                delivery_timeout=group.delivery_timeout)
            if ordinal < concurrency:
                row.update(group_state=runs.RELEASED,
                           status_reason='Released by deployment group '
                                         '%s' % group.id)
            else:
                row.update(group_state=runs.PENDING,
                           status_reason=groups.waiting_reason(group.id),
                           status_reason_code=runs.NOT_RELEASED)
            children.append(runs.with_deadline(models.Deployment(
                **runs.defaults(row, options))))
        w.execute(_INSERT_CHILDREN, [row._asdict() for row in children])
        w.execute(_INSERT_CHILD_EVENTS, [{
            'deployment_id': row.id, 'created_at': now, 'source': 'group',
            'actor': context.user_id, 'status_from': None,
            'status_to': row.status, 'applied': True,
            'reason': row.status_reason,
            'reason_code': row.status_reason_code} for row in children])
        groups.record(w, group.id, 'CREATED', actor=context.user_id,
                      status_to=groups.IN_PROGRESS,
                      reason=group.status_reason)
        for row in children[:concurrency]:
            agents.bump(w, row.project_id, row.server_id)
            groups.record(w, group.id, 'RELEASED', actor=context.user_id,
                          child=row, status_to=runs.IN_PROGRESS,
                          reason=row.status_reason)
        if then is not None:
            then(w, stored[0])
    stored = []
    engine.write(work)
    return stored[0]


# The running children of a group past their deadline: at most
# max_concurrency rows of ix_software_deployment_group_state.
_OVERDUE = sa.select(*_SD.c).where(
    _SD.c.group_id == sa.bindparam('p_group_id'),
    _SD.c.group_state == runs.RELEASED,
    _SD.c.deadline_at <= sa.bindparam('p_now', type_=_SD.c.deadline_at.type))


def _expire_children(context, group_id):
    """Fail the group's running children past their deadline.

    Nothing watches the clock (behaviour-deadlines): a read of the group
    is a read of its running children, so a child that timed out counts
    as an error, and the next wave goes, when anyone looks.
    """
    rows = engine.read(lambda w: [models.Deployment._make(row) for row in (
        w.execute(_OVERDUE, {'p_group_id': group_id, 'p_now': query.now()}))])
    for row in rows:
        lifecycle.fresh(context, row)
    return bool(rows)


def get(context, group_id):
    """A visible group, as it is now, else GroupNotFound."""
    group = engine.read(lambda w: groups.get(w, context, group_id))
    if group.in_progress and _expire_children(context, group_id):
        group = engine.read(lambda w: groups.get(w, context, group_id))
    return group


_SORT_COLUMN = 'created_at'


@engine.reader
def page(w, context, status=None, limit=None, marker=None, after=None):
    """Visible groups, oldest first, with keyset paging on (created, id).

    ``after`` is a row of a previous page; an unknown ``marker`` is a
    BadRequest.
    """
    statement = sa.select(*_GROUP.c)
    if not context.is_admin:
        statement = statement.where(_GROUP.c.project_id == context.project_id)
    if status is not None:
        statement = statement.where(_GROUP.c.status == status)
    if marker and after is None:
        after = w.execute(*groups.BY_ID.bind(context, p_id=marker)).first()
        if after is None:
            raise exception.BadRequest(
                message='Invalid marker: deployment group %s not found.'
                        % marker)
    statement = query.keyset_page(statement, _GROUP, _SORT_COLUMN, False,
                                  after, query.row_values(w))
    if limit is not None:
        statement = statement.limit(limit)
    return [models.Group._make(row) for row in w.execute(statement)]


@engine.reader
def _children(w, context, group_id, status, limit, marker, after):
    groups.get(w, context, group_id)
    statement = sa.select(*_SD.c).where(_SD.c.group_id == group_id)
    if status is not None:
        statement = statement.where(_SD.c.status == status)
    if marker and after is None:
        after = w.execute(sa.select(_SD.c.group_ordinal).where(
            _SD.c.group_id == group_id, _SD.c.id == marker)).first()
        if after is None:
            raise exception.BadRequest(
                message='Invalid marker: deployment %s is not in deployment '
                        'group %s.' % (marker, group_id))
    if after is not None:
        statement = statement.where(
            _SD.c.group_ordinal > after.group_ordinal)
    statement = statement.order_by(_SD.c.group_ordinal)
    if limit is not None:
        statement = statement.limit(limit)
    return [models.Deployment._make(row) for row in w.execute(statement)]


def children(context, group_id, status=None, limit=None, marker=None,
             after=None):
    """A visible group's deployments in the group's order (paged).

    Its running children past their deadline are failed first, so the
    list agrees with their status.
    """
    if after is None:
        _expire_children(context, group_id)
    return _children(context, group_id, status, limit, marker, after)


@engine.reader
def history(w, context, group_id, limit, marker=None):
    """A visible group's events, newest first (keyset paging on id)."""
    groups.get(w, context, group_id)
    statement = sa.select(*_EVENTS.c).where(
        _EVENTS.c.group_id == group_id)
    if marker is not None:
        statement = statement.where(_EVENTS.c.id < marker)
    statement = statement.order_by(_EVENTS.c.id.desc()).limit(limit)
    return [models.GroupEvent._make(row) for row in w.execute(statement)]


def _cancel_locked(w, context, group):
    """Cancel the locked ``group``: CANCELLED, and its children with it.

    The group's status is stored first, so the children's ends below (by
    the same hook as any transition) release nothing.  Its PENDING
    children end FAILED with reason code CANCELLED without ever running;
    its running ones are cancelled as a deployment cancel does
    (deploysvc.db.lifecycle.cancel).
    """
    if group.status == groups.IN_PROGRESS:
        reason = 'Cancelled by %s' % (context.user_id or 'a user')
        cancelled = groups.end(w, group, groups.CANCELLED, reason,
                               runs.CANCELLED, actor=context.user_id)
        cancelled = groups.end_pending(
            w, cancelled, 'Not released: deployment group %s was cancelled'
            % group.id)
        group = groups.store(w, group, cancelled)
    for child_id in groups.running_ids(w, group.id):
        row = deployment_rows.lock(w, context, child_id)
        if row is not None:
            row = lifecycle.expire_locked(w, row)
        if row is not None and row.status == runs.IN_PROGRESS:
            lifecycle.cancel_locked(w, context, row)
    return groups.get(w, context, group.id)


@engine.writer
def cancel(w, context, group_id):
    """Cancel a group that is IN_PROGRESS or has children running.

    Conflict when there is nothing left to cancel.
    """
    group = groups.lock(w, context, group_id)
    if group is None:
        raise exception.GroupNotFound(group_id=group_id)
    if group.status != groups.IN_PROGRESS and not group.in_progress:
        raise exception.Conflict(
            message='Deployment group %s is %s with no deployment in '
                    'progress: there is nothing to cancel.' % (
                        group_id, group.status))
    return _cancel_locked(w, context, group)


_DELETE_CHILDREN = sa.delete(_SD).where(
    _SD.c.group_id == sa.bindparam('p_group_id'))
_DELETE_GROUP = sa.delete(_GROUP).where(
    _GROUP.c.id == sa.bindparam('p_group_id'))


@engine.writer
def delete(w, context, group_id, force=False):
    """Delete a group and its deployments (their quota slots come back).

    Refused (Conflict) while the group is IN_PROGRESS or any of its
    children is, unless ``force``: then the group is cancelled first, in
    the same transaction.
    """
    group = groups.lock(w, context, group_id)
    if group is None:
        raise exception.GroupNotFound(group_id=group_id)
    if group.status == groups.IN_PROGRESS or group.in_progress:
        if not force:
            raise exception.Conflict(
                message='Deployment group %s has deployments in progress: '
                        'cancel it first, or delete it with ?force=true '
                        '(which cancels them).' % group_id)
        group = _cancel_locked(w, context, group)
    # The servers whose agents were served a child: their documents change.
    served = sa.select(_SD.c.server_id).where(
        _SD.c.group_id == group_id, _SD.c.group_state != runs.PENDING)
    w.execute(sa.update(_AGENT).where(
        _AGENT.c.project_id == group.project_id,
        _AGENT.c.server_id.in_(served)).values(
            revision=_AGENT.c.revision + 1, delivery_pending=True,
            changed_at=query.now()))
    deleted = w.execute(_DELETE_CHILDREN, {'p_group_id': group_id}).rowcount
    quotas.give_back_many(w, group.project_id, quotas.DEPLOYMENTS, deleted)
    w.execute(_DELETE_GROUP, {'p_group_id': group_id})
    notify.group(w, context, 'delete', group)
