"""A deployment row's lock and its one write.

Every change of a deployment locks its row first (``lock``) and stores
the merged row with ``write``, which keeps what derives from the other
columns in step: the run (what the agent is served, its signal URL), the
start of the run, its delivery and its next deadline (deploysvc.db.runs),
and, for a child of a deployment group, the group's counters and its next
wave (deploysvc.db.groups), in the same transaction.
"""

import sqlalchemy as sa

from deploysvc.db import agents
from deploysvc.db import groups
from deploysvc.db import models
from deploysvc.db import prepared
from deploysvc.db import query
from deploysvc.db import runs

_SD = models.SoftwareDeployment.__table__

# Who sees a deployment: its project, and for reading and signalling only,
# the stack users (by policy) of the project it names as
# stack_user_project_id (doc/source/contributor/behaviour.rst,
# behaviour-visibility).
OWN = _SD.c.project_id == sa.bindparam('p_project_id')
SHARED = sa.or_(
    OWN, _SD.c.stack_user_project_id == sa.bindparam('p_project_id'))
BY_ID = query.Scoped(
    sa.select(*_SD.c).where(_SD.c.id == sa.bindparam('p_id')), OWN, SHARED)
# The no-op UPDATE that takes a deployment's row lock, returning the row
# where the database can (not MariaDB).
_LOCK = sa.update(_SD).where(_SD.c.id == sa.bindparam('p_id')).values(
    updated_at=_SD.c.updated_at)
_LOCK_RETURNING = query.Scoped(_LOCK.returning(*_SD.c), OWN, SHARED)
_LOCK = query.Scoped(_LOCK, OWN, SHARED)
# What a write stores: every column that may change, from the merged row.
_WRITTEN = ('config_id', 'input_values', 'output_values', 'action',
            'status', 'status_reason', 'updated_at', 'served_revision',
            'status_reason_code', 'delivery_timeout', 'timeout',
            'run_started_at', 'delivered_at', 'deadline_at',
            'sealed_inputs', 'group_state')
_WRITE = prepared.Statement(sa.update(_SD).where(
    _SD.c.id == sa.bindparam('p_id')).values(**{
        name: sa.bindparam('v_' + name, type_=_SD.c[name].type)
        for name in _WRITTEN}))
# What changes the document a server's agent is served.
# (sealed_inputs: the secret values, whose token is kept while they are
# unchanged; see deploysvc.db.secrets.seal_values.)
_SERVED = ('config_id', 'input_values', 'sealed_inputs', 'action')


def lock(w, context, deployment_id, shared=False):
    """Lock a visible deployment's row and read it, or None.

    ``shared``: whether a stack user may reach it through its
    stack_user_project_id (to read or signal it; never to change it
    otherwise).

    The first statement is a no-op UPDATE of the row: it takes the row's
    write lock (on every database, SQLite included) before anything is
    read, so no read-modify-write can interleave and nothing is lost;
    where the database has UPDATE ... RETURNING, the same statement reads
    the row.
    """
    if w.dialect.update_returning:
        row = w.execute(*_LOCK_RETURNING.bind(
            context, shared=shared, p_id=deployment_id)).first()
    elif w.execute(*_LOCK.bind(context, shared=shared,
                               p_id=deployment_id)).rowcount == 1:
        row = w.execute(BY_ID.any, {'p_id': deployment_id}).first()
    else:
        row = None
    return None if row is None else models.Deployment._make(row)


def _new_run(old, new):
    """Whether the change from ``old`` to ``new`` starts a new run.

    A run is what the agent is asked to do once: a change of what it is
    served, or a return to IN_PROGRESS (a re-run).  See
    doc/source/contributor/behaviour.rst, behaviour-signal-runs.
    """
    if (new.status == runs.IN_PROGRESS and old.status != runs.IN_PROGRESS):
        return True
    return tuple(getattr(old, name) for name in _SERVED) != tuple(
        getattr(new, name) for name in _SERVED)


def write(w, old, values):
    """Store ``values`` over the locked row ``old``; the new row.

    The end of a group's child is counted by its group here, after the
    row is stored: every way out of IN_PROGRESS (a signal, an update, a
    deadline, a cancel) passes through this one write.
    """
    new = old._replace(**values)
    ended = groups.ending(old, new)
    if ended:
        new = new._replace(group_state=runs.ENDED)
    if _new_run(old, new):
        # A new document for the agent, under an id it has never run and
        # with a signal URL of the new run, to be delivered again.
        new = new._replace(served_revision=(old.served_revision or 0) + 1,
                           run_started_at=query.now(), delivered_at=None)
        agents.bump(w, new.project_id, new.server_id)
    new = runs.with_deadline(
        new._replace(updated_at=query.next_update_time(old)))
    params = {'v_' + name: getattr(new, name) for name in _WRITTEN}
    params['p_id'] = old.id
    w.execute(_WRITE, params)
    if ended:
        groups.child_ended(w, old, new)
    return new
