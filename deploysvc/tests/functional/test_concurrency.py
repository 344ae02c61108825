"""Several API workers, many client threads, no lost update.

One test per backend: ``deploysvc-api`` with ``[api] workers = 4`` runs on
a database of its own, created on the server named by
``DEPLOYSVC_TEST_PG_URL`` or ``DEPLOYSVC_TEST_MYSQL_URL`` and migrated from
empty to head by ``deploysvc-manage db sync``; threads then fire requests
at it (noauth: each scenario works in projects of its own).  What "no lost
update" means here:

* quota edge: with a limit of L per project, M > L simultaneous creates
  give exactly L 200s and M - L 400 RequestLimitExceeded, the list holds
  exactly the L created objects, and the quota is neither leaked nor
  overdrawn afterwards (a delete frees exactly one slot);
* one deployment, many writers: THREADS threads each PUT ROUNDS times
  ``output_values`` and ``status_reason`` naming (thread, round).  Every
  answer shows exactly the values its own PUT wrote (no torn or foreign
  write), each thread sees ``updated_time`` never go back, and the final
  state is the last write of one of the threads;
* config delete racing a deployment create of that config: (204, 404) or
  (409, 200), never both successes; afterwards the config of every
  deployment exists;
* a bounded mixed load over a few projects, then every count is within
  its quota and the quota accounting is exact.

Across everything: not a single 500.  Deadlocks and serialization failures
are retried inside the server (oslo.db); the figures printed at the end
include how many retries its log shows.
"""

import collections
import concurrent.futures
import random
import re
import sys
import threading
import time

from testtools import content

from deploysvc.tests.functional import concurrency_base

ROUNDS = 12             # PUTs per thread on the shared deployment
# simultaneous creates at the quota edge
BURST = 3 * concurrency_base.QUOTA
RACES = 40              # config delete vs. deployment create
MIXED_SECONDS = 8       # the bounded mixed load
MIXED_PROJECTS = 3

RETRY_LOG = re.compile(r'Performing DB retry for function')

QUOTA_MESSAGE = ('Request limit exceeded: You have reached the maximum '
                 'software %(noun)ss per tenant, %(limit)d. Please delete '
                 'some %(noun)ss.')


class ConcurrencyTest(concurrency_base.ConcurrencyTestCase):

    # -- scenarios -----------------------------------------------------------

    def check_quota_edge(self, figures):
        # Configs: BURST simultaneous creates in an empty project.
        project = concurrency_base.new_project()
        results = concurrency_base.concurrently(
            BURST, lambda i: self.load.call(
                'POST', project, '/software_configs',
                {'name': 'q%d' % i, 'group': 'script', 'config': 'x'}))
        created = [r.body['software_config']['id'] for r in results
                   if r.status == 200]
        refused = [r for r in results if r.status != 200]
        self.assertEqual(concurrency_base.QUOTA, len(created),
                         [r.status for r in results])
        for response in refused:
            self.assertError(response, 400, 'RequestLimitExceeded',
                             QUOTA_MESSAGE % {'noun': 'config',
                                              'limit': concurrency_base.QUOTA})
        self.assertEqual(sorted(created),
                         sorted(self.list_ids(project, 'software_configs')))

        # Deployments: BURST simultaneous creates of one config's.
        config_id = created[0]
        results = concurrency_base.concurrently(
            BURST, lambda i: self.load.call(
                'POST', project, '/software_deployments',
                {'config_id': config_id, 'server_id': 'srv-%d' % i}))
        deployed = [r.body['software_deployment']['id'] for r in results
                    if r.status == 200]
        self.assertEqual(concurrency_base.QUOTA, len(deployed),
                         [r.status for r in results])
        for response in results:
            if response.status != 200:
                self.assertError(response, 400, 'RequestLimitExceeded',
                                 QUOTA_MESSAGE % {
                                     'noun': 'deployment',
                                     'limit': concurrency_base.QUOTA})
        self.assertEqual(sorted(deployed), sorted(
            self.list_ids(project, 'software_deployments')))

        # The accounting is exact: one delete frees exactly one slot.
        response = self.load.call('DELETE', project,
                                  '/software_deployments/' + deployed[0])
        self.assertEqual(204, response.status, response.body)
        results = concurrency_base.concurrently(3, lambda i: self.load.call(
            'POST', project, '/software_deployments',
            {'config_id': config_id, 'server_id': 'again-%d' % i}))
        self.assertEqual([200, 400, 400],
                         sorted(r.status for r in results))
        self.assertEqual(concurrency_base.QUOTA, len(self.list_ids(
            project, 'software_deployments')))
        figures['quota refusals'] = 2 * (BURST - concurrency_base.QUOTA) + 2

    def check_serialized_updates(self, figures):
        project = concurrency_base.new_project()
        config_id = self.create_config(project=project,
                                       config='echo cfg')['id']
        deployment_id = self.create_deployment(config_id, 'srv',
                                               project=project)['id']
        path = '/software_deployments/' + deployment_id

        def writer(thread):
            previous = None
            for seq in range(ROUNDS):
                values = {'thread': thread, 'seq': seq}
                reason = 'thread %d write %d' % (thread, seq)
                response = self.load.call(
                    'PUT', project, path,
                    {'output_values': values, 'status_reason': reason,
                     'status': 'COMPLETE' if seq % 2 else 'IN_PROGRESS'})
                self.assertEqual(200, response.status, response.body)
                shown = response.body['software_deployment']
                # The answer is this PUT's own write, whole.
                self.assertEqual(values, shown['output_values'])
                self.assertEqual(reason, shown['status_reason'])
                self.assertEqual('COMPLETE' if seq % 2 else 'IN_PROGRESS',
                                 shown['status'])
                updated = shown['updated_time']
                if previous is not None:
                    self.assertGreaterEqual(updated, previous)
                previous = updated
            return previous

        last_seen = concurrency_base.concurrently(concurrency_base.THREADS,
                                                  writer)
        response = self.load.call('GET', project, path)
        self.assertEqual(200, response.status, response.body)
        final = response.body['software_deployment']
        last_writes = [({'thread': thread, 'seq': ROUNDS - 1},
                        'thread %d write %d' % (thread, ROUNDS - 1))
                       for thread in range(concurrency_base.THREADS)]
        self.assertIn((final['output_values'], final['status_reason']),
                      last_writes)
        self.assertEqual('COMPLETE' if (ROUNDS - 1) % 2 else 'IN_PROGRESS',
                         final['status'])
        self.assertGreaterEqual(final['updated_time'], max(last_seen))
        self.assertEqual(config_id, final['config_id'])
        figures['serialized PUTs'] = concurrency_base.THREADS * ROUNDS

    def check_delete_create_race(self, figures):
        outcomes = collections.Counter()
        projects = []

        def race(i):
            project = concurrency_base.new_project()
            config_id = self.create_config(
                project=project, name='race-%d' % i,
                config='echo race-%d' % i)['id']
            delete, create = concurrency_base.concurrently(
                2, lambda side: self.load.call(
                    *(('DELETE', project, '/software_configs/' + config_id)
                      if side == 0 else
                      ('POST', project, '/software_deployments',
                       {'config_id': config_id, 'server_id': 'srv'}))))
            outcome = (delete.status, create.status)
            if outcome == (204, 404):
                self.assertError(create, 404, 'NotFound',
                                 'Software config with id %s not found'
                                 % config_id)
            else:
                self.assertEqual((409, 200), outcome,
                                 (delete.body, create.body))
                self.assertError(delete, 409, 'InvalidRestrictedAction',
                                 'Software config with id %s can not be '
                                 'deleted as it is referenced.' % config_id)
                self.assertEqual(
                    config_id, create.body['software_deployment'][
                        'config_id'])
            return project, outcome

        with concurrent.futures.ThreadPoolExecutor(
                concurrency_base.THREADS // 2) as pool:
            for project, outcome in pool.map(race, range(RACES)):
                outcomes[outcome] += 1
                projects.append(project)
        self.assertEqual(RACES, sum(outcomes.values()))
        self.assertEqual(set(), set(outcomes) - {(204, 404), (409, 200)})
        self.check_configs_exist(projects)
        figures['delete/create races (204,404)'] = outcomes[(204, 404)]
        figures['delete/create races (409,200)'] = outcomes[(409, 200)]

    def check_configs_exist(self, projects):
        """Every deployment of ``projects`` points at an existing config."""
        for project in projects:
            response = self.load.call('GET', project,
                                      '/software_deployments')
            self.assertEqual(200, response.status, response.body)
            for deployment in response.body['software_deployments']:
                shown = self.load.call(
                    'GET', project,
                    '/software_configs/' + deployment['config_id'])
                self.assertEqual(200, shown.status, shown.body)

    def check_mixed_load(self, figures):
        """Random creates, updates, deletes and lists for a bounded time."""
        projects = [concurrency_base.new_project()
                    for _ in range(MIXED_PROJECTS)]
        allowed = {'create_config': {200, 400},
                   'create_deployment': {200, 400, 404},
                   'update': {200, 404},
                   'delete_config': {204, 404, 409},
                   'delete_deployment': {204, 404},
                   'list': {200}}
        known = dict((p, {'configs': [], 'deployments': []})
                     for p in projects)
        lock = threading.Lock()
        deadline = time.monotonic() + MIXED_SECONDS
        unexpected = []

        def pick(project, kind):
            with lock:
                items = known[project][kind]
                return random.choice(items) if items else 'none'

        def remember(project, kind, item):
            with lock:
                known[project][kind].append(item)

        def worker(i):
            rnd = random.Random(i)
            count = 0
            while time.monotonic() < deadline:
                project = rnd.choice(projects)
                action = rnd.choice(sorted(allowed))
                if action == 'create_config':
                    response = self.load.call(
                        'POST', project, '/software_configs',
                        {'name': 'm%d' % count, 'group': 'script'})
                    if response.status == 200:
                        remember(project, 'configs',
                                 response.body['software_config']['id'])
                elif action == 'create_deployment':
                    response = self.load.call(
                        'POST', project, '/software_deployments',
                        {'config_id': pick(project, 'configs'),
                         'server_id': 'srv-%d' % rnd.randrange(3)})
                    if response.status == 200:
                        remember(project, 'deployments', response.body[
                            'software_deployment']['id'])
                elif action == 'update':
                    response = self.load.call(
                        'PUT', project, '/software_deployments/'
                        + pick(project, 'deployments'),
                        {'status': 'COMPLETE',
                         'output_values': {'by': i, 'n': count}})
                elif action == 'delete_config':
                    response = self.load.call(
                        'DELETE', project,
                        '/software_configs/' + pick(project, 'configs'))
                elif action == 'delete_deployment':
                    response = self.load.call(
                        'DELETE', project, '/software_deployments/'
                        + pick(project, 'deployments'))
                else:
                    response = self.load.call(
                        'GET', project, rnd.choice(
                            ['/software_configs', '/software_deployments',
                             '/software_deployments/metadata/srv-1']))
                if response.status not in allowed[action]:
                    unexpected.append((action, response.status,
                                       response.body))
                count += 1
            return count

        counts = concurrency_base.concurrently(concurrency_base.THREADS,
                                               worker)
        self.assertEqual([], unexpected)
        # Within quota, the config of every deployment exists, and the
        # accounting is exact: exactly the free slots can still be used.
        for project in projects:
            for collection, body in (
                    ('software_configs', {'name': 'fill'}),
                    ('software_deployments', None)):
                used = len(self.list_ids(project, collection))
                self.assertLessEqual(used, concurrency_base.QUOTA)
                if body is None:
                    body = {'config_id': self.list_ids(
                        project, 'software_configs')[0],
                        'server_id': 'fill'}
                for _ in range(concurrency_base.QUOTA - used):
                    response = self.load.call('POST', project,
                                              '/' + collection, body)
                    self.assertEqual(200, response.status, response.body)
                response = self.load.call('POST', project, '/' + collection,
                                          body)
                self.assertEqual(400, response.status, response.body)
                self.assertEqual('RequestLimitExceeded',
                                 response.body['error']['type'])
        self.check_configs_exist(projects)
        figures['mixed-load requests'] = sum(counts)

    # -- the tests -----------------------------------------------------------

    def hammer(self, env_name, backend):
        self.start(env_name)
        started = time.monotonic()
        figures = collections.OrderedDict()
        # The figures are reported whether the scenarios pass or not.
        self.addCleanup(self.report, backend, started, figures)
        self.check_quota_edge(figures)
        self.check_serialized_updates(figures)
        self.check_delete_create_race(figures)
        self.check_mixed_load(figures)
        self.server.stop()
        self.assertEqual([], self.load.failures)
        self.assertEqual(0, self.load.server_errors)
        self.assertNotIn('Traceback', self.server.log())

    def report(self, backend, started, figures):
        elapsed = time.monotonic() - started
        self.server.stop()
        retries = len(RETRY_LOG.findall(self.server.log()))
        lines = ['%s: %d requests in %.1f s, %d API workers, %d client '
                 'threads' % (backend, self.load.total, elapsed,
                              concurrency_base.WORKERS,
                              concurrency_base.THREADS)]
        lines += ['  %s: %s' % item for item in figures.items()]
        lines.append('  statuses: %s' % ', '.join(
            '%d x %d' % (n, status)
            for status, n in sorted(self.load.statuses.items())))
        lines.append('  conflicts retried by the server (oslo.db): %d'
                     % retries)
        lines.append('  500s: %d' % self.load.server_errors)
        report = '\n'.join(lines) + '\n'
        self.addDetail('figures', content.text_content(report))
        sys.stderr.write('\n' + report)
        sys.stderr.flush()

    def test_postgresql(self):
        self.hammer('DEPLOYSVC_TEST_PG_URL', 'PostgreSQL')

    def test_mariadb(self):
        self.hammer('DEPLOYSVC_TEST_MYSQL_URL', 'MariaDB')
