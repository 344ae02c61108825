"""Options of the [api] group."""

from oslo_config import cfg

GROUP = 'api'

opts = [
    cfg.HostAddressOpt('host',
                       default='127.0.0.1',
                       help='Address deploysvc-api listens on. Keep the '
                            'loopback default behind a local proxy; use '
                            '0.0.0.0 (or a specific address) to serve '
                            'other hosts directly.'),
    cfg.PortOpt('port',
                default=8019,
                help='TCP port deploysvc-api listens on. 8019 is not used '
                     'by any other OpenStack service by default; change it '
                     'only if another service on the host already uses '
                     'it. Ignored by other WSGI servers.'),
    cfg.IntOpt('workers',
               min=1,
               help='Number of API worker processes started by '
                    'deploysvc-api. Defaults to the number of CPUs. Ignored '
                    'when the application is served by uwsgi, gunicorn or '
                    'mod_wsgi through deploysvc.wsgi.api. Lower it on '
                    'hosts shared with other services; each worker holds '
                    'its own database connection pool.'),
    cfg.IntOpt('threads',
               default=8,
               min=1,
               help='Threads of each worker process of deploysvc-api: how '
                    'many connections one worker serves at once. A client '
                    'that stalls holds one thread (up to client_timeout), '
                    'not the whole worker, so the others keep answering. '
                    'Threads share one CPU per worker (Python\'s lock), so '
                    'they add no throughput: scale with workers.'),
    cfg.IntOpt('client_timeout',
               default=10,
               min=1,
               help='Seconds deploysvc-api waits for a client to send the '
                    'next part of its request (headers or body) before it '
                    'drops the connection. Bounds what a slow or stalled '
                    'client can hold; in-instance agents send a request in '
                    'one go, well within a second.'),
    cfg.IntOpt('backlog',
               default=1024,
               min=1,
               help='Connections the kernel queues for deploysvc-api while '
                    'every worker thread is busy (and while the service '
                    'reloads). Capped by the kernel\'s '
                    'net.core.somaxconn.'),
    cfg.IntOpt('max_header_size',
               default=16384,
               min=4096,
               max=65535,
               help='Largest request line plus headers, in bytes, '
                    'deploysvc-api accepts. Keystone tokens travel in a '
                    'header: raise it only if tokens of your cloud are '
                    'larger.'),
    cfg.BoolOpt('access_log',
                default=False,
                help='Log one line per request served by deploysvc-api '
                     '(client address, request line, status, length and '
                     'time), through the service\'s logging setup. Off by '
                     'default: in-instance agents poll every few seconds.'),
    cfg.StrOpt('api_paste_config',
               default='api-paste.ini',
               help='Paste deploy configuration holding the middleware '
                    'pipelines. A relative name is searched for next to '
                    'the configuration files, then the copy shipped with '
                    'the package is used. Override it to add audit, '
                    'profiling or rate-limiting middleware.'),
    cfg.IntOpt('max_limit',
               default=1000,
               min=1,
               help='Largest page returned by a list call with a '
                    '"limit": a larger one is capped to this value, and '
                    'the answer links to the next page. Config and '
                    'deployment lists without "limit" return every item '
                    '(streamed); deployment events return this many.'),
    cfg.URIOpt('public_endpoint',
               schemes=['http', 'https'],
               help='Base URL of this API as in-instance agents reach it, '
                    'e.g. https://deploy.example.com. It prefixes the '
                    'metadata and signal URLs handed to servers. When unset '
                    'the URL of the incoming request is used, which is '
                    'right unless agents reach the service through another '
                    'name or proxy than the caller of the API.'),
    cfg.BoolOpt('sync_db_on_startup',
                default=False,
                help='Create or upgrade the database schema when '
                     'deploysvc-api starts (before workers are forked). '
                     'Convenient for single-node and development '
                     'installations; leave it off when several API nodes '
                     'share a database and run "deploysvc-manage db sync" '
                     'during upgrades instead.'),
    cfg.IntOpt('timeout',
               default=60,
               min=1,
               help='Seconds a worker of deploysvc-api may spend on one '
                    'request before it is restarted (its other threads\' '
                    'requests with it); also how long a reload or a stop '
                    'waits for requests in flight. Raise it only if large '
                    'lists or a slow database make legitimate requests '
                    'take longer; ignored when another WSGI server (uwsgi, '
                    'gunicorn) serves deploysvc.wsgi.api, whose own '
                    'timeout then applies.'),
]


def register_opts(conf):
    conf.register_opts(opts, group=GROUP)


def list_opts():
    return {GROUP: opts}
