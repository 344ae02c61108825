"""Request context: identity and admin flag."""

from oslo_context import context

from deploysvc import policy

# oslo.context's (argument, environ keys) table, as (key, argument) pairs in
# which the first key of an argument comes last, so that it wins.
_FROM_ENVIRON = tuple((key, name)
                      for name, keys in context._ENVIRON_HEADERS.items()
                      for key in reversed(keys))


def _roles(value):
    return [role.strip() for role in value.split(',')] if value else []


class RequestContext(context.RequestContext):
    """Identity of a request; ``is_admin`` comes from ``context_is_admin``."""

    def __init__(self, is_admin=None, **kwargs):
        super().__init__(is_admin=bool(is_admin), **kwargs)
        if is_admin is None:
            self.is_admin = policy.check_is_admin(self)

    @classmethod
    def from_environ(cls, environ, **kwargs):
        """oslo.context's ``from_environ``, in fewer steps (every request)."""
        values = {name: environ[key] for key, name in _FROM_ENVIRON
                  if key in environ}
        values['roles'] = _roles(
            environ.get('HTTP_X_ROLES', environ.get('HTTP_X_ROLE')))
        values['service_roles'] = _roles(environ.get('HTTP_X_SERVICE_ROLES'))
        values['is_admin_project'] = environ.get(
            'HTTP_X_IS_ADMIN_PROJECT', 'true').lower() == 'true'
        values.update(kwargs)
        return cls(**values)

    def can(self, action, target=None):
        """Enforce ``action`` against ``target`` (default: own project)."""
        if target is None:
            target = {'project_id': self.project_id}
        return policy.authorize(self, action, target)


def get_admin_context():
    return RequestContext(is_admin=True, user_id='deploysvc',
                          project_id=None, overwrite=False)
