"""Idempotency keys: the stored answers of creates that may be replayed.

A create sent with an ``Idempotency-Key`` header stores its answer in the
same transaction that creates the resource, so the two exist together or
not at all.  A replay finds the answer and sends it again; two creates with
one key at once both try to store it, the primary key lets one commit, and
the other rolls back whole (its resource and quota slot included) and then
finds the winner's answer (see doc/source/contributor/behaviour.rst,
behaviour-idempotency).
"""

import datetime
import time

from oslo_db import exception as db_exc
import sqlalchemy as sa

from deploysvc.db import engine
from deploysvc.db import models
from deploysvc.db import prepared
from deploysvc.db import query

_KEYS = models.IdempotencyKey.__table__
_THIS = sa.and_(_KEYS.c.project_id == sa.bindparam('p_project_id'),
                _KEYS.c.key_hash == sa.bindparam('p_key_hash'))
_FIND = prepared.Statement(sa.select(*_KEYS.c).where(
    _THIS, _KEYS.c.expires_at > sa.bindparam('p_now')))
_INSERT = prepared.Statement(_KEYS.insert(),
                             column_keys=models.Idempotent._fields)
_DROP_EXPIRED_KEY = prepared.Statement(sa.delete(_KEYS).where(
    _THIS, _KEYS.c.expires_at <= sa.bindparam('p_now')))
_PURGE = prepared.Statement(sa.delete(_KEYS).where(
    _KEYS.c.expires_at <= sa.bindparam('p_now')))

# Expired keys are deleted at most this often per process, by the first
# keyed create after the interval (an index range on expires_at), so no
# periodic job is needed and no create pays for more than one purge.
PURGE_INTERVAL = 300
# When this process last purged (time.monotonic()).
last_purge = {'at': 0.0}


class KeyTaken(Exception):
    """Another request stored an answer under the key first."""


@engine.reader
def find(w, project_id, key_hash):
    """The unexpired answer stored under the key, or None."""
    row = w.execute(_FIND, {'p_project_id': project_id,
                            'p_key_hash': key_hash,
                            'p_now': query.now()}).first()
    return None if row is None else models.Idempotent._make(row)


def remember(w, project_id, key_hash, request_hash, resource_id, status,
             body, ttl):
    """Store the answer of a create (in the create's transaction).

    KeyTaken when another transaction stored one under the key first: the
    caller's transaction must then roll back.
    """
    now = query.now()
    params = {'p_project_id': project_id, 'p_key_hash': key_hash,
              'p_now': now}
    # An expired answer under the same key gives way to the new one.
    w.execute(_DROP_EXPIRED_KEY, params)
    try:
        w.execute(_INSERT, {
            'project_id': project_id, 'key_hash': key_hash,
            'request_hash': request_hash, 'resource_id': resource_id,
            'status': status, 'body': body, 'created_at': now,
            'expires_at': now + datetime.timedelta(seconds=ttl)})
    except db_exc.DBDuplicateEntry:
        raise KeyTaken()


def purge_if_due(clock=time.monotonic):
    """Delete expired answers if PURGE_INTERVAL has passed; their count."""
    moment = clock()
    if moment - last_purge['at'] < PURGE_INTERVAL:
        return 0
    last_purge['at'] = moment
    return engine.write(lambda w: w.execute(
        _PURGE, {'p_now': query.now()}).rowcount)
