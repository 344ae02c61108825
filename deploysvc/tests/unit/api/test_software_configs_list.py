"""/v1/{tenant_id}/software_configs: show and list.

See doc/source/contributor/behaviour.rst, behaviour-visibility,
behaviour-admin and behaviour-paging.
"""

import datetime

import ddt
from oslo_utils import timeutils

from deploysvc.tests import base as test_base
from deploysvc.tests.unit.api import configs_base
from deploysvc.tests import utils


@ddt.ddt
class TestShow(configs_base.ConfigsTestCase):

    def test_show(self):
        self.at(configs_base.T0)
        created = self.create(configs_base.API_REF_REQUEST)
        response = self.get('/software_configs/' + created['id'], status=200)
        self.assertEqual({'software_config': created}, response.json)
        self.assertEqual(configs_base.CONFIG_KEYS, set(created))

    @ddt.data('0d2ab0a8-1b0c-4d1e-8f3a-2b4c6d8e0f12', 'not-a-uuid', 'x' * 300)
    def test_not_found(self, config_id):
        response = self.get('/software_configs/' + config_id, status=404)
        self.assertError(response, 404, 'NotFound',
                         'Software config with id %s not found' % config_id)

    def test_other_project(self):
        other = utils.create_test_config(
            self.make_context(test_base.OTHER_PROJECT))
        response = self.get('/software_configs/' + other.id, status=404)
        self.assertError(response, 404, 'NotFound',
                         'Software config with id %s not found' % other.id)

    def test_admin_sees_other_project(self):
        other = utils.create_test_config(
            self.make_context(test_base.OTHER_PROJECT), name='theirs')
        response = self.get('/software_configs/' + other.id,
                            headers=self.headers(
                                roles=configs_base.ADMIN_ROLES),
                            status=200)
        shown = response.json['software_config']
        self.assertEqual(configs_base.CONFIG_KEYS | {'project'}, set(shown))
        self.assertEqual((other.id, 'theirs', test_base.OTHER_PROJECT),
                         (shown['id'], shown['name'], shown['project']))

    def test_show_policy(self):
        config = utils.create_test_config(self.context)
        response = self.get('/software_configs/' + config.id,
                            headers=self.headers(roles='member'),
                            status=403)
        self.assertError(response, 403, 'Forbidden',
                         'You are not authorized to use '
                         'software_configs:show.')


@ddt.ddt
class TestList(configs_base.ConfigsTestCase):

    def _create_many(self, count, times=None):
        """``count`` configs; creation times cycle through ``times``."""
        times = times or [configs_base.T0]
        self.at(times[0])
        created = []
        for index in range(count):
            timeutils.set_time_override(times[index % len(times)])
            created.append(self.create({'name': 'c%d' % index,
                                        'group': 'g%d' % index}))
        return created

    @staticmethod
    def _expected_order(configs):
        return [configs_base.summary(c) for c in sorted(
            configs, key=lambda c: (c['creation_time'], c['id']),
            reverse=True)]

    def test_empty(self):
        self.assertEqual([], self.list_configs())

    def test_items(self):
        created = self.create(configs_base.API_REF_REQUEST)
        listed = self.list_configs()
        self.assertEqual([configs_base.summary(created)], listed)
        self.assertEqual(configs_base.SUMMARY_KEYS, set(listed[0]))

    def test_order_created_at_desc_id_desc(self):
        # Ties on the second are common: id DESC breaks them.
        times = [configs_base.T0,
                 configs_base.T0 + datetime.timedelta(seconds=5),
                 configs_base.T0,
                 configs_base.T0 - datetime.timedelta(seconds=3)]
        created = self._create_many(9, times)
        listed = self.list_configs()
        self.assertEqual(self._expected_order(created), listed)
        self.assertEqual('2015-01-31T15:12:41Z', listed[0]['creation_time'])
        self.assertEqual('2015-01-31T15:12:33Z', listed[-1]['creation_time'])

    @ddt.data('abc', '1.5', '0x10')
    def test_limit_not_an_integer(self, limit):
        response = self.get('/software_configs?limit=' + limit, status=400)
        self.assertError(response, 400, 'HTTPBadRequest',
                         "Only integer is acceptable by 'limit'.")

    @ddt.data('-1', '-10')
    def test_limit_negative(self, limit):
        response = self.get('/software_configs?limit=' + limit, status=400)
        self.assertError(response, 400, 'HTTPBadRequest',
                         "Value '%s' is invalid for 'limit' which only "
                         "accepts non-negative integer." % limit)

    def test_limit(self):
        expected = self._expected_order(self._create_many(4))
        self.assertEqual([], self.list_configs('?limit=0'))
        self.assertEqual(expected[:1], self.list_configs('?limit=1'))
        self.assertEqual(expected[:3], self.list_configs('?limit=3'))
        self.assertEqual(expected, self.list_configs('?limit=10'))
        # Empty value ignored; the last of repeated values wins.
        self.assertEqual(expected, self.list_configs('?limit='))
        self.assertEqual(expected[:2],
                         self.list_configs('?limit=abc&limit=2'))

    def test_marker_is_exclusive(self):
        expected = self._expected_order(self._create_many(
            5, [configs_base.T0, configs_base.T0]))
        self.assertEqual(expected[2:], self.list_configs(
            '?marker=' + expected[1]['id']))
        self.assertEqual(expected[2:4], self.list_configs(
            '?marker=%s&limit=2' % expected[1]['id']))
        self.assertEqual([], self.list_configs(
            '?marker=' + expected[-1]['id']))

    @ddt.data('0d2ab0a8-1b0c-4d1e-8f3a-2b4c6d8e0f12', 'junk')
    def test_unknown_marker_ignored(self, marker):
        expected = self._expected_order(self._create_many(3))
        self.assertEqual(expected[:2], self.list_configs(
            '?limit=2&marker=' + marker))
        self.assertEqual(expected, self.list_configs('?marker=' + marker))

    def test_marker_paging_walks_everything_once(self):
        times = [configs_base.T0, configs_base.T0,
                 configs_base.T0 + datetime.timedelta(seconds=1),
                 configs_base.T0 - datetime.timedelta(seconds=1)]
        expected = self._expected_order(self._create_many(11, times))
        seen, query = [], '?limit=3'
        while True:
            page = self.list_configs(query)
            if not page:
                break
            self.assertLessEqual(len(page), 3)
            seen.extend(page)
            query = '?limit=3&marker=' + page[-1]['id']
        self.assertEqual(expected, seen)

    def test_other_projects_not_listed(self):
        mine = self.create({'name': 'mine'})
        utils.create_test_config(self.make_context(test_base.OTHER_PROJECT))
        self.assertEqual([configs_base.summary(mine)], self.list_configs())

    def test_admin_sees_all_projects(self):
        self.at(configs_base.T0)
        mine = self.create({'name': 'mine'})
        theirs = self.create({'name': 'theirs'},
                             headers=self.headers(test_base.OTHER_PROJECT),
                             project_id=test_base.OTHER_PROJECT)
        listed = self.list_configs(
            headers=self.headers(roles=configs_base.ADMIN_ROLES))
        expected = [dict(configs_base.summary(c), project=project) for c,
                    project in (
            (mine, self.project_id), (theirs, test_base.OTHER_PROJECT))]
        expected.sort(key=lambda c: c['id'], reverse=True)
        self.assertEqual(expected, listed)
        # Whatever tenant the admin's URL names.
        self.assertEqual(expected, self.list_configs(
            headers=self.headers(roles=configs_base.ADMIN_ROLES),
            project_id=test_base.OTHER_PROJECT))

    @ddt.data('true', 'True', 'TRUE')
    def test_global_tenant_denied_by_default(self, value):
        self.create()
        for roles in ('member,reader', configs_base.ADMIN_ROLES):
            response = self.get('/software_configs?global_tenant=' + value,
                                headers=self.headers(roles=roles),
                                status=403)
            self.assertError(response, 403, 'Forbidden',
                             'You are not authorized to use '
                             'software_configs:global_index.')

    def test_global_tenant_allowed_by_policy(self):
        self.policy.set_rules({'software_configs:global_index': ''})
        self.at(configs_base.T0)
        mine = self.create({'name': 'mine'})
        theirs = self.create({'name': 'theirs'},
                             headers=self.headers(test_base.OTHER_PROJECT),
                             project_id=test_base.OTHER_PROJECT)
        expected = [dict(configs_base.summary(c), project=project) for c,
                    project in (
            (mine, self.project_id), (theirs, test_base.OTHER_PROJECT))]
        expected.sort(key=lambda c: c['id'], reverse=True)
        self.assertEqual(expected,
                         self.list_configs('?global_tenant=true'))
        # Paging still applies.
        self.assertEqual(expected[1:], self.list_configs(
            '?global_tenant=true&marker=' + expected[0]['id']))
        self.assertEqual([configs_base.summary(mine)],
                         self.list_configs('?global_tenant=false'))

    @ddt.data('yes', '1', 'on')
    def test_global_tenant_invalid(self, value):
        response = self.get('/software_configs?global_tenant=' + value,
                            status=400)
        self.assertError(response, 400, 'HTTPBadRequest',
                         'Unrecognized value "%s" for "global_tenant", '
                         'acceptable values are: true, false.' % value)

    def test_max_limit(self):
        # A limit is capped; no limit is the whole list (behaviour-list-cap).
        self.config(max_limit=2, group='api')
        expected = self._expected_order(self._create_many(4))
        self.assertEqual(expected, self.list_configs())
        self.assertEqual(expected[:2], self.list_configs('?limit=3'))
        self.assertEqual(expected[:1], self.list_configs('?limit=1'))
        self.assertEqual(expected[2:], self.list_configs(
            '?marker=' + expected[1]['id']))

    def test_index_policy(self):
        response = self.get('/software_configs',
                            headers=self.headers(roles='member'),
                            status=403)
        self.assertError(response, 403, 'Forbidden',
                         'You are not authorized to use '
                         'software_configs:index.')
