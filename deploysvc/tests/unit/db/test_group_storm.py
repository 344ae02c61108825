"""A storm of signals on one deployment group, from 16 threads.

Run on PostgreSQL and MariaDB with DEPLOYSVC_TEST_DB_URL (tools/
run_tests.py), on SQLite otherwise.  Every thread ends running children
of one group with max_concurrency 3 as fast as it can, several threads
often the same child at once.  The group's history, written under its
row's lock, is the recorded order of its transitions: replayed step by
step it must never have more than 3 children running, release each child
once, count each end once, release nothing after the group failed, and
agree with the counters at the end; the rollout must finish (no stall).
"""

import sqlalchemy as sa

from deploysvc.db import deployment_groups
from deploysvc.db import deployments
from deploysvc.db import engine as db_engine
from deploysvc.db import models
from deploysvc.db import runs
from deploysvc.tests import base
from deploysvc.tests.unit.db import groups_base
from deploysvc.tests import utils

_SD = models.SoftwareDeployment.__table__
THREADS = 16
CHILDREN = 60
CONCURRENCY = 3
# Rounds a thread may take: far more than the rollout needs (a round ends
# a child or finds another thread ended it), so a stall fails the test
# instead of hanging it.
ROUNDS = 20 * CHILDREN


def _running(group_id):
    return db_engine.read(lambda w: [row.id for row in w.execute(
        sa.select(_SD.c.id).where(_SD.c.group_id == group_id,
                                  _SD.c.group_state == runs.RELEASED)
        .order_by(_SD.c.group_ordinal))])


class TestGroupStorm(base.TestCase):

    database_threads = True

    def setUp(self):
        super().setUp()
        self.config_id = utils.create_test_config(self.context).id

    def storm(self, group, fail_every):
        def thread(i):
            ends = 0
            for n in range(ROUNDS):
                running = _running(group.id)
                if not running:
                    row = groups_base.group_row(group.id)
                    if row.status != 'IN_PROGRESS':
                        return ends
                    continue
                child = running[(i + n) % len(running)]
                status = ('FAILED' if (i * ROUNDS + n) % fail_every == 0
                          else 'COMPLETE')
                deployments.update(self.make_context(), child,
                                   {'status': status})
                ends += 1
                row = groups_base.group_row(group.id)
                # One read of the group row: a consistent snapshot.
                self.assertLessEqual(row.in_progress, CONCURRENCY)
                self.assertEqual(row.total, row.in_progress + (
                    row.total - row.released) + row.complete + row.failed
                    + row.cancelled)
            raise AssertionError('the rollout did not finish')
        results = utils.run_concurrently(THREADS, thread)
        errors = [r for kind, r in results if kind == 'error']
        self.assertEqual([], errors)

    def replay(self, group_id):
        """Check the recorded history step by step; the final counts."""
        events = list(reversed(deployment_groups.history(
            self.context, group_id, 100000)))
        running, released, ended = set(), set(), set()
        counts = {'complete': 0, 'failed': 0}
        failed_at = None
        for step, event in enumerate(events):
            where = (step, event.kind, event.deployment_id)
            if event.kind == 'RELEASED':
                self.assertIsNone(failed_at, where)
                self.assertNotIn(event.deployment_id, released, where)
                released.add(event.deployment_id)
                running.add(event.deployment_id)
            elif event.kind in ('CHILD_COMPLETE', 'CHILD_FAILED'):
                self.assertNotIn(event.deployment_id, ended, where)
                self.assertIn(event.deployment_id, running, where)
                ended.add(event.deployment_id)
                running.discard(event.deployment_id)
                counts['complete' if event.kind == 'CHILD_COMPLETE'
                       else 'failed'] += 1
            elif event.kind == 'FAILED':
                failed_at = step
            self.assertLessEqual(len(running), CONCURRENCY, where)
        return counts, failed_at

    def test_storm_completes(self):
        group = groups_base.create(self.context, self.config_id, CHILDREN,
                                   max_concurrency=CONCURRENCY,
                                   max_errors='50%')
        self.storm(group, fail_every=7)
        row = groups_base.check_invariant(self, group.id, statuses=False)
        counts, failed_at = self.replay(group.id)
        self.assertIsNone(failed_at)
        self.assertEqual(('COMPLETE', CHILDREN, counts['complete'],
                          counts['failed']),
                         (row.status, row.complete + row.failed,
                          row.complete, row.failed))

    def test_storm_stops_at_max_errors(self):
        group = groups_base.create(self.context, self.config_id, CHILDREN,
                                   max_concurrency=CONCURRENCY,
                                   max_errors=4)
        self.storm(group, fail_every=3)
        row = groups_base.check_invariant(self, group.id, statuses=False)
        counts, failed_at = self.replay(group.id)
        self.assertIsNotNone(failed_at)
        self.assertEqual(('FAILED', counts['complete'], counts['failed']),
                         (row.status, row.complete, row.failed))
        # Failed at the fifth error: at most the children then running
        # ended after it.
        self.assertLessEqual(row.failed, 4 + CONCURRENCY)
        self.assertEqual(CHILDREN, row.complete + row.failed + row.cancelled)
