"""Capability URL secrets.

A server's agent credential holds a random secret.  The metadata URL and
every deployment's signal URL carry an HMAC of the object's id under that
secret, so rotating (or deleting) the credential revokes all of them at
once, and nothing else needs storing.  Macs are compared in constant time.
See doc/source/contributor/behaviour.rst, behaviour-agent-macs.
"""

import hashlib
import hmac
import secrets

METADATA = 'metadata'
SIGNAL = 'signal'


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
