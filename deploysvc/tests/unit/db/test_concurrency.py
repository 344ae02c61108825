"""deploysvc.db from several threads on one database.

Quotas stay exact, no update is lost, racing deletes each succeed once.
"""

from deploysvc.db import configs
from deploysvc.db import deployments
from deploysvc.db import quotas
from deploysvc import exception
from deploysvc.tests import base
from deploysvc.tests.unit.db import base as db_base
from deploysvc.tests import utils


class TestConcurrency(base.TestCase):
    """Threads on one database: quotas and no lost updates, no sleeps.

    See doc/source/contributor/behaviour.rst, behaviour-quotas and
    behaviour-concurrency.
    """

    threads = 6
    database_threads = True

    def setUp(self):
        super().setUp()
        self.sc = utils.create_test_config(self.context)

    def run_threads(self, func, count):
        return utils.run_concurrently(count, func)

    def test_deployment_quota_never_exceeded(self):
        limit = 3

        def create(i):
            return deployments.create(
                self.make_context(),
                utils.get_test_deployment(config_id=self.sc.id), limit=limit)

        results = self.run_threads(create, self.threads)
        created = [r for kind, r in results if kind == 'ok']
        errors = [r for kind, r in results if kind == 'error']
        self.assertEqual(limit, len(created), errors)
        self.assertEqual(self.threads - limit, len(errors))
        for error in errors:
            self.assertIsInstance(error, exception.RequestLimitExceeded)
        self.assertEqual(sorted(r.id for r in created), sorted(
            r.id for r in deployments.page(self.context)))

    def test_config_quota_never_exceeded(self):
        limit = 4

        def create(i):
            return configs.create(
                self.make_context(base.OTHER_PROJECT),
                utils.get_test_config(name='c%d' % i), limit=limit)

        results = self.run_threads(create, self.threads)
        kinds = sorted(kind for kind, _ in results)
        self.assertEqual(['error'] * (self.threads - limit) + ['ok'] * limit,
                         kinds, results)
        for kind, result in results:
            if kind == 'error':
                self.assertIsInstance(result, exception.RequestLimitExceeded)
        self.assertEqual(limit, len(configs.page(
            self.make_context(base.OTHER_PROJECT), None)))

    def test_concurrent_updates_serialize(self):
        row = utils.create_test_deployment(self.context,
                                           config_id=self.sc.id)
        rounds = 2

        def update(i):
            returned = []
            for n in range(rounds):
                returned.append(deployments.update(
                    self.make_context(), row.id,
                    {'output_values': {'writer': i, 'round': n},
                     'status_reason': 'writer %d round %d' % (i, n)}))
            return [(r.updated_at, r.output_values, r.status_reason)
                    for r in returned]

        results = self.run_threads(update, self.threads)
        self.assertEqual(['ok'] * self.threads, [k for k, _ in results],
                         results)
        updates = sorted(u for _, thread in results for u in thread)
        times = [u[0] for u in updates]
        # Every update got its own, strictly increasing time ...
        self.assertEqual(self.threads * rounds, len(set(times)))
        # ... each thread's own updates in its order ...
        for _, thread in results:
            self.assertEqual(sorted(thread), thread)
        # ... and the row holds what the last update wrote, nothing mixed.
        final = deployments.get(self.context, row.id)
        self.assertEqual(updates[-1],
                         (final.updated_at, final.output_values,
                          final.status_reason))
        for _, outputs, reason in updates:
            self.assertEqual('writer %(writer)d round %(round)d' % outputs,
                             reason)

    def test_concurrent_deletes(self):
        rows = [utils.create_test_deployment(self.context,
                                             config_id=self.sc.id)
                for _ in range(self.threads)]

        def delete(i):
            # Two threads race for each of half of the rows.
            deployments.delete(self.make_context(), rows[i // 2].id)

        results = self.run_threads(delete, self.threads)
        errors = [r for kind, r in results if kind == 'error']
        self.assertEqual(self.threads // 2, len(errors), results)
        for error in errors:
            self.assertIsInstance(error, exception.DeploymentNotFound)
        remaining = self.threads - self.threads // 2
        self.assertEqual(remaining, len(deployments.page(
            self.context)))
        self.assertEqual(remaining, db_base.usage(quotas.DEPLOYMENTS))
