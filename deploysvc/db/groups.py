"""Deployment groups' rules: limits, waves, and the end of a rollout.

A group rolls one config out to many servers.  Its children are ordinary
software deployments; those not released yet are ``group_state``
PENDING: IN_PROGRESS with reason code NOT_RELEASED, not served to their
server's agent and without a deadline (deploysvc.db.runs).

Nothing schedules the waves.  When a child leaves IN_PROGRESS (its
agent's result, an update, a deadline passing, a cancel), the one write
of a deployment row (deploysvc.db.deployment_rows.write) calls
``child_ended`` in the same transaction: it locks the group's row, counts
the child, and releases the next children, or ends the group.  Whoever
handles the transition, on any worker or node, the group's row lock
serializes it with the others: never more than ``max_concurrency``
children run, and nothing is released once the errors exceed
``max_errors``.  A transition costs a fixed number of indexed statements
whatever the size of the group: the lock, the next ``n`` PENDING children
by (group_id, group_state, group_ordinal) with ``LIMIT n``, one UPDATE
and one agent bump per child released (n is 1 in the steady state), the
group's row and its events.  See doc/source/user/deployment-groups.rst
and doc/source/contributor/behaviour.rst, behaviour-deployment-groups.
"""

import math
import re

import sqlalchemy as sa

from deploysvc.common import notify
from deploysvc.db import agents
from deploysvc.db import models
from deploysvc.db import prepared
from deploysvc.db import query
from deploysvc.db import runs
from deploysvc import exception

_SD = models.SoftwareDeployment.__table__
_GROUP = models.SoftwareDeploymentGroup.__table__
_EVENTS = models.DeploymentGroupEvent.__table__
_DEPLOYMENT_EVENTS = models.DeploymentEvent.__table__

IN_PROGRESS = runs.IN_PROGRESS
COMPLETE = 'COMPLETE'
FAILED = runs.FAILED
CANCELLED = 'CANCELLED'
STATUSES = (IN_PROGRESS, COMPLETE, FAILED, CANCELLED)
# Why a group ended (status_reason_code).
MAX_ERRORS_EXCEEDED = 'MAX_ERRORS_EXCEEDED'
ALL_ENDED = 'ALL_ENDED'

# The largest group: one create inserts this many deployments.  10,000
# server ids as strings are about 420 KB of JSON, within the default
# [DEFAULT] max_json_body_size of 1 MiB.
MAX_SERVERS = 10000

_PERCENT = re.compile(r'^([0-9]{1,3})%$')


def resolve(spec, total, kind):
    """``(spec as stored, resolved number)`` of a limit against ``total``.

    ``spec`` is a number or a percentage string ("25%").  A concurrency
    rounds up and is at least 1 (25% of 10 servers is 3 at a time; 1% of
    10 is 1); an error budget rounds down (25% of 10 is 2 errors
    tolerated, the third fails the group; 5% of 10 is 0).
    """
    concurrency = kind == 'max_concurrency'
    if isinstance(spec, str):
        match = _PERCENT.match(spec)
        percent = int(match.group(1)) if match else None
        if percent is None or percent > 100:
            raise exception.BadRequest(
                message='Invalid %s %s: a number or a percentage from 0%% '
                        'to 100%% is expected.' % (kind, spec))
        exact = total * percent / 100.0
        number = math.ceil(exact) if concurrency else math.floor(exact)
        stored = '%d%%' % percent
    else:
        number = spec
        stored = str(spec)
    if concurrency:
        number = max(1, number)
    return stored, min(number, total)


# -- the group's row: lock, store, events ---------------------------------

_OWN = _GROUP.c.project_id == sa.bindparam('p_project_id')
BY_ID = query.Scoped(
    sa.select(*_GROUP.c).where(_GROUP.c.id == sa.bindparam('p_id')), _OWN)
_LOCK = sa.update(_GROUP).where(_GROUP.c.id == sa.bindparam('p_id')).values(
    updated_at=_GROUP.c.updated_at)
_LOCK_RETURNING = query.Scoped(_LOCK.returning(*_GROUP.c), _OWN)
# Where there is no RETURNING (MySQL, MariaDB): a locking read.  Not the
# no-op UPDATE and a plain SELECT: under REPEATABLE READ that SELECT reads
# the snapshot of the transaction's first read (the child's row, read
# before the group was locked), and counters committed since by another
# child's transition would be lost.  A locking read reads the latest.
_LOCK_READ = query.Scoped(sa.select(*_GROUP.c).where(
    _GROUP.c.id == sa.bindparam('p_id')).with_for_update(), _OWN)
_STORED = ('released', 'in_progress', 'complete', 'failed', 'cancelled',
           'status', 'status_reason', 'status_reason_code', 'updated_at')
_STORE = prepared.Statement(sa.update(_GROUP).where(
    _GROUP.c.id == sa.bindparam('p_id')).values(**{
        name: sa.bindparam('v_' + name, type_=_GROUP.c[name].type)
        for name in _STORED}))
_EVENT = prepared.Statement(_EVENTS.insert(), column_keys=[
    column.name for column in _EVENTS.c if column.name != 'id'])


class _Admin(object):
    """Visibility of the service itself: every project's rows."""

    is_admin = True


def lock(w, context, group_id):
    """Lock a visible group's row and read it, or None.

    A no-op UPDATE ... RETURNING, as deploysvc.db.deployment_rows.lock
    does for a deployment (the row's write lock is taken before anything
    is read, on SQLite too), or SELECT ... FOR UPDATE where there is no
    RETURNING.  ``context`` None: the service (any project).
    """
    context = context or _Admin()
    if w.dialect.update_returning:
        row = w.execute(*_LOCK_RETURNING.bind(context, p_id=group_id)).first()
    else:
        row = w.execute(*_LOCK_READ.bind(context, p_id=group_id)).first()
    return None if row is None else models.Group._make(row)


def get(w, context, group_id):
    """A visible group, else GroupNotFound."""
    row = w.execute(*BY_ID.bind(context, p_id=group_id)).first()
    if row is None:
        raise exception.GroupNotFound(group_id=group_id)
    return models.Group._make(row)


def store(w, old, new):
    """Write the counters and status of ``new`` over the locked ``old``."""
    new = new._replace(updated_at=query.next_update_time(old))
    params = {'v_' + name: getattr(new, name) for name in _STORED}
    params['p_id'] = new.id
    w.execute(_STORE, params)
    return new


def record(w, group_id, kind, actor=None, child=None, status_from=None,
           status_to=None, reason=None, reason_code=None):
    """Add an entry to a group's history (caller's transaction)."""
    w.execute(_EVENT, {
        'group_id': group_id, 'created_at': query.now(), 'kind': kind,
        'actor': actor,
        'deployment_id': None if child is None else child.id,
        'server_id': None if child is None else child.server_id,
        'status_from': status_from, 'status_to': status_to,
        'reason': None if reason is None else reason[:query.MAX_REASON],
        'reason_code': reason_code})


# -- the children ---------------------------------------------------------

# The next wave: ix_software_deployment_group_state serves it as an index
# range read in order, stopping after LIMIT rows, however many wait.  The
# ORDER BY names the index's columns: ordered by group_ordinal alone,
# PostgreSQL chose (group_id, group_ordinal) and filtered on group_state,
# reading every child released so far before the first PENDING one (one
# more row per transition, 10,000 at the end of a 10,000-server group).
# A locking read, so that on MySQL/MariaDB it sees the releases committed
# after the transaction's snapshot (see _LOCK_READ).
_NEXT = prepared.Statement(sa.select(*_SD.c).where(
    _SD.c.group_id == sa.bindparam('p_group_id'),
    _SD.c.group_state == runs.PENDING).order_by(
        _SD.c.group_id, _SD.c.group_state, _SD.c.group_ordinal).limit(
            sa.bindparam('p_limit', type_=sa.Integer)).with_for_update())
# Conditional on PENDING: a child ended meanwhile (an update) stays so.
_RELEASE_COLUMNS = ('group_state', 'status_reason', 'status_reason_code',
                    'served_revision', 'run_started_at', 'delivered_at',
                    'deadline_at', 'updated_at')
_RELEASE = prepared.Statement(sa.update(_SD).where(
    _SD.c.id == sa.bindparam('p_id'),
    _SD.c.group_state == runs.PENDING).values(**{
        name: sa.bindparam('v_' + name, type_=_SD.c[name].type)
        for name in _RELEASE_COLUMNS}))
_RUNNING = prepared.Statement(sa.select(_SD.c.id).where(
    _SD.c.group_id == sa.bindparam('p_group_id'),
    _SD.c.group_state == runs.RELEASED).with_for_update())


def waiting_reason(group_id):
    return 'Waiting for its wave in deployment group %s' % group_id


def released_values(row, now=None):
    """What releasing a PENDING child ``row`` changes: a new run."""
    now = now or query.now()
    new = row._replace(
        group_state=runs.RELEASED,
        status_reason='Released by deployment group %s' % row.group_id,
        status_reason_code=None,
        served_revision=(row.served_revision or 0) + 1,
        run_started_at=now, delivered_at=None)
    return runs.with_deadline(new)


def _release(w, group):
    """Release up to the room left under max_concurrency; the group after."""
    room = min(group.max_concurrency - group.in_progress,
               group.total - group.released)
    if room <= 0:
        return group
    released = 0
    now = query.now()
    for row in w.execute(_NEXT, {'p_group_id': group.id, 'p_limit': room}):
        row = models.Deployment._make(row)
        new = released_values(row, now)._replace(
            updated_at=query.next_update_time(row))
        params = {'v_' + name: getattr(new, name)
                  for name in _RELEASE_COLUMNS}
        params['p_id'] = row.id
        if w.execute(_RELEASE, params).rowcount != 1:
            continue
        agents.bump(w, new.project_id, new.server_id)
        record(w, group.id, 'RELEASED', child=new, status_to=IN_PROGRESS,
               reason=new.status_reason)
        released += 1
    return group._replace(released=group.released + released,
                          in_progress=group.in_progress + released)


def running_ids(w, group_id):
    """The ids of a group's released children still running."""
    return [row.id for row in w.execute(_RUNNING, {'p_group_id': group_id})]


def end_pending(w, group, reason):
    """End a group's PENDING children, never run: FAILED, CANCELLED.

    Two statements whatever their number: their history entries, then
    the rows.  They were never served, so no agent is told.
    """
    now = query.now()
    pending = sa.select(
        _SD.c.id, sa.literal(now, _DEPLOYMENT_EVENTS.c.created_at.type),
        sa.literal('group'), sa.literal(IN_PROGRESS), sa.literal(FAILED),
        sa.true(), sa.literal(reason[:query.MAX_REASON]),
        sa.literal(runs.CANCELLED)).where(
            _SD.c.group_id == group.id, _SD.c.group_state == runs.PENDING)
    w.execute(_DEPLOYMENT_EVENTS.insert().from_select(
        ['deployment_id', 'created_at', 'source', 'status_from',
         'status_to', 'applied', 'reason', 'reason_code'], pending))
    ended = w.execute(sa.update(_SD).where(
        _SD.c.group_id == group.id, _SD.c.group_state == runs.PENDING).values(
            status=FAILED, status_reason=reason[:query.MAX_REASON],
            status_reason_code=runs.CANCELLED, group_state=runs.ENDED,
            deadline_at=None, updated_at=now)).rowcount
    return group._replace(released=group.released + ended,
                          cancelled=group.cancelled + ended)


def end(w, group, status, reason, code, actor=None):
    """``group`` with its final ``status`` (not stored), and the event."""
    record(w, group.id, status, actor=actor, status_from=group.status,
           status_to=status, reason=reason, reason_code=code)
    ended = group._replace(status=status, status_reason=reason,
                           status_reason_code=code)
    # complete, failed or cancelled (the counts as of this transition).
    notify.group(w, None, status.lower(), ended)
    return ended


def advance(w, group, failed_child=None):
    """The group after its rules ran: released, FAILED or COMPLETE."""
    if group.status != IN_PROGRESS:
        # Failed or cancelled: nothing more is released.
        return group
    if group.failed > group.max_errors:
        what = ''
        if failed_child is not None:
            what = 'Deployment %s on server %s failed: %s. ' % (
                failed_child.id, failed_child.server_id,
                failed_child.status_reason or failed_child.status)
        reason = ('%s%d failed, more than max_errors %d: no more '
                  'deployments are released.' % (
                      what, group.failed, group.max_errors))
        group = end(w, group, FAILED, reason, MAX_ERRORS_EXCEEDED)
        return end_pending(w, group, 'Not released: deployment group %s '
                           'failed' % group.id)
    if group.complete + group.failed + group.cancelled == group.total:
        return end(w, group, COMPLETE, '%d of %d deployments complete, %d '
                   'failed (max_errors %d).' % (
                       group.complete, group.total, group.failed,
                       group.max_errors), ALL_ENDED)
    return _release(w, group)


def ending(old, new):
    """Whether the change ``old`` -> ``new`` ends a child in its group.

    A child of a group leaving IN_PROGRESS for the first time; a later
    re-run (an update back to IN_PROGRESS) is the child's own business.
    """
    return (old.group_id is not None and old.group_state != runs.ENDED
            and old.status == IN_PROGRESS and new.status != IN_PROGRESS)


def child_ended(w, old, new):
    """Count the end of the child ``old`` -> ``new`` in its group.

    In the transaction of the child's write, after it: the group's row
    is locked, the child counted (a COMPLETE child as complete, any other
    end as an error: a failure, a deadline, a cancel), and the group's
    rules run.
    """
    group = lock(w, None, old.group_id)
    if group is None:
        return
    running = old.group_state == runs.RELEASED
    ok = new.status == COMPLETE
    counted = group._replace(
        released=group.released + (0 if running else 1),
        in_progress=group.in_progress - (1 if running else 0),
        complete=group.complete + (1 if ok else 0),
        failed=group.failed + (0 if ok else 1))
    record(w, group.id, 'CHILD_COMPLETE' if ok else 'CHILD_FAILED',
           child=new, status_from=old.status, status_to=new.status,
           reason=new.status_reason, reason_code=new.status_reason_code)
    store(w, group, advance(w, counted, None if ok else new))
