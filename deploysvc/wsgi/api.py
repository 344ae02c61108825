"""WSGI module for uwsgi, gunicorn or mod_wsgi.

    gunicorn 'deploysvc.wsgi.api:application'

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
