"""Prometheus metrics of the HTTP requests, and the scrape application.

``RequestMetrics`` (``[filter:metrics]``, outermost in ``api-paste.ini``)
counts every request by route template, method and status and observes
its latency.  The route is a template of the API's own routes
(``/v1/{tenant_id}/software_deployments/{deployment_id}``): any path that
is none of them is ``other``, so a client cannot make new time series.

``MetricsApp`` answers ``GET /metrics`` with the metrics of every worker
(deploysvc.common.metrics) and anything else with a 404 in Heat's error
body.  It is never mapped on the tenant API: deploysvc-api serves it on
a listener of its own (``[metrics] port``, ``PortDispatch``), and under
another WSGI server ``app_factory`` mounts it on a protected virtual host
(doc/source/admin/operations.rst, operations-metrics).
"""

import time

from oslo_config import cfg

from deploysvc.api.controllers import v1
from deploysvc.api import faults
from deploysvc.common import metrics
from deploysvc.db import engine
from deploysvc.db import stats

OTHER = 'other'
_METHODS = frozenset(('GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE',
                      'OPTIONS'))
# The name of the id after each collection of the API's routes.
_ID_NAMES = {
    'software_configs': '{config_id}',
    'software_deployments': '{deployment_id}',
    'software_deployment_groups': '{group_id}',
    'metadata': '{server_id}',
    'server_agents': '{server_id}',
}
_FIXED = {
    '/': '/',
    '/versions': '/versions',
    '/healthcheck': '/healthcheck',
}
_AGENT = {
    'metadata': metrics.AGENT_METADATA_ROUTE,
    'signal': '/agent/v1/signal/{deployment_id}/{mac}',
}


def _templates(routes):
    """Each controller of v1.ROUTES -> its route's template."""
    templates = {}
    for shape, controller in routes.items():
        words = []
        for word in shape:
            words.append(_ID_NAMES.get(words[-1] if words else '', '{id}')
                         if word == '*' else word)
        if controller in templates:
            # Two routes would share a label.
            raise RuntimeError('%s serves two routes' % controller.__name__)
        templates[controller] = '/v1/{tenant_id}/' + '/'.join(words)
    return templates


_TEMPLATES = _templates(v1.ROUTES)


def route_of(path):
    """The route template of a request's PATH_INFO, else ``other``."""
    fixed = _FIXED.get(path)
    if fixed is not None:
        return fixed
    parts = path.split('/')
    if len(parts) > 3 and parts[1] in ('v1', 'v1.0') and all(parts[2:]):
        # v1's own router decides (a fixed word wins over an id, "_..."
        # is no word): the label is the route the request is served by.
        found = v1.match(parts[3:])
        return OTHER if found is None else _TEMPLATES[found[0]]
    if (len(parts) == 6 and parts[1] == 'agent' and parts[2] == 'v1'
            and parts[4] and parts[5]):
        return _AGENT.get(parts[3], OTHER)
    return OTHER


class RequestMetrics(object):
    """Counts and times every request (deploysvc_http_*).

    About 3 us a request: the route is found with a few dict lookups,
    and the counts are kept in the process, written once a second
    (deploysvc.common.metrics).  The time is
    until the application returned its answer, as the access log's.
    """

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        started = time.monotonic()
        # Read now: the URL map below moves PATH_INFO to SCRIPT_NAME.
        route = route_of(environ.get('PATH_INFO', ''))
        answer = []

        def recording_start_response(status, headers, exc_info=None):
            answer.append(status)
            return start_response(status, headers, exc_info)

        try:
            return self.application(environ, recording_start_response)
        finally:
            method = environ.get('REQUEST_METHOD')
            metrics.request(route, method if method in _METHODS else OTHER,
                            answer[-1][:3] if answer else '500',
                            time.monotonic() - started)

    @classmethod
    def factory(cls, global_conf, **local_conf):
        return cls


def _not_found():
    return faults.error_response(404, 'HTTPNotFound',
                                 'The resource could not be found.')


class MetricsApp(object):
    """``GET``/``HEAD /metrics``: the Prometheus text exposition."""

    def __init__(self):
        # (Served alone on a vhost of its own, it configures the database
        # of the deploysvc_deployments gauge itself.)
        engine.configure(cfg.CONF)
        self.deployments = metrics.deployments_gauge(
            stats.deployments_by_status)

    def __call__(self, environ, start_response):
        method = environ.get('REQUEST_METHOD')
        if environ.get('PATH_INFO') != '/metrics':
            return _not_found()(environ, start_response)
        if method not in ('GET', 'HEAD'):
            return faults.method_not_allowed(method, ('GET', 'HEAD'))(
                environ, start_response)
        body, content_type = metrics.exposition(self.deployments)
        start_response('200 OK', [('Content-Type', content_type),
                                  ('Content-Length', str(len(body))),
                                  ('Cache-Control', 'no-store')])
        return [] if method == 'HEAD' else [body]


def app_factory(global_config, **local_conf):
    """paste.app_factory of the scrape application (a protected vhost)."""
    return MetricsApp()


class PortDispatch(object):
    """Requests that came on ``port`` go to ``metrics_app``, others to ``api``.

    uWSGI gives each request the port of the socket it arrived on as
    ``SERVER_PORT`` (not the client's Host header), so a request on the
    API port never reaches the metrics, whatever its path or headers.
    """

    def __init__(self, api, metrics_app, port):
        self.api = api
        self.metrics_app = metrics_app
        self.port = str(port)

    def __call__(self, environ, start_response):
        if environ.get('SERVER_PORT') == self.port:
            return self.metrics_app(environ, start_response)
        return self.api(environ, start_response)
