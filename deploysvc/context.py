"""Request context: identity and admin flag."""

from oslo_context import context

from deploysvc import policy


class RequestContext(context.RequestContext):
    """Identity of a request; ``is_admin`` comes from ``context_is_admin``."""

    def __init__(self, is_admin=None, **kwargs):
        super().__init__(is_admin=bool(is_admin), **kwargs)
        if is_admin is None:
            self.is_admin = policy.check_is_admin(self)
        self._is_stack_user = None

    @property
    def is_stack_user(self):
        """Whether the policy names the caller a stack user (asked once).

        Only the reads that may widen to a stack user project ask.
        """
        if self._is_stack_user is None:
            self._is_stack_user = policy.check_is_stack_user(self)
        return self._is_stack_user

    def can(self, action, target=None):
        """Enforce ``action`` against ``target`` (default: own project)."""
        if target is None:
            target = {'project_id': self.project_id}
        return policy.authorize(self, action, target)

    def may(self, action, target=None):
        """Whether ``action`` is allowed (for optional parts of answers)."""
        if target is None:
            target = {'project_id': self.project_id}
        return policy.allowed(self, action, target)


def get_admin_context():
    return RequestContext(is_admin=True, user_id='deploysvc',
                          project_id=None, overwrite=False)
