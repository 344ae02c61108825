"""Pecan hooks: the request context, and errors in Heat's shape."""

from oslo_log import log as logging
import pecan
import webob.exc

from deploysvc.api import faults
from deploysvc import context
from deploysvc import exception

LOG = logging.getLogger(__name__)


class ContextHook(pecan.hooks.PecanHook):
    """Build the RequestContext before routing (the tenant check needs it)."""

    def on_route(self, state):
        # Every answer is JSON whatever the client accepts (Heat ignores
        # Accept): keep Pecan's content negotiation from answering 406.
        state.request.environ.pop('HTTP_ACCEPT', None)
        state.request.context = context.RequestContext.from_environ(
            state.request.environ)


class ErrorHook(pecan.hooks.PecanHook):
    """Translate every exception into Heat's error body, in one place."""

    def on_error(self, state, exc):
        if isinstance(exc, UnicodeDecodeError):
            # A path, query string or body that is not UTF-8: the client's
            # error (what pecan.Request answers, as plain WebOb is used).
            return faults.error_response(
                400, 'HTTPBadRequest', webob.exc.HTTPBadRequest.explanation)
        if isinstance(exc, exception.DeploySvcException):
            return faults.from_exception(exc)
        if isinstance(exc, webob.exc.HTTPException):
            headers = []
            if exc.status_int == 405 and exc.allow:
                headers.append(('Allow', ', '.join(exc.allow)))
            message = exc.detail or exc.explanation
            return faults.error_response(exc.status_int,
                                         type(exc).__name__, message,
                                         headers=headers)
        if (getattr(state, 'arguments', None) is None
                and isinstance(exc, (ValueError, RecursionError))):
            # Pecan decodes the body (JSON or form) to match controller
            # arguments before any controller runs: a body it cannot
            # decode is the client's error, not ours.
            return faults.error_response(
                400, 'HTTPBadRequest',
                'The request body could not be decoded: %s' % exc)
        return faults.internal_error(exc)
