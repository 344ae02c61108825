"""The policy enforcer: created once, reset only by tests."""

from oslo_config import cfg
from oslo_policy import policy as oslo_policy

from deploysvc import exception
from deploysvc import policies

_ENFORCER = None


def init(conf=None):
    """Create the enforcer with the rules in code (idempotent)."""
    global _ENFORCER
    if _ENFORCER is None:
        _ENFORCER = oslo_policy.Enforcer(conf or cfg.CONF)
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


def authorize(context, action, target):
    """Raise exception.Forbidden unless ``context`` may do ``action``."""
    try:
        return init().authorize(action, target, context, do_raise=True)
    except (oslo_policy.PolicyNotAuthorized, oslo_policy.InvalidScope):
        raise exception.Forbidden(action=action)


def check_is_admin(context):
    """Whether the context passes the ``context_is_admin`` rule."""
    return init().authorize('context_is_admin', {}, context, do_raise=False)
