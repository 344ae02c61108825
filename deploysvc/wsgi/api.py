"""WSGI module for any WSGI server: uwsgi, gunicorn, mod_wsgi.

    uwsgi --http-socket 127.0.0.1:8019 --module deploysvc.wsgi.api
    gunicorn 'deploysvc.wsgi.api:application'

``deploysvc-api`` does not use this module: it builds the application once
in its master process (deploysvc/cmd/api.py).

Configuration files are found the usual oslo.config way
(/etc/deploysvc/deploysvc.conf, ...), or named in ``OS_DEPLOYSVC_CONFIG_FILES``
(``;``-separated).
"""

import os

from deploysvc.api import app


def _argv():
    files = os.environ.get('OS_DEPLOYSVC_CONFIG_FILES')
    argv = []
    for name in filter(None, (files or '').split(';')):
        argv.extend(['--config-file', name])
    return argv


application = app.init_application(_argv())
