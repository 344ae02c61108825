"""Prometheus metrics of the real ``deploysvc-api``, summed over its workers.

Two workers of one thread each serve a scripted load (configs,
deployments, shows, agent polls with 304s, signals); the metrics port
must then count exactly the requests made, whichever worker served them,
and the API port must not serve the metrics.  One connection is held
half-sent by one worker while the other serves a request, so both
workers are known to have counted some.
"""

import collections
import glob
import http.client
import json
import os
import socket
import time
import uuid

import fixtures
from prometheus_client import multiprocess
from prometheus_client import parser
import testtools

from deploysvc.tests.functional import base

CONFIGS = '/v1/{tenant_id}/software_configs'
DEPLOYMENTS = '/v1/{tenant_id}/software_deployments'
DEPLOYMENT = DEPLOYMENTS + '/{deployment_id}'
AGENTS = '/v1/{tenant_id}/server_agents/{server_id}'
METADATA = '/agent/v1/metadata/{credential_id}/{mac}'
SIGNAL = '/agent/v1/signal/{deployment_id}/{mac}'
SERVERS = 3
PER_SERVER = 2
POLLS_304 = 4


def _path(url):
    return url[url.index('/agent/'):]


def _accepted(client):
    """Whether a server process has accepted ``client``'s connection.

    A connection still in the listen queue has no socket inode yet
    (/proc/net/tcp: the server's end, local address the server's and
    remote address the client's).
    """
    ends = ['%08X:%04X' % (0x0100007F, address[1]) for address in (
        client.getpeername(), client.getsockname())]
    with open('/proc/net/tcp') as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            if fields[1:3] == ends:
                return fields[9] != '0'
    return False


class TestMetrics(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.Timeout(
            int(os.environ.get('OS_TEST_TIMEOUT', 160)), gentle=True))
        self.metrics_port = base.free_port()
        self.server = self.useFixture(base.ServerFixture(
            workers=2, extra_conf=(
                '[api]\nthreads = 1\n'
                '[metrics]\nport = %d\n'
                'multiproc_dir = $state_path/prometheus\n'
                % self.metrics_port)))
        self.addOnException(lambda exc_info: self.addDetail(
            'deploysvc-api-log', self.server.log_content()))
        # (route, method, status) of every request made by the test.
        self.made = collections.Counter()

    def send(self, route, method, path, body=None, headers=None):
        response = self.server.request(
            method, path, body=None if body is None else json.dumps(body),
            headers=dict(headers or {}, **{
                'Content-Type': 'application/json'}))
        self.made[(route, method, str(response.status))] += 1
        return response

    def api(self, route, method, path, body=None):
        response = self.send(route, method, '/v1/%s%s' % (
            self.server.project_id, path), body)
        self.assertLess(response.status, 300, response.body)
        return json.loads(response.body)

    def scrape(self, method='GET', path='/metrics', port=None):
        connection = http.client.HTTPConnection(
            '127.0.0.1', port or self.metrics_port, timeout=10)
        try:
            connection.request(method, path)
            response = connection.getresponse()
            return response.status, response.read().decode()
        finally:
            connection.close()

    def samples(self):
        status, text = self.scrape()
        self.assertEqual(200, status, text)
        found = collections.Counter()
        for family in parser.text_string_to_metric_families(text):
            for sample in family.samples:
                found[(sample.name,
                       tuple(sorted(sample.labels.items())))] = sample.value
        return found

    @staticmethod
    def requests(found):
        # Not "/": the fixture's probes until the server answered, which a
        # worker may not have written yet when ``before`` was scraped.
        return sum(value for (name, labels), value in found.items()
                   if name == 'deploysvc_http_requests_total'
                   and ('route', '/') not in labels)

    def settled(self, before):
        """The samples once every request made is counted.

        Each worker writes its counts once a second
        (deploysvc.common.metrics.FLUSH_INTERVAL): the other worker's
        last ones may be a second behind the scrape.
        """
        deadline = time.monotonic() + 30
        while True:
            after = self.samples()
            counted = self.requests(after) - self.requests(before)
            if counted >= sum(self.made.values()):
                self.assertEqual(sum(self.made.values()), counted)
                return after
            self.assertLess(time.monotonic(), deadline,
                            '%d requests made, %d counted' % (
                                sum(self.made.values()), counted))
            time.sleep(0.1)

    def load(self):
        """Creates, shows, polls (200 and 304) and signals."""
        config = self.api(CONFIGS, 'POST', '/software_configs', {
            'name': 'metered', 'group': 'script', 'config': 'true',
            'outputs': [{'name': 'result'}]})['software_config']
        deployments = []
        servers = [str(uuid.uuid4()) for _ in range(SERVERS)]
        for server_id in servers:
            for _ in range(PER_SERVER):
                deployments.append(self.api(
                    DEPLOYMENTS, 'POST', '/software_deployments', {
                        'config_id': config['id'], 'server_id': server_id,
                        'action': 'CREATE', 'status': 'IN_PROGRESS'},
                )['software_deployment'])
        for deployment in deployments:
            self.api(DEPLOYMENT, 'GET',
                     '/software_deployments/' + deployment['id'])
        signals = []
        for server_id in servers:
            url = _path(self.api(AGENTS, 'POST', '/server_agents/' +
                                 server_id, None)['server_agent'][
                                     'metadata_url'])
            self.assertEqual(200, self.send(METADATA, 'HEAD', url).status)
            document = self.send(METADATA, 'GET', url)
            self.assertEqual(200, document.status)
            for _ in range(POLLS_304):
                self.assertEqual(304, self.send(
                    METADATA, 'GET', url,
                    headers={'If-None-Match': document.headers['ETag']}
                ).status)
            for item in json.loads(document.body)['deployments']:
                signals.extend(_path(i['value']) for i in item['inputs']
                               if i['name'] == 'deploy_signal_id')
        for url in signals:
            self.assertEqual(200, self.send(SIGNAL, 'PUT', url, {
                'result': 'ok', 'deploy_status_code': 0}).status)
        # Once more: ignored, the deployment is COMPLETE.
        self.assertEqual(200, self.send(SIGNAL, 'PUT', signals[0], {
            'deploy_status_code': 0}).status)
        return len(deployments), len(signals)

    def both_workers(self):
        """One request held by a worker while the other serves one."""
        held = socket.create_connection(('127.0.0.1', self.server.port))
        self.addCleanup(held.close)
        path = '/v1/%s/software_configs' % self.server.project_id
        held.sendall(('GET %s HTTP/1.1\r\nHost: x\r\n' % path).encode())
        deadline = time.monotonic() + 30
        while not _accepted(held):
            self.assertLess(time.monotonic(), deadline,
                            'the held connection was never accepted')
            time.sleep(0.01)
        self.api(CONFIGS, 'GET', '/software_configs')
        held.sendall(b'\r\n')
        self.assertIn(b' 200 ', held.recv(100))
        self.made[(CONFIGS, 'GET', '200')] += 1

    def test_counts_equal_the_requests_made(self):
        before = self.samples()
        self.both_workers()
        created, signalled = self.load()
        # The API port never serves the metrics.
        response = self.send('other', 'GET', '/metrics')
        self.assertNotEqual(200, response.status)
        self.assertNotIn(b'deploysvc_', response.body)
        after = self.settled(before)

        def moved(name, **labels):
            key = (name, tuple(sorted(labels.items())))
            return after[key] - before[key]

        for (route, method, status), count in self.made.items():
            self.assertEqual(count, moved(
                'deploysvc_http_requests_total', route=route,
                method=method, status=status), (route, method, status))
        self.assertEqual(
            [SERVERS * 2, SERVERS * POLLS_304],
            [moved('deploysvc_agent_polls_total', answer='200'),
             moved('deploysvc_agent_polls_total', answer='304')])
        self.assertEqual(
            [signalled, 1, created, created, created],
            [moved('deploysvc_signals_total', result='applied'),
             moved('deploysvc_signals_total', result='ignored'),
             moved('deploysvc_deployment_delivery_seconds_count'),
             moved('deploysvc_deployment_run_seconds_count',
                   status='COMPLETE'),
             after[('deploysvc_deployments', (
                 ('reason_code', 'OUTPUTS_RECEIVED'),
                 ('status', 'COMPLETE')))]])
        self.assertEqual(SERVERS * 2, sum(
            moved('deploysvc_cache_%s_total' % kind,
                  cache='agent_documents') for kind in ('hits', 'misses')))
        # Every worker counted some of them, in its own file.
        counted = []
        for path in glob.glob(os.path.join(
                self.server.conf.state_path, 'prometheus', 'counter_*.db')):
            counted.append(sum(
                sample.value
                for family in multiprocess.MultiProcessCollector.merge(
                    [path])
                if family.name == 'deploysvc_internal_http_bucket'
                for sample in family.samples))
        self.assertGreaterEqual(len([c for c in counted if c]), 2, counted)

    def test_the_metrics_port_serves_nothing_else(self):
        api = '/v1/%s/software_configs' % self.server.project_id
        for method, path, status in (
                ('GET', '/', 404), ('GET', api, 404),
                ('GET', '/metrics/', 404), ('POST', '/metrics', 405),
                ('HEAD', '/metrics', 200)):
            self.assertEqual(status, self.scrape(method, path)[0],
                             (method, path))
        # (noauth's answer to a path outside the API: 401.)
        status, body = self.scrape(port=self.server.port)
        self.assertNotEqual(200, status)
        self.assertNotIn('deploysvc_', body)
