"""A database outage under load: 503 with Retry-After, then recovery.

The real ``deploysvc-api`` (uWSGI, two workers) reaches its PostgreSQL
or MariaDB database through a TCP proxy of this test.  Taking the proxy
down refuses new connections and cuts the open ones, as a database restart
or a network failure does, without stopping the database server the other
suites share.  While it is down every request must answer 503 with
``Retry-After`` (never a 500) and ``/healthcheck`` 503; once it is back the
same server must serve again without a restart, and every write it
acknowledged (200) must be in the database.
"""

import collections
import json
import os
import socket
import threading
import time

import fixtures
import sqlalchemy
import testtools
from testtools import content

from deploysvc.tests.functional import base

# Bounds of the test: requests and seconds of the load, and seconds to
# wait for a state (the first 503, the first success after recovery).
REQUESTS = 20000
LOAD_SECONDS = 120
WAIT = 30


class Proxy(object):
    """A TCP proxy on a free port of 127.0.0.1 to ``target`` (host, port).

    ``down()`` closes the listening socket and every open connection;
    ``up()`` listens on the same port again.
    """

    def __init__(self, target):
        self.target = target
        self.port = base.free_port()
        self._sockets = set()
        self._lock = threading.Lock()
        self._listener = None

    def up(self):
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(('127.0.0.1', self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,),
                         daemon=True).start()

    def down(self):
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # closed by down()
            try:
                server = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            with self._lock:
                self._sockets.update((client, server))
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink),
                                 daemon=True).start()

    def _pump(self, source, sink):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        for sock in (source, sink):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class TestDatabaseOutage(testtools.TestCase):

    def outage(self, variable, name):
        admin_url = os.environ.get(variable)
        self.assertIsNotNone(admin_url, '%s is needed for the %s outage '
                             'test (tools/test-setup.sh)' % (variable, name))
        url = sqlalchemy.engine.make_url(admin_url)
        proxy = Proxy((url.host, url.port))
        proxy.up()
        self.addCleanup(proxy.down)
        proxied = url.set(port=proxy.port).render_as_string(
            hide_password=False)
        self.useFixture(fixtures.EnvironmentVariable(
            'DEPLOYSVC_TEST_DB_URL', proxied))
        # No quota: the load creates configs as fast as they are served.
        server = self.useFixture(_Server(
            workers=2, extra_conf='[DEFAULT]\n'
                                  'max_software_configs_per_tenant = -1\n'))
        load = _Load(server)
        load.start()
        self.addCleanup(load.stop)

        load.wait_for(lambda seen: 200 in seen, 'a first success')
        proxy.down()
        load.wait_for(lambda seen: 503 in seen, 'a 503 while down')
        health = server.request('GET', '/healthcheck')
        self.assertEqual(503, health.status, health.body)
        self.assertIn(b'DATABASE UNAVAILABLE', health.body)
        proxy.up()
        after = len(load.results)
        load.wait_for(lambda seen: 200 in seen, 'a success once back',
                      since=after)
        load.stop()

        statuses = [status for status, _, _ in load.results]
        self.assertNotIn(500, statuses, load.summary())
        self.assertEqual(set(), set(statuses) - {200, 503}, load.summary())
        for status, headers, body in load.results:
            if status == 503:
                self.assertEqual('5', headers.get('Retry-After'), body)
                self.assertEqual('HTTPServiceUnavailable',
                                 json.loads(body)['error']['type'])
        health = server.request('GET', '/healthcheck')
        self.assertEqual(200, health.status, health.body)
        # Every acknowledged write is there.
        acknowledged = set(json.loads(body)['software_config']['id']
                           for status, _, body in load.results
                           if status == 200)
        engine = sqlalchemy.create_engine(sqlalchemy.engine.make_url(
            server.conf.db_url).set(port=url.port))
        self.addCleanup(engine.dispose)
        with engine.connect() as connection:
            stored = set(row[0] for row in connection.execute(
                sqlalchemy.text('SELECT id FROM software_config')))
        self.assertEqual(set(), acknowledged - stored)

    def test_postgresql(self):
        self.outage('DEPLOYSVC_TEST_PG_URL', 'PostgreSQL')

    def test_mariadb(self):
        self.outage('DEPLOYSVC_TEST_MYSQL_URL', 'MariaDB')


class _Server(base.ServerFixture):
    """The server, whose log a failing test shows the end of only.

    (A server answering 500s logs a traceback for each request of the
    load: tens of megabytes, more than a test result may carry.)
    """

    def log_content(self):
        return content.Content(content.UTF8_TEXT, lambda: [
            self.log()[-20000:].encode('utf-8')])


class _Load(object):
    """Config creates, one after the other, from a thread of the test."""

    def __init__(self, server):
        self.server = server
        self.results = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self._thread.start()

    def stop(self):
        self._stop.set()
        self._thread.join(WAIT)

    def _run(self):
        headers = {'Content-Type': 'application/json',
                   'X-Project-Id': base.PROJECT, 'X-User-Id': 'load',
                   'X-Roles': 'member'}
        path = '/v1/%s/software_configs' % base.PROJECT
        deadline = time.monotonic() + LOAD_SECONDS
        for i in range(REQUESTS):
            if self._stop.is_set() or time.monotonic() > deadline:
                return
            body = json.dumps({'name': 'load-%d' % i, 'group': 'script',
                               'config': 'true'})
            try:
                response = self.server.request('POST', path, body, headers)
            except OSError as e:
                self.results.append((None, {}, str(e).encode()))
            else:
                self.results.append(response)

    def summary(self, since=0):
        """How many of each status, and the first few other answers."""
        results = self.results[since:]
        counts = collections.Counter(status for status, _, _ in results)
        others = [(status, body[:300]) for status, _, body in results
                  if status not in (200, 503)][:3]
        return 'statuses %s; first others %s' % (dict(counts), others)

    def wait_for(self, condition, what, since=0):
        """Until ``condition(statuses since ``since``)``, or fail."""
        deadline = time.monotonic() + WAIT
        while not condition(set(r[0] for r in self.results[since:])):
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise AssertionError('no %s within %d s: %s'
                                     % (what, WAIT, self.summary(since)))
            time.sleep(0.05)
