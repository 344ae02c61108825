"""The benchmark (tools/bench/bench.py, ``tox -e bench``) still works.

It runs the real benchmark with tiny counts (SQLite, one worker, 20 rows,
20 requests per scenario, one round, no thresholds) so that it cannot rot:
every
scenario must run with zero errors against the shipped ``deploysvc-api``,
and the report must carry the ceiling, the query plans and a profile.  The
aggregation of several rounds is covered by test_bench_report.py.
"""

import json
import os
import subprocess
import sys

import fixtures
import testtools
from testtools import content

from deploysvc.tests.functional import base

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
BENCH = os.path.join(ROOT, 'tools', 'bench', 'bench.py')
# Every scenario the issue asks for (plus the agent's full metadata read).
SCENARIOS = ('create_config', 'create_deployment', 'show', 'update',
             'list_server', 'list_page', 'list_status', 'list_all',
             'list_configs_all', 'metadata', 'agent_metadata',
             'agent_metadata_304')
CONCURRENCY = (1, 4)
REQUESTS = 20
# The unpaged lists (4,096 rows each) are sent a tenth as often, at least
# ten times a round.
LISTS = ('list_all', 'list_configs_all')
LIST_REQUESTS = 10
ROWS = 20
ROUNDS = 1


class BenchSmokeTest(testtools.TestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.report, cls.output = cls._run_bench()

    @classmethod
    def _run_bench(cls):
        tmp = fixtures.TempDir()
        tmp.setUp()
        try:
            path = os.path.join(tmp.path, 'report.json')
            done = subprocess.run(
                [sys.executable, BENCH, '--db', 'sqlite', '--workers', '1',
                 '--concurrency', ','.join(map(str, CONCURRENCY)),
                 '--tiers', str(ROWS), '--requests', str(REQUESTS),
                 '--rounds', str(ROUNDS),
                 '--profile', 'show,update', '--profile-iterations', '5',
                 '--json', path],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, cwd=tmp.path,
                env=base.clean_env(), timeout=300, check=False)
            output = done.stdout.decode('utf-8', 'replace')
            report = None
            if os.path.exists(path):
                with open(path) as f:
                    report = json.load(f)
            return report, output
        finally:
            tmp.cleanUp()

    def setUp(self):
        super().setUp()
        self.addDetail('bench-output', content.text_content(self.output))
        self.assertIsNotNone(self.report, 'bench.py wrote no report')

    def test_benchmark_report(self):
        # One test: stestr would run setUpClass (the benchmark) once per
        # worker that gets a test of this class.
        self._check_every_scenario_ran_without_errors()
        self._check_ceiling_covers_every_scenario()
        self._check_query_plans_of_every_scenario()
        self._check_profile_and_targets()

    @staticmethod
    def _requests(scenario):
        return LIST_REQUESTS if scenario in LISTS else REQUESTS

    def _runs(self, scenario):
        return dict((run['concurrency'], run) for run in self.report['runs']
                    if run['scenario'] == scenario)

    def _check_every_scenario_ran_without_errors(self):
        self.assertEqual(['sqlite'], self.report['dbs'])
        for scenario in SCENARIOS:
            runs = self._runs(scenario)
            self.assertEqual(sorted(CONCURRENCY), sorted(runs), scenario)
            for concurrency, run in runs.items():
                where = '%s c%d: %s' % (scenario, concurrency, run)
                self.assertEqual('ok', run['status'], where)
                self.assertEqual(0, run['errors'], where)
                self.assertEqual(self._requests(scenario), run['completed'],
                                 where)
                self.assertEqual(('sqlite', ROWS, 1),
                                 (run['db'], run['tier'], run['workers']))
                self.assertGreater(run['rps'], 0, where)
                self.assertLessEqual(run['p50_ms'], run['p99_ms'], where)
                self.assertGreaterEqual(run['cpu_ms'], 0, where)
                self.assertGreater(run['cpu_ms_sched'], 0, where)
                self.assertEqual(1, len(run['rss_mib']), where)
                self.assertGreater(run['rss_mib'][0], 10, where)
                self.assertFalse(run['workers_restarted'], where)
                self.assertGreaterEqual(run['rss_peak_mib'],
                                        run['rss_mib'][0], where)
                if scenario in LISTS:
                    self.assertAlmostEqual(
                        run['cpu_ms_sched'] * 1000.0 / 4096,
                        run['cpu_us_row'], places=6, msg=where)
                self.assertEqual(sorted(['rps', 'p50', 'p99', 'cpu']),
                                 sorted(run['ratio']), where)
                self._check_one_round(run, where)

    def _check_one_round(self, row, where):
        self.assertEqual(ROUNDS, len(row['rounds']), where)
        self.assertEqual(1, row['best_round'], where)
        [only] = row['rounds']
        # One round: its figures are the best, the median and the row's.
        for field in ('cpu_ms', 'cpu_ms_sched'):
            self.assertEqual(only[field], row[field], where)
            self.assertEqual(only[field], row[field + '_median'], where)
        for field in ('rps', 'p50_ms', 'p99_ms', 'completed', 'errors'):
            self.assertEqual(only[field], row[field], where)
        self.assertGreaterEqual(only['steal_pct'], 0, where)

    def _check_ceiling_covers_every_scenario(self):
        self.assertEqual(ROUNDS, self.report['meta']['rounds'])
        seen = set()
        for row in self.report['ceiling']:
            self.assertEqual(0, row['errors'], row)
            self.assertEqual(self._requests(row['scenario']),
                             row['completed'], row)
            # Measured in turn with the app, on its database and tier.
            self.assertEqual(('sqlite', ROWS, 1),
                             (row['db'], row['tier'], row['workers']))
            self._check_one_round(row, row)
            seen.add((row['scenario'], row['concurrency']))
        self.assertEqual(set((scenario, concurrency)
                             for scenario in SCENARIOS
                             for concurrency in CONCURRENCY), seen)

    def _check_query_plans_of_every_scenario(self):
        [plans] = self.report['explain']
        self.assertEqual(('sqlite', ROWS, 'sqlite'),
                         (plans['db'], plans['tier'], plans['dialect']))
        self.assertEqual(sorted(SCENARIOS), sorted(plans['scenarios']))
        for name, scenario in plans['scenarios'].items():
            self.assertTrue(scenario['request_ok'], name)
            if name != 'agent_metadata_304':
                self.assertNotEqual([], scenario['statements'], name)
            for statement in scenario['statements']:
                self.assertFalse(statement['plan'].startswith(
                    'EXPLAIN failed'), statement)

    def _check_profile_and_targets(self):
        [profile] = self.report['profile']
        self.assertEqual(['show', 'update'], sorted(profile['scenarios']))
        for name, prof in profile['scenarios'].items():
            self.assertEqual(0, prof['failed_requests'], name)
            self.assertGreater(prof['cpu_ms_per_request'], 0, name)
            self.assertNotEqual([], prof['top_functions'], name)
        checks = [verdict['check'] for verdict in self.report['targets']]
        self.assertIn('CPU ms/request of show (sqlite, 20 rows, 1 worker, '
                      'c1)', checks)
        self.assertIn('CPU us/row of list_all (sqlite, 4096 rows listed, 1 '
                      'worker, c1)', checks)
        self.assertIn('Targets (CPU: best of 1 round: the figure least '
                      'disturbed by other load; p99: median of the rounds\' '
                      'p99)', self.output)
        self.assertIn('JSON report:', self.output)
