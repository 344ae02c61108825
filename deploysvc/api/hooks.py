"""Pecan hooks: the request context, and errors in Heat's shape."""

from oslo_log import log as logging
import pecan
import webob.exc

from deploysvc.api import faults
from deploysvc.api import validation
from deploysvc import context
from deploysvc import exception

LOG = logging.getLogger(__name__)

# The longest identity the tables hold: project ids are String(64) (as
# Keystone's project ids), user ids String(255) (an event's actor;
# Keystone's user ids are String(64)).  Only noauth takes them from the
# client; a longer one is refused here rather than failing in the database
# (PostgreSQL and MariaDB in strict mode refuse a longer value: a 500).
_IDENTITY_LIMITS = (('project_id', 'project id', 64),
                    ('user_id', 'user id', 255))


def _check_identity(context):
    for attribute, name, limit in _IDENTITY_LIMITS:
        value = getattr(context, attribute)
        if value is None:
            continue
        if len(value) > limit:
            raise exception.BadRequest(
                message='The %s is longer than %d characters.'
                        % (name, limit))
        if '\x00' in value:
            raise exception.BadRequest(
                message='The %s has a NUL character.' % name)


class ContextHook(pecan.hooks.PecanHook):
    """Build the RequestContext before routing (the tenant check needs it)."""

    def on_route(self, state):
        # Every answer is JSON whatever the client accepts (Heat ignores
        # Accept): keep Pecan's content negotiation from answering 406.
        environ = state.request.environ
        environ.pop('HTTP_ACCEPT', None)
        # The one check of each input the router and every handler use:
        # the path, the query and the identity (the body is checked where
        # it is parsed, validation.parse_body).
        validation.check_path(environ)
        validation.check_query(state.request)
        state.request.context = context.RequestContext.from_environ(
            environ)
        _check_identity(state.request.context)


class ErrorHook(pecan.hooks.PecanHook):
    """Translate every exception into Heat's error body, in one place."""

    def on_error(self, state, exc):
        if isinstance(exc, UnicodeDecodeError):
            # A path, query string or body that is not UTF-8: the client's
            # error (what pecan.Request answers, as plain WebOb is used).
            return faults.error_response(
                400, 'HTTPBadRequest', webob.exc.HTTPBadRequest.explanation)
        if isinstance(exc, exception.DeploySvcException):
            return faults.from_exception(exc, state.request.environ)
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
        return faults.internal_error(exc, state.request.environ)
