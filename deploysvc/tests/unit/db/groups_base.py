"""What the deployment group tests share: a group, its children, the
invariant of a rollout."""

import collections

import sqlalchemy as sa

from deploysvc.db import deployment_groups
from deploysvc.db import engine as db_engine
from deploysvc.db import models
from deploysvc.db import runs

_SD = models.SoftwareDeployment.__table__
_GROUP = models.SoftwareDeploymentGroup.__table__


def servers(count, prefix='server'):
    return [('%s-%04d' % (prefix, i), None) for i in range(count)]


def create(context, config_id, count, max_concurrency=1, max_errors=0,
           limit=-1, **values):
    values = dict(values, config_id=config_id,
                  max_concurrency=max_concurrency, max_errors=max_errors)
    return deployment_groups.create(context, values, servers(count),
                                    limit=limit)


def children(group_id):
    """The group's children in order, straight from the table."""
    return db_engine.read(lambda w: [
        models.Deployment._make(row) for row in w.execute(
            sa.select(*_SD.c).where(_SD.c.group_id == group_id)
            .order_by(_SD.c.group_ordinal))])


def group_row(group_id):
    return db_engine.read(lambda w: models.Group._make(w.execute(
        sa.select(*_GROUP.c).where(_GROUP.c.id == group_id)).first()))


def states(group_id):
    """Children by (group_state, status)."""
    return collections.Counter(
        (row.group_state, row.status) for row in children(group_id))


def check_invariant(test, group_id, statuses=True):
    """The group's counters agree with its children, and its limits hold.

    ``statuses``: whether the children still have the status they ended
    with (false when they were updated again after their end, which the
    group does not count).  Returns the group row.
    """
    group = group_row(group_id)
    rows = children(group_id)
    by_state = collections.Counter(row.group_state for row in rows)
    ended = [row for row in rows if row.group_state == runs.ENDED]
    test.assertEqual(group.total, len(rows))
    test.assertEqual(by_state[runs.RELEASED], group.in_progress)
    test.assertLessEqual(group.in_progress, group.max_concurrency)
    test.assertEqual(group.total - by_state[runs.PENDING], group.released)
    if statuses:
        test.assertEqual(sum(1 for row in ended if row.status == 'COMPLETE'),
                         group.complete)
    test.assertEqual(len(ended),
                     group.complete + group.failed + group.cancelled)
    for row in rows:
        if row.group_state == runs.PENDING:
            test.assertEqual((runs.IN_PROGRESS, runs.NOT_RELEASED, None),
                             (row.status, row.status_reason_code,
                              row.deadline_at))
            test.assertFalse(runs.is_served(row))
        elif row.group_state == runs.RELEASED:
            test.assertEqual(runs.IN_PROGRESS, row.status)
        else:
            test.assertNotEqual(runs.IN_PROGRESS, row.status)
    if group.status == 'COMPLETE':
        test.assertEqual(group.total, len(ended))
        test.assertLessEqual(group.failed, group.max_errors)
    if group.status == 'FAILED':
        test.assertGreater(group.failed, group.max_errors)
        test.assertEqual(0, by_state[runs.PENDING])
    return group
