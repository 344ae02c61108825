"""The deploysvc-api and deploysvc-manage programs, run for real."""

import errno
import json
import multiprocessing
import os
import socket
import subprocess
import sys

import fixtures
import sqlalchemy
import testtools

from deploysvc.db import migration
from deploysvc.tests.functional import base

TABLES = {'software_config', 'software_deployment', 'alembic_version'}
HEAD = migration.head()


def listening_addresses(port):
    """(address, port) of every TCP socket listening on ``port``.

    Read from /proc/net/tcp and tcp6 (state 0A is LISTEN); IPv4 addresses
    are little-endian hex there.
    """
    found = []
    for table in ('/proc/net/tcp', '/proc/net/tcp6'):
        with open(table) as f:
            rows = f.read().splitlines()[1:]
        for row in rows:
            fields = row.split()
            address, _, hex_port = fields[1].partition(':')
            if fields[3] != '0A' or int(hex_port, 16) != port:
                continue
            if len(address) == 8:
                address = socket.inet_ntop(
                    socket.AF_INET, bytes.fromhex(address)[::-1])
            else:
                address = socket.inet_ntop(socket.AF_INET6,
                                           _ipv6_bytes(address))
            found.append((address, port))
    return found


def last_line(text):
    lines = text.splitlines()
    return lines[-1] if lines else None


def _ipv6_bytes(address):
    # Four little-endian 32-bit words.
    raw = bytes.fromhex(address)
    return b''.join(raw[i:i + 4][::-1] for i in range(0, 16, 4))


def _ppid(pid):
    with open('/proc/%d/stat' % pid) as f:
        # The command name is in parentheses and may contain spaces.
        return int(f.read().rpartition(')')[2].split()[1])


def _cmdline(pid):
    with open('/proc/%d/cmdline' % pid, 'rb') as f:
        return f.read().decode().split('\0')


def _alive(pid):
    try:
        with open('/proc/%d/stat' % pid) as f:
            state = f.read().rpartition(')')[2].split()[0]
    except FileNotFoundError:
        return False
    return state != 'Z'


class RunningServerTest(base.FunctionalTestCase):
    """One server with ``[api] workers = 2`` shared by the class."""

    def test_master_forks_configured_workers(self):
        master = self.server.process.pid
        workers = base.children(master)
        self.assertEqual(2, len(workers), workers)
        command = [base.script('deploysvc-api'), '--config-file',
                   self.server.conf.path]
        self.assertEqual(command, _cmdline(master)[1:4])
        for pid in workers:
            self.assertEqual(master, _ppid(pid))
            self.assertEqual(master, os.getpgid(pid))
            self.assertEqual(_cmdline(master), _cmdline(pid))

    def test_listens_on_loopback_only(self):
        self.assertEqual([('127.0.0.1', self.server.port)],
                         listening_addresses(self.server.port))
        # Another loopback address of the same host is not served.
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.settimeout(5)
            error = sock.connect_ex(('127.0.0.2', self.server.port))
        self.assertEqual(errno.ECONNREFUSED, error)

    def test_healthcheck(self):
        response = self.server.request('GET', '/healthcheck')
        self.assertEqual(200, response.status, response.body)
        # One line per backend: disable_by_file and the database's.
        self.assertEqual(b'OK\nOK', response.body)

    def test_version_document(self):
        response = self.server.request('GET', '/')
        self.assertEqual(300, response.status, response.body)
        self.assertEqual('application/json', response.headers['Content-Type'])
        self.assertEqual(
            {'versions': [{'id': 'v1.0', 'status': 'CURRENT', 'links': [
                {'rel': 'self', 'href': '%s/v1/' % self.server.url}]}]},
            json.loads(response.body))

    def test_schema_created_on_start(self):
        if self.server.conf.db_url.startswith('sqlite:'):
            self.assertTrue(os.path.isfile(
                os.path.join(self.server.conf.state_path, 'x.sqlite')))
        tables, revision = self.server.conf.tables()
        self.assertTrue(TABLES.issubset(tables), tables)
        self.assertEqual(HEAD, revision)

    def test_workers_serve_concurrently(self):
        # A client that sends half a request holds one thread of a worker;
        # another request is still answered (by another thread or worker).
        with socket.create_connection(('127.0.0.1', self.server.port),
                                      timeout=30) as slow:
            slow.sendall(b'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n')
            response = self.server.request(
                'GET', '/v1/%s/software_configs' % self.server.project_id,
                timeout=30)
            self.assertEqual(200, response.status, response.body)
            self.assertEqual({'software_configs': []},
                             json.loads(response.body))
            # The half request is then served as well.
            slow.sendall(b'\r\n')
            self.assertTrue(slow.recv(64).startswith(
                b'HTTP/1.1 300 Multiple Choices'))


class ServerStopTest(testtools.TestCase):

    def test_sigterm_stops_master_and_workers(self):
        server = self.useFixture(base.ServerFixture())
        workers = base.children(server.process.pid)
        self.assertEqual(2, len(workers))

        # Graceful: exit status 0 well within the fixture's timeout (a
        # SIGKILL after the timeout would give -9).
        self.assertEqual(0, server.stop())
        self.assertEqual([], [pid for pid in workers if _alive(pid)])
        self.assertIn('goodbye to uWSGI', server.log())
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.settimeout(5)
            self.assertEqual(errno.ECONNREFUSED,
                             sock.connect_ex(('127.0.0.1', server.port)))


class AccessLogTest(testtools.TestCase):

    def test_access_lines_through_oslo_log(self):
        server = self.useFixture(base.ServerFixture(
            workers=1, extra_conf='[api]\naccess_log = true\n'))
        secret = 'f' * 64
        agent_path = '/agent/v1/metadata/%s/%s' % ('c' * 36, secret)
        self.assertEqual(200, server.request('GET', '/healthcheck').status)
        self.assertEqual(404, server.request('GET', agent_path).status)

        # One line per request (the fixture's start-up GET / too).
        lines = dict((line.partition('"')[2].split()[1], line)
                     for line in server.log().splitlines()
                     if ' deploysvc.api.access ' in line)
        self.assertEqual({'/', '/healthcheck', '/agent/v1/metadata/%s/***'
                          % ('c' * 36)}, set(lines))
        # oslo.log's format: time, pid, level, logger, [context] message.
        self.assertRegex(
            lines['/healthcheck'],
            r'^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \d+ INFO '
            r'deploysvc\.api\.access \[.*\] 127\.0\.0\.1 '
            r'"GET /healthcheck HTTP/1\.1" status: 200 len: 5 time: ')
        # An agent URL's last segment is its secret: not logged.
        agent_line = lines['/agent/v1/metadata/%s/***' % ('c' * 36)]
        self.assertIn('status: 404', agent_line)
        self.assertNotIn(secret, server.log())


class ManageTest(testtools.TestCase):

    def manage(self, conf, *args):
        return subprocess.run(
            [base.script('deploysvc-manage'), '--config-file', conf.path] +
            list(args), capture_output=True, text=True, timeout=60,
            cwd=conf.state_path, env=base.clean_env(HOME=conf.state_path),
            stdin=subprocess.DEVNULL)

    def test_db_sync_then_version(self):
        conf = self.useFixture(base.ConfFileFixture())

        # oslo.log writes to stdout too (no log file): the command's own
        # output is the last line.
        before = self.manage(conf, 'db', 'version')
        self.assertEqual((1, 'None (empty database)'),
                         (before.returncode, last_line(before.stdout)),
                         before.stdout + before.stderr)

        for _ in range(2):  # sync is safe to run again
            sync = self.manage(conf, 'db', 'sync')
            self.assertEqual((0, 'Database is at revision %s.' % HEAD),
                             (sync.returncode, last_line(sync.stdout)),
                             sync.stdout + sync.stderr)

        after = self.manage(conf, 'db', 'version')
        self.assertEqual((0, HEAD), (after.returncode,
                                     last_line(after.stdout)),
                         after.stdout + after.stderr)
        tables, revision = conf.tables()
        self.assertTrue(TABLES.issubset(tables), tables)
        self.assertEqual(HEAD, revision)


# Runs deploysvc.cmd.api.main() with no argument, in a process whose HOME
# and working directory are a temporary directory; the hand-over to uWSGI
# is replaced by a recorder, and the socket is bound to a free port (tests
# run in parallel) while the address asked for is recorded.
_NO_CONFIG_SCRIPT = '''
import json
import sys

from deploysvc.cmd import api
from deploysvc.cmd import served

asked = []
listen = api.listen


def free_listen(host, port, backlog):
    asked.append('%s:%d' % (host, port))
    return listen('127.0.0.1', 0, backlog)


def run(args):
    conf = api.CONF
    with open(sys.argv[1], 'w') as f:
        json.dump({'config_file': list(conf.config_file),
                   'sync_db_on_startup': conf.api.sync_db_on_startup,
                   'connection': conf.database.connection,
                   'auth_strategy': conf.auth_strategy,
                   'bind': asked,
                   'workers': int(args[args.index('--processes') + 1]),
                   'application': served.application is not None}, f)


api.listen = free_listen
api.run = run
api.main(sys.argv[2:])
'''


class NoConfigFileTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.home = self.useFixture(fixtures.TempDir()).path

    def run_main(self, *args):
        """deploysvc.cmd.api.main(args) with HOME and cwd in a temp dir.

        Returns what the hand-over to uWSGI saw, and the program's output.
        """
        recorded = os.path.join(self.home, 'recorded.json')
        result = subprocess.run(
            [sys.executable, '-c', _NO_CONFIG_SCRIPT, recorded] + list(args),
            capture_output=True, text=True, timeout=60, cwd=self.home,
            stdin=subprocess.DEVNULL, env=base.clean_env(HOME=self.home))
        output = result.stdout + result.stderr
        self.assertEqual(0, result.returncode, output)
        with open(recorded) as f:
            return json.load(f), output

    def test_defaults_without_config_file(self):
        recorded, output = self.run_main()

        database = os.path.join(self.home, '.local', 'state', 'deploysvc',
                                'deploysvc.sqlite')
        self.assertEqual(
            {'config_file': [],
             'sync_db_on_startup': True,
             'connection': 'sqlite:///%s' % database,
             'auth_strategy': 'keystone',
             'bind': ['127.0.0.1:8019'],
             'workers': multiprocessing.cpu_count(),
             'application': True}, recorded)
        self.assertIn('No configuration file found', output)

        # The schema was created (before the workers would fork).
        engine = sqlalchemy.create_engine('sqlite:///%s' % database)
        self.addCleanup(engine.dispose)
        self.assertTrue(TABLES.issubset(
            sqlalchemy.inspect(engine).get_table_names()))
        with engine.connect() as connection:
            self.assertEqual(HEAD, connection.exec_driver_sql(
                'SELECT version_num FROM alembic_version').scalar())

    def test_config_dir_is_configuration(self):
        conf_dir = os.path.join(self.home, 'deploysvc.conf.d')
        os.mkdir(conf_dir)
        database = os.path.join(self.home, 'elsewhere.sqlite')
        with open(os.path.join(conf_dir, '10-api.conf'), 'w') as f:
            f.write('[DEFAULT]\nauth_strategy = noauth\n'
                    '[api]\nworkers = 3\nsync_db_on_startup = false\n'
                    '[database]\nconnection = sqlite:///%s\n' % database)

        recorded, output = self.run_main('--config-dir', conf_dir)

        self.assertEqual(
            {'config_file': [],
             'sync_db_on_startup': False,
             'connection': 'sqlite:///%s' % database,
             'auth_strategy': 'noauth',
             'bind': ['127.0.0.1:8019'],
             'workers': 3,
             'application': True}, recorded)
        self.assertNotIn('No configuration file found', output)
        # No schema sync was forced: nothing was created.
        self.assertFalse(os.path.exists(database))
        self.assertFalse(os.path.exists(
            os.path.join(self.home, '.local', 'state', 'deploysvc')))
