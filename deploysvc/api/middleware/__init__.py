"""Paste filter factories that hand our ConfigOpts to oslo.middleware."""

from oslo_config import cfg

from deploysvc.api.middleware import fast


def cors_factory(global_conf, **local_conf):
    """CORS configured from deploysvc's own options ([cors] group).

    oslo.middleware's CORS, answering requests it leaves alone without
    webob (``fast.CORS``).
    """
    def _filter(application):
        return fast.CORS(application, cfg.CONF)
    return _filter
