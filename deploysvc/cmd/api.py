"""deploysvc-api: serve the API with uWSGI's pre-fork server (pyuwsgi).

``[api] host``, ``[api] port``, ``[api] workers`` and ``[api] threads`` say
where and with how many processes and threads.  With no configuration file
at all it serves a SQLite database under ``[DEFAULT] state_path`` and
creates the schema first.

The master does the start-up work once (configuration, listening socket,
schema sync, policy and pipeline) and then becomes uWSGI's master, which
forks the workers with the application already built
(``deploysvc.cmd.served``).  uWSGI was chosen by measurement (see
doc/source/contributor/performance.rst): about 70 us of server CPU per
request against gunicorn's 290 us, and a stalled client holds one thread
of a worker rather than the worker.

Signals: SIGHUP reloads gracefully (requests in flight finish, then the
master runs this program again, keeping the listening socket, so new
configuration and code are picked up and no connection is refused);
SIGTERM lets requests in flight finish, then exits.

Metrics: the master empties ``[metrics] multiproc_dir`` and names it to
prometheus_client before anything makes a metric, so every worker writes
its figures there (deploysvc.common.metrics).  With ``[metrics] port``
set, a second socket serves only ``GET /metrics``, to whichever worker
takes the connection (``deploysvc.api.middleware.metrics``).
"""

import errno
import multiprocessing
import os
import shlex
import signal
import socket
import sys
import tempfile

from oslo_config import cfg
from oslo_log import log as logging
import pyuwsgi

from deploysvc.api import app
from deploysvc.api.middleware import metrics as metrics_middleware
from deploysvc.cmd import served
from deploysvc.common import metrics
from deploysvc.db import engine as db_engine

LOG = logging.getLogger(__name__)
CONF = cfg.CONF

# Where a reloaded master finds the listening socket of the one it
# replaces (uWSGI keeps the descriptor open across its re-exec).
LISTEN_FD_ENV = 'DEPLOYSVC_API_LISTEN_FD'
# ... and the metrics socket ([metrics] port).
METRICS_FD_ENV = 'DEPLOYSVC_METRICS_LISTEN_FD'


class ListenError(Exception):
    pass


def _inherited(address, env=LISTEN_FD_ENV):
    """The listening socket a reloading master left us, or None."""
    fd = os.environ.pop(env, None)
    if not fd:
        return None
    try:
        sock = socket.socket(fileno=int(fd))
        bound = sock.getsockname()[:2]
    except (OSError, ValueError):
        return None
    if sock.type == socket.SOCK_STREAM and bound == address[:2]:
        return sock
    # [api] host or port changed: let the old address go.
    sock.close()
    return None


def listen(host, port, backlog, env=LISTEN_FD_ENV):
    """A listening TCP socket on host:port, inheritable by uWSGI's re-exec.

    Bound here rather than by uWSGI so a busy address fails once, with one
    line naming it, before anything else starts.
    """
    try:
        family, _, _, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM)[0]
        sock = _inherited(address, env)
        if sock is None:
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(address)
            sock.listen(backlog)
    except OSError as e:
        reason = e.strerror or str(e)
        if e.errno == errno.EADDRINUSE:
            reason = 'the address is already in use'
        raise ListenError('deploysvc-api: cannot listen on %s:%s: %s'
                          % (host, port, reason))
    sock.set_inheritable(True)
    os.environ[env] = str(sock.fileno())
    return sock


def _backlog(backlog):
    """[api] backlog as the kernel applies it (capped by somaxconn)."""
    try:
        with open('/proc/sys/net/core/somaxconn') as f:
            return min(backlog, int(f.read()))
    except (OSError, ValueError):
        return backlog


def uwsgi_args(listen_fd, workers, metrics_fd=None):
    """uWSGI's command line for the sockets and [api] options."""
    api = CONF.api
    # The metrics socket: the same workers answer it (a scrape every few
    # seconds needs no process of its own).
    metrics_socket = ([] if metrics_fd is None
                      else ['--http-socket', 'fd://%d' % metrics_fd])
    return [
        '--master',
        '--http-socket', 'fd://%d' % listen_fd,
    ] + metrics_socket + [
        # The application built above, found in sys.modules; built once,
        # shared by the forked workers.
        '--module', 'deploysvc.cmd.served:application',
        '--single-interpreter',
        '--need-app',
        '--strict',
        '--processes', str(workers),
        '--threads', str(api.threads),
        '--enable-threads',
        # Python's own fork hooks run in each worker: os.register_at_fork
        # (the database pool below) and the threading module's reset.
        '--py-call-uwsgi-fork-hooks',
        '--socket-timeout', str(api.client_timeout),
        '--buffer-size', str(api.max_header_size),
        # The socket listens already; this is what uWSGI reports (and it
        # refuses a figure over somaxconn).
        '--listen', str(_backlog(api.backlog)),
        '--harakiri', str(api.timeout),
        # A reload or stop waits this long for requests in flight.
        '--worker-reload-mercy', str(api.timeout),
        '--reload-mercy', str(api.timeout),
        # SIGTERM: finish the requests in flight, then exit (uWSGI's own
        # SIGTERM kills the workers at once).
        '--hook-master-start', 'unix_signal:15 gracefully_kill_them_all',
        # The same for a worker (systemd's default stop signals every
        # process of the service): finish its requests, then exit.
        '--hook-accepting', 'unix_signal:15 gracefully_kill',
        # A worker that is done exits without tearing Python down, which
        # would wait for any thread a library left running.
        '--skip-atexit-teardown',
        # A reload runs this interpreter again (a virtualenv's python, not
        # the binary it links to), with the same arguments.
        '--binary-path', sys.executable,
        # One request per connection, said so for HTTP/1.1 clients too
        # (a kept-alive connection would hold a thread while idle).
        '--add-header', 'Connection: close',
        # uWSGI's own request log: [api] access_log logs through oslo.log.
        '--disable-logging',
        # A client that hung up before its answer is not an error.
        '--ignore-sigpipe',
        '--ignore-write-errors',
        '--disable-write-exception',
    ]


def metrics_dir():
    """[metrics] multiproc_dir, else a directory of this master's own.

    Made under the temporary directory (not under [DEFAULT] state_path,
    which a start with a database elsewhere does not create), private to
    this master, and removed when it stops or reloads (see main).
    """
    if CONF.metrics.multiproc_dir:
        return CONF.metrics.multiproc_dir
    return tempfile.mkdtemp(prefix='deploysvc-api-metrics-')


def _after_fork():
    """First thing in a new worker (uWSGI's fork, Python's hooks)."""
    # Until uWSGI installs the worker's own handlers, a new worker has the
    # master's start-up dispositions: SIGHUP and SIGTERM ignored.  The
    # master's "finish and exit" (SIGHUP) could then be lost on a worker
    # forked a moment before a stop or reload, and the master would wait
    # for it for ever (2 stops in 12 right after start, before this).
    # Such a worker has served nothing yet: it may simply die.
    signal.signal(signal.SIGHUP, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # Connections opened by the master (schema sync, policy) must not be
    # shared with the workers.
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
    if CONF.metrics.port is not None and CONF.metrics.port == CONF.api.port:
        # Requests are told apart by the port they came on.
        sys.exit('deploysvc-api: [metrics] port must differ from [api] '
                 'port (%s)' % CONF.api.port)
    try:
        sock = listen(CONF.api.host, CONF.api.port, CONF.api.backlog)
        metrics_sock = None
        if CONF.metrics.port is None:
            # (A reload that no longer serves metrics.)
            os.environ.pop(METRICS_FD_ENV, None)
        else:
            metrics_sock = listen(CONF.metrics.host, CONF.metrics.port,
                                  CONF.api.backlog, env=METRICS_FD_ENV)
    except ListenError as e:
        sys.exit(str(e))
    # Before the pipeline is built: its metrics must go to the workers'
    # shared directory.
    made_dir = metrics_dir()
    metrics.prepare_multiprocess(made_dir)
    db_engine.configure(CONF)
    if CONF.api.sync_db_on_startup:
        app.sync_db()
    application = app.load_app()
    if metrics_sock is not None:
        application = metrics_middleware.PortDispatch(
            application, metrics_middleware.MetricsApp(),
            metrics_sock.getsockname()[1])
        LOG.info('deploysvc-api serving metrics on http://%s:%s/metrics',
                 CONF.metrics.host, CONF.metrics.port)
    served.serve(application, access_log=CONF.api.access_log)
    os.register_at_fork(after_in_child=_after_fork)
    workers = CONF.api.workers or multiprocessing.cpu_count()
    LOG.info('deploysvc-api listening on http://%s:%s with %d workers of '
             '%d threads', CONF.api.host, CONF.api.port, workers,
             CONF.api.threads)
    args = uwsgi_args(sock.fileno(), workers,
                      None if metrics_sock is None else metrics_sock.fileno())
    if not CONF.metrics.multiproc_dir:
        # The directory made above goes at stop and at reload (the next
        # master makes its own; counts start again either way): uWSGI runs
        # no Python in its master at exit, but runs this command there.
        args += ['--exec-as-user-atexit',
                 'rm -rf -- %s' % shlex.quote(made_dir)]
    run(args)


def run(args):
    """Hand over to uWSGI (does not return)."""
    pyuwsgi.run(args)


if __name__ == '__main__':
    main()
