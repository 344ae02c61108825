"""Three API nodes on Galera behind HAProxy: a node lost, nothing lost.

A bounded mixed load (load.OPERATIONS: config and deployment creates with
quotas, updates, deletes, agent URL rotations, conditional agent polls,
agent signals) runs through HAProxy while one fault happens and heals:

* an API node is killed (SIGKILL) and started again;
* a Galera node is stopped and rejoins (IST);
* HAProxy drains a node, puts it in maintenance and back.

Every answer must be a 2xx (or the quota's 400), a 503 with Retry-After,
or no answer (a connection error); never a 500, never a wrong document or
304 (load.Client.poll), never one ETag for two bodies.  Afterwards every
acknowledged write is in the database exactly once and the quota counts
are exact (check.ledger).  The figures of each run are appended to
``<services dir>/logs/scale.log``; ``tools/run_tests.py`` prints them.
"""

import concurrent.futures
import datetime
import http.client
import json
import os
import threading
import time
import uuid

import fixtures
import testtools
from testtools import content

from deploysvc.tests.functional.scale import check
from deploysvc.tests.functional.scale import harness
from deploysvc.tests.functional.scale import load as load_module

THREADS = 6
# Bounds of each run: the load stops at whichever comes first.
SECONDS = 120
REQUESTS = 30000
# Requests answered between the steps of a fault: enough for every
# operation to run on every node in each state.
STEP = 250
DEPLOYMENT_QUOTA = 12     # per project: the load reaches it


def report(name, figures):
    directory = os.environ.get('DEPLOYSVC_TEST_SERVICES_DIR')
    if directory:
        with open(os.path.join(directory, 'logs', 'scale.log'), 'a') as f:
            f.write(json.dumps(dict(figures, test=name),
                               sort_keys=True) + '\n')


class ScaleTestCase(testtools.TestCase):

    NODES = 3
    cluster = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cluster = harness.Cluster(
            nodes=cls.NODES, deployment_quota=DEPLOYMENT_QUOTA)
        cls.cluster.setUp()

    @classmethod
    def tearDownClass(cls):
        cls.cluster.cleanUp()
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.Timeout(
            int(os.environ.get('OS_TEST_TIMEOUT', 160)) * 2, gentle=True))
        self.addOnException(self._logs)
        # A fault test leaves every node UP, whatever happened.
        self.cluster.haproxy.wait_until(self._all_up, 'every node UP')

    def _all_up(self):
        return all(s == 'UP' for s in self.cluster.haproxy.states().values())

    def _logs(self, exc_info):
        for i, node in enumerate(self.cluster.nodes):
            self.addDetail('api%d-log' % (i + 1), node.log_content())
        self.addDetail('haproxy-states', content.text_content(
            repr(self.cluster.haproxy.states())))

    def _retries(self):
        return sum(node.log().count('Performing DB retry')
                   for node in self.cluster.nodes)

    def run_load(self, fault, threads=THREADS, seconds=SECONDS,
                 requests=REQUESTS):
        """The load while ``fault(load)`` runs; checked; its figures."""
        retries_before = self._retries()
        load = load_module.MixedLoad(self.cluster.url, threads, seconds,
                                     requests)
        load.start()
        self.addCleanup(load.stop)
        try:
            fault(load)
        finally:
            load.stop()
        stats = load.stats
        self.addDetail('statuses', content.text_content(
            json.dumps(stats.by_status(), default=str)))
        self.assertEqual([], stats.wrong[:20], 'wrong answers')
        problems, acknowledged = check.ledger(load, self.cluster.db_url,
                                              DEPLOYMENT_QUOTA)
        self.assertEqual([], problems[:20], 'acknowledged writes')
        unanswered = sum(n for (_, status), n in stats.requests.items()
                         if status in load_module.UNKNOWN)
        figures = {'nodes': self.NODES, 'requests': stats.total,
                   'seconds': round(load.seconds_run, 1),
                   'requests_per_second': round(
                       stats.total / load.seconds_run, 1),
                   'statuses': dict((str(k), v) for k, v in
                                    stats.by_status().items()),
                   'acknowledged_writes': sum(acknowledged.values()),
                   'acknowledged': acknowledged,
                   'unanswered (503 or no answer)': unanswered,
                   # oslo.db's retries of whole transactions (deadlocks,
                   # Galera certification failures), from the nodes' logs.
                   'transaction_retries': self._retries() - retries_before,
                   'lost': 0, 'duplicated': 0}
        report(self.id(), figures)
        self.assertGreater(figures['acknowledged_writes'], 0)
        return figures


def simultaneously(calls):
    """Run the callables together (a barrier), return their results."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait(timeout=30)
        return call()

    with concurrent.futures.ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


class TestMultiWriter(ScaleTestCase):
    """Simultaneous writes of one row sent to the three nodes directly.

    Each node writes to its own Galera node: the writes conflict in
    certification, not on a row lock, and must still serialise.
    """

    def call(self, node, method, path, body=None, project=None, url=None):
        connection = http.client.HTTPConnection('127.0.0.1', node.port,
                                                timeout=60)
        headers = {'X-Project-Id': project or self.project,
                   'X-User-Id': 'writer', 'X-Roles': 'reader,member',
                   'Content-Type': 'application/json'}
        try:
            connection.request(method, url or '/v1/%s%s' % (
                project or self.project, path), headers=headers,
                body=None if body is None else json.dumps(body))
            response = connection.getresponse()
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
        finally:
            connection.close()

    def setUp(self):
        super().setUp()
        self.project = uuid.uuid4().hex
        nodes = self.cluster.nodes
        status, body = self.call(nodes[0], 'POST', '/software_configs',
                                 {'name': 'c', 'group': 'script',
                                  'config': 'true'})
        self.assertEqual(200, status, body)
        self.config_id = body['software_config']['id']

    def node(self, i):
        return self.cluster.nodes[i % len(self.cluster.nodes)]

    def create(self, i, server_id='srv'):
        return self.call(self.node(i), 'POST', '/software_deployments',
                         {'config_id': self.config_id,
                          'server_id': server_id, 'status': 'IN_PROGRESS'})

    def test_quota_edge(self):
        count = 3 * DEPLOYMENT_QUOTA
        results = simultaneously([
            lambda i=i: self.create(i) for i in range(count)])
        statuses = sorted(status for status, _ in results)
        self.assertEqual([200] * DEPLOYMENT_QUOTA +
                         [400] * (count - DEPLOYMENT_QUOTA), statuses)
        for status, body in results:
            if status == 400:
                self.assertIn('Request limit exceeded',
                              body['error']['message'])
        status, body = self.call(self.node(1), 'GET',
                                 '/software_deployments')
        self.assertEqual(200, status, body)
        self.assertEqual(sorted(body['software_deployments'][i]['id']
                                for i in range(DEPLOYMENT_QUOTA)),
                         sorted(b['software_deployment']['id']
                                for s, b in results if s == 200))
        # One delete frees exactly one slot, seen from every node.
        deleted = body['software_deployments'][0]['id']
        self.assertEqual(204, self.call(
            self.node(2), 'DELETE', '/software_deployments/%s' % deleted)[0])
        statuses = sorted(status for status, _ in simultaneously([
            lambda i=i: self.create(i) for i in range(6)]))
        self.assertEqual([200] + [400] * 5, statuses)

    def test_one_signal_applies(self):
        status, body = self.create(0)
        self.assertEqual(200, status, body)
        deployment_id = body['software_deployment']['id']
        status, body = self.call(self.node(0), 'POST',
                                 '/server_agents/srv', {})
        self.assertEqual(200, status, body)
        status, metadata = self.call(self.node(1), 'GET', None,
                                     url=body['server_agent'][
                                         'metadata_url'].split(
                                             self.cluster.url)[1])
        self.assertEqual(200, status, metadata)
        inputs = dict((i['name'], i['value']) for i in
                      metadata['deployments'][0]['inputs'])
        signal_path = inputs['deploy_signal_id'].split(self.cluster.url)[1]
        results = simultaneously([
            lambda i=i: self.call(self.node(i), 'PUT', None,
                                  {'deploy_stdout': 'signal-%d' % i,
                                   'deploy_status_code': 0},
                                  url=signal_path)
            for i in range(9)])
        self.assertEqual([200] * 9, [status for status, _ in results])
        applied = [i for i, (_, body) in enumerate(results)
                   if body['applied']]
        self.assertEqual(1, len(applied), results)
        status, body = self.call(self.node(2), 'GET',
                                 '/software_deployments/%s' % deployment_id)
        self.assertEqual(200, status, body)
        self.assertEqual('COMPLETE', body['software_deployment']['status'])
        self.assertEqual(
            'signal-%d' % applied[0],
            body['software_deployment']['output_values']['deploy_stdout'])

    def test_one_rotation_wins(self):
        results = simultaneously([
            lambda i=i: self.call(self.node(i), 'POST',
                                  '/server_agents/rotated', {})
            for i in range(9)])
        self.assertEqual([200] * 9, [status for status, _ in results])
        paths = [body['server_agent']['metadata_url'].split(
            self.cluster.url)[1] for _, body in results]
        # Exactly one URL works, on every node; the others are revoked.
        for node in self.cluster.nodes:
            statuses = [self.call(node, 'GET', None, url=path)[0]
                        for path in paths]
            self.assertEqual([200] + [404] * 8, sorted(statuses))
        status, body = self.call(self.node(1), 'GET',
                                 '/server_agents/rotated')
        self.assertEqual(200, status, body)
        self.assertEqual(1, paths.count(body['server_agent'][
            'metadata_url'].split(self.cluster.url)[1]))

    def test_one_deadline_transition(self):
        """A deadline noticed on three nodes at once fails it once.

        A deployment whose server never polls passes its delivery
        deadline; then shows, lists by status (the deadline sweep) and
        cancels reach the three nodes together.  One of them fails it
        (TIMED_OUT_DELIVERY, one event); every show and list says so,
        and every cancel finds nothing left to cancel.
        """
        status, body = self.call(
            self.node(0), 'POST', '/software_deployments',
            {'config_id': self.config_id, 'server_id': 'late',
             'status': 'IN_PROGRESS', 'delivery_timeout': 1})
        self.assertEqual(200, status, body)
        deployment = body['software_deployment']
        path = '/software_deployments/%s' % deployment['id']
        deadline = datetime.datetime.strptime(
            deployment['deadline_at'], '%Y-%m-%dT%H:%M:%SZ').replace(
                tzinfo=datetime.timezone.utc)
        # The deadline is a time on this machine's clock: wait for it (at
        # most delivery_timeout, 1 s, plus the second it was rounded to).
        remaining = (deadline - datetime.datetime.now(
            datetime.timezone.utc)).total_seconds()
        time.sleep(max(0.0, remaining) + 1)
        # (request, answer)
        requests = (
            (('GET', path, None), 200),
            (('GET', '/software_deployments?status=IN_PROGRESS', None), 200),
            (('POST', path + '/cancel', {}), 409),
        ) * 3
        results = simultaneously([
            lambda i=i, call=call: self.call(self.node(i), *call)
            for i, (call, _) in enumerate(requests)])
        self.assertEqual([answer for _, answer in requests],
                         [status for status, _ in results], results)
        for (call, _), (_, body) in zip(requests, results):
            if call[0] == 'GET' and call[1] == path:
                self.assertEqual(('FAILED', 'TIMED_OUT_DELIVERY'), (
                    body['software_deployment']['status'],
                    body['software_deployment']['status_reason_code']))
            elif call[0] == 'GET':
                self.assertNotIn(deployment['id'], [
                    d['id'] for d in body['software_deployments']])
        status, body = self.call(self.node(1), 'GET', path + '/events')
        self.assertEqual(200, status, body)
        self.assertEqual(['TIMED_OUT_DELIVERY'], [
            event['reason_code'] for event in body['events']
            if event['status_to'] == 'FAILED'])

    def test_waves_stay_exact(self):
        """A rollout's children ended on three nodes at once, twice over.

        Six servers, two at a time: each wave's two children are
        completed by six simultaneous updates (each child on all three
        nodes).  Every child is counted once, never more than two run,
        and the group ends COMPLETE with six complete children.
        """
        status, body = self.call(
            self.node(0), 'POST', '/software_deployment_groups',
            {'config_id': self.config_id, 'max_concurrency': 2,
             'max_errors': 0, 'servers': ['wave-%d' % i for i in range(6)]})
        self.assertEqual(200, status, body)
        path = '/software_deployment_groups/%s' % body[
            'software_deployment_group']['id']
        ended = set()
        for wave in range(3):
            status, body = self.call(self.node(wave), 'GET',
                                     path + '/deployments')
            self.assertEqual(200, status, body)
            running = [child['id'] for child in body['software_deployments']
                       if child['status'] == 'IN_PROGRESS'
                       and child['status_reason_code'] != 'NOT_RELEASED']
            self.assertEqual(2, len(running), body)
            self.assertEqual(set(), ended & set(running))
            results = simultaneously([
                lambda i=i, child=child: self.call(
                    self.node(i), 'PUT', '/software_deployments/' + child,
                    {'status': 'COMPLETE'})
                for child in running for i in range(3)])
            self.assertEqual([200] * 6, [status for status, _ in results])
            ended.update(running)
            status, body = self.call(self.node(wave + 1), 'GET', path)
            self.assertEqual(200, status, body)
            counts = body['software_deployment_group']['counts']
            self.assertEqual(
                (len(ended), min(2, 6 - len(ended)), 0),
                (counts['complete'], counts['in_progress'],
                 counts['failed']), counts)
        self.assertEqual('COMPLETE', body['software_deployment_group'][
            'status'])

    def test_caches_follow_other_nodes(self):
        """Agents polling every node while another node changes their data.

        Each node's workers cache documents by ETag; the writes go to the
        nodes in turn.  Every ETag must be served with one body only, and
        every poll must show every deployment whose create was
        acknowledged before it started, and none whose delete was.
        """
        status, body = self.call(self.node(0), 'POST',
                                 '/server_agents/cached', {})
        self.assertEqual(200, status, body)
        path = body['server_agent']['metadata_url'].split(
            self.cluster.url)[1]
        lock = threading.Lock()
        present, deleted, bodies, wrong = set(), set(), {}, []
        untagged = [0]
        done = threading.Event()

        def write():
            try:
                for i in range(DEPLOYMENT_QUOTA * 4):
                    if len(present) < DEPLOYMENT_QUOTA - 1:
                        status, body = self.create(i, 'cached')
                        self.assertEqual(200, status, body)
                        with lock:
                            present.add(body['software_deployment']['id'])
                    else:
                        victim = sorted(present)[0]
                        with lock:
                            present.discard(victim)
                        status, _ = self.call(
                            self.node(i), 'DELETE',
                            '/software_deployments/%s' % victim)
                        self.assertEqual(204, status)
                        with lock:
                            deleted.add(victim)
            finally:
                done.set()

        def poll(k):
            etag = None
            while not done.is_set():
                with lock:
                    expected, gone = set(present), set(deleted)
                connection = http.client.HTTPConnection(
                    '127.0.0.1', self.node(k).port, timeout=60)
                connection.request('GET', path, headers={
                    'If-None-Match': etag} if etag and k % 2 else {})
                response = connection.getresponse()
                raw = response.read()
                connection.close()
                if response.status == 200:
                    # No ETag: bytes read while the revision moved.
                    etag = response.getheader('ETag')
                    with lock:
                        untagged[0] += etag is None
                        if etag and bodies.setdefault(etag, raw) != raw:
                            wrong.append('ETag %s: two bodies' % etag)
                    document = json.loads(raw)
                elif response.status == 304:
                    document = json.loads(bodies[etag])
                else:
                    wrong.append('poll: %s %s' % (response.status, raw))
                    continue
                served = set(
                    i['value'].split('/agent/v1/signal/')[1].split('/')[0]
                    for item in document['deployments']
                    for i in item['inputs'] if i['name'] == 'deploy_signal_id')
                with lock:
                    # (Not those whose delete was sent during the poll.)
                    expected &= present
                if expected - served or served & gone:
                    wrong.append('poll (%d): missing %s, deleted %s' % (
                        response.status, expected - served, served & gone))

        results = simultaneously([write] + [
            lambda k=k: poll(k) for k in range(3)])
        self.assertEqual([None] * 4, results)
        self.assertEqual([], wrong[:10])
        self.assertGreater(len(bodies), DEPLOYMENT_QUOTA)
        self.addDetail('untagged', content.text_content('%d of %d' % (
            untagged[0], untagged[0] + len(bodies))))


class TestFaults(ScaleTestCase):

    def test_api_node_killed_and_restarted(self):
        haproxy = self.cluster.haproxy
        node = self.cluster.nodes[1]

        def fault(load):
            load.wait_requests(STEP)
            node.kill()
            haproxy.wait_until(lambda: haproxy.states()['api2'] != 'UP',
                               'api2 out of HAProxy')
            load.wait_requests(STEP)
            node.restart()
            haproxy.wait_until(self._all_up, 'api2 back in HAProxy')
            load.wait_requests(STEP)

        self.run_load(fault)

    def test_galera_node_stopped_and_rejoins(self):
        haproxy = self.cluster.haproxy

        def fault(load):
            load.wait_requests(STEP)
            harness.galera_node('stop', 2)
            # api2 writes to Galera node 2: its /healthcheck answers 503
            # and HAProxy takes it out.
            haproxy.wait_until(lambda: haproxy.states()['api2'] != 'UP',
                               'api2 out of HAProxy')
            load.wait_requests(STEP)
            harness.galera_node('start', 2)
            haproxy.wait_until(self._all_up, 'api2 back in HAProxy')
            load.wait_requests(STEP)

        self.run_load(fault)

    def test_haproxy_shifts_traffic(self):
        haproxy = self.cluster.haproxy

        def fault(load):
            load.wait_requests(STEP)
            for state in ('drain', 'maint', 'ready'):
                haproxy.command('set server nodes/api1 state %s' % state)
                load.wait_requests(STEP)
            # And every request to one node, then back to all.
            for name in ('api1', 'api2'):
                haproxy.command('set server nodes/%s state maint' % name)
            load.wait_requests(STEP)
            for name in ('api1', 'api2'):
                haproxy.command('set server nodes/%s state ready' % name)
            haproxy.wait_until(self._all_up, 'every node back')
            load.wait_requests(STEP)

        self.run_load(fault)


class TestThroughput(ScaleTestCase):
    """The same load, no fault, on three nodes and on one (figures)."""

    def test_steady_load(self):
        self.run_load(lambda load: load.wait_requests(12 * STEP))


class TestThroughputOneNode(TestThroughput):

    NODES = 1
