"""Persistence of the agent loop: credentials, signals, history."""

import json

from oslo_db import api as oslo_db_api
from oslo_db import exception as db_exc
import sqlalchemy as sa
from sqlalchemy import orm

from deploysvc.agent import signals
from deploysvc.agent import tokens
from deploysvc.db import api as db_api
from deploysvc.db import hot
from deploysvc.db import models
from deploysvc import exception

_NO_SYNC = {'synchronize_session': False}
context_manager = db_api.context_manager

# Stored signal bodies are cut to this many characters of JSON.
_MAX_DETAILS = 65535


def _server_row(context, server_id):
    row = context.session.execute(sa.select(models.AgentServer).where(
        models.AgentServer.project_id == context.project_id,
        models.AgentServer.server_id == server_id)).scalar_one_or_none()
    if row is None:
        raise exception.AgentNotFound(server_id=server_id)
    return row


@context_manager.reader
def server_get(context, server_id):
    return _server_row(context, server_id)


@oslo_db_api.wrap_db_retry(max_retries=5, retry_on_deadlock=True)
@context_manager.writer
def server_rotate(context, server_id):
    """Create the server's credential, or replace it (old URLs die)."""
    agent = models.AgentServer
    now = db_api.now()
    values = {'credential_id': db_api.new_id(),
              'secret': tokens.new_secret(),
              'created_at': now, 'changed_at': now}
    updated = context.session.execute(
        sa.update(agent).where(agent.project_id == context.project_id,
                               agent.server_id == server_id)
        .values(revision=agent.revision + 1, **values),
        execution_options=_NO_SYNC)
    if not updated.rowcount:
        # No savepoint (see deploysvc.db.api._reserve): a concurrent insert
        # retries the whole transaction, which then takes the UPDATE path.
        try:
            context.session.add(agent(project_id=context.project_id,
                                      server_id=server_id, revision=1,
                                      **values))
            context.session.flush()
        except db_exc.DBDuplicateEntry as e:
            raise db_exc.RetryRequest(e)
    return _server_row(context, server_id)


@oslo_db_api.wrap_db_retry(max_retries=5, retry_on_deadlock=True)
@context_manager.writer
def server_delete(context, server_id):
    agent = models.AgentServer
    deleted = context.session.execute(
        sa.delete(agent).where(agent.project_id == context.project_id,
                               agent.server_id == server_id),
        execution_options=_NO_SYNC)
    if not deleted.rowcount:
        raise exception.AgentNotFound(server_id=server_id)


_CREDENTIAL = hot.Statement(sa.select(*models.AgentServer.__table__.c).where(
    models.AgentServer.credential_id == sa.bindparam('p_credential_id')))


def credential_get(credential_id):
    """The credential with this id, whichever project owns it, or None.

    A plain row on a parked connection (deploysvc.db.hot): every agent
    poll starts here, and most end here with a 304.
    """
    return hot.read(lambda r: r.execute(
        _CREDENTIAL, {'p_credential_id': credential_id}).first())


def served_deployments(agent_server):
    """The deployments of a credential's server, in metadata order."""
    return db_api.served_deployments(agent_server.project_id,
                                     agent_server.server_id)


@oslo_db_api.wrap_db_retry(max_retries=5, retry_on_deadlock=True)
@context_manager.writer
def signal(context, deployment_id, mac, details):
    """Apply an agent's signal to a deployment, atomically.

    The row is locked first (a write, see deploysvc.db.api), so concurrent
    signals serialize and each sees the previous one's result.  The mac is
    then checked against the credential of the deployment's server; an
    unknown deployment or a wrong mac is NotFound (no existence leak).  A
    deployment that is no longer IN_PROGRESS is left alone, but the signal
    is still recorded in its history.
    """
    sd = models.SoftwareDeployment
    agent = models.AgentServer
    locked = context.session.execute(
        sa.update(sd).where(sd.id == deployment_id)
        .values(updated_at=sd.updated_at), execution_options=_NO_SYNC)
    credential = None
    if locked.rowcount == 1:
        row = context.session.execute(
            sa.select(sd).options(orm.joinedload(sd.config))
            .where(sd.id == deployment_id)).scalar_one()
        credential = context.session.execute(sa.select(agent).where(
            agent.project_id == row.project_id,
            agent.server_id == row.server_id)).scalar_one_or_none()
    if credential is None or not tokens.verify(
            credential.secret, tokens.SIGNAL, deployment_id, mac):
        raise exception.DeploymentNotFound(deployment_id=deployment_id)
    stored = _trim(details)
    if row.status != signals.IN_PROGRESS:
        db_api.record_event(
            hot.on(context.session.connection()), context, row.id, 'signal',
            row.status, row.status, False,
            'Ignored: the deployment is %s, not IN_PROGRESS.'
            % (row.status or 'without a status'),
            stored)
        return row, None
    result = signals.apply(row.id, row.config.outputs, row.output_values,
                           details)
    status_from = row.status
    row.status = result.status
    row.status_reason = result.status_reason[:db_api.MAX_REASON]
    row.output_values = result.output_values
    row.updated_at = db_api.next_update_time(row)
    db_api.record_event(hot.on(context.session.connection()), context, row.id,
                        'signal', status_from, result.status, True,
                        row.status_reason, stored)
    context.session.flush()
    return row, result


def _trim(details):
    text = json.dumps(details)
    if len(text) <= _MAX_DETAILS:
        return details
    return {'truncated': True, 'size': len(text)}


@context_manager.reader
def events_list(context, deployment_id, limit, marker=None):
    """A deployment's history, newest first (keyset paging on id)."""
    db_api.deployment_get(context, deployment_id)
    event = models.DeploymentEvent
    query = sa.select(event).where(event.deployment_id == deployment_id)
    if marker is not None:
        query = query.where(event.id < marker)
    query = query.order_by(event.id.desc()).limit(limit)
    return context.session.execute(query).scalars().all()
