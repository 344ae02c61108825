"""What happens to a deployment's run besides API updates and signals.

A deadline passing (noticed by whoever reads the deployment first), a
cancel, and the delivery of the run to the server's agent (see
doc/source/contributor/behaviour.rst, behaviour-deadlines).
"""

import sqlalchemy as sa

from deploysvc.common import metrics
from deploysvc.common import notify
from deploysvc.db import agents
from deploysvc.db import deployment_rows
from deploysvc.db import engine
from deploysvc.db import events
from deploysvc.db import models
from deploysvc.db import prepared
from deploysvc.db import query
from deploysvc.db import runs
from deploysvc import exception

_SD = models.SoftwareDeployment.__table__
_AGENT = models.AgentServer.__table__

# The deployments of a server not yet delivered, as the agent URL's
# delivery reads them (in its transaction, after the credential's lock).
_UNDELIVERED = prepared.Statement(sa.select(*_SD.c).where(
    _SD.c.project_id == sa.bindparam('p_project_id'),
    _SD.c.server_id == sa.bindparam('p_server_id'),
    _SD.c.delivered_at.is_(None)))
_DELIVER = prepared.Statement(sa.update(_SD).where(
    _SD.c.id == sa.bindparam('p_id'),
    _SD.c.served_revision == sa.bindparam('p_run'),
    _SD.c.delivered_at.is_(None)).values(
        delivered_at=sa.bindparam('v_delivered_at',
                                  type_=_SD.c.delivered_at.type),
        deadline_at=sa.bindparam('v_deadline_at',
                                 type_=_SD.c.deadline_at.type)))
# Takes the credential's lock and clears its mark, only if the document
# served is still the current one (its revision has not moved).
_CLEAR_PENDING = prepared.Statement(sa.update(_AGENT).where(
    _AGENT.c.credential_id == sa.bindparam('p_credential_id'),
    _AGENT.c.revision == sa.bindparam('p_revision'),
    _AGENT.c.delivery_pending.is_(True)).values(delivery_pending=False))


def expire_locked(w, row):
    """Fail the locked ``row`` if it is past its deadline; the row after.

    The deadline is checked under the row's lock: of the requests that
    noticed it at once, the first fails the deployment and records the
    event, the others find it FAILED and do nothing.
    """
    if not runs.overdue(row):
        return row
    values = runs.expiry(row)
    new = deployment_rows.write(w, row, values)
    events.record(w, None, row.id, 'deadline', row.status, new.status, True,
                  values['status_reason'],
                  reason_code=values['status_reason_code'])
    notify.deployment(w, None, 'timeout', new)
    w.after_commit(metrics.timed_out, values['status_reason_code'])
    return new


@engine.writer
def _expire(w, context, deployment_id):
    row = deployment_rows.lock(w, context, deployment_id, shared=True)
    return None if row is None else expire_locked(w, row)


def fresh(context, row):
    """``row`` as it is now: failed first if it is past its deadline."""
    if not runs.overdue(row):
        return row
    return _expire(context, row.id) or row


@engine.writer
def cancel(w, context, deployment_id):
    """Cancel an IN_PROGRESS deployment: FAILED, reason code CANCELLED.

    Not yet delivered, it leaves what the server's agent is served, so it
    never runs; delivered, the agent's later signal is recorded as
    ignored.  Conflict when the deployment is not IN_PROGRESS.
    """
    old = deployment_rows.lock(w, context, deployment_id)
    if old is None:
        raise exception.DeploymentNotFound(deployment_id=deployment_id)
    old = expire_locked(w, old)
    if old.status != runs.IN_PROGRESS:
        raise exception.Conflict(
            message='Deployment %s is %s, not IN_PROGRESS: there is nothing '
                    'to cancel.' % (deployment_id,
                                    old.status or 'without a status'))
    return cancel_locked(w, context, old)


def cancel_locked(w, context, old):
    """Cancel the locked IN_PROGRESS row ``old`` (caller's transaction)."""
    if old.delivered_at is None:
        reason = ('Deployment cancelled before its server fetched it; it '
                  'will not run')
    else:
        reason = ('Deployment cancelled after its server fetched it; its '
                  'result will be ignored')
    values = {'status': runs.FAILED, 'status_reason': reason,
              'status_reason_code': runs.CANCELLED}
    new = deployment_rows.write(w, old, values)
    if old.delivered_at is None:
        # Out of the agent's document (see runs.is_served).
        agents.bump(w, new.project_id, new.server_id)
    events.record(w, context, old.id, 'api', old.status, new.status, True,
                  reason, reason_code=runs.CANCELLED)
    notify.deployment(w, context, 'cancel', new)
    w.after_commit(metrics.cancelled, old.delivered_at is not None)
    return new


def _deliver_rows(w, context, rows):
    now = query.now()
    for row in rows:
        if not runs.is_served(row) or runs.overdue(row, now):
            # Not in the document, or too late: a read fails it
            # (TIMED_OUT_DELIVERY) rather than the agent running it.
            continue
        delivered = runs.with_deadline(row._replace(delivered_at=now))
        done = w.execute(_DELIVER, {
            'p_id': row.id, 'p_run': row.served_revision,
            'v_delivered_at': now,
            'v_deadline_at': delivered.deadline_at}).rowcount == 1
        if not done:
            continue
        notify.deployment(w, context, 'deliver', delivered)
        if row.run_started_at is not None:
            w.after_commit(metrics.delivered,
                           (now - row.run_started_at).total_seconds())


@engine.writer
def deliver_to_agent(w, server):
    """Record that the agent of ``server`` fetched its document.

    ``server`` is the Agent row read for the request, at the revision the
    document was made for: the server's undelivered deployments are
    delivered now.

    Called only when the credential says something is pending, on a GET
    that sent the document; a revision that moved meanwhile means the
    agent has not seen the newer document yet, and nothing is recorded.
    """
    if w.execute(_CLEAR_PENDING, {
            'p_credential_id': server.credential_id,
            'p_revision': server.revision}).rowcount != 1:
        return
    _deliver_rows(w, None, [models.Deployment._make(row) for row in w.execute(
        _UNDELIVERED, {'p_project_id': server.project_id,
                       'p_server_id': server.server_id})])


@engine.writer
def deliver(w, context, deployment_ids):
    """Record the delivery of these deployments to their server's agent.

    For the metadata that a stack user's agent reads through the API
    (os-collect-config's heat collector): each is locked and delivered
    unless it already was.
    """
    rows = []
    for deployment_id in deployment_ids:
        row = deployment_rows.lock(w, context, deployment_id, shared=True)
        if row is not None and row.delivered_at is None:
            rows.append(row)
    _deliver_rows(w, context, rows)
