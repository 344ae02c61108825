"""/v1/{tenant_id}/software_deployment_groups: fleet rollouts.

See doc/source/user/deployment-groups.rst.
"""

import json
import uuid

import ddt
from oslo_config import cfg

from deploysvc.tests import base as test_base
from deploysvc.tests.unit.api import base

_GROUPS = '/software_deployment_groups'


@ddt.ddt
class TestDeploymentGroups(base.ApiTestCase):

    def setUp(self):
        super().setUp()
        self.config_id = self.create_config()['id']

    def create_group(self, count=3, status=200, **fields):
        body = dict({'config_id': self.config_id,
                     'servers': ['server-%d' % i for i in range(count)],
                     'max_concurrency': 1, 'max_errors': 0}, **fields)
        response = self.post(_GROUPS, body, status=status)
        return response.json.get('software_deployment_group', response)

    def children(self, group_id, query=''):
        return self.get('%s/%s/deployments%s' % (_GROUPS, group_id, query),
                        status=200).json['software_deployments']

    def signal(self, deployment_id, status):
        self.put('/software_deployments/' + deployment_id,
                 {'status': status}, status=200)

    def test_create(self):
        response = self.post(_GROUPS, {
            'config_id': self.config_id, 'action': 'UPDATE',
            'input_values': {'a': 1, 'b': 2},
            'servers': ['s1', {'server_id': 's2',
                               'input_values': {'b': 3}}, 's3', 's4'],
            'max_concurrency': '50%', 'max_errors': '25%',
            'timeout': 600}, status=200)
        group = response.json['software_deployment_group']
        self.assertTrue(response.location.endswith('%s/%s' % (
            _GROUPS, group['id'])))
        self.assertEqual(
            {'config_id': self.config_id, 'action': 'UPDATE',
             'input_values': {'a': 1, 'b': 2}, 'max_concurrency': '50%',
             'max_errors': '25%', 'resolved_max_concurrency': 2,
             'resolved_max_errors': 1, 'timeout': 600,
             'delivery_timeout': None, 'status': 'IN_PROGRESS',
             'counts': {'total': 4, 'pending': 2, 'in_progress': 2,
                        'complete': 0, 'failed': 0, 'cancelled': 0}},
            dict((key, group[key]) for key in (
                'config_id', 'action', 'input_values', 'max_concurrency',
                'max_errors', 'resolved_max_concurrency',
                'resolved_max_errors', 'timeout', 'delivery_timeout',
                'status', 'counts')))
        children = self.children(group['id'])
        self.assertEqual(
            [('s1', 'IN_PROGRESS', None, {'a': 1, 'b': 2}),
             ('s2', 'IN_PROGRESS', None, {'a': 1, 'b': 3}),
             ('s3', 'IN_PROGRESS', 'NOT_RELEASED', {'a': 1, 'b': 2}),
             ('s4', 'IN_PROGRESS', 'NOT_RELEASED', {'a': 1, 'b': 2})],
            [(c['server_id'], c['status'], c['status_reason_code'],
              c['input_values']) for c in children])
        self.assertEqual({group['id']}, {c['group_id'] for c in children})
        # A child not released yet is in no server's metadata.
        self.assertEqual([], self.get(
            '/software_deployments/metadata/s3', status=200).json['metadata'])
        self.assertEqual(1, len(self.get(
            '/software_deployments/metadata/s1', status=200).json['metadata']))

    @ddt.data(
        # (changes, message part)
        ({'servers': []}, '"servers" must list 1 to 10000 servers'),
        ({'servers': 's1'}, '"servers" must be a list'),
        ({'servers': ['s1', 's1']}, 'lists a server more than once'),
        ({'servers': ['s1', 3]}, '"servers.1" must be a string or an object'),
        ({'servers': [{'input_values': {}}]}, '"servers.0"'),
        ({'servers': ['x' * 37]}, 'a server id of 1 to 36 characters'),
        ({'servers': ['']}, 'a server id of 1 to 36 characters'),
        ({'max_concurrency': 0}, '"max_concurrency" is not valid'),
        ({'max_concurrency': 2 ** 70}, '"max_concurrency" is not valid'),
        ({'max_errors': 2 ** 31}, '"max_errors" is not valid'),
        ({'max_concurrency': '101%'}, '"max_concurrency" is not valid'),
        ({'max_errors': -1}, '"max_errors" is not valid'),
        ({'max_errors': 'many'}, '"max_errors" is not valid'),
        ({'config_id': None}, '"config_id" must be a string'),
        ({'timeout': -1}, '"timeout" is not valid'),
    )
    @ddt.unpack
    def test_invalid_bodies(self, changes, message):
        response = self.create_group(status=400, **changes)
        self.assertError(response, 400, 'Invalid')
        self.assertIn(message, response.json['error']['message'])

    def test_the_largest_group_in_one_request(self):
        # 10,000 server ids (UUIDs) fit the default body limit, 1 MiB.
        self.config(max_software_deployments_per_tenant=-1)
        servers = [str(uuid.UUID(int=i)) for i in range(10000)]
        body = json.dumps({'config_id': self.config_id, 'servers': servers,
                           'max_concurrency': '1%'}).encode()
        self.assertLess(len(body), cfg.CONF.max_json_body_size)
        group = self.post(_GROUPS, body, status=200).json[
            'software_deployment_group']
        self.assertEqual({'total': 10000, 'pending': 9900,
                          'in_progress': 100, 'complete': 0, 'failed': 0,
                          'cancelled': 0}, group['counts'])

    def test_too_many_servers(self):
        response = self.create_group(count=10001, status=400)
        self.assertIn('1 to 10000 servers',
                      response.json['error']['message'])

    def test_unknown_config(self):
        response = self.create_group(status=404, config_id='nope')
        self.assertError(response, 404, 'NotFound')

    def test_quota_is_checked_up_front(self):
        self.config(max_software_deployments_per_tenant=2)
        response = self.create_group(count=3, status=400)
        self.assertError(response, 400, 'RequestLimitExceeded')
        self.assertIn('A deployment group of 3 servers needs 3 software '
                      'deployments', response.json['error']['message'])
        self.assertEqual([], self.get(_GROUPS, status=200).json[
            'software_deployment_groups'])

    def test_rollout_to_the_end(self):
        group = self.create_group(count=2)
        for _ in range(2):
            running = self.children(group['id'], '?status=IN_PROGRESS')[0]
            self.signal(running['id'], 'COMPLETE')
        shown = self.get('%s/%s' % (_GROUPS, group['id']),
                         status=200).json['software_deployment_group']
        self.assertEqual(('COMPLETE', 'ALL_ENDED', 2),
                         (shown['status'], shown['status_reason_code'],
                          shown['counts']['complete']))
        events = self.get('%s/%s/events' % (_GROUPS, group['id']),
                          status=200).json['events']
        self.assertEqual(['COMPLETE', 'CHILD_COMPLETE', 'RELEASED',
                          'CHILD_COMPLETE', 'RELEASED', 'CREATED'],
                         [e['kind'] for e in events])
        # A history longer than [api] max_limit goes on by its next links.
        self.config(max_limit=4, group='api')
        path, pages = '%s/%s/events' % (_GROUPS, group['id']), []
        while path:
            response = self.get(path, status=200)
            pages.append([e['kind'] for e in response.json['events']])
            links = response.json.get('events_links')
            self.assertEqual(links is not None, 'Link' in response.headers)
            path = links and links[0]['href'].split(
                '/v1/%s' % self.project_id, 1)[1]
        self.assertEqual([['COMPLETE', 'CHILD_COMPLETE', 'RELEASED',
                           'CHILD_COMPLETE'], ['RELEASED', 'CREATED']], pages)

    def test_failure_stops_the_rollout(self):
        group = self.create_group(count=3)
        first = self.children(group['id'])[0]
        self.signal(first['id'], 'FAILED')
        shown = self.get('%s/%s' % (_GROUPS, group['id']),
                         status=200).json['software_deployment_group']
        self.assertEqual(('FAILED', 'MAX_ERRORS_EXCEEDED'),
                         (shown['status'], shown['status_reason_code']))
        self.assertIn(first['id'], shown['status_reason'])
        self.assertEqual([], self.children(group['id'],
                                           '?status=IN_PROGRESS'))

    def test_cancel(self):
        group = self.create_group(count=3, max_concurrency=2)
        shown = self.post('%s/%s/cancel' % (_GROUPS, group['id']), {},
                          status=200).json['software_deployment_group']
        self.assertEqual(('CANCELLED', {'total': 3, 'pending': 0,
                                        'in_progress': 0, 'complete': 0,
                                        'failed': 2, 'cancelled': 1}),
                         (shown['status'], shown['counts']))
        self.assertEqual({('FAILED', 'CANCELLED')}, {
            (c['status'], c['status_reason_code'])
            for c in self.children(group['id'])})
        self.assertError(self.post('%s/%s/cancel' % (_GROUPS, group['id']),
                                   {}), 409, 'Conflict')

    def test_delete(self):
        group = self.create_group(count=2)
        path = '%s/%s' % (_GROUPS, group['id'])
        response = self.delete(path, status=409)
        self.assertIn('?force=true', response.json['error']['message'])
        self.assertError(self.delete(path + '?force=maybe'), 400,
                         'HTTPBadRequest')
        self.delete(path + '?force=true', status=204)
        self.assertError(self.get(path), 404, 'NotFound')
        self.assertEqual([], self.get('/software_deployments', status=200)
                         .json['software_deployments'])

    def test_list_pages_and_filters(self):
        ids = [self.create_group(count=1)['id'] for _ in range(3)]
        listed = self.get(_GROUPS + '?limit=2', status=200).json
        self.assertEqual(2, len(listed['software_deployment_groups']))
        self.assertIn('software_deployment_groups_links', listed)
        every = [g['id'] for g in self.get(_GROUPS, status=200).json[
            'software_deployment_groups']]
        self.assertEqual(sorted(ids), sorted(every))
        self.assertEqual(every[1:], [g['id'] for g in self.get(
            _GROUPS + '?marker=' + every[0], status=200).json[
                'software_deployment_groups']])
        self.assertEqual([], self.get(_GROUPS + '?status=COMPLETE',
                                      status=200).json[
                                          'software_deployment_groups'])
        self.assertError(self.get(_GROUPS + '?status=DONE'), 400,
                         'HTTPBadRequest')
        self.assertError(self.get(_GROUPS + '?marker=nope'), 400,
                         'HTTPBadRequest')

    def test_children_page(self):
        group = self.create_group(count=5)
        first = self.get('%s/%s/deployments?limit=2' % (_GROUPS, group['id']),
                         status=200)
        self.assertIn('rel="next"', first.headers['Link'])
        ids = [c['id'] for c in self.children(group['id'])]
        self.assertEqual(ids[2:4], [c['id'] for c in self.children(
            group['id'], '?limit=2&marker=' + ids[1])])

    def test_other_project_and_reader(self):
        group = self.create_group(count=1)
        path = '%s/%s' % (_GROUPS, group['id'])
        other = test_base.OTHER_PROJECT
        for method, suffix in (('GET', ''), ('DELETE', ''),
                               ('POST', '/cancel'), ('GET', '/deployments'),
                               ('GET', '/events')):
            self.assertError(self.request(
                method, self.url(path + suffix, other), body={},
                project_id=other), 404, 'NotFound')
        reader = self.headers(roles='reader')
        self.assertError(self.request('DELETE', self.url(path),
                                      headers=reader), 403, 'Forbidden')
        self.request('GET', self.url(path), headers=reader, status=200)

    @ddt.data(('PUT', _GROUPS, 'GET, POST'),
              ('PUT', _GROUPS + '/x', 'GET, DELETE'),
              ('GET', _GROUPS + '/x/cancel', 'POST'),
              ('POST', _GROUPS + '/x/deployments', 'GET'),
              ('DELETE', _GROUPS + '/x/events', 'GET'))
    @ddt.unpack
    def test_methods_not_allowed(self, method, path, allowed):
        response = self.request(method, self.url(path), status=405)
        self.assertEqual(allowed, response.headers['Allow'])
