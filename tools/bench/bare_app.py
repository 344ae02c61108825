#!/usr/bin/env python3
"""The benchmark's ceilings: a bare WSGI app under a pre-fork server.

    python tools/bench/bare_app.py --port PORT --workers N [--server S]

Serves ``{"ok": true}`` for every request (after reading the body).

``--server uwsgi`` (the default) is deploysvc-api's own server: the same
socket, uWSGI options and defaults of ``[api]`` (deploysvc/cmd/api.py), so
the difference between the two is the cost of deploysvc itself.
``--server gunicorn`` is gunicorn's sync worker with the options
deploysvc-api used before it moved to uWSGI, measured in the same rounds
so the two servers' floors stay comparable on the same machine.
"""

import argparse
import sys

from gunicorn.app import base as gunicorn_base

from deploysvc.cmd import api
from deploysvc.cmd import served
from deploysvc import conf

BODY = b'{"ok": true}'
SERVERS = ('uwsgi', 'gunicorn')


def application(environ, start_response):
    length = int(environ.get('CONTENT_LENGTH') or 0)
    if length:
        environ['wsgi.input'].read(length)
    start_response('200 OK', [('Content-Type', 'application/json'),
                              ('Content-Length', str(len(BODY)))])
    return [BODY]


class Gunicorn(gunicorn_base.BaseApplication):
    """gunicorn around an already built WSGI application."""

    def __init__(self, app, options):
        self.application = app
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)
        if 'control_socket_disable' in self.cfg.settings:
            # gunicorn >= 24 opens a control socket in $HOME by default.
            self.cfg.set('control_socket_disable', True)

    def load(self):
        return self.application


def gunicorn_options(port, workers):
    """The gunicorn options deploysvc-api had (sync workers)."""
    return {
        'bind': '127.0.0.1:%d' % port,
        'workers': workers,
        'worker_class': 'sync',
        'timeout': 60,
        'accesslog': None,
        'errorlog': '-',
        'loglevel': 'info',
        'proc_name': 'deploysvc-bench-bare',
    }


def run_uwsgi(port, workers):
    """deploysvc-api's hand-over to uWSGI, with [api] at its defaults."""
    conf.CONF([], project='deploysvc', default_config_files=[])
    sock = api.listen('127.0.0.1', port, conf.CONF.api.backlog)
    served.serve(application)
    api.run(api.uwsgi_args(sock.fileno(), workers))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--port', type=int, required=True)
    parser.add_argument('--workers', type=int, default=1)
    parser.add_argument('--server', choices=SERVERS, default=SERVERS[0])
    args = parser.parse_args(argv)
    if args.server == 'gunicorn':
        Gunicorn(application, gunicorn_options(args.port,
                                               args.workers)).run()
    else:
        run_uwsgi(args.port, args.workers)


if __name__ == '__main__':
    sys.exit(main())
