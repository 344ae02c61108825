"""Entry points for the oslo.config generator."""

from oslo_config import cfg
from oslo_db import options as db_options
from oslo_middleware import cors
from oslo_policy import opts as policy_opts

from deploysvc.conf import api
from deploysvc.conf import crypto
from deploysvc.conf import database
from deploysvc.conf import default
from deploysvc.conf import deployment
from deploysvc.conf import metrics
from deploysvc.conf import notifications
from deploysvc.conf import profiler

_MODULES = (api, crypto, default, deployment, metrics, notifications,
            profiler)


def list_opts():
    """Options of deploysvc, for ``oslo-config-generator``."""
    result = {}
    for module in _MODULES:
        for group, opts in module.list_opts().items():
            result.setdefault(group, []).extend(opts)
    return sorted(result.items())


def set_lib_defaults():
    """Defaults of library options that deploysvc changes."""
    cors.set_defaults(
        allow_headers=['X-Auth-Token', 'X-Identity-Status', 'X-Roles',
                       'X-Service-Catalog', 'X-User-Id', 'X-Project-Id',
                       'X-OpenStack-Request-ID', 'Idempotency-Key',
                       'If-Match', 'If-None-Match'],
        expose_headers=['X-Auth-Token', 'X-Subject-Token',
                        'X-Service-Token', 'X-OpenStack-Request-ID',
                        'ETag', 'Idempotent-Replayed'],
        allow_methods=['GET', 'PUT', 'POST', 'DELETE', 'HEAD', 'OPTIONS'])
    policy_opts.set_defaults(cfg.CONF, policy_file='policy.yaml')
    # On the option objects, so the sample config shows it too.
    cfg.set_defaults(db_options.database_opts,
                     connection=database.DEFAULT_CONNECTION)
