"""deploysvc-api: serve the API with gunicorn's pre-fork server.

``[api] host``, ``[api] port`` and ``[api] workers`` say where and with how
many processes.  With no configuration file at all it serves a SQLite
database under ``[DEFAULT] state_path`` and creates the schema first.
"""

import multiprocessing
import sys

from gunicorn.app import base as gunicorn_base
from oslo_config import cfg
from oslo_log import log as logging

from deploysvc.api import app
from deploysvc.db import engine as db_engine

LOG = logging.getLogger(__name__)
CONF = cfg.CONF


class Server(gunicorn_base.BaseApplication):
    """gunicorn around an already built WSGI application."""

    def __init__(self, application, options):
        self.application = application
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)
        if 'control_socket_disable' in self.cfg.settings:
            # gunicorn >= 24 opens a control socket in $HOME by default; two
            # instances on one host would share it.
            self.cfg.set('control_socket_disable', True)

    def load(self):
        return self.application


def _post_fork(server, worker):
    # Connections opened by the parent (schema sync) must not be shared.
    db_engine.dispose()


def main(argv=None):
    app.prepare_service(sys.argv[1:] if argv is None else argv)
    # Files in a --config-dir (or a default deploysvc.conf.d) count as
    # configuration too: only a bare start gets the self-contained defaults.
    if not CONF.config_file and not CONF.config_dir:
        LOG.warning('No configuration file found: serving the SQLite '
                    'database %s and creating its schema.',
                    CONF.database.connection)
        CONF.set_override('sync_db_on_startup', True, group='api')
    db_engine.configure(CONF)
    if CONF.api.sync_db_on_startup:
        app.sync_db()
    application = app.load_app()
    workers = CONF.api.workers or multiprocessing.cpu_count()
    LOG.info('deploysvc-api listening on http://%s:%s with %d workers',
             CONF.api.host, CONF.api.port, workers)
    Server(application, {
        'bind': '%s:%s' % (CONF.api.host, CONF.api.port),
        'workers': workers,
        'worker_class': 'sync',
        'timeout': CONF.api.timeout,
        'post_fork': _post_fork,
        'accesslog': None,
        'errorlog': '-',
        'loglevel': 'info',
        'proc_name': 'deploysvc-api',
    }).run()


if __name__ == '__main__':
    main()
