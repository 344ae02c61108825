"""deploysvc.db.deployments: CRUD, visibility, lists, concurrency."""

import datetime

import ddt

from deploysvc.db import configs
from deploysvc.db import deployments
from deploysvc.db import quotas
from deploysvc import exception
from deploysvc.tests import base
from deploysvc.tests.unit.db import base as db_base
from deploysvc.tests import utils

NOW = db_base.NOW
STACK_USER_PROJECT = db_base.STACK_USER_PROJECT
THIRD_PROJECT = db_base.THIRD_PROJECT


class TestDeployments(db_base.DbTestCase):

    def setUp(self):
        super().setUp()
        self.sc = utils.create_test_config(self.context)

    def create(self, context=None, **kw):
        context = context or self.context
        config_id = kw.pop('config_id', None)
        if config_id is None and context is self.context:
            config_id = self.sc.id
        return utils.create_test_deployment(context, config_id=config_id,
                                            **kw)

    def test_create_and_get(self):
        row = self.create(input_values={'a': [1]},
                          stack_user_project_id=STACK_USER_PROJECT)
        got = deployments.get(self.context, row.id)
        self.assertEqual(
            (row.id, base.PROJECT, STACK_USER_PROJECT,
             'ec14c864-096e-4e27-bb8a-2c2b4dc6f3f5', self.sc.id,
             {'a': [1]}, None, 'CREATE', 'IN_PROGRESS',
             'Deploy data available', NOW, None),
            (got.id, got.project_id, got.stack_user_project_id,
             got.server_id, got.config_id, got.input_values,
             got.output_values, got.action, got.status, got.status_reason,
             got.created_at, got.updated_at))
        self.assertEqual(self.sc.id, got.config_id)

    def test_create_with_other_projects_config(self):
        foreign = utils.create_test_config(self.other_context)
        self.assertRaises(exception.ConfigNotFound, deployments.create,
                          self.context,
                          utils.get_test_deployment(config_id=foreign.id))
        row = deployments.create(
            self.admin_context,
            utils.get_test_deployment(config_id=foreign.id))
        self.assertEqual((foreign.id, base.PROJECT),
                         (row.config_id, row.project_id))

    def test_get_not_found(self):
        e = self.assertRaises(exception.DeploymentNotFound,
                              deployments.get, self.context, 'missing')
        self.assertEqual('Deployment with id missing not found', str(e))

    def test_visibility(self):
        # Through stack_user_project_id only the stack users of that
        # project see it, and only to read it (behaviour-visibility).
        row = self.create(stack_user_project_id=STACK_USER_PROJECT)
        member = self.make_context(STACK_USER_PROJECT)
        stack_user = self.make_context(STACK_USER_PROJECT,
                                       roles=('heat_stack_user',))
        for context in (self.other_context, member):
            self.assertRaises(exception.DeploymentNotFound,
                              deployments.get, context, row.id)
        for context in (stack_user,
                        self.make_context(base.OTHER_PROJECT,
                                          roles=('admin',))):
            self.assertEqual(row.id,
                             deployments.get(context, row.id).id)
        for context in (member, stack_user):
            self.assertRaises(exception.DeploymentNotFound,
                              deployments.update, context, row.id,
                              {'status': 'FAILED'})
            self.assertRaises(exception.DeploymentNotFound,
                              deployments.delete, context, row.id)
            self.assertEqual([], deployments.page(context))
        self.assertEqual('IN_PROGRESS',
                         deployments.get(self.context, row.id).status)

    def test_update(self):
        row = self.create(output_values={'old': 1})
        new = utils.create_test_config(self.context)
        self.clock.advance_time_seconds(5)
        updated = deployments.update(
            self.context, row.id,
            {'config_id': new.id, 'output_values': {'new': 2},
             'status': 'COMPLETE', 'status_reason': 'Outputs received'})
        got = deployments.get(self.context, row.id)
        for r in (updated, got):
            self.assertEqual(
                (new.id, {'new': 2}, 'COMPLETE', 'Outputs received',
                 NOW + datetime.timedelta(seconds=5), NOW, {}),
                (r.config_id, r.output_values, r.status,
                 r.status_reason, r.updated_at, r.created_at,
                 r.input_values))

    def test_update_time_strictly_increases(self):
        row = self.create()
        times = [deployments.update(self.context, row.id, {}).updated_at
                 for _ in range(3)]
        tick = datetime.timedelta(microseconds=1)
        self.assertEqual([NOW, NOW + tick, NOW + 2 * tick], times)
        self.clock.advance_time_seconds(-60)
        self.assertEqual(
            NOW + 3 * tick,
            deployments.update(self.context, row.id, {}).updated_at)

    def test_update_unknown_config_rolls_back(self):
        row = self.create()
        self.assertRaises(exception.ConfigNotFound, deployments.update,
                          self.context, row.id,
                          {'config_id': 'missing', 'status': 'FAILED'})
        got = deployments.get(self.context, row.id)
        self.assertEqual((self.sc.id, 'IN_PROGRESS', None),
                         (got.config_id, got.status, got.updated_at))

    def test_update_other_projects_config(self):
        row = self.create()
        foreign = utils.create_test_config(self.other_context)
        self.assertRaises(exception.ConfigNotFound, deployments.update,
                          self.context, row.id, {'config_id': foreign.id})

    def test_update_not_visible(self):
        row = self.create()
        for deployment_id, context in (('missing', self.context),
                                       (row.id, self.other_context)):
            self.assertRaises(exception.DeploymentNotFound,
                              deployments.update, context,
                              deployment_id, {'status': 'FAILED'})
        self.assertIsNone(deployments.get(self.context, row.id).updated_at)

    def test_delete(self):
        row = self.create()
        deployments.delete(self.context, row.id)
        self.assertRaises(exception.DeploymentNotFound,
                          deployments.get, self.context, row.id)
        self.assertRaises(exception.DeploymentNotFound,
                          deployments.delete, self.context, row.id)
        # The config stays and can now be deleted.
        configs.delete(self.context, self.sc.id)

    def test_delete_other_project(self):
        row = self.create()
        self.assertRaises(exception.DeploymentNotFound,
                          deployments.delete, self.other_context,
                          row.id)
        self.assertEqual(row.id, deployments.get(self.context, row.id).id)
        self.assertEqual(1, self.usage(quotas.DEPLOYMENTS))

    def test_delete_by_stack_user_project_refused_quota_kept(self):
        row = self.create(stack_user_project_id=STACK_USER_PROJECT)
        self.assertRaises(exception.DeploymentNotFound, deployments.delete,
                          self.make_context(STACK_USER_PROJECT), row.id)
        self.assertEqual(1, self.usage(quotas.DEPLOYMENTS))
        self.assertIsNone(self.usage(quotas.DEPLOYMENTS, STACK_USER_PROJECT))

    def test_server_config_ids(self):
        named_b = utils.create_test_config(self.context, name='b')
        named_a = utils.create_test_config(self.context, name='a')
        unnamed = utils.create_test_config(self.context, name=None)
        d1 = self.create(config_id=named_b.id)
        self.clock.advance_time_seconds(1)
        d2 = self.create(config_id=unnamed.id)
        self.create(config_id=named_a.id)
        self.clock.advance_time_seconds(1)
        self.create(config_id=unnamed.id)
        self.create(config_id=named_a.id, server_id='other')
        self.create(context=self.other_context)
        # (name or "", created_at, id): d2, d4, d3, d1.
        config_ids, undelivered = deployments.server_config_ids(
            self.context, d1.server_id)
        self.assertEqual([unnamed.id, unnamed.id, named_a.id, named_b.id],
                         config_ids)
        # None was fetched by an agent yet.
        self.assertEqual(4, len(undelivered))
        self.assertEqual(([], []), deployments.server_config_ids(
            self.context, 'unknown'))
        # The other project's deployment on that server is its own only.
        theirs, _ = deployments.server_config_ids(self.other_context,
                                                  d2.server_id)
        self.assertEqual(1, len(theirs))
        self.assertNotIn(theirs[0], (unnamed.id, named_a.id, named_b.id))
        self.assertEqual(
            sorted([named_a.id, named_b.id]),
            sorted(row.id for row in configs.by_ids(
                [named_b.id, named_a.id, named_a.id, 'missing'])))


@ddt.ddt
class TestDeploymentList(db_base.DbTestCase):

    def setUp(self):
        super().setUp()
        self.sc = utils.create_test_config(self.context)
        # Nullable sort keys get NULLs; created_at values repeat.
        specs = [('s1', 'CREATE', 'COMPLETE'), ('s2', None, None),
                 ('s1', 'UPDATE', None), ('s2', 'CREATE', 'FAILED'),
                 ('s1', None, 'COMPLETE'), ('s2', 'DELETE', 'IN_PROGRESS')]
        self.rows = []
        for i, (server, action, status) in enumerate(specs):
            self.rows.append(utils.create_test_deployment(
                self.context, config_id=self.sc.id, server_id=server,
                action=action, status=status))
            if i % 2:
                self.clock.advance_time_seconds(1)
        for i in (1, 4):
            self.clock.advance_time_seconds(1)
            self.rows[i] = deployments.update(self.context,
                                              self.rows[i].id, {})
        utils.create_test_deployment(self.other_context)

    def ids(self, **kw):
        return [r.id for r in deployments.page(self.context, **kw)]

    def test_default_order(self):
        expected = [r.id for r in sorted(
            self.rows, key=lambda r: (r.created_at, r.id))]
        self.assertEqual(expected, self.ids())

    @ddt.data(*[(key, direction)
                for key in ('created_at', 'updated_at', 'id', 'status',
                            'action', 'server_id')
                for direction in ('asc', 'desc')])
    @ddt.unpack
    def test_sort_and_page(self, key, direction):
        column = {'creation_time': 'created_at',
                  'updated_time': 'updated_at'}.get(key, key)

        def sort_key(row):
            # NULL is the smallest value.
            value = getattr(row, column)
            return (value is not None, value or '', row.id)

        expected = [r.id for r in sorted(self.rows, key=sort_key,
                                         reverse=direction == 'desc')]
        self.assertEqual(expected, self.ids(sort_key=key,
                                            sort_dir=direction))
        pages = []
        marker = None
        for _ in range(len(self.rows) + 1):
            page = self.ids(sort_key=key, sort_dir=direction, limit=1,
                            marker=marker)
            if not page:
                break
            pages.extend(page)
            marker = page[-1]
        self.assertEqual(expected, pages)

    @ddt.data(*[(key, direction)
                for key in ('created_at', 'updated_at', 'id', 'status',
                            'action', 'server_id')
                for direction in ('asc', 'desc')])
    @ddt.unpack
    def test_page_after_a_row(self, key, direction):
        # Pages by the previous page's last row itself, as a whole list is
        # streamed: no lookup, so deleting that row changes nothing.
        expected = self.ids(sort_key=key, sort_dir=direction)
        pages, gone = [], []
        after = None
        for _ in range(len(self.rows) + 1):
            page = deployments.page(self.context, sort_key=key,
                                    sort_dir=direction, limit=2,
                                    after=after)
            if not page:
                break
            pages.extend(r.id for r in page)
            after = page[-1]
            deployments.delete(self.context, after.id)
            gone.append(after.id)
        self.assertEqual(expected, pages)
        self.assertEqual([i for i in expected if i not in gone],
                         self.ids(sort_key=key, sort_dir=direction))

    def test_after_takes_the_place_of_marker(self):
        rows = deployments.page(self.context)
        self.assertEqual([r.id for r in rows[3:]], self.ids(
            marker='missing', after=rows[2]))

    @ddt.unpack
    @ddt.data(({'server_id': 's1'}, [0, 2, 4]),
              ({'server_id': 's2', 'action': 'CREATE'}, [3]),
              ({'status': 'COMPLETE'}, [0, 4]),
              ({'status': 'COMPLETE', 'server_id': 's2'}, []))
    def test_filters(self, filters, expected):
        self.assertEqual([self.rows[i].id for i in expected],
                         self.ids(filters=filters))

    def test_config_filter(self):
        self.assertEqual(len(self.rows), len(self.ids(
            filters={'config_id': self.sc.id})))
        self.assertEqual([], self.ids(filters={'config_id': 'missing'}))

    def test_unknown_marker(self):
        e = self.assertRaises(exception.BadRequest, self.ids,
                              marker='missing')
        self.assertEqual('Invalid marker: deployment missing not found.',
                         str(e))

    def test_stack_user_project_rows_not_listed(self):
        # Not even to its stack users: they read their server's metadata.
        utils.create_test_deployment(
            self.context, config_id=self.sc.id,
            stack_user_project_id=STACK_USER_PROJECT)
        for roles in (('member', 'reader'), ('heat_stack_user',)):
            self.assertEqual([], deployments.page(
                self.make_context(STACK_USER_PROJECT, roles=roles)))

    def test_admin_sees_all(self):
        self.assertEqual(len(self.rows) + 1,
                         len(deployments.page(self.admin_context)))
