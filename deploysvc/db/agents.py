"""Servers' agent credentials: the secrets behind their capability URLs.

The secret is stored encrypted
(deploysvc.db.secrets) with the hash of its metadata mac beside it: the
rows of ``get`` and ``rotate``, and the secrets of ``deployment_secret``
and ``secret_of``, are in plain text; those of ``by_credential`` (every
poll, most answered 304 without the secret) are as stored, for
``opened``.

One row per (project, server).  Its ``revision`` and ``changed_at`` move in
the same transaction as every change of what the server is served, so a
poll can be answered 304 from this row alone (see
doc/source/contributor/behaviour.rst, behaviour-metadata-revision).
"""

import datetime

from oslo_db import exception as db_exc
from oslo_utils import uuidutils
import sqlalchemy as sa

from deploysvc.db import engine
from deploysvc.db import models
from deploysvc.db import prepared
from deploysvc.db import query
from deploysvc.db import secrets
from deploysvc import exception

_AGENT = models.AgentServer.__table__
_SERVER = sa.and_(_AGENT.c.project_id == sa.bindparam('p_project_id'),
                  _AGENT.c.server_id == sa.bindparam('p_server_id'))
_GET = sa.select(*_AGENT.c).where(_SERVER)
_SECRET = prepared.Statement(sa.select(_AGENT.c.secret).where(_SERVER))
_BY_CREDENTIAL = prepared.Statement(sa.select(*_AGENT.c).where(
    _AGENT.c.credential_id == sa.bindparam('p_credential_id')))
_SD = models.SoftwareDeployment.__table__
# The secret of a deployment's server: the credential of the deployment's
# project and server.
_DEPLOYMENT_SECRET = prepared.Statement(sa.select(_AGENT.c.secret).where(
    _AGENT.c.project_id == _SD.c.project_id,
    _AGENT.c.server_id == _SD.c.server_id,
    _SD.c.id == sa.bindparam('p_deployment_id')))
_BUMP = prepared.Statement(sa.update(_AGENT).where(_SERVER).values(
    revision=_AGENT.c.revision + 1, delivery_pending=True,
    changed_at=sa.bindparam('p_changed_at',
                            type_=_AGENT.c.changed_at.type)))
# The record of a poll: at most one write per server and interval.
_SEEN = prepared.Statement(sa.update(_AGENT).where(
    _AGENT.c.credential_id == sa.bindparam('p_credential_id'),
    sa.or_(_AGENT.c.last_seen_at.is_(None),
           _AGENT.c.last_seen_at <= sa.bindparam(
               'p_before', type_=_AGENT.c.last_seen_at.type))).values(
    last_seen_at=sa.bindparam('p_now', type_=_AGENT.c.last_seen_at.type)))
_ROTATE = sa.update(_AGENT).where(_SERVER).values(
    revision=_AGENT.c.revision + 1)
_INSERT = _AGENT.insert()
_DELETE = sa.delete(_AGENT).where(_SERVER)


def _params(context, server_id):
    return {'p_project_id': context.project_id, 'p_server_id': server_id}


def opened(row):
    """An Agent row with its secret in plain text."""
    return row._replace(secret=secrets.open_agent_secret(row.secret))


@engine.reader
def get(w, context, server_id):
    """The server's credential in the caller's project, else AgentNotFound."""
    row = w.execute(_GET, _params(context, server_id)).first()
    if row is None:
        raise exception.AgentNotFound(server_id=server_id)
    return opened(models.Agent._make(row))


@engine.writer
def rotate(w, context, server_id, secret, mac_hash):
    """Create the server's credential, or replace it (old URLs die).

    ``mac_hash(credential_id)`` is the hash of the new metadata URL's mac
    (deploysvc.agent.tokens.metadata_mac_hash of ``secret``).
    """
    now = query.now()
    credential_id = uuidutils.generate_uuid()
    # (Pending: the first GET of the new URL delivers what is waiting.)
    values = {'credential_id': credential_id,
              'secret': secrets.seal_agent_secret(secret),
              'metadata_mac_hash': mac_hash(credential_id),
              'created_at': now, 'changed_at': now, 'delivery_pending': True}
    params = _params(context, server_id)
    if not w.execute(_ROTATE.values(**values), params).rowcount:
        # No savepoint (see deploysvc.db.quotas.take): a concurrent insert
        # retries the whole transaction, which then takes the UPDATE path.
        try:
            w.execute(_INSERT, dict(values, project_id=context.project_id,
                                    server_id=server_id, revision=1))
        except db_exc.DBDuplicateEntry as e:
            raise db_exc.RetryRequest(e)
    return opened(models.Agent._make(w.execute(_GET, params).first()))


@engine.writer
def delete(w, context, server_id):
    if not w.execute(_DELETE, _params(context, server_id)).rowcount:
        raise exception.AgentNotFound(server_id=server_id)


def _by_credential(w, credential_id):
    row = w.execute(_BY_CREDENTIAL,
                    {'p_credential_id': credential_id}).first()
    return None if row is None else models.Agent._make(row)


@engine.reader
def by_credential(w, credential_id):
    """The credential with this id, whichever project owns it, or None.

    Every agent poll starts here, and most end here with a 304.
    """
    return _by_credential(w, credential_id)


@engine.replica_reader
def by_credential_lagging(w, credential_id):
    """``by_credential`` as the replica has it.

    ``[database] slave_connection``; the primary's row when there is no
    replica.  For the agent's conditional polls only: a 304 from an older
    revision is as good as one the agent gets a moment before the change;
    anything else is answered from the primary's row.
    """
    return _by_credential(w, credential_id)


@engine.writer
def seal_plain(w, credential_id, secret):
    """Encrypt a credential's secret still stored in plain text.

    Its first use once keys are configured (the first document built for
    it): written only if the row still holds that plain secret.
    """
    w.execute(sa.update(_AGENT).where(
        _AGENT.c.credential_id == credential_id,
        _AGENT.c.secret == secret).values(
            secret=secrets.seal_agent_secret(secret)))


@engine.reader
def deployment_secret(w, deployment_id):
    """The secret of a deployment's server's credential, or None.

    Whichever project owns it (for the capability URLs): no lock, a
    caller that acts on it checks again in its transaction.
    """
    return secrets.open_agent_secret(w.execute(
        _DEPLOYMENT_SECRET, {'p_deployment_id': deployment_id}).scalar())


def secret_of(w, project_id, server_id):
    """The secret of a server's credential (in ``w``), or None."""
    return secrets.open_agent_secret(w.execute(
        _SECRET, {'p_project_id': project_id,
                  'p_server_id': server_id}).scalar())


def bump(w, project_id, server_id):
    """Mark a server's agent metadata as changed (caller's transaction).

    ``project_id`` and ``server_id`` are values, or scalar subqueries
    (a delete names the deployment's).  A server without a credential has
    no row, and nothing happens.
    """
    if isinstance(project_id, str) and isinstance(server_id, str):
        w.execute(_BUMP, {'p_project_id': project_id,
                          'p_server_id': server_id,
                          'p_changed_at': query.now()})
        return
    w.execute(sa.update(_AGENT).where(
        _AGENT.c.project_id == project_id, _AGENT.c.server_id == server_id)
        .values(revision=_AGENT.c.revision + 1, delivery_pending=True,
                changed_at=query.now()))


def seen_due(server, interval):
    """Whether a poll of ``server`` (an Agent row) should be recorded."""
    return (server.last_seen_at is None or server.last_seen_at
            <= query.now() - datetime.timedelta(seconds=interval))


@engine.writer
def seen(w, credential_id, interval):
    """Record a poll of the credential's agent.

    Unless one was recorded in the last ``interval`` seconds, by any
    worker or node.
    """
    now = query.now()
    w.execute(_SEEN, {'p_credential_id': credential_id, 'p_now': now,
                      'p_before': now - datetime.timedelta(
                          seconds=interval)})
