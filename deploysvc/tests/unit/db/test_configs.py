"""deploysvc.db.configs and quotas: CRUD, visibility, foreign keys."""

import types

from oslo_db import exception as db_exc
import sqlalchemy as sa

from deploysvc.db import configs
from deploysvc.db import deployments
from deploysvc.db import models
from deploysvc.db import quotas
from deploysvc import exception
from deploysvc.tests import base
from deploysvc.tests.unit.db import base as db_base
from deploysvc.tests import utils

NOW = db_base.NOW
STACK_USER_PROJECT = db_base.STACK_USER_PROJECT
THIRD_PROJECT = db_base.THIRD_PROJECT


class TestConfigs(db_base.DbTestCase):

    def test_create_and_get(self):
        row = utils.create_test_config(self.context, name='n', group=None,
                                       config={'configs': [1]})
        got = configs.get(self.context, row.id)
        self.assertEqual(
            (row.id, base.PROJECT, NOW, 'n', None, {'configs': [1]},
             [{'name': 'foo', 'type': 'String'}],
             [{'name': 'result', 'type': 'String', 'error_output': False}],
             {}),
            (got.id, got.project_id, got.created_at, got.name, got.group,
             got.config, got.inputs, got.outputs, got.options))

    def test_create_generates_distinct_ids(self):
        ids = set(utils.create_test_config(self.context).id
                  for _ in range(3))
        self.assertEqual(3, len(ids))

    def test_get_not_found(self):
        e = self.assertRaises(exception.ConfigNotFound, configs.get,
                              self.context, 'missing')
        self.assertEqual('Software config with id missing not found',
                         str(e))

    def test_get_other_project(self):
        row = utils.create_test_config(self.other_context)
        self.assertRaises(exception.ConfigNotFound, configs.get,
                          self.context, row.id)
        self.assertEqual(row.id,
                         configs.get(self.admin_context, row.id).id)

    def test_list_newest_first_with_paging(self):
        rows = []
        for _ in range(3):
            rows.append(utils.create_test_config(self.context))
            self.clock.advance_time_seconds(1)
        utils.create_test_config(self.other_context)
        ids = [r.id for r in reversed(rows)]
        self.assertEqual(ids, [r.id for r in configs.page(
            self.context, None)])
        self.assertEqual(ids[:2], [r.id for r in configs.page(
            self.context, 2)])
        self.assertEqual(ids[1:], [r.id for r in configs.page(
            self.context, None, marker=ids[0])])
        # An unknown marker is ignored (Heat's quirk for configs).
        self.assertEqual(ids, [r.id for r in configs.page(
            self.context, None, marker='missing')])

    def test_list_after_a_row(self):
        # Pages by the previous page's last row itself (a streamed list):
        # a deleted row still marks the place, where a marker would be
        # ignored and the list start again.
        rows = []
        for n in range(5):
            rows.append(utils.create_test_config(self.context))
            self.clock.advance_time_seconds(n % 2)
        expected = [r.id for r in configs.page(self.context, None)]
        seen, after = [], None
        while True:
            page = configs.page(self.context, 2, marker='ignored',
                                after=after)
            if not page:
                break
            seen.extend(r.id for r in page)
            after = page[-1]
            configs.delete(self.context, after.id)
        self.assertEqual(expected, seen)

    def test_list_all_projects(self):
        own = utils.create_test_config(self.context)
        self.clock.advance_time_seconds(1)
        foreign = utils.create_test_config(self.other_context)
        expected = [foreign.id, own.id]
        self.assertEqual(expected, [r.id for r in configs.page(
            self.context, None, all_projects=True)])
        self.assertEqual(expected, [r.id for r in configs.page(
            self.admin_context, None)])

    def test_delete(self):
        row = utils.create_test_config(self.context)
        configs.delete(self.context, row.id)
        self.assertRaises(exception.ConfigNotFound, configs.get,
                          self.context, row.id)
        self.assertRaises(exception.ConfigNotFound, configs.delete,
                          self.context, row.id)

    def test_delete_other_project(self):
        row = utils.create_test_config(self.other_context)
        self.assertRaises(exception.ConfigNotFound, configs.delete,
                          self.context, row.id)
        self.assertEqual(row.id,
                         configs.get(self.other_context, row.id).id)
        self.assertEqual(1, self.usage(quotas.CONFIGS, base.OTHER_PROJECT))

    def test_delete_referenced(self):
        row = utils.create_test_config(self.context)
        utils.create_test_deployment(self.context, config_id=row.id)
        e = self.assertRaises(exception.InvalidRestrictedAction,
                              configs.delete, self.context, row.id)
        self.assertEqual('Software config with id %s can not be deleted as '
                         'it is referenced.' % row.id, str(e))
        self.assertEqual(409, e.code)
        self.assertEqual(row.id, configs.get(self.context, row.id).id)
        # The rollback kept the quota usage.
        self.assertEqual(1, self.usage(quotas.CONFIGS))

    def test_delete_referenced_by_other_project(self):
        row = utils.create_test_config(self.context)
        utils.create_test_deployment(self.admin_context, config_id=row.id)
        self.assertRaises(exception.InvalidRestrictedAction,
                          configs.delete, self.context, row.id)


class TestForeignKeys(db_base.DbTestCase):
    """The RESTRICT foreign key also holds on SQLite."""

    def setUp(self):
        super().setUp()
        self.sc = utils.create_test_config(self.context)
        self.sd = utils.create_test_deployment(self.context,
                                               config_id=self.sc.id)

    def test_delete_referenced_config_row(self):
        sc = models.SoftwareConfig
        self.assertRaises(db_exc.DBReferenceError, self.write,
                          sa.delete(sc).where(sc.id == self.sc.id))

    def test_insert_deployment_of_missing_config(self):
        sd = models.SoftwareDeployment
        self.assertRaises(db_exc.DBReferenceError, self.write,
                          sa.insert(sd).values(
                              id='d', project_id='p', server_id='s',
                              config_id='missing', created_at=NOW))

    def test_update_deployment_to_missing_config(self):
        sd = models.SoftwareDeployment
        self.assertRaises(db_exc.DBReferenceError, self.write,
                          sa.update(sd).where(sd.id == self.sd.id)
                          .values(config_id='missing'))

    def test_api_delete_of_referenced_config(self):
        self.assertRaises(exception.InvalidRestrictedAction,
                          configs.delete, self.context, self.sc.id)

    def test_api_create_with_missing_config(self):
        e = self.assertRaises(
            exception.ConfigNotFound, deployments.create,
            self.context, utils.get_test_deployment(config_id='missing'))
        self.assertEqual('Software config with id missing not found', str(e))
        self.assertEqual([self.sd.id],
                         [r.id for r in deployments.page(self.context)])
        self.assertEqual(1, self.usage(quotas.DEPLOYMENTS))


class TestQuota(db_base.DbTestCase):

    message = ('Request limit exceeded: You have reached the maximum '
               'software %s per tenant, %d. Please delete some %s.')

    def setUp(self):
        super().setUp()
        self.sc = utils.create_test_config(self.context)

    def create(self, context=None, limit=2):
        context = context or self.context
        return deployments.create(
            context, utils.get_test_deployment(config_id=self.sc.id),
            limit=limit)

    def test_reserve_and_release(self):
        rows = [self.create() for _ in range(2)]
        self.assertEqual(2, self.usage(quotas.DEPLOYMENTS))
        e = self.assertRaises(exception.RequestLimitExceeded, self.create)
        self.assertEqual(self.message % ('deployments', 2, 'deployments'),
                         str(e))
        self.assertEqual(400, e.code)
        self.assertEqual(2, self.usage(quotas.DEPLOYMENTS))
        deployments.delete(self.context, rows[0].id)
        self.assertEqual(1, self.usage(quotas.DEPLOYMENTS))
        self.create()
        self.assertEqual(2, self.usage(quotas.DEPLOYMENTS))

    def test_config_quota(self):
        self.assertEqual(1, self.usage(quotas.CONFIGS))
        configs.create(self.context, utils.get_test_config(), limit=2)
        e = self.assertRaises(exception.RequestLimitExceeded,
                              configs.create, self.context,
                              utils.get_test_config(), limit=2)
        self.assertEqual(self.message % ('configs', 2, 'configs'), str(e))
        self.assertEqual(2, self.usage(quotas.CONFIGS))
        configs.delete(self.context, self.sc.id)
        self.assertEqual(1, self.usage(quotas.CONFIGS))

    def test_zero_limit(self):
        e = self.assertRaises(exception.RequestLimitExceeded, self.create,
                              limit=0)
        self.assertEqual(self.message % ('deployments', 0, 'deployments'),
                         str(e))
        self.assertIsNone(self.usage(quotas.DEPLOYMENTS))

    def test_unlimited_still_counts(self):
        for _ in range(3):
            self.create(limit=-1)
        self.assertEqual(3, self.usage(quotas.DEPLOYMENTS))

    def test_admin_exempt_but_counted(self):
        admin = self.make_context(roles=('admin',))
        for _ in range(3):
            self.create(context=admin, limit=1)
        self.assertEqual(3, self.usage(quotas.DEPLOYMENTS))
        self.assertRaises(exception.RequestLimitExceeded, self.create,
                          limit=3)

    def test_per_project(self):
        other_config = utils.create_test_config(self.other_context)
        deployments.create(
            self.other_context,
            utils.get_test_deployment(config_id=other_config.id), limit=1)
        self.create(limit=1)
        self.assertEqual(1, self.usage(quotas.DEPLOYMENTS,
                                       base.OTHER_PROJECT))
        self.assertEqual(1, self.usage(quotas.DEPLOYMENTS))

    def test_failed_create_does_not_count(self):
        self.create()
        self.assertRaises(exception.ConfigNotFound, deployments.create,
                          self.context,
                          utils.get_test_deployment(config_id='missing'),
                          limit=2)
        self.assertEqual(1, self.usage(quotas.DEPLOYMENTS))

    def test_quota_is_checked_before_the_config(self):
        """A full quota and an unusable config: the quota error, as before."""
        self.create()
        self.create()
        for config_id in ('missing', utils.create_test_config(
                self.other_context).id):
            self.assertRaises(
                exception.RequestLimitExceeded, deployments.create,
                self.context, utils.get_test_deployment(config_id=config_id),
                limit=2)
        self.assertEqual(2, self.usage(quotas.DEPLOYMENTS))

    def test_other_projects_config_takes_no_slot(self):
        other = utils.create_test_config(self.other_context)
        self.create()
        self.assertRaises(exception.ConfigNotFound, deployments.create,
                          self.context,
                          utils.get_test_deployment(config_id=other.id),
                          limit=5)
        self.assertEqual(1, self.usage(quotas.DEPLOYMENTS))

    def test_first_create_of_a_project_counts(self):
        """No quota row yet: the one-statement path falls back, once."""
        self.assertIsNone(self.usage(quotas.DEPLOYMENTS))
        self.create()
        self.assertEqual(1, self.usage(quotas.DEPLOYMENTS))
        admin = self.make_context(roles=('admin', 'member', 'reader'))
        deployments.create(
            admin, utils.get_test_deployment(config_id=self.sc.id), limit=1)
        self.assertEqual(2, self.usage(quotas.DEPLOYMENTS))

    def test_row_created_meanwhile_starts_over(self):
        # The conditional UPDATE found no row of the project; the read
        # after it finds the row another transaction has just committed.
        for in_use, error in ((1, db_exc.RetryRequest),
                              (2, exception.RequestLimitExceeded)):
            answers = iter([types.SimpleNamespace(rowcount=0),
                            types.SimpleNamespace(scalar=lambda: in_use)])
            work = types.SimpleNamespace(
                execute=lambda *args: next(answers))
            self.assertRaises(error, quotas.take, work, self.context,
                              quotas.CONFIGS, 2)
