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

import json
import os

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
        self.run_load(lambda load: load.wait_requests(4 * STEP))


class TestThroughputOneNode(TestThroughput):

    NODES = 1
