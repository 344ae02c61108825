"""Options of the [metrics] group: where Prometheus scrapes deploysvc-api.

See doc/source/admin/operations.rst, operations-metrics.
"""

from oslo_config import cfg

GROUP = 'metrics'

opts = [
    cfg.HostAddressOpt('host',
                       default='127.0.0.1',
                       help='Address of the metrics listener of '
                            'deploysvc-api (see port). Keep it on the '
                            'loopback or a management network: the '
                            'metrics are not for tenants.'),
    cfg.PortOpt('port',
                help='TCP port on which deploysvc-api serves Prometheus '
                     'metrics (GET /metrics), apart from the API port, '
                     'which never serves them. Unset (the default): no '
                     'metrics listener. Must differ from [api] port. '
                     'Ignored by other WSGI servers: mount the '
                     'deploysvc.api.middleware.metrics app_factory on a '
                     'protected virtual host instead.'),
    cfg.StrOpt('multiproc_dir',
               help='Directory where the worker processes of '
                    'deploysvc-api write their metrics '
                    '(prometheus_client\'s multi-process mode). '
                    'deploysvc-api creates it and deletes the value files '
                    'in it at every start and reload, so it must belong '
                    'to one deploysvc-api only; a tmpfs (e.g. '
                    '/run/deploysvc/prometheus) saves disk writes. Unset: '
                    'a new directory under the system\'s temporary '
                    'directory at each start, removed when deploysvc-api '
                    'stops or reloads.'),
]


def register_opts(conf):
    conf.register_opts(opts, group=GROUP)


def list_opts():
    return {GROUP: opts}
