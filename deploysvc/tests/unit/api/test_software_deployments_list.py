"""/v1/{tenant_id}/software_deployments: show and list.

Heat's behaviour, and where deploysvc differs
(doc/source/contributor/behaviour.rst: behaviour-visibility,
behaviour-admin, behaviour-deployment-list, behaviour-list-cap and
behaviour-paging). Data is made with the DB factories; the clock is frozen
so that whole response bodies can be compared.
"""

import ddt

from deploysvc.tests import base as test_base
from deploysvc.tests.unit.api import deployments_base
from deploysvc.tests import utils


class TestShow(deployments_base.DeploymentTestCase):

    def test_show(self):
        row = self.seed_deployment(input_values={'foo': 'bar'})
        response = self.get('/software_deployments/' + row.id, status=200)
        self.assertEqual('application/json', response.content_type)
        self.assertEqual({'software_deployment': self.expected(
            row, input_values={'foo': 'bar'})}, response.json)

    def test_show_not_found(self):
        self.assertError(self.get('/software_deployments/missing'),
                         404, 'NotFound',
                         'Deployment with id missing not found')

    def test_show_other_project(self):
        row = self.seed_deployment(context=self.other_context)
        self.assertError(self.get('/software_deployments/' + row.id),
                         404, 'NotFound',
                         'Deployment with id %s not found' % row.id)

    def test_show_as_stack_user_project(self):
        # Only its stack users see it (behaviour-visibility).
        row = self.seed_deployment(
            stack_user_project_id=deployments_base.STACK_USER_PROJECT)
        response = self.get(
            '/software_deployments/' + row.id, status=200,
            **self.as_project(deployments_base.STACK_USER_PROJECT,
                              roles='heat_stack_user'))
        self.assertEqual({'software_deployment': self.expected(row)},
                         response.json)
        response = self.get(
            '/software_deployments/' + row.id,
            **self.as_project(deployments_base.STACK_USER_PROJECT,
                              roles='reader'))
        self.assertError(response, 404, 'NotFound',
                         'Deployment with id %s not found' % row.id)

    def test_show_admin_other_project(self):
        row = self.seed_deployment(context=self.other_context)
        response = self.get('/software_deployments/' + row.id, status=200,
                            headers=self.admin_headers())
        self.assertEqual({'software_deployment': self.expected(
            row, project=test_base.OTHER_PROJECT)}, response.json)


@ddt.ddt
class TestList(deployments_base.DeploymentTestCase):

    def make_rows(self):
        """Three deployments a second apart, ids not in creation order."""
        rows = []
        for i, (action, status) in enumerate([('CREATE', 'COMPLETE'),
                                              ('UPDATE', 'IN_PROGRESS'),
                                              ('DELETE', 'FAILED')]):
            rows.append(self.seed_deployment(
                server_id='server-%d' % (i % 2), action=action,
                status=status))
            self.clock.advance_time_seconds(1)
        return rows

    def test_empty(self):
        response = self.list_deployments(status=200)
        self.assertEqual({'software_deployments': []}, response.json)

    def test_created_at_ascending(self):
        rows = self.make_rows()
        response = self.list_deployments(status=200)
        self.assertEqual({'software_deployments': [
            self.expected(rows[0], server_id='server-0', action='CREATE',
                          status='COMPLETE'),
            self.expected(rows[1], server_id='server-1', action='UPDATE',
                          status='IN_PROGRESS',
                          creation_time=deployments_base._time(1)),
            self.expected(rows[2], server_id='server-0', action='DELETE',
                          status='FAILED',
                          creation_time=deployments_base._time(2)),
        ]}, response.json)

    def test_same_creation_time_ordered_by_id(self):
        rows = [self.seed_deployment() for _ in range(4)]
        self.assertEqual(sorted(r.id for r in rows), self.list_ids())

    @ddt.unpack
    @ddt.data(('?server_id=server-0', [0, 2]),
              ('?server_id=server-1', [1]),
              ('?server_id=', [0, 1, 2]),
              ('?server_id=unknown', []),
              ('?status=FAILED', [2]),
              ('?action=UPDATE', [1]),
              ('?action=CREATE&server_id=server-1', []),
              ('?status=COMPLETE&server_id=server-0', [0]))
    def test_filters(self, query, expected):
        rows = self.make_rows()
        self.assertEqual([rows[i].id for i in expected],
                         self.list_ids(query))

    def test_config_id_filter(self):
        other = utils.create_test_config(self.context)
        first = self.seed_deployment()
        second = self.seed_deployment(config_id=other.id)
        self.assertEqual([first.id],
                         self.list_ids('?config_id=' + self.sc.id))
        self.assertEqual([second.id], self.list_ids('?config_id=' + other.id))

    def test_invalid_status_filter(self):
        self.assertError(
            self.list_deployments('?status=WAITING'), 400, 'HTTPBadRequest',
            'Invalid status filter WAITING: use one of IN_PROGRESS, '
            'COMPLETE, FAILED.')

    def test_limit_and_marker(self):
        rows = self.make_rows()
        ids = [r.id for r in rows]
        self.assertEqual(ids[:2], self.list_ids('?limit=2'))
        self.assertEqual(ids[2:], self.list_ids('?limit=2&marker=' + ids[1]))
        self.assertEqual(ids[1:2],
                         self.list_ids('?limit=1&marker=' + ids[0]))
        self.assertEqual([], self.list_ids('?marker=' + ids[2]))
        self.assertEqual([], self.list_ids('?limit=0'))

    def test_marker_with_filter(self):
        rows = self.make_rows()
        self.assertEqual(
            [rows[2].id],
            self.list_ids('?server_id=server-0&marker=' + rows[0].id))

    def test_unknown_marker(self):
        self.make_rows()
        self.assertError(
            self.list_deployments('?marker=missing'), 400, 'HTTPBadRequest',
            'Invalid marker: deployment missing not found.')

    def test_marker_of_other_project(self):
        foreign = self.seed_deployment(context=self.other_context)
        self.assertError(
            self.list_deployments('?marker=' + foreign.id), 400,
            'HTTPBadRequest',
            'Invalid marker: deployment %s not found.' % foreign.id)

    @ddt.unpack
    @ddt.data(('abc', "Only integer is acceptable by 'limit'."),
              ('1.5', "Only integer is acceptable by 'limit'."),
              ('-1', "Value '-1' is invalid for 'limit' which only accepts "
                     "non-negative integer."))
    def test_invalid_limit(self, limit, message):
        self.assertError(self.list_deployments('?limit=' + limit), 400,
                         'HTTPBadRequest', message)

    @ddt.unpack
    @ddt.data(('?sort_dir=DESC', [2, 1, 0]),
              ('?sort_key=creation_time&sort_dir=desc', [2, 1, 0]),
              ('?sort_key=status', [0, 2, 1]),
              ('?sort_key=action&sort_dir=desc', [1, 2, 0]),
              ('?sort_key=action&sort_dir=desc&limit=2', [1, 2]))
    def test_sort(self, query, expected):
        rows = self.make_rows()
        self.assertEqual([rows[i].id for i in expected],
                         self.list_ids(query))

    def test_sort_ties_broken_by_id(self):
        rows = self.make_rows()
        # rows 0 and 2 share server-0; equal keys are ordered by id.
        expected = [r.id for r in sorted(
            rows, key=lambda r: (r.server_id, r.id))]
        self.assertEqual(expected, self.list_ids('?sort_key=server_id'))
        self.assertEqual(expected[::-1], self.list_ids(
            '?sort_key=server_id&sort_dir=desc'))
        self.assertEqual(expected[1:], self.list_ids(
            '?sort_key=server_id&marker=' + expected[0]))

    def test_sort_by_id(self):
        rows = self.make_rows()
        ids = sorted(r.id for r in rows)
        self.assertEqual(ids, self.list_ids('?sort_key=id'))
        self.assertEqual(ids[::-1],
                         self.list_ids('?sort_key=id&sort_dir=desc'))
        self.assertEqual(ids[2:],
                         self.list_ids('?sort_key=id&marker=' + ids[1]))

    def test_sort_by_updated_time_pages_through_nulls(self):
        rows = self.make_rows()
        # rows[2] updated first, rows[0] later; rows[1] never (null).
        self.put('/software_deployments/' + rows[2].id, {}, status=200)
        self.clock.advance_time_seconds(1)
        self.put('/software_deployments/' + rows[0].id, {}, status=200)
        expected = [rows[1].id, rows[2].id, rows[0].id]
        query = '?sort_key=updated_time&limit=1'
        pages = []
        marker = ''
        for _ in range(4):
            page = self.list_ids(query + marker)
            pages.extend(page)
            if not page:
                break
            marker = '&marker=' + page[-1]
        self.assertEqual(expected, pages)
        self.assertEqual(expected[::-1],
                         self.list_ids('?sort_dir=desc&sort_key=updated_at'))

    @ddt.unpack
    @ddt.data(('?sort_key=name', 'Invalid sort_key name: use one of action, '
               'config_id, created_at, creation_time, id, server_id, '
               'status, updated_at, updated_time.'),
              ('?sort_dir=up', 'Invalid sort_dir up: use asc or desc.'))
    def test_invalid_sort(self, query, message):
        self.assertError(self.list_deployments(query), 400,
                         'HTTPBadRequest', message)

    def test_other_projects_excluded(self):
        own = self.seed_deployment()
        foreign = self.seed_deployment(context=self.other_context)
        self.assertEqual([own.id], self.list_ids())
        self.assertEqual([foreign.id], self.list_ids(
            **self.as_project(test_base.OTHER_PROJECT)))

    def test_stack_user_project_lists_its_own_rows_only(self):
        # Naming a project as stack user project shows it nothing
        # (behaviour-visibility).
        self.seed_deployment()
        self.seed_deployment(
            stack_user_project_id=deployments_base.STACK_USER_PROJECT)
        self.clock.advance_time_seconds(1)
        own = self.seed_deployment(
            context=self.make_context(deployments_base.STACK_USER_PROJECT))
        response = self.list_deployments(
            status=200, **self.as_project(deployments_base.STACK_USER_PROJECT,
                                          roles='reader'))
        self.assertEqual({'software_deployments': [
            self.expected(own,
                          creation_time=deployments_base._time(1))]},
                         response.json)

    def test_admin_sees_all_with_project(self):
        own = self.seed_deployment()
        self.clock.advance_time_seconds(1)
        foreign = self.seed_deployment(context=self.other_context)
        response = self.list_deployments(status=200,
                                         headers=self.admin_headers())
        self.assertEqual({'software_deployments': [
            self.expected(own, project=self.project_id),
            self.expected(foreign, creation_time=deployments_base._time(1),
                          project=test_base.OTHER_PROJECT)]}, response.json)

    def test_max_limit_caps_pages(self):
        # A limit is capped; no limit is the whole list (behaviour-list-cap).
        self.config(max_limit=2, group='api')
        ids = [r.id for r in self.make_rows()]
        self.assertEqual(ids, self.list_ids())
        self.assertEqual(ids[:2], self.list_ids('?limit=5'))
        self.assertEqual(ids[:1], self.list_ids('?limit=1'))
        self.assertEqual(ids[2:], self.list_ids('?marker=' + ids[1]))
