"""Deployment groups: the rules of a rollout, on every database.

See doc/source/user/deployment-groups.rst.
"""

import datetime

import ddt

from deploysvc.db import deployment_groups
from deploysvc.db import deployments
from deploysvc.db import groups
from deploysvc.db import lifecycle
from deploysvc.db import quotas
from deploysvc.db import runs
from deploysvc import exception
from deploysvc.tests import base
from deploysvc.tests.unit.db import base as db_base
from deploysvc.tests.unit.db import groups_base
from deploysvc.tests import utils


@ddt.ddt
class TestResolve(base.TestCase):
    """Limits as numbers or percentages of the group's size."""

    @ddt.data(
        # (kind, spec, servers, resolved)
        ('max_concurrency', 3, 10, 3),
        ('max_concurrency', 30, 10, 10),        # never more than the group
        ('max_concurrency', '25%', 10, 3),      # 2.5 rounds up
        ('max_concurrency', '1%', 10, 1),       # 0.1 rounds up
        ('max_concurrency', '0%', 10, 1),       # at least one at a time
        ('max_concurrency', '100%', 7, 7),
        ('max_concurrency', '50%', 1, 1),
        ('max_errors', 0, 10, 0),
        ('max_errors', 2, 10, 2),
        ('max_errors', '25%', 10, 2),           # 2.5 rounds down
        ('max_errors', '5%', 10, 0),            # 0.5 rounds down
        ('max_errors', '0%', 10, 0),
        ('max_errors', '100%', 10, 10),
        ('max_errors', '10%', 10000, 1000),
    )
    @ddt.unpack
    def test_resolve(self, kind, spec, total, resolved):
        self.assertEqual((str(spec), resolved),
                         groups.resolve(spec, total, kind))

    @ddt.data('101%', '-1%', '%', '5', '1.5%', ' 5%', '05%x')
    def test_invalid_percentage(self, spec):
        self.assertRaises(exception.BadRequest, groups.resolve, spec, 10,
                          'max_errors')


class TestGroups(db_base.DbTestCase):
    """Waves, errors, the end of a rollout, cancel and delete."""

    def setUp(self):
        super().setUp()
        self.config_id = utils.create_test_config(self.context).id

    def create(self, count, **kw):
        group = groups_base.create(self.context, self.config_id, count, **kw)
        groups_base.check_invariant(self, group.id)
        return group

    def end(self, child, status='COMPLETE'):
        deployments.update(self.context, child.id, {'status': status})

    def released(self, group_id):
        return [row for row in groups_base.children(group_id)
                if row.group_state == runs.RELEASED]

    def test_create_releases_the_first_wave(self):
        group = self.create(5, max_concurrency=2)
        self.assertEqual(
            {(runs.RELEASED, runs.IN_PROGRESS): 2,
             (runs.PENDING, runs.IN_PROGRESS): 3},
            dict(groups_base.states(group.id)))
        first = groups_base.children(group.id)[0]
        self.assertEqual(('server-0000', 1, groups.IN_PROGRESS),
                         (first.server_id, first.group_ordinal + 1,
                          group.status))
        # Only the released children are in their server's document.
        self.assertEqual(1, len(deployments.served(base.PROJECT,
                                                   'server-0000')))
        self.assertEqual([], deployments.served(base.PROJECT, 'server-0004'))
        self.assertEqual(5, self.usage(quotas.DEPLOYMENTS))

    def test_each_end_releases_the_next(self):
        group = self.create(4, max_concurrency=2)
        order = []
        while True:
            running = self.released(group.id)
            if not running:
                break
            order.append(running[0].server_id)
            self.end(running[0])
            groups_base.check_invariant(self, group.id)
        self.assertEqual(['server-%04d' % i for i in range(4)], order)
        row = groups_base.group_row(group.id)
        self.assertEqual(('COMPLETE', groups.ALL_ENDED, 4, 0),
                         (row.status, row.status_reason_code, row.complete,
                          row.failed))

    def test_errors_up_to_max_errors_go_on(self):
        # max_errors reached exactly: the rollout goes on and completes.
        group = self.create(4, max_concurrency=1, max_errors=2)
        for status in ('FAILED', 'FAILED', 'COMPLETE', 'COMPLETE'):
            self.end(self.released(group.id)[0], status)
            row = groups_base.check_invariant(self, group.id)
        self.assertEqual(('COMPLETE', 2, 2), (row.status, row.complete,
                                              row.failed))

    def test_one_error_more_fails_the_group(self):
        group = self.create(5, max_concurrency=2, max_errors=1)
        first, second = self.released(group.id)
        self.end(first, 'FAILED')
        row = groups_base.check_invariant(self, group.id)
        self.assertEqual(groups.IN_PROGRESS, row.status)
        third = self.released(group.id)[-1]
        self.end(second, 'FAILED')
        row = groups_base.check_invariant(self, group.id)
        self.assertEqual(('FAILED', groups.MAX_ERRORS_EXCEEDED, 2, 2),
                         (row.status, row.status_reason_code, row.failed,
                          row.cancelled))
        self.assertIn('Deployment %s on server %s failed' % (
            second.id, second.server_id), row.status_reason)
        # The one still running goes on and is counted; nothing else is
        # released.
        self.assertEqual([third.id],
                         [r.id for r in self.released(group.id)])
        self.end(third)
        row = groups_base.check_invariant(self, group.id)
        self.assertEqual(('FAILED', 1, 0), (row.status, row.complete,
                                            row.in_progress))
        self.assertEqual([], self.released(group.id))

    def test_max_errors_zero_stops_at_the_first_error(self):
        group = self.create(3, max_concurrency=1, max_errors=0)
        self.end(self.released(group.id)[0], 'FAILED')
        row = groups_base.check_invariant(self, group.id)
        self.assertEqual(('FAILED', 0, 2), (row.status, row.in_progress,
                                            row.cancelled))
        reasons = {(child.status, child.status_reason_code)
                   for child in groups_base.children(group.id)[1:]}
        self.assertEqual({('FAILED', runs.CANCELLED)}, reasons)

    def test_a_deadline_is_an_error_and_releases_the_next(self):
        group = self.create(2, max_concurrency=1, max_errors=1,
                            delivery_timeout=60)
        pending = groups_base.children(group.id)[1]
        # No deadline before its wave.
        self.assertIsNone(pending.deadline_at)
        self.clock.advance_time_delta(datetime.timedelta(seconds=61))
        row = deployment_groups.get(self.context, group.id)
        self.assertEqual((1, 1), (row.failed, row.in_progress))
        first, second = groups_base.children(group.id)
        self.assertEqual(runs.TIMED_OUT_DELIVERY, first.status_reason_code)
        # The second's deadline counts from its release.
        self.assertEqual(db_base.NOW + datetime.timedelta(seconds=121),
                         second.deadline_at)
        groups_base.check_invariant(self, group.id)

    def test_cancel_of_one_child_counts_as_an_error(self):
        group = self.create(3, max_concurrency=1, max_errors=1)
        lifecycle.cancel(self.context, self.released(group.id)[0].id)
        row = groups_base.check_invariant(self, group.id)
        self.assertEqual((groups.IN_PROGRESS, 1, 1),
                         (row.status, row.failed, row.in_progress))

    def test_an_update_of_a_pending_child_counts_once(self):
        group = self.create(3, max_concurrency=1, max_errors=0)
        pending = groups_base.children(group.id)[2]
        self.end(pending)
        row = groups_base.check_invariant(self, group.id)
        self.assertEqual((1, 2, 1), (row.complete, row.released,
                                     row.in_progress))
        # A re-run after its end is the child's own business.
        deployments.update(self.context, pending.id,
                           {'status': 'IN_PROGRESS'})
        self.end(pending, 'FAILED')
        row = groups_base.group_row(group.id)
        self.assertEqual((groups.IN_PROGRESS, 1, 0),
                         (row.status, row.complete, row.failed))

    def test_cancel_while_children_run(self):
        group = self.create(6, max_concurrency=2)
        running = self.released(group.id)
        row = deployment_groups.cancel(self.context, group.id)
        self.assertEqual(('CANCELLED', runs.CANCELLED, 0, 2, 4),
                         (row.status, row.status_reason_code, row.in_progress,
                          row.failed, row.cancelled))
        groups_base.check_invariant(self, group.id)
        for child in groups_base.children(group.id):
            self.assertEqual(('FAILED', runs.CANCELLED),
                             (child.status, child.status_reason_code))
        # Cancelled before delivery: out of the document.
        self.assertEqual([], deployments.served(base.PROJECT,
                                                running[0].server_id))
        self.assertRaises(exception.Conflict, deployment_groups.cancel,
                          self.context, group.id)

    def test_delete_refused_while_in_progress_unless_forced(self):
        group = self.create(3, max_concurrency=1)
        self.assertRaises(exception.Conflict, deployment_groups.delete,
                          self.context, group.id)
        self.assertRaises(exception.Conflict, deployments.delete,
                          self.context, self.released(group.id)[0].id)
        deployment_groups.delete(self.context, group.id, force=True)
        self.assertEqual([], groups_base.children(group.id))
        self.assertEqual(0, self.usage(quotas.DEPLOYMENTS))
        self.assertRaises(exception.GroupNotFound, deployment_groups.get,
                          self.context, group.id)

    def test_delete_an_ended_group(self):
        group = self.create(1)
        self.end(self.released(group.id)[0])
        deployment_groups.delete(self.context, group.id)
        self.assertEqual(0, self.usage(quotas.DEPLOYMENTS))

    def test_quota_refuses_a_group_up_front(self):
        utils.create_test_deployment(self.context, config_id=self.config_id)
        error = self.assertRaises(
            exception.RequestLimitExceeded, groups_base.create, self.context,
            self.config_id, 4, limit=4)
        self.assertIn('A deployment group of 4 servers needs 4 software '
                      'deployments; the project has 1 of its maximum 4',
                      str(error))
        self.assertEqual(1, self.usage(quotas.DEPLOYMENTS))
        self.assertEqual([], deployment_groups.page(self.context))
        groups_base.create(self.context, self.config_id, 3, limit=4)
        self.assertEqual(4, self.usage(quotas.DEPLOYMENTS))

    def test_other_projects_see_nothing(self):
        group = self.create(2)
        self.assertRaises(exception.GroupNotFound, deployment_groups.get,
                          self.other_context, group.id)
        self.assertRaises(exception.GroupNotFound, deployment_groups.cancel,
                          self.other_context, group.id)
        self.assertRaises(exception.GroupNotFound, deployment_groups.children,
                          self.other_context, group.id)
        self.assertEqual([], deployment_groups.page(self.other_context))
        self.assertEqual([group.id], [g.id for g in deployment_groups.page(
            self.admin_context)])

    def test_children_and_groups_page(self):
        group = self.create(5, max_concurrency=2)
        self.end(self.released(group.id)[0])
        ids = [c.id for c in groups_base.children(group.id)]
        page = deployment_groups.children(self.context, group.id, limit=2)
        self.assertEqual(ids[:2], [c.id for c in page])
        page = deployment_groups.children(self.context, group.id, limit=2,
                                          marker=ids[1])
        self.assertEqual(ids[2:4], [c.id for c in page])
        self.assertEqual([ids[0]], [c.id for c in deployment_groups.children(
            self.context, group.id, status='COMPLETE')])
        self.assertRaises(exception.BadRequest, deployment_groups.children,
                          self.context, group.id, marker='nope')
        self.clock.advance_time_delta(datetime.timedelta(seconds=1))
        other = self.create(1)
        self.assertEqual([group.id, other.id], [
            g.id for g in deployment_groups.page(self.context)])
        self.assertEqual([other.id], [g.id for g in deployment_groups.page(
            self.context, marker=group.id)])
        self.assertEqual([], deployment_groups.page(self.context,
                                                    status='COMPLETE'))

    def test_history(self):
        group = self.create(2, max_concurrency=1)
        self.end(self.released(group.id)[0], 'FAILED')
        kinds = [(e.kind, e.status_to) for e in reversed(
            deployment_groups.history(self.context, group.id, 50))]
        self.assertEqual([('CREATED', 'IN_PROGRESS'),
                          ('RELEASED', 'IN_PROGRESS'),
                          ('CHILD_FAILED', 'FAILED'),
                          ('FAILED', 'FAILED')], kinds)
