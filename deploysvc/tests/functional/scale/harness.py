"""The scale-out harness: three API nodes on a Galera cluster behind HAProxy.

Everything on 127.0.0.1, on free ports:

* the three-node MariaDB Galera cluster of ``tools/test-setup.sh start
  galera`` (``DEPLOYSVC_TEST_GALERA_URLS``, one URL per node), on which
  ``Cluster`` creates a database of its own and runs ``deploysvc-manage db
  sync`` once, as an operator does (``sync_db_on_startup`` is off on
  every node);
* ``deploysvc-api`` nodes, each with its own configuration file and port,
  each writing to its own Galera node directly: every node is a writer, the
  multi-writer case where Galera's certification failures happen (a single
  writer behind a database VIP never has them), with ``wsrep_sync_wait =
  3`` so that a read, an UPDATE or a DELETE on one node sees what another
  node acknowledged;
* Debian's HAProxy in front, health-checking ``/healthcheck`` of every API
  node, its runtime API on a Unix socket (``haproxy_command``) so a test
  can drain a node; agents and clients go through it only.

Only processes started here are signalled, by the pid this process holds.
"""

import os
import signal
import socket
import subprocess
import time

import fixtures
from oslo_utils import uuidutils

from testtools import content

from deploysvc.tests.functional import base

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__))))))
SETUP = os.path.join(ROOT, 'tools', 'test-setup.sh')
# Health checks every 500 ms, two failures take a node out, two successes
# put it back: a dead node stops getting requests within about a second.
HAPROXY_CONF = """\
global
    maxconn 4000
    stats socket %(socket)s mode 600 level admin
defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout queue 30s
    # A connection that could not be opened is tried again, on another
    # node (redispatch); a request that reached a node is never sent
    # again, since it may have been written.
    retries 3
    option redispatch 1
    option http-server-close
    # A node that dies or times out during a request: the client gets
    # what deploysvc answers when it cannot finish, 503 with Retry-After,
    # not HAProxy's bare 502 or 504 (nor its 503 without Retry-After when
    # no node is up).
    errorfile 502 %(unavailable)s
    errorfile 503 %(unavailable)s
    errorfile 504 %(unavailable)s
frontend api
    bind 127.0.0.1:%(port)d
    default_backend nodes
backend nodes
    balance roundrobin
    option httpchk GET /healthcheck
    http-check expect status 200
    default-server inter 500ms fall 2 rise 2
%(servers)s
"""
# Heat's error body, as deploysvc.exception.DatabaseUnavailable gives it.
UNAVAILABLE = (
    'HTTP/1.1 503 Service Unavailable\r\n'
    'Retry-After: 5\r\n'
    'Cache-Control: no-cache\r\n'
    'Connection: close\r\n'
    'Content-Type: application/json\r\n'
    '\r\n'
    '{"explanation": "The server is currently unavailable. Please try '
    'again at a later time.", "code": 503, "error": {"message": "The '
    'service is unavailable, try again later.", "traceback": null, '
    '"type": "HTTPServiceUnavailable"}, "title": "Service Unavailable"}\n')
WAIT = 60


def galera_urls():
    urls = os.environ.get('DEPLOYSVC_TEST_GALERA_URLS', '').split()
    if len(urls) != 3 or not os.environ.get('DEPLOYSVC_TEST_HAPROXY'):
        raise AssertionError(
            'DEPLOYSVC_TEST_GALERA_URLS (three nodes) and '
            'DEPLOYSVC_TEST_HAPROXY are needed: "tools/test-setup.sh start '
            'galera haproxy" and source .services/env.sh, or "tox -e all".')
    return urls


def galera_node(action, number):
    """``tools/test-setup.sh galera-node stop|start N`` (1-based)."""
    env = dict(os.environ)
    if env.get('DEPLOYSVC_TEST_SERVICES_DIR'):
        env['DEPLOYSVC_SERVICES_DIR'] = env['DEPLOYSVC_TEST_SERVICES_DIR']
    result = subprocess.run(['bash', SETUP, 'galera-node', action,
                             str(number)], capture_output=True, text=True,
                            timeout=300, stdin=subprocess.DEVNULL, env=env)
    if result.returncode:
        raise AssertionError('galera-node %s %d: %s%s' % (
            action, number, result.stdout, result.stderr[-3000:]))


def db_sync(state, url):
    """``deploysvc-manage db sync``, once for the cluster."""
    path = os.path.join(state, 'manage.conf')
    with open(path, 'w') as f:
        f.write('[DEFAULT]\nstate_path = %s\n[database]\nconnection = %s\n'
                % (state, url))
    result = subprocess.run(
        [base.script('deploysvc-manage'), '--config-file', path, 'db',
         'sync'], capture_output=True, text=True, timeout=300, cwd=state,
        env=base.clean_env(HOME=state), stdin=subprocess.DEVNULL)
    if result.returncode:
        raise AssertionError('db sync: %s\n%s'
                             % (result.stdout, result.stderr))


class ApiNode(base.ServerFixture):
    """One ``deploysvc-api`` of the cluster; ``kill()`` and ``restart()``."""

    def kill(self):
        """SIGKILL to the whole node, as a crash or power loss."""
        self.stop(signal.SIGKILL)

    # What the node logged before its restarts (the log file is new).
    _earlier = ''

    def restart(self):
        self._earlier = self.log()
        self._log_text = None
        self._start()

    def log(self):
        return self._earlier + super().log()

    def log_content(self):
        # A node answering errors under load logs much: the end only.
        return content.Content(content.UTF8_TEXT, lambda: [
            self.log()[-20000:].encode('utf-8')])


class HAProxy(fixtures.Fixture):
    """Debian's haproxy in the foreground on ``port``, before ``ports``."""

    def __init__(self, ports, port):
        super().__init__()
        self.ports = ports
        self.port = port
        self.process = None

    def _setUp(self):
        self.dir = self.useFixture(fixtures.TempDir()).path
        self.url = 'http://127.0.0.1:%d' % self.port
        self.socket = os.path.join(self.dir, 'admin.sock')
        unavailable = os.path.join(self.dir, '503.http')
        with open(unavailable, 'w') as f:
            f.write(UNAVAILABLE)
        path = os.path.join(self.dir, 'haproxy.cfg')
        with open(path, 'w') as f:
            f.write(HAPROXY_CONF % {
                'socket': self.socket, 'port': self.port,
                'unavailable': unavailable,
                'servers': '\n'.join(
                    '    server api%d 127.0.0.1:%d check' % (i + 1, port)
                    for i, port in enumerate(self.ports))})
        self.log_path = os.path.join(self.dir, 'haproxy.log')
        log = open(self.log_path, 'wb')
        self.addCleanup(log.close)
        self.process = subprocess.Popen(
            [os.environ['DEPLOYSVC_TEST_HAPROXY'], '-db', '-f', path],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
        self.addCleanup(self._stop)
        self.wait_until(lambda: self.states() and all(
            state == 'UP' for state in self.states().values()),
            'every API node UP in HAProxy')

    def _stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(WAIT)

    def command(self, line):
        """One command of HAProxy's runtime API; its answer."""
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(10)
            sock.connect(self.socket)
            sock.sendall(line.encode() + b'\n')
            chunks = []
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    return b''.join(chunks).decode()
                chunks.append(chunk)

    def states(self):
        """{server name: UP, DOWN, MAINT, DRAIN...} of the backend.

        Empty until HAProxy listens on its runtime socket.
        """
        try:
            lines = self.command('show stat').splitlines()
        except OSError:
            return {}
        header = lines[0].lstrip('# ').split(',')
        states = {}
        for line in lines[1:]:
            row = dict(zip(header, line.split(',')))
            if row.get('pxname') == 'nodes' and row['svname'] not in (
                    'FRONTEND', 'BACKEND'):
                states[row['svname']] = row['status']
        return states

    def wait_until(self, condition, what):
        deadline = time.monotonic() + WAIT
        while not condition():
            if time.monotonic() > deadline or self.process.poll() is not None:
                with open(self.log_path, errors='replace') as f:
                    raise AssertionError('no %s within %d s: %s\n%s' % (
                        what, WAIT, self.states(), f.read()[-3000:]))
            time.sleep(0.1)


class Cluster(fixtures.Fixture):
    """``nodes`` API nodes on a new database of the Galera cluster.

    ``nodes[i]`` writes to Galera node ``i % 3 + 1``; ``haproxy`` is in
    front of them all.  ``db_url`` (on Galera node 1) is for the checks.
    """

    def __init__(self, nodes=3, workers=2, config_quota=-1,
                 deployment_quota=-1):
        super().__init__()
        self.node_count = nodes
        self.workers = workers
        self.config_quota = config_quota
        self.deployment_quota = deployment_quota

    def _setUp(self):
        urls = galera_urls()
        name = 'deploysvc_scale_%s' % uuidutils.generate_uuid(
            dashed=False)[:12]
        databases = [base._ServerDatabase(url, name) for url in urls]
        # Created once (DDL replicates to every node), dropped once.
        databases[0].create()
        self.addCleanup(databases[0].drop)
        self.db_url = databases[0].url
        db_sync(self.useFixture(fixtures.TempDir()).path, self.db_url)
        # The ports HAProxy needs are the nodes'; the nodes need HAProxy's
        # URL (the agents' URLs start with it): choose its port first.
        self.nodes = []
        public_port = base.free_port()
        for i in range(self.node_count):
            self.nodes.append(self.useFixture(ApiNode(
                workers=self.workers, extra_conf=(
                    '[DEFAULT]\n'
                    'max_software_configs_per_tenant = %(configs)d\n'
                    'max_software_deployments_per_tenant = %(deployments)d\n'
                    'default_log_levels = oslo_db.api=DEBUG,'
                    'sqlalchemy=WARN,stevedore=WARN\n'
                    '[api]\n'
                    'sync_db_on_startup = false\n'
                    'public_endpoint = http://127.0.0.1:%(public)d\n'
                    '[database]\n'
                    'connection = %(url)s\n'
                    'mysql_wsrep_sync_wait = 3\n'
                    % {'configs': self.config_quota,
                       'deployments': self.deployment_quota,
                       'public': public_port,
                       'url': databases[i % len(urls)].url}))))
        self.haproxy = self.useFixture(HAProxy(
            [node.port for node in self.nodes], public_port))
        self.url = self.haproxy.url
