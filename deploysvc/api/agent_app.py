"""/agent/v1/...: the capability URLs of in-instance agents (no token).

``GET``/``HEAD /agent/v1/metadata/{credential_id}/{mac}`` serves a server's
metadata to os-collect-config's ``request`` collector, with a strong ETag
and Last-Modified answered by 304; ``PUT``/``POST
/agent/v1/signal/{deployment_id}/{mac}`` takes heat-config-notify's result.
A wrong or revoked URL is a plain 404.

Every server's agent polls here every few seconds, so these two URLs are
served by this small WSGI application, mapped beside the API in
``api-paste.ini`` behind the request-id, fault and body-limit filters:
no Pecan routing, no identity, no policy (the secret in the path is the
authorisation), and the credential is one primary-key read on a plain
connection.  Errors keep Heat's body.
"""

import calendar
import time

from oslo_config import cfg
from oslo_serialization import jsonutils
import webob

from deploysvc.agent import metadata
from deploysvc.agent import tokens
from deploysvc.api import faults
from deploysvc.api import validation
from deploysvc.common import cache
from deploysvc import context as ctx
from deploysvc.db import agent_api
from deploysvc.db import api as db_api
from deploysvc import exception
from deploysvc import policy


def base_url(request):
    """Where agents reach us: ``[api] public_endpoint``, else the request's."""
    return (cfg.CONF.api.public_endpoint or request.host_url).rstrip('/')


def metadata_url(base, agent_server):
    return '%s/agent/v1/metadata/%s/%s' % (
        base, agent_server.credential_id,
        tokens.mac(agent_server.secret, tokens.METADATA,
                   agent_server.credential_id))


def signal_url(base, agent_server, deployment_id):
    return '%s/agent/v1/signal/%s/%s' % (
        base, deployment_id,
        tokens.mac(agent_server.secret, tokens.SIGNAL, deployment_id))


def _not_found(error_type='NotFound'):
    return faults.error_response(404, error_type,
                                 'The resource could not be found.')


# The last metadata documents served, by ETag, per worker process.
# os-collect-config sends HEAD and GET on every poll, never a conditional
# request, so most polls ask for a document this worker has just built.
# The ETag names the credential, the server's metadata revision (moved by
# every change of what is served) and the base URL, so the bytes it maps
# to never change and need no invalidation.
_DOCUMENTS = cache.BytesCache(16 * 1024 * 1024)


def serve_metadata(request, credential_id, mac):
    server = agent_api.credential_get(credential_id)
    if server is None or not tokens.verify(server.secret, tokens.METADATA,
                                           credential_id, mac):
        return _not_found()
    base = base_url(request)
    etag = metadata.etag(server.credential_id, server.revision, base)
    response = webob.Response(headerlist=[('ETag', etag)])
    response.cache_control = 'no-cache'
    # changed_at is naive UTC: timestamp() would read it as local time.
    changed = calendar.timegm(server.changed_at.utctimetuple())
    # Last-Modified has whole seconds: only announce it once the second of
    # the last change is over, so a later change always moves it.
    if changed < int(time.time()):
        response.last_modified = changed
    if request.headers.get('If-None-Match'):
        # webob's matcher holds the tags without their quotes, compares
        # weakly (as RFC 9110 wants for If-None-Match) and matches every
        # tag for "*" (a current representation exists).
        if etag.strip('"') in request.if_none_match:
            response.status = 304
            return response
    elif (request.if_modified_since is not None
          and response.last_modified is not None
          and changed <= request.if_modified_since.timestamp()):
        response.status = 304
        return response
    body = _DOCUMENTS.get(etag)
    if body is None:
        rows = agent_api.served_deployments(server)
        body = _DOCUMENTS.put(etag, metadata.document(
            rows, metadata_url(base, server),
            lambda row: signal_url(base, server, row.id)))
    response.content_type = 'application/json'
    response.body = body
    return response


def take_signal(request, deployment_id, mac):
    details = validation.parse_body(request) if request.body.strip() else {}
    context = ctx.get_admin_context()
    context.user_id = 'agent'
    row, result = agent_api.signal(context, deployment_id, mac, details)
    body = {'status': row.status, 'applied': result is not None}
    if result is not None:
        body['event'] = result.event
    response = webob.Response(content_type='application/json',
                              charset='UTF-8')
    response.body = jsonutils.dump_as_bytes(body)
    return response


# path segment -> (allowed methods, handler)
_ROUTES = {
    'metadata': (('GET', 'HEAD'), serve_metadata),
    'signal': (('POST', 'PUT'), take_signal),
}


class AgentApp(object):

    def __init__(self):
        policy.init(cfg.CONF)
        db_api.configure(cfg.CONF)

    def __call__(self, environ, start_response):
        request = webob.Request(environ)
        return self.dispatch(request)(environ, start_response)

    def dispatch(self, request):
        # PATH_INFO below the /agent mount: /v1/<kind>/<id>/<mac>
        parts = request.path_info.split('/')
        if len(parts) != 5 or parts[:2] != ['', 'v1'] or not all(parts[3:]):
            return _not_found('HTTPNotFound')
        route = _ROUTES.get(parts[2])
        if route is None:
            return _not_found('HTTPNotFound')
        allowed, handler = route
        if request.method not in allowed:
            return faults.method_not_allowed(request.method, allowed)
        try:
            return handler(request, parts[3], parts[4])
        except exception.DeploySvcException as e:
            return faults.from_exception(e)


def app_factory(global_config, **local_conf):
    """paste.app_factory of the agents' capability URLs."""
    return AgentApp()
