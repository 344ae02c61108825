#!/usr/bin/env python3
"""The benchmark's ceiling: a bare WSGI app under deploysvc-api's server.

    python tools/bench/bare_app.py --port PORT --workers N

Serves ``{"ok": true}`` for every request (after reading the body) with
the same gunicorn application class and the same options deploysvc-api
uses (sync workers, 127.0.0.1), so the difference between the two is the
cost of deploysvc itself.
"""

import argparse
import sys

from deploysvc.cmd import api

BODY = b'{"ok": true}'


def application(environ, start_response):
    length = int(environ.get('CONTENT_LENGTH') or 0)
    if length:
        environ['wsgi.input'].read(length)
    start_response('200 OK', [('Content-Type', 'application/json'),
                              ('Content-Length', str(len(BODY)))])
    return [BODY]


def options(port, workers):
    """deploysvc-api's gunicorn options (deploysvc/cmd/api.py main())."""
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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--port', type=int, required=True)
    parser.add_argument('--workers', type=int, default=1)
    args = parser.parse_args(argv)
    api.Server(application, options(args.port, args.workers)).run()


if __name__ == '__main__':
    sys.exit(main())
