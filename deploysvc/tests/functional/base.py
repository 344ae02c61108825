"""Functional tests: the real ``deploysvc-api`` in a separate process.

``ServerFixture`` writes a configuration file into a temporary directory
(noauth, SQLite in that directory unless ``DEPLOYSVC_TEST_DB_URL`` names a
PostgreSQL or MariaDB server), starts the ``deploysvc-api`` console script
(uWSGI, several workers) on a free port of 127.0.0.1, waits until it
answers and stops the whole process group on cleanup.  Its log is attached
to any failing test of a ``FunctionalTestCase``.
"""

import collections
import glob
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time

import fixtures
from heatclient import client as heat_client
import sqlalchemy
import testtools
from testtools import content

# The directory holding the console scripts of this virtualenv.
BIN_DIR = os.path.dirname(sys.executable)
PROJECT = 'c9b7e4d1f0a24b0c9a6a1e5d3f2b7c80'
START_TIMEOUT = 90
# What uWSGI's master logs once it handles signals (its master-start hook,
# deploysvc/cmd/api.py).
MASTER_READY = '(master-start)'
# ... and each worker once it accepts requests (its accepting hook).
WORKER_READY = '(accepting)'
STOP_TIMEOUT = 60


Response = collections.namedtuple('Response', ['status', 'headers', 'body'])


def free_port():
    """A TCP port of 127.0.0.1 that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def children(pid):
    """Pids of the live children of process ``pid`` (from /proc)."""
    pids = set()
    for path in glob.glob('/proc/%d/task/*/children' % pid):
        try:
            with open(path) as f:
                pids.update(int(child) for child in f.read().split())
        except FileNotFoundError:
            pass
    return sorted(pids)


def script(name):
    """Path of a console script of the running interpreter's venv."""
    return os.path.join(BIN_DIR, name)


def clean_env(**extra):
    """os.environ without OS_* (no cloud of the caller leaks in)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith('OS_')}
    env.update(extra)
    return env


def schema_of(url):
    """(table names, alembic revision or None) of the database at url."""
    engine = sqlalchemy.create_engine(url)
    try:
        names = set(sqlalchemy.inspect(engine).get_table_names())
        revision = None
        if 'alembic_version' in names:
            with engine.connect() as connection:
                revision = connection.exec_driver_sql(
                    'SELECT version_num FROM alembic_version').scalar()
        return names, revision
    finally:
        engine.dispose()


class OpenStackCLI(object):
    """Mixin: the unmodified ``openstack`` command line, in ``self.tmp``.

    No clouds.yaml and no OS_* variable of the caller reach it; ``HOME``
    and the working directory are ``self.tmp``.
    """

    CLI_TIMEOUT = 90

    def run_openstack(self, args, env=None, returncode=0):
        """Run ``openstack ARGS``; assert its exit code, return the result."""
        full_env = clean_env(HOME=self.tmp)
        full_env.update(env or {})
        result = subprocess.run([script('openstack')] + list(args),
                                capture_output=True, text=True,
                                timeout=self.CLI_TIMEOUT, env=full_env,
                                cwd=self.tmp, stdin=subprocess.DEVNULL)
        self.assertEqual(returncode, result.returncode,
                         'openstack %s\nstdout: %s\nstderr: %s'
                         % (' '.join(args), result.stdout, result.stderr))
        return result

    def openstack_json(self, *args):
        return json.loads(self.openstack(*(args + ('-f', 'json'))).stdout)


class _ServerDatabase(object):
    """A database of its own on ``DEPLOYSVC_TEST_DB_URL``'s server."""

    def __init__(self, admin_url, name):
        self.admin_url = admin_url
        self.name = name
        self.url = sqlalchemy.engine.make_url(admin_url).set(
            database=name).render_as_string(hide_password=False)

    def _execute(self, statement):
        engine = sqlalchemy.create_engine(self.admin_url)
        try:
            with engine.connect().execution_options(
                    isolation_level='AUTOCOMMIT') as connection:
                connection.exec_driver_sql(statement)
        finally:
            engine.dispose()

    def create(self):
        self._execute('DROP DATABASE IF EXISTS %s' % self.name)
        self._execute('CREATE DATABASE %s' % self.name)

    def drop(self):
        self._execute('DROP DATABASE IF EXISTS %s' % self.name)


class ConfFileFixture(fixtures.Fixture):
    """A configuration file of deploysvc in a temporary directory.

    noauth, ``state_path`` = the directory, ``[api]`` on a free port of
    127.0.0.1 with ``workers`` processes and ``sync_db_on_startup``, and a
    database of its own: SQLite in the directory, or a new database on the
    server named by ``DEPLOYSVC_TEST_DB_URL`` (dropped on cleanup).
    ``replica_url``: a server replicating that one, whose copy of the
    database is ``[database] slave_connection``.
    """

    def __init__(self, workers=2, extra_conf='', replica_url=None):
        super().__init__()
        self.workers = workers
        self.extra_conf = extra_conf
        self.replica_url = replica_url

    def _setUp(self):
        self.state_path = self.useFixture(fixtures.TempDir()).path
        self.port = free_port()
        self.db_url = self._database()
        self.path = os.path.join(self.state_path, 'deploysvc.conf')
        with open(self.path, 'w') as f:
            f.write(self.text())

    def _database(self):
        admin_url = os.environ.get('DEPLOYSVC_TEST_DB_URL')
        if not admin_url:
            return 'sqlite:///%s' % os.path.join(self.state_path,
                                                 'x.sqlite')
        database = _ServerDatabase(
            admin_url, 'deploysvc_f%d_%d' % (os.getpid(), self.port))
        database.create()
        self.addCleanup(database.drop)
        if self.replica_url:
            self.replica_db_url = _ServerDatabase(self.replica_url,
                                                  database.name).url
            # Right after [database] connection (text() below).
            self.extra_conf = 'slave_connection = %s\n%s' % (
                self.replica_db_url, self.extra_conf)
        return database.url

    def text(self):
        return ('[DEFAULT]\n'
                'auth_strategy = noauth\n'
                'state_path = %(state)s\n'
                '[api]\n'
                'host = 127.0.0.1\n'
                'port = %(port)d\n'
                'workers = %(workers)d\n'
                'sync_db_on_startup = true\n'
                '[database]\n'
                'connection = %(db)s\n'
                '%(extra)s\n' % {'state': self.state_path, 'port': self.port,
                                 'workers': self.workers, 'db': self.db_url,
                                 'extra': self.extra_conf})

    def tables(self):
        """Tables of the database, and its alembic revision."""
        return schema_of(self.db_url)


class ServerFixture(fixtures.Fixture):
    """``deploysvc-api --config-file <tmp>/deploysvc.conf`` on a free port.

    Attributes once set up: ``conf`` (the ConfFileFixture), ``port``,
    ``url`` (``http://127.0.0.1:PORT``), ``endpoint`` (``url/v1/`` +
    ``project_id``), ``process`` (the uWSGI master, leader of its own
    process group) and ``log_path``.
    """

    def __init__(self, workers=2, project_id=PROJECT, extra_conf='',
                 replica_url=None):
        super().__init__()
        self.workers = workers
        self.project_id = project_id
        self.extra_conf = extra_conf
        self.replica_url = replica_url
        self.process = None
        self._log_text = None

    def _setUp(self):
        self.conf = self.useFixture(ConfFileFixture(
            self.workers, self.extra_conf, self.replica_url))
        self.port = self.conf.port
        self.url = 'http://127.0.0.1:%d' % self.port
        self.endpoint = self.project_endpoint(self.project_id)
        self.log_path = os.path.join(self.conf.state_path,
                                     'deploysvc-api.log')
        self.addDetail('deploysvc-api-log', self.log_content())
        self._start()

    def project_endpoint(self, project_id):
        """The heatclient endpoint of a project (the catalog's form)."""
        return '%s/v1/%s' % (self.url, project_id)

    def _start(self):
        with open(self.log_path, 'wb') as log:
            self.process = subprocess.Popen(
                [script('deploysvc-api'), '--config-file', self.conf.path],
                stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, cwd=self.conf.state_path,
                # (TMPDIR: what it makes there goes with the fixture.)
                env=clean_env(HOME=self.conf.state_path,
                              TMPDIR=self.conf.state_path),
                start_new_session=True)
        # Registered before waiting: a server that never answers is stopped.
        self.addCleanup(self._stop)
        self._wait_until_up()

    def _wait_until_up(self):
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(
                    'deploysvc-api exited with %s before answering:\n%s'
                    % (self.process.returncode, self.log()))
            try:
                status = self.request('GET', '/', timeout=2).status
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        'deploysvc-api did not answer on %s within %d s:\n'
                        '%s' % (self.url, START_TIMEOUT, self.log()))
                time.sleep(0.1)
            else:
                if status != 300:
                    raise RuntimeError('GET / answered %s:\n%s'
                                       % (status, self.log()))
                break
        # The server may answer once its first worker runs; let the others
        # boot too (tests check how many there are).
        self.wait_for_workers(deadline)
        # uWSGI's master installs its signal handlers only after forking
        # the workers (it ignores SIGTERM until then), and a graceful stop
        # that reaches a worker still starting can be lost on it (the
        # master then waits for it): a test that stops the server must
        # not signal it before the master and every worker are ready.
        while time.monotonic() < deadline:
            # This start's log file only (a subclass may prepend older logs).
            log = ServerFixture.log(self)
            if (MASTER_READY in log
                    and log.count(WORKER_READY) >= self.workers):
                break
            time.sleep(0.05)

    def wait_for_workers(self, deadline):
        """The master's children, once all workers run (or at deadline)."""
        while True:
            workers = children(self.process.pid)
            if len(workers) >= self.workers or time.monotonic() > deadline:
                return workers
            time.sleep(0.05)

    def _stop(self):
        self.stop()

    def stop(self, sig=signal.SIGTERM):
        """Signal the process group, wait for the master; its exit code.

        Workers still alive after the master (or after STOP_TIMEOUT) are
        killed by pid.  Safe to call again.
        """
        if self.process.returncode is None:
            workers = children(self.process.pid)
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=STOP_TIMEOUT)
            for pid in workers:
                try:
                    if os.getpgid(pid) == self.process.pid:
                        os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        if self._log_text is None:
            # The temporary directory goes next: keep the log in memory.
            self._log_text = self.log()
        return self.process.returncode

    def log(self):
        """Everything the server wrote so far."""
        if self._log_text is not None:
            return self._log_text
        try:
            with open(self.log_path, 'rb') as f:
                return f.read().decode('utf-8', 'replace')
        except FileNotFoundError:
            return ''

    def log_content(self):
        """A testtools detail read when a result is reported."""
        return content.Content(content.UTF8_TEXT,
                               lambda: [self.log().encode('utf-8')])

    def request(self, method, path, body=None, headers=None, timeout=10):
        """One plain HTTP request to the server: a Response tuple."""
        connection = http.client.HTTPConnection('127.0.0.1', self.port,
                                                timeout=timeout)
        try:
            connection.request(method, path, body=body,
                               headers=headers or {})
            response = connection.getresponse()
            return Response(response.status, dict(response.getheaders()),
                            response.read())
        finally:
            connection.close()


class FunctionalTestCase(testtools.TestCase):
    """One ``deploysvc-api`` per test class, shared by its tests.

    stestr may split a class over several workers; each worker process
    then starts its own server, on its own port.
    """

    server = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = ServerFixture()
        cls.server.setUp()

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanUp()
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.Timeout(
            int(os.environ.get('OS_TEST_TIMEOUT', 160)), gentle=True))
        self.addOnException(self._attach_server_log)

    def heat(self, project_id=None):
        """The unmodified python-heatclient, on the server's endpoint.

        noauth ignores the token and makes the caller a member of the
        URL's project.
        """
        return heat_client.Client('1',
                                  endpoint=self.server.project_endpoint(
                                      project_id or self.server.project_id),
                                  token='any-token')

    def _attach_server_log(self, exc_info):
        self.addDetail('deploysvc-api-log', self.server.log_content())
