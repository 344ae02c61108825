"""Heat's error body, built in one place, and the last-resort fault wrapper.

Every error the service returns has the shape::

    {"code": 404, "title": "Not Found",
     "explanation": "The resource could not be found.",
     "error": {"type": "NotFound", "message": "...", "traceback": null}}

``title`` and ``explanation`` are webob's standard texts for the status,
``error.message`` is always present and ``error.traceback`` is null unless
``[DEFAULT] debug`` is set.

A 500 names no internal class: its ``error.type`` is always
``InternalServerError`` and its message ends with the request id (also in
the ``X-OpenStack-Request-ID`` header), which the log line of the
traceback carries too.
"""

import traceback

from oslo_config import cfg
from oslo_log import log as logging
from oslo_middleware import request_id
from oslo_serialization import jsonutils
import webob
import webob.exc

LOG = logging.getLogger(__name__)

_GENERIC_500 = ('The server has either erred or is incapable of performing '
                'the requested operation.')


def _status_texts(code):
    cls = webob.exc.status_map.get(code, webob.exc.HTTPInternalServerError)
    return cls.title, cls.explanation


def error_response(code, error_type, message, tb=None, headers=None):
    """The webob Response carrying Heat's error body."""
    title, explanation = _status_texts(code)
    body = {
        'code': code,
        'title': title,
        'explanation': explanation,
        'error': {
            'type': error_type,
            'message': message,
            'traceback': tb if cfg.CONF.debug else None,
        },
    }
    response = webob.Response(status=code, content_type='application/json',
                              charset='UTF-8')
    for name, value in headers or ():
        response.headers[name] = value
    response.body = jsonutils.dump_as_bytes(body)
    return response


def from_exception(exc, environ=None):
    """The response for a deploysvc exception (a 500 is logged)."""
    if exc.code == 500:
        return internal_error(exc, environ)
    return error_response(exc.code, exc.type, exc.message,
                          headers=exc.headers)


def method_not_allowed(method, allowed):
    """405 with ``Allow``; OPTIONS gets 204 with the same header (Heat)."""
    if method == 'OPTIONS':
        response = webob.Response(status=204)
        response.headers['Allow'] = ','.join(allowed)
        return response
    allow = ', '.join(allowed)
    return error_response(
        405, 'HTTPMethodNotAllowed',
        'The method %s is not allowed for this resource; allowed: %s.'
        % (method, allow), headers=[('Allow', allow)])


def internal_error(exc, environ=None):
    """500 for an unexpected exception; the traceback is logged.

    The body says only that it is a 500 and which request it was: the
    exception's class and text may tell a client about the service's
    insides (a driver, a table) and are in the log, under the request id.
    """
    req_id = (environ or {}).get(request_id.ENV_REQUEST_ID)
    LOG.exception('Unexpected error while handling request %s', req_id)
    message = _GENERIC_500
    if req_id:
        message = '%s Request id: %s.' % (message, req_id)
    return error_response(500, 'InternalServerError', message,
                          tb=traceback.format_exc())


class FaultWrapper(object):
    """Outermost safety net: any exception becomes a JSON 500."""

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        try:
            return self.application(environ, start_response)
        except Exception as e:
            return internal_error(e, environ)(environ, start_response)

    @classmethod
    def factory(cls, global_conf, **local_conf):
        return cls
