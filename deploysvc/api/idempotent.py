"""Creates that a client may safely send again: ``Idempotency-Key``.

A POST that creates a config, a deployment or a deployment group may
carry an ``Idempotency-Key`` header (the IETF httpapi draft of that name,
as Stripe and others serve it).  Its first success is stored with the
resource; a replay with the same key and the same body, within
``[DEFAULT] idempotency_key_expiry`` seconds, is answered with the stored
status and body (and ``Idempotent-Replayed: true``) and creates nothing; the
same key with another body is 422.  Failures are not stored: a request
that failed may be sent again and is run again.  See
doc/source/contributor/behaviour.rst, behaviour-idempotency.
"""

import hashlib

from oslo_config import cfg
from oslo_serialization import jsonutils
import pecan

from deploysvc.db import idempotency
from deploysvc.db import secrets
from deploysvc import exception

HEADER = 'Idempotency-Key'
REPLAYED = 'Idempotent-Replayed'
# Longer keys are refused: a UUID (36) is what clients send; 255 leaves
# room for any scheme without letting a header fill the table.
MAX_KEY = 255


def _key_hash(request):
    key = request.headers.get(HEADER)
    if key is None:
        return None
    # (WSGI gives header values as latin-1 text: any byte is a character.)
    if not 0 < len(key) <= MAX_KEY or not all(
            ' ' <= char <= '~' for char in key):
        raise exception.BadRequest(
            message='Invalid %s header: 1 to %d printable ASCII characters '
                    'are expected.' % (HEADER, MAX_KEY))
    return hashlib.sha256(key.encode('ascii')).hexdigest()


def _request_hashes(kind, body):
    # The parsed body, keys sorted: the same request sent again with other
    # spacing or key order is the same request.  Keyed digests, current
    # first: the body may hold secret values (db/secrets.py, digests).
    text = jsonutils.dumps([kind, body], sort_keys=True)
    return secrets.digests(text.encode('utf-8', 'surrogatepass'))


def create(context, kind, body, make, render):
    """Create once per key; ``(resource id, status, JSON bytes)``.

    ``make(then)`` creates the resource and returns its row, calling
    ``then(w, row)`` (when not None) inside its transaction;
    ``render(row)`` is the answer's body.  The answer's status is 200
    (Heat's, for both creates).
    """
    key_hash = _key_hash(pecan.request)
    if key_hash is None:
        row = make(None)
        return row.id, 200, jsonutils.dump_as_bytes(render(row))
    request_hashes = _request_hashes(kind, body)
    stored = idempotency.find(context.project_id, key_hash)
    if stored is None:
        answer = []

        def then(w, row):
            data = jsonutils.dump_as_bytes(render(row))
            idempotency.remember(
                w, context.project_id, key_hash, request_hashes[0], row.id,
                200, data.decode('ascii'),
                cfg.CONF.idempotency_key_expiry)
            answer.append((row.id, 200, data))
        try:
            make(then)
        except idempotency.KeyTaken:
            # A concurrent request with the key committed first: its
            # answer is the answer (this one rolled back whole).
            stored = idempotency.find(context.project_id, key_hash)
        else:
            idempotency.purge_if_due()
            return answer[-1]
    if stored is None:
        raise exception.Conflict(
            message='Another request with this %s is in progress; retry.'
                    % HEADER)
    if stored.request_hash not in request_hashes:
        raise exception.IdempotencyKeyReused(header=HEADER)
    pecan.response.headers[REPLAYED] = 'true'
    return stored.resource_id, stored.status, stored.body.encode('ascii')
