"""The agents' capability URLs: where they are, and what makes them valid.

``/agent/v1/metadata/{credential_id}/{mac}`` is a server's metadata and
``/agent/v1/signal/{deployment_id}/{run}.{mac}`` a deployment's signal URL
for one run; each mac is made from the server credential's secret
(deploysvc.agent.tokens), so rotating or deleting the credential revokes
all of them at once.
"""

from oslo_config import cfg

from deploysvc.agent import tokens


def host_url(environ):
    """scheme://host[:port] of a WSGI request, default ports left out."""
    scheme = environ['wsgi.url_scheme']
    host = environ.get('HTTP_HOST')
    if host is not None:
        port = None
        if ':' in host and host[-1] != ']':
            host, port = host.rsplit(':', 1)
    else:
        host, port = environ['SERVER_NAME'], environ.get('SERVER_PORT')
    if (scheme, port) in (('http', '80'), ('https', '443')):
        port = None
    return '%s://%s%s' % (scheme, host, ':' + port if port else '')


def base_url(environ):
    """Where agents reach us: ``[api] public_endpoint``, else the request's."""
    return (cfg.CONF.api.public_endpoint or host_url(environ)).rstrip('/')


def metadata_url(base, agent):
    return '%s/agent/v1/metadata/%s/%s' % (
        base, agent.credential_id,
        tokens.mac(agent.secret, tokens.METADATA, agent.credential_id))


def signal_url(base, agent, deployment):
    """The signal URL of ``deployment``'s current run (a db row)."""
    return '%s/agent/v1/signal/%s/%s' % (
        base, deployment.id, tokens.signal_token(
            agent.secret, deployment.id, deployment.served_revision))
