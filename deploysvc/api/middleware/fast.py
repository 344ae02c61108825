"""oslo.middleware's CORS, HTTPProxyToWSGI and RequestId, without webob.

The three oslo filters in front of every request are webob middleware: each
builds a Request, a full Response and calls ``inspect.getfullargspec`` per
request, about a tenth of a cheap request's CPU.  Most of the time their work
is nothing (no ``Origin``, no proxy header) or one response header (the
request id).  These subclasses keep oslo's options, factories and behaviour
and answer those cases at the WSGI level; anything else goes to oslo's own
``__call__``.

What oslo's webob layer does to a response it leaves alone is kept too (see
``_forward``); the one difference is that the application no longer finds
webob's spare ``req.response`` in ``environ['webob.adhoc_attrs']`` (nothing
reads it; the Set-Cookie headers webob would merge from it into a raised
``webob.exc`` response are therefore never there).
"""

import re

from oslo_context import context
from oslo_middleware import cors
from oslo_middleware import http_proxy_to_wsgi
from oslo_middleware import request_id
import webob.exc
import webob.response

# The environ keys HTTPProxyToWSGI.process_request reads.
_PROXY_KEYS = ('HTTP_FORWARDED', 'HTTP_X_FORWARDED_PROTO',
               'HTTP_X_FORWARDED_HOST', 'HTTP_X_FORWARDED_FOR',
               'HTTP_X_FORWARDED_PREFIX')
_INBOUND_KEY = 'HTTP_' + request_id.INBOUND_HEADER.upper().replace('-', '_')
_GLOBAL_ID = re.compile(request_id.ID_FORMAT)
_absolute = webob.response.Response._make_location_absolute


def _forward(application, environ, start_response, add_headers=()):
    """Call ``application`` as oslo's webob layer does, minus the objects.

    Like ``webob.Request.get_response`` + ``Response.__call__`` under
    ``webob.dec.wsgify``: a rewindable body is rewound, ``exc_info`` given
    to ``start_response`` is raised, output of ``write()`` or of an
    application that starts its response late is collected first (and the
    iterable closed), a raised ``webob.exc.HTTPException`` becomes the
    response, ``Location`` is made absolute and HEAD gets no body.  Each
    ``(name, value)`` of ``add_headers`` is added unless a header of that
    name (any case) is already there.
    """
    if environ.get('webob.is_body_seekable'):
        environ['wsgi.input'].seek(0)
    started = []
    written = []

    def capture(status, headers, exc_info=None):
        if exc_info is not None:
            raise exc_info[1].with_traceback(exc_info[2])
        started[:] = (status, headers)
        return written.append

    try:
        app_iter = application(environ, capture)
        if written or not started:
            try:
                written.extend(app_iter)
            finally:
                if hasattr(app_iter, 'close'):
                    app_iter.close()
            app_iter = written
    except webob.exc.HTTPException as exc:
        return exc(environ, start_response)
    headers = list(started[1])
    for name, value in add_headers:
        lower = name.lower()
        if not any(key.lower() == lower for key, _ in headers):
            headers.append((name, value))
    start_response(started[0], [
        (key, _absolute(environ, value)) if key.lower() == 'location'
        else (key, value) for key, value in headers])
    if environ['REQUEST_METHOD'] == 'HEAD':
        return webob.response.EmptyResponse(app_iter)
    return app_iter


class RequestId(request_id.RequestId):
    """oslo's RequestId: environ keys and response header, no webob."""

    def __call__(self, environ, start_response):
        inbound = environ.get(_INBOUND_KEY, '')
        if _GLOBAL_ID.match(inbound):
            environ[request_id.GLOBAL_REQ_ID] = inbound
        req_id = context.generate_request_id()
        environ[request_id.ENV_REQUEST_ID] = req_id
        names = [request_id.HTTP_RESP_HEADER_REQUEST_ID] + self.compat_headers
        return _forward(self.application, environ, start_response,
                        [(name, req_id) for name in names])


class HTTPProxyToWSGI(http_proxy_to_wsgi.HTTPProxyToWSGI):
    """oslo's HTTPProxyToWSGI; oslo only runs when it has headers to use."""

    def __call__(self, environ, start_response):
        if (any(environ.get(key) for key in _PROXY_KEYS)
                and self._conf_get('enable_proxy_headers_parsing')):
            return super().__call__(environ, start_response)
        return _forward(self.application, environ, start_response)


class CORS(cors.CORS):
    """oslo's CORS; oslo only runs for an ``Origin`` or an OPTIONS request.

    Without ``Origin`` oslo adds nothing (not even ``Vary``) except to
    OPTIONS requests, whose non-2xx answers it turns into an empty 200.
    """

    def __call__(self, environ, start_response):
        if ('HTTP_ORIGIN' in environ
                or environ.get('REQUEST_METHOD', 'GET') == 'OPTIONS'):
            return super().__call__(environ, start_response)
        return _forward(self.application, environ, start_response)
