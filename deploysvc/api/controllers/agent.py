"""/agent/v1/...: the capability URLs of in-instance agents (no token).

``GET``/``HEAD /agent/v1/metadata/{credential_id}/{mac}`` serves a server's
metadata to os-collect-config's ``request`` collector, with a strong ETag
and Last-Modified answered by 304; ``PUT``/``POST
/agent/v1/signal/{deployment_id}/{mac}`` takes heat-config-notify's result.
A wrong or revoked URL is a plain 404.
"""

import calendar
import time

from oslo_config import cfg
import pecan

from deploysvc.agent import metadata
from deploysvc.agent import tokens
from deploysvc.api.controllers import util
from deploysvc.api import validation
from deploysvc import context as ctx
from deploysvc.db import agent_api
from deploysvc import exception


def base_url():
    return (cfg.CONF.api.public_endpoint
            or pecan.request.host_url).rstrip('/')


def metadata_url(base, agent_server):
    return '%s/agent/v1/metadata/%s/%s' % (
        base, agent_server.credential_id,
        tokens.mac(agent_server.secret, tokens.METADATA,
                   agent_server.credential_id))


def signal_url(base, agent_server, deployment_id):
    return '%s/agent/v1/signal/%s/%s' % (
        base, deployment_id,
        tokens.mac(agent_server.secret, tokens.SIGNAL, deployment_id))


def _not_found():
    raise exception.NotFound(message='The resource could not be found.')


class MetadataController(object):

    @pecan.expose()
    def _lookup(self, credential_id, mac, *remainder):
        if not remainder:
            return ServerMetadata(credential_id, mac), ()


class ServerMetadata(object):

    def __init__(self, credential_id, mac):
        self.credential_id = credential_id
        self.mac = mac

    @pecan.expose(generic=True)
    def index(self):
        return util.method_not_allowed('GET', 'HEAD')

    @index.when(method='HEAD')
    def head(self):
        return self.get()

    @index.when(method='GET')
    def get(self):
        context = ctx.get_admin_context()
        server = agent_api.credential_get(context, self.credential_id)
        if server is None or not tokens.verify(
                server.secret, tokens.METADATA, self.credential_id,
                self.mac):
            _not_found()
        base = base_url()
        etag = metadata.etag(server.credential_id, server.revision, base)
        response = pecan.response
        response.headers['ETag'] = etag
        response.cache_control = 'no-cache'
        # changed_at is naive UTC: timestamp() would read it as local time.
        changed = calendar.timegm(server.changed_at.utctimetuple())
        # Last-Modified has whole seconds: only announce it once the second
        # of the last change is over, so a later change always moves it.
        if changed < int(time.time()):
            response.last_modified = changed
        request = pecan.request
        if request.headers.get('If-None-Match'):
            # webob's matcher holds the tags without their quotes, compares
            # weakly (as RFC 9110 wants for If-None-Match) and matches
            # every tag for "*" (a current representation exists).
            if etag.strip('"') in request.if_none_match:
                response.status = 304
                return response
        elif (request.if_modified_since is not None
              and response.last_modified is not None
              and changed <= request.if_modified_since.timestamp()):
            response.status = 304
            return response
        rows = agent_api.served_deployments(context, server)
        body = metadata.document(
            rows, metadata_url(base, server),
            lambda row: signal_url(base, server, row.id))
        response.status = 200
        response.content_type = 'application/json'
        response.body = body
        return response


class SignalController(object):

    @pecan.expose()
    def _lookup(self, deployment_id, mac, *remainder):
        if not remainder:
            return DeploymentSignal(deployment_id, mac), ()


class DeploymentSignal(object):

    def __init__(self, deployment_id, mac):
        self.deployment_id = deployment_id
        self.mac = mac

    @pecan.expose(generic=True)
    def index(self):
        return util.method_not_allowed('PUT', 'POST')

    @index.when(method='POST')
    def post(self):
        return self.put()

    @index.when(method='PUT')
    def put(self):
        raw = pecan.request.body
        details = validation.parse_body(pecan.request) if raw.strip() else {}
        context = ctx.get_admin_context()
        context.user_id = 'agent'
        row, result = agent_api.signal(context, self.deployment_id,
                                       self.mac, details)
        body = {'status': row.status, 'applied': result is not None}
        if result is not None:
            body['event'] = result.event
        return util.respond(body)


class V1(object):
    metadata = MetadataController()
    signal = SignalController()


class AgentController(object):
    v1 = V1()
