"""Paste filter factories for optional filters (oslo.middleware, osprofiler).

Each gives oslo's own filter when its option asks for it, and otherwise the
application unchanged: a filter with nothing to do still costs every
request (oslo's filters are WebOb middleware: a Request, a Response and a
signature inspection each, about 30 us a request on a 2-vCPU machine).
Operators who want a filter whatever the options put oslo's own factory in
their ``api-paste.ini`` (``oslo_middleware:CORS.factory`` with
``oslo_config_project = deploysvc``, ``oslo_middleware:HTTPProxyToWSGI.
factory``).
"""

import socket

from oslo_config import cfg
from oslo_middleware import cors
from oslo_middleware import http_proxy_to_wsgi
from osprofiler import initializer as profiler_initializer
from osprofiler import opts as profiler_opts
from osprofiler import web as profiler_web


def _when(enabled, make):
    """A paste filter: ``make(application)`` if ``enabled()``, else none.

    Read when the pipeline is built, so an option set in the configuration
    files decides.
    """
    def _filter(application):
        return make(application) if enabled() else application
    return _filter


def cors_factory(global_conf, **local_conf):
    """CORS when ``[cors] allowed_origin`` is set.

    Without an allowed origin oslo's CORS adds no header; all it does is
    turn the error answer of an OPTIONS request into an empty 200.
    """
    conf = cfg.CONF
    conf.register_opts(cors.CORS_OPTS, 'cors')
    return _when(lambda: conf.cors.allowed_origin,
                 lambda application: cors.CORS(application, conf))


def http_proxy_to_wsgi_factory(global_conf, **local_conf):
    """HTTPProxyToWSGI when ``enable_proxy_headers_parsing`` is true.

    (Without it oslo's filter ignores every proxy header.)
    """
    conf = cfg.CONF
    conf.register_opts(http_proxy_to_wsgi.OPTS, 'oslo_middleware')
    return _when(lambda: conf.oslo_middleware.enable_proxy_headers_parsing,
                 lambda application: http_proxy_to_wsgi.HTTPProxyToWSGI(
                     application, conf))


def _profiled(application):
    # Where the traces go ([profiler] connection_string), for this process.
    profiler_initializer.init_from_conf(
        conf=cfg.CONF, context={}, project='deploysvc', service='api',
        host=socket.gethostname())
    return profiler_web.WsgiMiddleware(
        application, hmac_keys=cfg.CONF.profiler.hmac_keys, enabled=True)


def osprofiler_factory(global_conf, **local_conf):
    """osprofiler's WSGI middleware when ``[profiler] enabled`` is true.

    It traces only the requests that carry a trace header signed with one
    of ``[profiler] hmac_keys`` (``openstack --os-profile KEY ...``).
    """
    return _when(lambda: profiler_opts.is_trace_enabled(cfg.CONF),
                 _profiled)
