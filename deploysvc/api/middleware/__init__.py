"""Paste filter factories that hand our ConfigOpts to oslo.middleware."""

from oslo_config import cfg
from oslo_middleware import cors


def cors_factory(global_conf, **local_conf):
    """CORS configured from deploysvc's own options ([cors] group)."""
    def _filter(application):
        return cors.CORS(application, cfg.CONF)
    return _filter
