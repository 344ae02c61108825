"""deploysvc-api's server under slow clients, reloads and stops.

Each test starts its own ``deploysvc-api`` (uWSGI): stalled connections
hold a thread of a worker, not the worker; a client that stops sending is
cut off after ``[api] client_timeout``; SIGHUP reloads and SIGTERM stops
without failing a request in flight.  Bounds are generous (none is a
timing claim): the figures are attached to the results as details.
"""

import glob
import json
import os
import signal
import socket
import subprocess
import sys
import time

import testtools
from testtools import content

from deploysvc.tests.functional import base

# 4x the workers, as in issue 13's measurement (<= 32 connections).
STALLED = 16
WORKERS = 4
# A healthy request answers in milliseconds; this only bounds a hang.
HEALTHY_BOUND = 5
# How long a test waits for a log line or a process (a hang, not a timing).
WAIT = 30


def project_path(suffix):
    return '/v1/%s%s' % (base.PROJECT, suffix)


def a_deployment(server):
    """Create a config and a deployment of it; the deployment's id."""
    headers = {'Content-Type': 'application/json'}
    config = server.request('POST', project_path('/software_configs'),
                            json.dumps({'name': 'c', 'group': 'script',
                                        'config': 'true'}), headers)
    config_id = json.loads(config.body)['software_config']['id']
    deployment = server.request(
        'POST', project_path('/software_deployments'),
        json.dumps({'config_id': config_id, 'action': 'CREATE',
                    'server_id': 'ad8ce6a2-3c1b-4d0e-9f6a-0b1c2d3e4f50'}),
        headers)
    return json.loads(deployment.body)['software_deployment']['id']


def stalled_connection(port, data=b'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n'):
    """A connection that sent ``data`` (part of a request) and waits."""
    sock = socket.create_connection(('127.0.0.1', port), timeout=WAIT)
    sock.sendall(data)
    return sock


def read_answer(sock):
    """Everything the server sends until it closes (b'' for nothing)."""
    answer = b''
    while True:
        data = sock.recv(65536)
        if not data:
            return answer
        answer += data


def wait_for_log(server, text):
    """Poll the server's log until ``text`` appears in it."""
    deadline = time.monotonic() + WAIT
    while text not in server.log():
        if time.monotonic() > deadline:
            raise AssertionError('%r not in the log:\n%s'
                                 % (text, server.log()))
        time.sleep(0.05)


class SlowClientsTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.figures = {}
        self.addDetail('figures', content.Content(
            content.UTF8_TEXT,
            lambda: [json.dumps(self.figures, indent=1).encode()]))

    def server(self, workers=2, **conf):
        extra = '\n'.join('%s = %s' % item for item in sorted(conf.items()))
        server = self.useFixture(base.ServerFixture(
            workers=workers, extra_conf='[api]\n' + extra))
        self.addDetail('deploysvc-api-log', server.log_content())
        return server

    def timed(self, name, server, method, path):
        started = time.monotonic()
        response = server.request(method, path, timeout=HEALTHY_BOUND)
        self.figures[name + '_ms'] = round(
            (time.monotonic() - started) * 1000, 2)
        return response

    def test_stalled_connections_leave_the_others_served(self):
        # 16 clients that sent half their headers, on 4 workers of 8
        # threads, held for longer than the test (client_timeout 60 s).
        server = self.server(workers=WORKERS, client_timeout=60)
        deployment = a_deployment(server)
        show = project_path('/software_deployments/%s' % deployment)
        self.timed('show_before', server, 'GET', show)

        stalled = [stalled_connection(server.port) for _ in range(STALLED)]
        for sock in stalled:
            self.addCleanup(sock.close)

        health = self.timed('healthcheck_stalled', server, 'GET',
                            '/healthcheck')
        self.assertEqual((200, b'OK\nOK'), (health.status, health.body))
        answer = self.timed('show_stalled', server, 'GET', show)
        self.assertEqual(200, answer.status, answer.body)
        self.assertEqual(deployment, json.loads(
            answer.body)['software_deployment']['id'])

        # The stalled requests are still served once they go on.
        for sock in stalled:
            sock.sendall(b'Connection: close\r\n\r\n')
        for sock in stalled:
            self.assertTrue(read_answer(sock).startswith(
                b'HTTP/1.1 300 Multiple Choices'))

    def test_a_client_that_stops_sending_is_cut_off(self):
        server = self.server(client_timeout=1)
        cases = {
            # Headers never finished: dropped without an answer.
            'headers': (b'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n', b''),
            # A body that stops: the body reader's 400.
            'body': (b'POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\n'
                     b'Content-Type: application/json\r\n'
                     b'Content-Length: 100\r\n\r\n{"name": '
                     % project_path('/software_configs').encode(),
                     b'HTTP/1.1 400 '),
        }
        for name, (data, expected) in sorted(cases.items()):
            with stalled_connection(server.port, data) as sock:
                started = time.monotonic()
                answer = read_answer(sock)
                self.figures['cut_off_%s_s' % name] = round(
                    time.monotonic() - started, 2)
            self.assertTrue(answer.startswith(expected), (name, answer))
        self.assertNotIn('Traceback', server.log())


class SignalsTest(testtools.TestCase):
    """A request in flight (its body half sent) outlives a reload, a stop."""

    def start(self):
        server = self.useFixture(base.ServerFixture())
        self.addDetail('deploysvc-api-log', server.log_content())
        return server

    def half_sent_create(self, server):
        body = json.dumps({'name': 'in-flight', 'group': 'script',
                           'config': 'true'}).encode()
        head = (b'POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\n'
                b'Content-Type: application/json\r\nContent-Length: %d\r\n'
                b'\r\n' % (project_path('/software_configs').encode(),
                           len(body)))
        sock = stalled_connection(server.port, head + body[:10])
        self.addCleanup(sock.close)
        return sock, body[10:]

    def metrics_dirs(self, server):
        """The metrics directories deploysvc-api made (TMPDIR is here)."""
        return glob.glob(os.path.join(server.conf.state_path,
                                      'deploysvc-api-metrics-*'))

    def test_sighup_reloads_without_failing_a_request(self):
        server = self.start()
        master = server.process.pid
        workers = base.children(master)
        made = self.metrics_dirs(server)
        self.assertEqual(1, len(made))
        sock, rest = self.half_sent_create(server)

        os.kill(master, signal.SIGHUP)
        wait_for_log(server, 'gracefully killing workers')
        sock.sendall(rest)
        answer = read_answer(sock)
        self.assertTrue(answer.startswith(b'HTTP/1.1 200 OK'), answer)

        # The same master (it ran deploysvc-api again), new workers,
        # and the socket was never closed: the next request is answered.
        wait_for_log(server, 'running %s' % sys.executable)
        response = server.request('GET', '/healthcheck', timeout=WAIT)
        self.assertEqual(200, response.status, response.body)
        new_workers = server.wait_for_workers(time.monotonic() + WAIT)
        self.assertEqual(2, len(new_workers))
        self.assertEqual(set(), set(workers) & set(new_workers))
        # The old master's metrics directory went with it.
        remade = self.metrics_dirs(server)
        self.assertEqual(1, len(remade))
        self.assertNotEqual(made, remade)
        self.assertIsNone(server.process.poll())
        self.assertNotIn('Traceback', server.log())

    def test_sigterm_lets_the_request_in_flight_finish(self):
        # To the master alone (systemd's KillMode=mixed), or to every
        # process of the service (its default).
        for to_all in (False, True):
            server = self.start()
            sock, rest = self.half_sent_create(server)

            if to_all:
                os.killpg(server.process.pid, signal.SIGTERM)
            else:
                os.kill(server.process.pid, signal.SIGTERM)
            wait_for_log(server, 'graceful shutdown triggered')
            sock.sendall(rest)
            answer = read_answer(sock)
            self.assertTrue(answer.startswith(b'HTTP/1.1 200 OK'),
                            (to_all, answer))
            self.assertEqual(0, server.process.wait(timeout=WAIT), to_all)
            self.assertEqual([], self.metrics_dirs(server), to_all)


class AddressInUseTest(testtools.TestCase):

    def test_exits_1_with_one_line(self):
        conf = self.useFixture(base.ConfFileFixture())
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
            taken.bind(('127.0.0.1', conf.port))
            taken.listen(1)
            result = subprocess.run(
                [base.script('deploysvc-api'), '--config-file', conf.path],
                capture_output=True, text=True, timeout=WAIT,
                cwd=conf.state_path, stdin=subprocess.DEVNULL,
                env=base.clean_env(HOME=conf.state_path))
        output = result.stdout + result.stderr
        address = '127.0.0.1:%d' % conf.port
        self.assertEqual(1, result.returncode, output)
        self.assertEqual(
            ['deploysvc-api: cannot listen on %s: the address is already '
             'in use' % address],
            [line for line in output.splitlines() if address in line])
        self.assertNotIn('Traceback', output)
