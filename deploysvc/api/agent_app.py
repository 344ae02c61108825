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
import email.utils
import time

from oslo_config import cfg
from oslo_serialization import jsonutils
import webob
from webob import datetime_utils
from webob import etag as etag_module

from deploysvc.agent import metadata
from deploysvc.agent import signals
from deploysvc.agent import tokens
from deploysvc.agent import urls
from deploysvc.api import faults
from deploysvc.api import validation
from deploysvc.common import cache
from deploysvc.db import agents
from deploysvc.db import deployments
from deploysvc.db import engine
from deploysvc.db import lifecycle
from deploysvc.db import secrets
from deploysvc import exception
from deploysvc import policy


def _not_found(error_type='NotFound'):
    return faults.error_response(404, error_type,
                                 'The resource could not be found.')


# The last metadata documents served, by ETag, per worker process.
# os-collect-config sends HEAD and GET on every poll, never a conditional
# request, so most polls ask for a document this worker has just built.
# The ETag names the credential, the server's metadata revision (moved by
# every change of what is served) and the base URL, so the bytes it maps
# to never change and need no invalidation (see
# doc/source/contributor/behaviour.rst, behaviour-cache-agent-documents).
_DOCUMENTS = cache.BytesCache(16 * 1024 * 1024, 'agent_documents')


def _if_modified_since(environ):
    """If-Modified-Since as a POSIX time, or None when absent or invalid.

    A date that cannot be parsed is ignored (RFC 9110, 13.1.3), such as
    one past year 9999, which Python's datetime cannot hold (it was a 500).
    """
    since = environ.get('HTTP_IF_MODIFIED_SINCE')
    if not since:
        return None
    try:
        parsed = datetime_utils.parse_date(since)
        return None if parsed is None else parsed.timestamp()
    except (ValueError, OverflowError, OSError):
        return None


def _verified(server, mac):
    """``server`` if the mac is its credential's, else None."""
    # The mac's hash: no decryption on a poll (the secret is encrypted).
    if server is None or not tokens.verify_hashed(server.metadata_mac_hash,
                                                  mac):
        return None
    return server


def _validators(environ, server, base):
    """The document's ETag and dates, and whether the agent's copy is it."""
    etag = metadata.etag(server.credential_id, server.revision, base)
    headers = [('ETag', etag), ('Cache-Control', 'no-cache')]
    # changed_at is naive UTC: timestamp() would read it as local time.
    changed = calendar.timegm(server.changed_at.utctimetuple())
    # Last-Modified has whole seconds: only announce it once the second of
    # the last change is over, so a later change always moves it.
    last_modified = changed < int(time.time())
    if last_modified:
        headers.append(('Last-Modified', email.utils.formatdate(
            changed, usegmt=True)))
    tags = environ.get('HTTP_IF_NONE_MATCH')
    if tags:
        # Weak comparison (RFC 9110 wants it for If-None-Match): "W/" is
        # ignored, and "*" matches (a current representation exists).
        fresh = etag.strip('"') in etag_module.ETagMatcher.parse(
            tags, strong=False)
    else:
        since = _if_modified_since(environ)
        fresh = (last_modified and since is not None and changed <= since)
    return etag, headers, fresh


def _seen(server):
    if agents.seen_due(server, cfg.CONF.deployment.agent_seen_interval):
        # At most one write per server and interval (agent_last_seen).
        agents.seen(server.credential_id,
                    cfg.CONF.deployment.agent_seen_interval)


def _not_modified(start_response, headers):
    headers.append(('Content-Length', '0'))
    start_response('304 Not Modified', headers)
    return []


def serve_metadata(environ, start_response, credential_id, mac):
    """GET/HEAD of a metadata URL, at the WSGI level (the hottest path).

    A 304 costs one primary-key read and no document; an unchanged
    document comes from the worker's cache.
    """
    base = urls.base_url(environ)
    if (engine.has_replica() and ('HTTP_IF_NONE_MATCH' in environ
                                  or 'HTTP_IF_MODIFIED_SINCE' in environ)):
        # A conditional poll asks the replica first.  It answers 304 only
        # for the document of the revision it has: one the agent holds,
        # so the agent is at most as late as the replica (a later poll
        # catches up).  An agent that holds a newer document than the
        # replica's (served by the primary) gets no 304 here, and the
        # primary answers it below: never an older document.
        lagging = _verified(agents.by_credential_lagging(credential_id),
                            mac)
        if lagging is not None:
            etag, headers, fresh = _validators(environ, lagging, base)
            if fresh:
                _seen(lagging)
                return _not_modified(start_response, headers)
    server = _verified(agents.by_credential(credential_id), mac)
    if server is None:
        return _not_found()(environ, start_response)
    _seen(server)
    etag, headers, fresh = _validators(environ, server, base)
    if fresh:
        return _not_modified(start_response, headers)
    body = _DOCUMENTS.get(etag)
    if body is None:
        pairs = deployments.served(server.project_id, server.server_id)
        # The one decryption of the agent secret (and, in document(), of
        # the secret inputs) per document built, not per poll.
        opened = agents.opened(server)
        body = metadata.document(
            pairs, urls.metadata_url(base, opened),
            lambda deployment: urls.signal_url(base, opened, deployment))
        if (secrets.is_plain_agent_secret(server.secret)
                and secrets.configured()):
            # A secret from before the keys: encrypted on its first use.
            agents.seal_plain(server.credential_id, server.secret)
        # The deployments were read after the revision: a change committed
        # in between (by another worker or node) makes them newer than the
        # ETag names.  Such bytes are served without ETag and date, and not
        # cached; the agent's next poll gets them under their own ETag.
        # (The revision alone is compared: a poll's record, last_seen_at,
        # may have moved meanwhile without changing the document.)
        current = agents.by_credential(credential_id)
        if current is not None and current.revision == server.revision:
            _DOCUMENTS.put(etag, body)
        else:
            headers = [(name, value) for name, value in headers
                       if name not in ('ETag', 'Last-Modified')]
    if environ['REQUEST_METHOD'] == 'HEAD':
        body_sent = []
    else:
        body_sent = [body]
        if server.delivery_pending:
            # The first GET of a new revision delivers what it holds,
            # recorded before the bytes go (behaviour-deadlines).
            lifecycle.deliver_to_agent(server)
    headers.append(('Content-Type', 'application/json'))
    headers.append(('Content-Length', str(len(body))))
    start_response('200 OK', headers)
    return body_sent


def take_signal(environ, start_response, deployment_id, mac):
    # The mac first: a wrong URL is a 404 whatever the body (the api-ref's
    # promise), and nobody without the URL makes the service parse a body.
    # take() checks it again under the row's lock (a rotation may come in
    # between): this costs one primary-key read more per signal.
    signals.check(deployment_id, mac)
    request = webob.Request(environ)
    details = validation.parse_body(request) if request.body.strip() else {}
    row, result = signals.take(deployment_id, mac, details)
    body = {'status': row.status, 'applied': result is not None}
    if result is not None:
        body['event'] = result.event
    response = webob.Response(content_type='application/json',
                              charset='UTF-8')
    response.body = jsonutils.dump_as_bytes(body)
    return response(environ, start_response)


# path segment -> (allowed methods, handler)
_ROUTES = {
    'metadata': (('GET', 'HEAD'), serve_metadata),
    'signal': (('POST', 'PUT'), take_signal),
}


class AgentApp(object):

    def __init__(self):
        policy.init(cfg.CONF)
        engine.configure(cfg.CONF)
        # Keys that cannot read the stored secrets stop the start here,
        # not a request later.
        secrets.check_keys()

    def __call__(self, environ, start_response):
        # PATH_INFO below the /agent mount: /v1/<kind>/<id>/<mac>
        path = environ.get('PATH_INFO', '')
        parts = path.split('/')
        if len(parts) != 5 or parts[:2] != ['', 'v1'] or not all(parts[3:]):
            response = _not_found('HTTPNotFound')
        elif '\x00' in path:
            # No id or mac holds a NUL (%00), and PostgreSQL cannot even
            # look one up: like any URL that cannot exist, a 404.
            response = _not_found()
        elif parts[2] not in _ROUTES:
            response = _not_found('HTTPNotFound')
        else:
            allowed, handler = _ROUTES[parts[2]]
            method = environ['REQUEST_METHOD']
            if method not in allowed:
                response = faults.method_not_allowed(method, allowed)
            else:
                try:
                    return handler(environ, start_response, parts[3],
                                   parts[4])
                except exception.DeploySvcException as e:
                    response = faults.from_exception(e, environ)
        return response(environ, start_response)


def app_factory(global_config, **local_conf):
    """paste.app_factory of the agents' capability URLs."""
    return AgentApp()
