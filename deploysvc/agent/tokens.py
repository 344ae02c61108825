"""Capability URL secrets.

A server's agent credential holds a random secret.  The metadata URL and
every deployment's signal URL carry an HMAC of the object's id under that
secret, so rotating (or deleting) the credential revokes all of them at
once, and nothing else needs storing.  Macs are compared in constant time.
A signal URL's token also names the deployment's run, which its mac
covers, so a URL of one run cannot be made into another's.
See doc/source/contributor/behaviour.rst, behaviour-agent-macs and
behaviour-signal-runs.
"""

import hashlib
import hmac
import secrets

METADATA = 'metadata'
SIGNAL = 'signal'

# A run is a non-negative integer below 10**9 (a run per second would take
# 31 years to get there); a longer number is no token.
_MAX_RUN_DIGITS = 9


def new_secret():
    return secrets.token_hex(32)


def mac(secret, purpose, ident):
    message = ('%s:%s' % (purpose, ident)).encode('utf-8')
    return hmac.new(secret.encode('ascii'), message,
                    hashlib.sha256).hexdigest()


def verify(secret, purpose, ident, given):
    """Whether ``given`` is the mac of ``ident`` (constant time)."""
    return hmac.compare_digest(mac(secret, purpose, ident),
                               given.encode('ascii', 'replace')
                               .decode('ascii'))


def mac_hash(mac_):
    """What is stored to check a metadata mac: its SHA-256, in hex.

    The mac is 256 random-looking bits, so its hash needs no salt or
    stretching; the database then holds nothing that makes a URL.
    """
    return hashlib.sha256(mac_.encode('ascii', 'replace')).hexdigest()


def metadata_mac_hash(secret, credential_id):
    return mac_hash(mac(secret, METADATA, credential_id))


def hasher(secret):
    """``metadata_mac_hash`` of ``secret`` as a function of the credential.

    For deploysvc.db.agents.rotate, which chooses the credential id.
    """
    return lambda credential_id: metadata_mac_hash(secret, credential_id)


def verify_hashed(stored_hash, given):
    """Whether ``given`` is the mac whose hash is ``stored_hash``.

    A poll is checked this way, without decrypting the secret.
    """
    return hmac.compare_digest(stored_hash, mac_hash(given))


def signal_token(secret, deployment_id, run):
    """The last segment of a deployment's signal URL for ``run``."""
    return '%d.%s' % (run, mac(secret, SIGNAL, '%s:%d' % (deployment_id,
                                                          run)))


def parse_signal_token(token):
    """``(run, mac)`` of a signal URL's last segment.

    ``run`` is None for a URL handed out before runs were bound to URLs
    (the segment is the bare mac), and the pair is None when the segment
    cannot be a token at all.
    """
    run, dot, given = token.rpartition('.')
    if not dot:
        return None, token
    if not (run.isdigit() and run.isascii()
            and len(run) <= _MAX_RUN_DIGITS):
        return None
    return int(run), given


def verify_signal(secret, deployment_id, run, given):
    """Whether ``given`` is the signal mac of the deployment's ``run``.

    ``run`` None checks the mac of URLs without a run.
    """
    ident = (deployment_id if run is None
             else '%s:%d' % (deployment_id, run))
    return verify(secret, SIGNAL, ident, given)
