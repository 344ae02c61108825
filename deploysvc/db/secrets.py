"""Secrets at rest: the one place that encrypts and decrypts.

What is secret:

* the values of secret inputs (``"secret": true`` on a config input): a
  config's ``default`` or ``value`` of such an input, and a deployment's
  ``input_values`` entry named like one.  The row keeps ``MASK`` in their
  place, so every view, list, cache, event and error shows the mask
  without knowing about secrets, and the real values go, encrypted, into
  the row's ``sealed_inputs`` column (one token per row: a JSON object);
* the secret of each server's agent credential (the HMAC key of its
  capability URLs), in ``agent_server.secret``.

The cipher is cryptography's Fernet (AES-128-CBC with HMAC-SHA256,
authenticated, with a timestamp) through MultiFernet: the first key of
``[crypto] encryption_keys`` encrypts, every key decrypts, and
``reencrypt`` moves every stored token to the first key.  Castellan was
not chosen: it needs a key manager service (Barbican, Vault) that many
deploysvc sites do not run, for a handful of static keys; its oslo.config
source still lets operators keep these options in such a store.

Nothing here logs a value or puts one in an exception's message.
"""

import collections
import functools
import hashlib
import hmac
import json
import os

from cryptography import fernet
from oslo_config import cfg
from oslo_db import exception as db_exc
from oslo_log import log as logging
import sqlalchemy as sa
import sqlalchemy.exc

from deploysvc.db import engine
from deploysvc.db import models
from deploysvc import exception

LOG = logging.getLogger(__name__)

MASK = '******'

# The longest agent secret stored in plain text (before encryption, or
# without keys): 64 hex digits.  A Fernet token is at least 100
# characters, so the length tells them apart.
_PLAIN_SECRET_MAX = 64

_SC = models.SoftwareConfig.__table__
_SD = models.SoftwareDeployment.__table__
_AGENT = models.AgentServer.__table__

# The keys last read, and their MultiFernet (None without keys).
_CACHE = {}


def _keys():
    """The MultiFernet of [crypto] encryption_keys, or None when unset.

    EncryptionKeysInvalid when a key is not a Fernet key (its position
    is named, never its text).
    """
    keys = tuple(key.strip() for key in cfg.CONF.crypto.encryption_keys
                 if key.strip())
    try:
        return _CACHE[keys]
    except KeyError:
        pass
    if not keys:
        result = None
    else:
        parsed = []
        for index, key in enumerate(keys):
            try:
                parsed.append(fernet.Fernet(key))
            except (ValueError, TypeError):
                raise exception.EncryptionKeysInvalid(
                    '[crypto] encryption_keys: key %d of %d is not a Fernet '
                    'key (32 bytes, URL-safe base64 encoded: 44 characters '
                    'ending in "=").' % (index + 1, len(keys)))
        result = fernet.MultiFernet(parsed)
    _CACHE.clear()
    _CACHE[keys] = result
    return result


def configured():
    """Whether keys are configured (EncryptionKeysInvalid if malformed)."""
    return _keys() is not None


def digests(data):
    """Hex digests that recognise ``data`` (bytes) again, current first.

    What a replayed request is compared by (api/idempotent.py).  A request
    body may hold secret input values, and a bare SHA-256 of it in the
    database would let whoever reads the table test guesses of a secret
    offline; with ``[crypto] encryption_keys`` the first digest is an
    HMAC-SHA256 under a key derived from the first key, so a guess needs
    the key too.  The other keys' HMACs (what they stored before a
    rotation) and the plain SHA-256 (what was stored without keys) still
    recognise what they made.
    """
    _keys()  # EncryptionKeysInvalid for a malformed key, as everywhere.
    found = [hmac.new(_digest_key(key.strip()), data,
                      hashlib.sha256).hexdigest()
             for key in cfg.CONF.crypto.encryption_keys if key.strip()]
    found.append(hashlib.sha256(data).hexdigest())
    return found


@functools.lru_cache(maxsize=16)
def _digest_key(key):
    # Not the Fernet key itself: a key of its own for this one use.
    return hashlib.sha256(b'deploysvc request digest\0' +
                          key.encode('ascii')).digest()


def _encrypt(value):
    keys = _keys()
    if keys is None:
        raise exception.SecretsNotConfigured()
    return keys.encrypt(json.dumps(value).encode('utf-8')).decode('ascii')


def _decrypt(token):
    keys = _keys()
    if keys is None:
        raise exception.SecretsUnreadable()
    try:
        return json.loads(keys.decrypt(token.encode('ascii')))
    except fernet.InvalidToken:
        raise exception.SecretsUnreadable()


# Configs --------------------------------------------------------------

def _secret_indexes(inputs):
    return [index for index, item in enumerate(inputs or ())
            if isinstance(item, dict) and item.get('secret')]


def secret_names(inputs):
    """The names of a config's secret inputs (its ``inputs`` column)."""
    return frozenset(inputs[index].get('name')
                     for index in _secret_indexes(inputs))


def seal_config(inputs):
    """``(inputs, sealed_inputs)`` to store for a new config's inputs.

    Secret inputs keep their declaration with ``MASK`` for a ``default``
    or ``value``; those go into the token, by the input's position.
    SecretsNotConfigured when there is a secret input and no key: its
    deployments could never be given a value.
    """
    indexes = _secret_indexes(inputs)
    if not indexes:
        return inputs, None
    if not configured():
        raise exception.SecretsNotConfigured()
    masked = list(inputs)
    hidden = {}
    for index in indexes:
        item = dict(inputs[index])
        values = {key: item[key] for key in ('default', 'value')
                  if key in item}
        if values:
            hidden[str(index)] = values
            item.update(dict.fromkeys(values, MASK))
        masked[index] = item
    return masked, (_encrypt(hidden) if hidden else None)


def opened_config(row):
    """The config row with its secret defaults and values in plain text."""
    if row.sealed_inputs is None:
        return row
    inputs = [dict(item) for item in row.inputs]
    for index, values in _decrypt(row.sealed_inputs).items():
        inputs[int(index)].update(values)
    return row._replace(inputs=inputs, sealed_inputs=None)


# Deployments ----------------------------------------------------------

def plain_values(row):
    """A deployment row's ``input_values``, secret ones in plain text."""
    values = dict(row.input_values or {})
    if row.sealed_inputs is not None:
        values.update(_decrypt(row.sealed_inputs))
    return values


def seal_values(values, names, old=None):
    """``(input_values, sealed_inputs)`` to store for ``values``.

    ``values`` are in plain text; those named in ``names`` (the secret
    inputs of the deployment's config) are replaced by ``MASK`` and
    encrypted together.  ``old`` is the row being updated: its secret
    inputs stay secret, a ``MASK`` sent for one of its secret values
    keeps that value (a client may send
    back what it was shown), and when the secret values are those of
    ``old`` its token is kept, so an unchanged update starts no new run
    (the token is part of what the agent is served).
    """
    previous = {}
    if old is not None and old.sealed_inputs is not None:
        previous = _decrypt(old.sealed_inputs)
    values = dict(values or {})
    for name, value in values.items():
        if value == MASK and name in previous:
            values[name] = previous[name]
    # A value once secret stays secret (a new config that does not
    # declare it does not reveal it).
    hidden = {name: value for name, value in values.items()
              if name in names or name in previous}
    if not hidden:
        return values, None
    masked = dict(values, **dict.fromkeys(hidden, MASK))
    if hidden == previous:
        return masked, old.sealed_inputs
    return masked, _encrypt(hidden)


def opened_deployment(row):
    """The deployment row with its secret input values in plain text."""
    if row.sealed_inputs is None:
        return row
    return row._replace(input_values=plain_values(row), sealed_inputs=None)


# Agent secrets --------------------------------------------------------

def is_plain_agent_secret(stored):
    return len(stored) <= _PLAIN_SECRET_MAX


def seal_agent_secret(secret):
    """What to store for a new agent secret: encrypted when keys exist."""
    if not configured():
        return secret
    return _keys().encrypt(secret.encode('ascii')).decode('ascii')


def open_agent_secret(stored):
    """The agent secret of a stored value (plain, or a token)."""
    if stored is None or is_plain_agent_secret(stored):
        return stored
    keys = _keys()
    if keys is None:
        raise exception.SecretsUnreadable()
    try:
        return keys.decrypt(stored.encode('ascii')).decode('ascii')
    except fernet.InvalidToken:
        raise exception.SecretsUnreadable()


# Start-up, upgrade check and re-encryption ----------------------------

# (table, its key columns, the column holding a token, the condition of
# a stored token)
_Kind = collections.namedtuple('_Kind', 'name table key column sealed')
_KINDS = (
    _Kind('software config inputs', _SC, (_SC.c.id,), _SC.c.sealed_inputs,
          _SC.c.sealed_inputs.isnot(None)),
    _Kind('software deployment inputs', _SD, (_SD.c.id,),
          _SD.c.sealed_inputs, _SD.c.sealed_inputs.isnot(None)),
    _Kind('agent secrets', _AGENT, (_AGENT.c.project_id,
                                    _AGENT.c.server_id),
          _AGENT.c.secret,
          sa.func.length(_AGENT.c.secret) > _PLAIN_SECRET_MAX),
)


def _readable(keys, token):
    try:
        keys.decrypt(token.encode('ascii'))
        return True
    except fernet.InvalidToken:
        return False


def check_keys():
    """Refuse to start with keys that cannot serve the stored secrets.

    Malformed keys are always an error; missing keys or keys that do not
    decrypt a sample of each kind of stored secret are one when such
    secrets exist.  Raises EncryptionKeysInvalid with what to do.  A
    database that cannot be read now is left to the requests (they answer
    503 until it is back).
    """
    keys = _keys()
    url = sa.engine.make_url(cfg.CONF.database.connection)
    if (url.get_backend_name() == 'sqlite' and url.database
            and url.database != ':memory:'
            and not os.path.exists(url.database)):
        # A database file yet to be made holds no secret (and reading it
        # would create it).
        return
    try:
        samples = engine.read(lambda w: [
            (kind.name, w.execute(sa.select(kind.column).where(
                kind.sealed).limit(1)).scalar()) for kind in _KINDS])
    except (db_exc.DBError, sqlalchemy.exc.SQLAlchemyError,
            exception.DatabaseUnavailable) as e:
        LOG.warning('Stored secrets not checked against [crypto] '
                    'encryption_keys: the database cannot be read (%s).',
                    type(e).__name__)
        return
    for name, token in samples:
        if token is None:
            continue
        if keys is None:
            raise exception.EncryptionKeysInvalid(
                'The database holds encrypted %s but [crypto] '
                'encryption_keys is not set: configure the keys they were '
                'encrypted with.' % name)
        if not _readable(keys, token):
            raise exception.EncryptionKeysInvalid(
                'The database holds %s that no key of [crypto] '
                'encryption_keys decrypts: configure the key they were '
                'encrypted with (new keys go first, old ones stay until '
                '"deploysvc-manage secrets reencrypt" has run).' % name)


def survey():
    """Every stored secret, checked: a dict of counts.

    ``sealed``: tokens; ``unreadable``: tokens no key decrypts (all of
    them without keys); ``plain_agents``: agent secrets not encrypted yet.
    Raises EncryptionKeysInvalid for malformed keys.
    """
    keys = _keys()
    counts = collections.Counter(sealed=0, unreadable=0, plain_agents=0)

    def work(w):
        for kind in _KINDS:
            for (token,) in w.execute(sa.select(kind.column).where(
                    kind.sealed)):
                counts['sealed'] += 1
                if keys is None or not _readable(keys, token):
                    counts['unreadable'] += 1
        counts['plain_agents'] += w.execute(
            sa.select(sa.func.count()).select_from(_AGENT).where(
                sa.func.length(_AGENT.c.secret)
                <= _PLAIN_SECRET_MAX)).scalar()
    engine.read(work)
    return counts


_BATCH = 200


def reencrypt():
    """Encrypt every stored secret under the first key; the counts.

    Plain agent secrets are encrypted too.  Each row is written only if
    its token is still the one read (a concurrent rotation or update
    wins), in transactions of ``_BATCH`` rows, so the service may keep
    running.  Raises EncryptionKeysInvalid without usable keys and
    SecretsUnreadable when a token cannot be decrypted.
    """
    keys = _keys()
    if keys is None:
        raise exception.EncryptionKeysInvalid(
            '[crypto] encryption_keys is not set: nothing to encrypt with.')
    written = collections.Counter()
    for kind in _KINDS:
        condition = kind.sealed
        if kind.table is _AGENT:
            condition = sa.true()
        after = None
        while True:
            def batch(w):
                query = sa.select(*kind.key, kind.column).where(
                    condition).order_by(*kind.key).limit(_BATCH)
                if after is not None:
                    query = query.where(sa.tuple_(*kind.key) > after)
                rows = w.execute(query).all()
                for row in rows:
                    *key, token = row
                    if kind.table is _AGENT and is_plain_agent_secret(
                            token):
                        new = seal_agent_secret(token)
                    else:
                        try:
                            new = keys.rotate(token.encode('ascii')).decode(
                                'ascii')
                        except fernet.InvalidToken:
                            raise exception.SecretsUnreadable()
                    w.execute(sa.update(kind.table).where(
                        *(column == value for column, value
                          in zip(kind.key, key)),
                        kind.column == token).values(
                            {kind.column.name: new}))
                    written[kind.name] += 1
                return tuple(rows[-1][:len(kind.key)]) if rows else None
            after = engine.write(batch)
            if after is None:
                break
    return written
