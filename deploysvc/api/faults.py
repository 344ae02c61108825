"""Heat's error body, built in one place, and the last-resort fault wrapper.

Every error the service returns has the shape::

    {"code": 404, "title": "Not Found",
     "explanation": "The resource could not be found.",
     "error": {"type": "NotFound", "message": "...", "traceback": null}}

``title`` and ``explanation`` are webob's standard texts for the status,
``error.message`` is always present and ``error.traceback`` is null unless
``[DEFAULT] debug`` is set.
"""

import traceback

from oslo_config import cfg
from oslo_log import log as logging
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


def from_exception(exc):
    """The response for a deploysvc exception (5xx ones are logged)."""
    if exc.code >= 500:
        return internal_error(exc)
    return error_response(exc.code, exc.type, exc.message)


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


def internal_error(exc):
    """500 for an unexpected exception; the traceback is logged."""
    LOG.exception('Unexpected error while handling a request')
    return error_response(500, type(exc).__name__, _GENERIC_500,
                          tb=traceback.format_exc())


class FaultWrapper(object):
    """Outermost safety net: any exception becomes a JSON 500."""

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        try:
            return self.application(environ, start_response)
        except Exception as e:
            return internal_error(e)(environ, start_response)

    @classmethod
    def factory(cls, global_conf, **local_conf):
        return cls
