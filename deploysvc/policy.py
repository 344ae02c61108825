"""The policy enforcer: created once, reset only by tests.

oslo.policy looks for changes of the policy file on every check (and, when
there is no file, searches every configuration directory for it), and
evaluates the rule tree again each time.  On the hot paths that cost more
than the rest of a request, so the enforcer here re-checks its files at
most once per ``_RELOAD_INTERVAL`` seconds, and decisions are memoised for
that same interval: a changed policy file takes effect within a second,
as it would with any real request rate.
"""

import time

from oslo_config import cfg
from oslo_context import context as oslo_context
from oslo_policy import policy as oslo_policy

from deploysvc import exception
from deploysvc import policies

_ENFORCER = None

_RELOAD_INTERVAL = 1.0
# Memoised decisions are dropped with every file check; the size bound only
# matters for floods of distinct identities within one interval.
_MAX_DECISIONS = 10000


class Enforcer(oslo_policy.Enforcer):
    """An Enforcer that checks its files at most once per interval."""

    _checked_at = None
    decisions = None

    def load_rules(self, force_reload=False):
        now = time.monotonic()
        if (force_reload or self._checked_at is None
                or now - self._checked_at >= _RELOAD_INTERVAL):
            super().load_rules(force_reload)
            self._checked_at = now
            self.decisions = {}

    def set_rules(self, rules, overwrite=True, use_conf=False):
        super().set_rules(rules, overwrite=overwrite, use_conf=use_conf)
        self.decisions = {}

    def clear(self):
        super().clear()
        self._checked_at = None
        self.decisions = {}


def init(conf=None):
    """Create the enforcer with the rules in code (idempotent)."""
    global _ENFORCER
    if _ENFORCER is None:
        _ENFORCER = Enforcer(conf or cfg.CONF)
        _ENFORCER.register_defaults(policies.list_rules())
        _ENFORCER.load_rules()
    return _ENFORCER


def reset():
    global _ENFORCER
    if _ENFORCER is not None:
        _ENFORCER.clear()
    _ENFORCER = None


def get_enforcer():
    """Entry point of the oslopolicy-* command line tools.

    The tools parse their own command line (``--config-file``...) into
    ``cfg.CONF`` before they call this, so the enforcer must use that object
    (and ``oslopolicy-validator`` reads the policy file name from it); the
    command line is parsed here only when nobody has done it yet.
    """
    if 'config_file' not in cfg.CONF:
        cfg.CONF([], project='deploysvc')
    return init(cfg.CONF)


def _freeze(values):
    return tuple(sorted(
        (key, tuple(value) if isinstance(value, list) else value)
        for key, value in values.items()))


_STANDARD_VALUES = oslo_context.RequestContext.to_policy_values


def _identity(context):
    """``context.to_policy_values()``, hashable: the memo's key."""
    if type(context).to_policy_values is not _STANDARD_VALUES:
        return _freeze(context.to_policy_values())
    # The values oslo.context's to_policy_values() gives, in its order, read
    # directly (the mapping it builds is slow to go through), after a marker
    # that no frozen mapping starts with.
    roles, service_roles = context.roles, context.service_roles
    return (_STANDARD_VALUES, context.user_id, context.user_domain_id,
            context.system_scope, context.domain_id, context.project_id,
            context.project_domain_id,
            tuple(roles) if isinstance(roles, list) else roles,
            context.is_admin_project, context.service_user_id,
            context.service_user_domain_id, context.service_project_id,
            context.service_project_domain_id,
            tuple(service_roles) if isinstance(service_roles, list)
            else service_roles)


def _allowed(action, target, context):
    """The (memoised) decision of ``action`` for this identity."""
    enforcer = init()
    enforcer.load_rules()
    # A request checks several rules with one identity: freeze it once.
    frozen = getattr(context, '_frozen_policy_values', None)
    if frozen is None:
        frozen = context._frozen_policy_values = _identity(context)
    key = (action, _freeze(target), frozen)
    decision = enforcer.decisions.get(key)
    if decision is None:
        creds = context.to_policy_values()
        try:
            decision = bool(enforcer.authorize(action, target, creds,
                                               do_raise=True))
        except (oslo_policy.PolicyNotAuthorized, oslo_policy.InvalidScope):
            decision = False
        if len(enforcer.decisions) >= _MAX_DECISIONS:
            enforcer.decisions.clear()
        enforcer.decisions[key] = decision
    return decision


def authorize(context, action, target):
    """Raise exception.Forbidden unless ``context`` may do ``action``."""
    if not _allowed(action, target, context):
        raise exception.Forbidden(action=action)
    return True


def allowed(context, action, target):
    """Whether ``context`` may do ``action`` (no exception)."""
    return _allowed(action, target, context)


def check_is_admin(context):
    """Whether the context passes the ``context_is_admin`` rule."""
    return _allowed('context_is_admin', {}, context)


def check_is_stack_user(context):
    """Whether the context passes the ``stack_user`` rule.

    Checked against the caller's own project: such a caller also reads,
    and signals, the deployments that name its project as their stack user
    project (doc/source/contributor/behaviour.rst, behaviour-visibility).
    """
    return _allowed('stack_user', {'project_id': context.project_id},
                    context)
