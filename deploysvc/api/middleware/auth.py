"""Authentication filters: keystonemiddleware, or noauth for development.

Both leave the identity in keystonemiddleware's headers (``X-User-Id``,
``X-Project-Id``, ``X-Roles``...), from which the request context is built,
so policy is enforced the same way in both pipelines.
"""

import re

from keystonemiddleware import auth_token
from oslo_config import cfg
import webob.exc

from deploysvc.api import faults

# Paths served without a token: the version document (at "/", "/versions"
# and under any version prefix but v1/v1.0: Heat negotiates versions before
# authentication), "/v1" itself (a 404), and the capability URLs of
# in-instance agents (their secret is in the path).
_PUBLIC = re.compile(r'^/(?:v1(?:\.0)?/?)?$|^/agent/')
_VERSIONED = re.compile(r'^/(?:versions|v\d+(?:\.\d+)?)(?:/|$)')
_V1 = re.compile(r'^/v1(?:\.0)?(?:/|$)')
# The headers keystonemiddleware sets (and clients must not).
_IDENTITY = re.compile(r'^HTTP_(?:X_(?:USER|PROJECT|TENANT|ROLE|DOMAIN|'
                       r'IDENTITY_STATUS|SERVICE|IS_ADMIN_PROJECT|'
                       r'SYSTEM_SCOPE)|OPENSTACK_SYSTEM_SCOPE)')


def is_public(path):
    """Whether ``path`` is served without an identity."""
    if _PUBLIC.match(path):
        return True
    return bool(_VERSIONED.match(path)) and not _V1.match(path)


class KeystoneAuth(auth_token.AuthProtocol):
    """keystonemiddleware ``auth_token`` configured from our ConfigOpts."""

    def __init__(self, application):
        self._public_app = application
        super().__init__(application, {'oslo_config_config': cfg.CONF})

    def __call__(self, environ, start_response):
        if is_public(environ.get('PATH_INFO', '')):
            # No token is checked here, so no identity header a client
            # sent may reach the application either.
            for key in [k for k in environ if _IDENTITY.match(k)]:
                del environ[key]
            return self._public_app(environ, start_response)
        return super().__call__(environ, start_response)

    def process_request(self, request):
        try:
            return super().process_request(request)
        except webob.exc.HTTPUnauthorized as e:
            # keystonemiddleware's own body is not Heat's error shape (see
            # doc/source/contributor/behaviour.rst, behaviour-error-body).
            return faults.error_response(
                401, 'HTTPUnauthorized',
                'The request you have made requires authentication.',
                headers=[(k, v) for k, v in e.headers.items()
                         if k.lower() == 'www-authenticate'])

    @classmethod
    def factory(cls, global_conf, **local_conf):
        return cls


_TENANT = re.compile(r'^/v1(?:\.0)?/([^/]+)')


class NoAuth(object):
    """Identity from headers; defaults to a member of the URL's project.

    ``X-User-Id``, ``X-Project-Id`` and ``X-Roles`` are used when present;
    otherwise the caller is user ``noauth`` in the URL's project with roles
    ``member,reader``.  Never use this outside development and tests.
    """

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        if not is_public(environ.get('PATH_INFO', '')):
            if 'HTTP_X_PROJECT_ID' not in environ:
                match = _TENANT.match(environ.get('PATH_INFO', ''))
                if match is None:
                    response = faults.error_response(
                        401, 'HTTPUnauthorized',
                        'No project: send X-Project-Id or use a '
                        '/v1/{tenant_id}/ URL.')
                    return response(environ, start_response)
                environ['HTTP_X_PROJECT_ID'] = match.group(1)
            environ.setdefault('HTTP_X_USER_ID', 'noauth')
            environ.setdefault('HTTP_X_ROLES', 'member,reader')
            environ['HTTP_X_IDENTITY_STATUS'] = 'Confirmed'
        return self.application(environ, start_response)

    @classmethod
    def factory(cls, global_conf, **local_conf):
        return cls
