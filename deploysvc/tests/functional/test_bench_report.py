"""The benchmark's report from several rounds (tools/bench/bench.py).

The benchmark itself runs in test_bench_smoke.py (one round); these tests
cover its pure functions: the interleaving of the rounds, best / median /
ratio aggregation, the targets, the printed report and --compare against
reports of one round (every report before --rounds).  They live with the
functional tests because bench.py drives the real server through the
functional fixtures (and so imports python-heatclient): unit discovery
imports nothing from tools/ or from the functional tests.
"""

import importlib.util
import io
import json
import os

import fixtures
import testtools

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
BENCH = os.path.join(ROOT, 'tools', 'bench', 'bench.py')


def _load_bench():
    spec = importlib.util.spec_from_file_location('deploysvc_bench', BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bench = _load_bench()


def one_round(cpu, sched, rps=100.0, p50=1.0, p99=5.0, errors=0,
              samples=(), restarted=False, rss=80.0, steal=0.0):
    """What measure() returns for one round of 20 requests."""
    return {'count': 20, 'concurrency': 1, 'processes': 1,
            'completed': 20 - errors, 'errors': errors,
            'error_samples': list(samples), 'elapsed_s': 20 / rps,
            'rps': rps, 'p50_ms': p50, 'p90_ms': p50 * 2, 'p99_ms': p99,
            'max_ms': p99 + 1, 'mean_ms': p50 * 1.1, 'cpu_ms': cpu,
            'cpu_ms_sched': sched, 'steal_pct': steal,
            'workers_restarted': restarted, 'rss_mib': [rss],
            'status': 'ok'}


def row(rounds, **key):
    merged = bench.aggregate_rounds(rounds)
    merged.update(key)
    return merged


KEY = dict(db='pg', tier=1000, workers=1, concurrency=1, scenario='show')


class TestMedian(testtools.TestCase):

    def test_odd_count_is_the_middle_value(self):
        self.assertEqual(2.0, bench.median([3.0, 1.0, 2.0]))

    def test_even_count_is_the_mean_of_the_middle_two(self):
        self.assertEqual(2.5, bench.median([4.0, 1.0, 3.0, 2.0]))

    def test_one_value(self):
        self.assertEqual(1.5, bench.median([1.5]))

    def test_no_value(self):
        self.assertIsNone(bench.median([]))


class TestAggregateRounds(testtools.TestCase):

    def test_cpu_is_the_lowest_of_the_rounds_with_the_median(self):
        merged = bench.aggregate_rounds([
            one_round(2.0, 2.1), one_round(1.0, 1.2), one_round(3.0, 2.9)])
        self.assertEqual(1.0, merged['cpu_ms'])
        self.assertEqual(2.0, merged['cpu_ms_median'])
        self.assertEqual(1.2, merged['cpu_ms_sched'])
        self.assertEqual(2.1, merged['cpu_ms_sched_median'])

    def test_ticks_and_sched_are_each_their_own_lowest(self):
        # 10 ms ticks can round another round lower than schedstat does.
        merged = bench.aggregate_rounds([one_round(0.5, 0.9),
                                         one_round(1.0, 0.7)])
        self.assertEqual((0.5, 0.7),
                         (merged['cpu_ms'], merged['cpu_ms_sched']))

    def test_load_figures_come_from_the_round_of_lowest_sched_cpu(self):
        merged = bench.aggregate_rounds([
            one_round(2.0, 2.0, rps=50.0, p50=3.0, p99=30.0),
            one_round(1.0, 1.0, rps=90.0, p50=1.5, p99=6.0),
            one_round(1.5, 1.5, rps=95.0, p50=1.0, p99=4.0)])
        self.assertEqual(2, merged['best_round'])
        self.assertEqual((90.0, 1.5, 6.0, 3.0),
                         (merged['rps'], merged['p50_ms'], merged['p99_ms'],
                          merged['p90_ms']))

    def test_ties_go_to_the_earliest_round(self):
        merged = bench.aggregate_rounds([one_round(1.0, 1.0, rps=10.0),
                                         one_round(1.0, 1.0, rps=20.0)])
        self.assertEqual((1, 10.0), (merged['best_round'], merged['rps']))

    def test_requests_and_errors_add_up_over_every_round(self):
        merged = bench.aggregate_rounds([
            one_round(1.0, 1.0, errors=2, samples=['GET /a: status 500']),
            one_round(2.0, 2.0),
            one_round(3.0, 3.0, errors=1, samples=['GET /b: status 503',
                                                   'GET /a: status 500'])])
        self.assertEqual(57, merged['completed'])
        self.assertEqual(3, merged['errors'])
        self.assertEqual(['GET /a: status 500', 'GET /b: status 503'],
                         merged['error_samples'])

    def test_a_restart_in_any_round_is_reported(self):
        merged = bench.aggregate_rounds([one_round(1.0, 1.0),
                                         one_round(2.0, 2.0, restarted=True)])
        self.assertTrue(merged['workers_restarted'])
        self.assertFalse(bench.aggregate_rounds(
            [one_round(1.0, 1.0)])['workers_restarted'])

    def test_rss_is_the_last_rounds(self):
        merged = bench.aggregate_rounds([one_round(1.0, 1.0, rss=80.0),
                                         one_round(2.0, 2.0, rss=95.0)])
        self.assertEqual([95.0], merged['rss_mib'])

    def test_every_round_is_kept_in_order(self):
        merged = bench.aggregate_rounds([
            one_round(2.0, 2.1, rps=40.0, steal=7.5),
            one_round(1.0, 1.2, rps=80.0, steal=0.5)])
        self.assertEqual([2.1, 1.2], [one['cpu_ms_sched']
                                      for one in merged['rounds']])
        self.assertEqual([40.0, 80.0], [one['rps']
                                        for one in merged['rounds']])
        self.assertEqual([7.5, 0.5], [one['steal_pct']
                                      for one in merged['rounds']])
        self.assertEqual(set(bench.ROUND_FIELDS), set(merged['rounds'][0]))

    def test_one_round_is_its_own_best_and_median(self):
        single = one_round(1.25, 1.3, rps=70.0, p99=8.0)
        merged = bench.aggregate_rounds([single])
        for field in ('cpu_ms', 'cpu_ms_sched'):
            self.assertEqual(single[field], merged[field])
            self.assertEqual(single[field], merged[field + '_median'])
        self.assertEqual((70.0, 8.0, 20, 1),
                         (merged['rps'], merged['p99_ms'],
                          merged['completed'], merged['best_round']))
        self.assertEqual('ok', merged['status'])

    def test_no_round(self):
        self.assertRaises(ValueError, bench.aggregate_rounds, [])


class TestSchedule(testtools.TestCase):

    NAMES = ['create_config', 'show', 'agent_metadata_304']

    def test_every_measurement_once(self):
        steps = bench.schedule(3, self.NAMES, [1, 8])
        self.assertEqual(3 * 3 * 2 * 2, len(steps))
        self.assertEqual(len(steps), len(set(steps)))

    def test_round_one_of_every_scenario_before_round_two(self):
        steps = bench.schedule(3, self.NAMES, [1])
        numbers = [number for number, _, _, _ in steps]
        self.assertEqual(sorted(numbers), numbers)
        self.assertEqual(self.NAMES * 3, [name for _, name, _, target
                                          in steps if target == 'app'])

    def test_ceiling_and_app_follow_each_other_alternately(self):
        steps = bench.schedule(3, self.NAMES, [1, 8])
        pairs = [steps[i:i + 2] for i in range(0, len(steps), 2)]
        for first, second in pairs:
            self.assertEqual(first[:3], second[:3])
        orders = dict((first[0], (first[3], second[3]))
                      for first, second in pairs)
        self.assertEqual({1: ('ceiling', 'app'), 2: ('app', 'ceiling'),
                          3: ('ceiling', 'app')}, orders)

    def test_one_round(self):
        self.assertEqual([(1, 'show', 1, 'ceiling'), (1, 'show', 1, 'app')],
                         bench.schedule(1, ['show'], [1]))


class TestRatios(testtools.TestCase):

    def test_cpu_ratio_is_best_app_over_best_ceiling_of_its_tier(self):
        app = row([one_round(3.0, 3.0), one_round(2.0, 2.0)], **KEY)
        report = {'runs': [app], 'ceiling': [
            row([one_round(0.9, 0.9)], **dict(KEY, tier=100000)),
            row([one_round(0.6, 0.6), one_round(0.4, 0.5)], **KEY),
            row([one_round(0.1, 0.1)], **dict(KEY, db='sqlite'))]}
        bench.add_ratios(report)
        self.assertEqual(4.0, app['ratio']['cpu'])

    def test_ceiling_of_a_report_before_rounds_matches_every_tier(self):
        # Such a report had one ceiling per worker count, first.
        app = row([one_round(2.0, 2.0, rps=100.0)], **KEY)
        old_ceiling = dict(one_round(0.5, 0.5, rps=400.0), workers=1,
                           concurrency=1, scenario='show')
        report = {'runs': [app], 'ceiling': [
            dict(old_ceiling, concurrency=8), old_ceiling]}
        bench.add_ratios(report)
        self.assertEqual((4.0, 0.25), (app['ratio']['cpu'],
                                       app['ratio']['rps']))

    def test_unavailable_runs_get_no_ratio(self):
        run = dict(KEY, status='unavailable', reason='no agent', errors=0)
        report = {'runs': [run], 'ceiling': [row([one_round(1, 1)], **KEY)]}
        bench.add_ratios(report)
        self.assertNotIn('ratio', run)


class TestTargets(testtools.TestCase):

    def test_cpu_target_uses_the_best_round_and_shows_the_median(self):
        args = bench.parse_args(['--db', 'pg', '--tiers', '1000',
                                 '--concurrency', '1', '--workers', '1'])
        show = row([one_round(1.4, 1.4), one_round(0.9, 0.9),
                    one_round(1.2, 1.2)], **KEY)
        report = {'dbs': ['pg'], 'runs': [show], 'explain': []}
        verdicts = dict((verdict['check'], verdict)
                        for verdict in bench.targets(args, report))
        verdict = verdicts['CPU ms/request of show (pg, 1000 rows, 1 '
                           'worker, c1)']
        self.assertEqual(('pass', 0.9, 1.2, 1),
                         (verdict['verdict'], verdict['value'],
                          verdict['median'], verdict['target']))

    def test_p99_flatness_compares_the_medians_of_the_rounds(self):
        # The lowest-CPU rounds' p99 would give 4.5 / 1.6; the medians
        # 4.0 / 3.8.
        args = bench.parse_args(['--db', 'pg', '--tiers', '1000,1000000',
                                 '--concurrency', '1', '--workers', '1'])
        small = row([one_round(1.0, 1.0, p99=4.5),
                     one_round(0.9, 0.9, p99=1.6),
                     one_round(1.1, 1.1, p99=3.8)], **KEY)
        large = row([one_round(0.9, 0.9, p99=4.5),
                     one_round(1.0, 1.0, p99=4.0),
                     one_round(1.1, 1.1, p99=3.0)],
                    **dict(KEY, tier=1000000))
        report = {'dbs': ['pg'], 'runs': [small, large], 'explain': []}
        verdicts = dict((verdict['check'], verdict)
                        for verdict in bench.targets(args, report))
        verdict = verdicts['p99 of show at 1000000 rows / at 1000 rows (pg, '
                           '1 worker, c1)']
        self.assertEqual('pass', verdict['verdict'])
        self.assertAlmostEqual(4.0 / 3.8, verdict['value'])

    def test_list_cpu_per_row(self):
        args = bench.parse_args(['--db', 'pg', '--tiers', '1000',
                                 '--concurrency', '1', '--workers', '1'])
        lists = row([one_round(60.0, 61.44), one_round(70.0, 70.0)],
                    **dict(KEY, scenario='list_all'))
        report = {'dbs': ['pg'], 'runs': [lists], 'explain': [],
                  'ceiling': []}
        bench.add_ratios(report)
        verdicts = dict((verdict['check'], verdict)
                        for verdict in bench.targets(args, report))
        verdict = verdicts['CPU us/row of list_all (pg, 4096 rows listed, 1 '
                           'worker, c1)']
        self.assertEqual(('pass', 15), (verdict['verdict'],
                                        verdict['target']))
        self.assertAlmostEqual(15.0, verdict['value'])


class TestArguments(testtools.TestCase):

    def test_three_rounds_by_default(self):
        self.assertEqual(3, bench.parse_args([]).rounds)
        self.assertEqual(1, bench.parse_args(['--rounds', '1']).rounds)

    def test_at_least_one_round(self):
        self.useFixture(fixtures.MonkeyPatch('sys.stderr', io.StringIO()))
        self.assertRaises(SystemExit, bench.parse_args, ['--rounds', '0'])


def a_report(rounds, runs, ceiling):
    return {'meta': {'commit': 'abc1234', 'date': '2026-11-27T00:00:00Z',
                     'notes': ['a note'], 'rounds': rounds},
            'dbs': ['pg'], 'runs': runs, 'ceiling': ceiling, 'explain': [],
            'profile': [], 'targets': []}


# A run of a report written before --rounds: one measurement, no rounds.
OLD_RUN = dict(KEY, status='ok', rps=200.0, p50_ms=2.0, p99_ms=8.0,
               cpu_ms=2.0, cpu_ms_sched=2.0, errors=0, completed=150,
               rss_mib=[88.0], workers_restarted=False,
               ratio={'rps': 0.5, 'p50': 2.0, 'p99': 2.0, 'cpu': 4.0})


class TestCompare(testtools.TestCase):

    def setUp(self):
        super().setUp()
        app = row([one_round(1.5, 1.5, rps=300.0, p99=4.0),
                   one_round(1.0, 1.0, rps=400.0, p99=6.0),
                   one_round(2.0, 2.0, rps=250.0, p99=9.0)], **KEY)
        ceiling = row([one_round(0.5, 0.5)], **KEY)
        other = row([one_round(1.0, 1.0)], **dict(KEY, scenario='metadata'))
        unavailable = dict(KEY, scenario='agent_metadata',
                           status='unavailable', reason='x', errors=0)
        self.report = a_report(3, [app, other, unavailable], [ceiling])
        bench.add_ratios(self.report)
        self.old = {'meta': {'commit': 'old0001'},
                    'runs': [OLD_RUN, dict(OLD_RUN, scenario='agent_'
                                           'metadata')]}

    def test_one_round_report_is_its_own_best_and_median(self):
        [(run, before, ratios)] = bench.compare_rows(self.report, self.old)
        self.assertEqual(('show', OLD_RUN), (run['scenario'], before))
        self.assertEqual(0.5, ratios['cpu'])          # best 1.0 / 2.0
        self.assertEqual(0.75, ratios['cpu_median'])  # median 1.5 / 2.0
        self.assertEqual(2.0, ratios['rps'])          # best round's 400
        self.assertEqual(0.75, ratios['p99'])         # best round's 6.0
        self.assertEqual(0.5, ratios['cpu_ceiling'])  # (1.0 / 0.5) / 4.0

    def test_two_reports_with_rounds_compare_medians(self):
        old = bench.aggregate_rounds([one_round(3.0, 3.0),
                                      one_round(2.0, 2.0),
                                      one_round(6.0, 6.0)])
        old.update(KEY)
        [(_, _, ratios)] = bench.compare_rows(
            self.report, {'meta': {'rounds': 3}, 'runs': [old]})
        self.assertEqual(0.5, ratios['cpu'])
        self.assertEqual(0.5, ratios['cpu_median'])  # 1.5 / 3.0
        self.assertIsNone(ratios['cpu_ceiling'])     # old has no ratio

    def test_compare_prints_a_line_per_run_in_both(self):
        tmp = self.useFixture(fixtures.TempDir())
        path = os.path.join(tmp.path, 'old.json')
        with open(path, 'w') as f:
            json.dump(self.old, f)
        out = io.StringIO()
        bench.compare(self.report, path, out)
        text = out.getvalue()
        self.assertIn('best of 3 round(s) / best of 1', text)
        [line] = [line for line in text.splitlines()
                  if line.startswith('pg ')]
        self.assertEqual(['pg', '1000', '1', '1', 'show', '2.00', '0.75',
                          '0.50', '0.75', '0.50'], line.split())


class TestPrintReport(testtools.TestCase):

    def _report(self, rounds):
        app = row([one_round(1.5, 1.5 + 0.01 * n) for n in range(rounds)],
                  **KEY)
        ceiling = row([one_round(0.5, 0.5 + 0.01 * n)
                       for n in range(rounds)], **KEY)
        report = a_report(rounds, [app, dict(
            KEY, scenario='agent_metadata', status='unavailable',
            reason='no agent', errors=0)], [ceiling])
        bench.add_ratios(report)
        report['targets'] = [{'check': 'CPU ms/request of show', 'value': 1.5,
                              'median': 1.51, 'target': 1,
                              'verdict': 'MISS'}]
        return report

    def test_rounds_table_marks_the_best_round(self):
        out = io.StringIO()
        bench.print_report(self._report(3), out)
        text = out.getvalue()
        self.assertIn('Targets (CPU: best of 3 rounds: the figure least '
                      'disturbed by other load; p99: median of the rounds\' '
                      'p99)', text)
        self.assertIn('1.50 (median 1.51) (target 1)', text)
        [line] = [line for line in text.splitlines()
                  if line.startswith('pg ') and '*' in line]
        self.assertEqual(['1.50*', '1.51', '1.52', '0.50*', '0.51', '0.52',
                          '0.0', '0.0', '0.0'], line.split()[5:])
        self.assertIn('agent_metadata      UNAVAILABLE: no agent', text)

    def test_one_round_has_no_rounds_table(self):
        out = io.StringIO()
        bench.print_report(self._report(1), out)
        text = out.getvalue()
        self.assertIn('Targets (CPU: best of 1 round: the figure', text)
        self.assertNotIn('Rounds,', text)
        self.assertNotIn('median 1.51', text)
