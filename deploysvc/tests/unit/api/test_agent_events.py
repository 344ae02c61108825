"""Agent loop API tests (issue 5): a deployment's history.

Every status change and every signal lands in
``.../software_deployments/{id}/events`` (doc/source/contributor/
behaviour.rst, behaviour-events).
"""

import ddt
import sqlalchemy as sa

from deploysvc.db import engine as db_engine
from deploysvc.db import models
from deploysvc.tests.unit.api import agent_base


@ddt.ddt
class TestEvents(agent_base.AgentTestCase):

    def test_create_with_status(self):
        deployment = self.create_deployment()
        [event] = self.events(deployment['id'])
        self.assertEqual(agent_base.EVENT_KEYS, set(event))
        self.assertIsInstance(event['id'], int)
        self.assertRegex(event['time'], r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$')
        del event['id'], event['time']
        self.assertEqual({'deployment_id': deployment['id'],
                          'source': 'api',
                          'actor': 'user-' + self.project_id[:8],
                          'status_from': None, 'status_to': 'IN_PROGRESS',
                          'applied': True,
                          'reason': 'Deploy data available',
                          'reason_code': 'API_UPDATE',
                          'details': None}, event)

    def test_create_without_status(self):
        deployment = self.create_deployment(status=None, status_reason=None)
        self.assertEqual([], self.events(deployment['id']))

    def test_put_with_status(self):
        deployment = self.create_deployment()
        headers = self.headers(user_id='operator')
        self.put('/software_deployments/' + deployment['id'],
                 {'status': 'COMPLETE', 'status_reason': 'by hand'},
                 status=200, headers=headers)
        event = self.events(deployment['id'])[0]
        self.assertEqual(
            ('api', 'operator', 'IN_PROGRESS', 'COMPLETE', True, 'by hand',
             None),
            tuple(event[k] for k in ('source', 'actor', 'status_from',
                                     'status_to', 'applied', 'reason',
                                     'details')))

    def test_put_without_status(self):
        deployment = self.create_deployment()
        self.update_deployment(deployment['id'], {
            'output_values': {'a': 1}, 'status_reason': 'r',
            'input_values': {'foo': 'x'}})
        self.assertEqual(1, len(self.events(deployment['id'])))

    def test_signal(self):
        deployment, _, url = self.setup_signal()
        details = {'deploy_status_code': 2, 'deploy_stderr': 'bad'}
        self.signal(url, details)
        event = self.events(deployment['id'])[0]
        del event['id'], event['time']
        self.assertEqual({'deployment_id': deployment['id'],
                          'source': 'signal', 'actor': 'agent',
                          'status_from': 'IN_PROGRESS',
                          'status_to': 'FAILED', 'applied': True,
                          'reason': agent_base.CODE_REASON % 2,
                          'reason_code': 'NONZERO_EXIT',
                          'details': details}, event)

    def test_newest_first(self):
        deployment, metadata_url, url = self.setup_signal()
        self.signal(url, {'n': 1})
        self.update_deployment(deployment['id'], {'status': 'IN_PROGRESS'})
        # A re-run: its own signal URL (behaviour-signal-runs).
        url = self.signal_url(metadata_url, deployment['id'])
        self.signal(url, {'n': 2})
        self.signal(url, {'n': 3})
        events = self.events(deployment['id'])
        self.assertEqual(
            [('signal', False, {'n': 3}), ('signal', True, {'n': 2}),
             ('api', True, None), ('signal', True, {'n': 1}),
             ('api', True, None)],
            [(e['source'], e['applied'], e['details']) for e in events])
        ids = [e['id'] for e in events]
        self.assertEqual(sorted(ids, reverse=True), ids)
        self.assertEqual(len(ids), len(set(ids)))

    def test_paging(self):
        deployment, _, url = self.setup_signal()
        for n in range(6):
            self.signal(url, {'n': n})
        everything = self.events(deployment['id'])
        self.assertEqual(7, len(everything))
        pages, marker = [], None
        while True:
            query = '?limit=3' + ('&marker=%d' % marker if marker else '')
            page = self.events(deployment['id'], query)
            if not page:
                break
            self.assertLessEqual(len(page), 3)
            pages.append(page)
            marker = page[-1]['id']
        self.assertEqual([3, 3, 1], [len(p) for p in pages])
        self.assertEqual(everything, [e for p in pages for e in p])

    def test_marker_alone(self):
        deployment, _, url = self.setup_signal()
        self.signal(url, {})
        everything = self.events(deployment['id'])
        self.assertEqual(everything[1:], self.events(
            deployment['id'], '?marker=%d' % everything[0]['id']))
        self.assertEqual([], self.events(
            deployment['id'], '?marker=%d' % everything[-1]['id']))

    def test_limit_capped_by_max_limit(self):
        self.config(max_limit=2, group='api')
        deployment, _, url = self.setup_signal()
        for _ in range(3):
            self.signal(url, {})
        self.assertEqual(2, len(self.events(deployment['id'])))
        self.assertEqual(2, len(self.events(deployment['id'], '?limit=50')))
        self.assertEqual(1, len(self.events(deployment['id'], '?limit=1')))

    def test_a_cut_page_says_where_it_goes_on(self):
        # (query, events per page while following the next links)
        self.config(max_limit=2, group='api')
        deployment, _, url = self.setup_signal()
        for n in range(3):
            self.signal(url, {'n': n})
        everything = []
        for query, sizes in (('', [2, 2]), ('?limit=1', [1, 1, 1, 1]),
                             ('?limit=9', [2, 2])):
            path = '/software_deployments/%s/events%s' % (deployment['id'],
                                                          query)
            seen, sizes_seen = [], []
            while path:
                response = self.get(path, status=200)
                body = response.json
                sizes_seen.append(len(body['events']))
                seen.extend(body['events'])
                links = body.get('events_links')
                if links is None:
                    self.assertNotIn('Link', response.headers)
                    path = None
                    continue
                self.assertEqual('next', links[0]['rel'])
                self.assertIn(links[0]['href'], response.headers['Link'])
                path = links[0]['href'].split('/v1/%s' % self.project_id,
                                              1)[1]
            self.assertEqual(sizes, sizes_seen, query)
            everything.append(seen)
        self.assertEqual(4, len(everything[0]))
        self.assertEqual(everything[0], everything[1])
        self.assertEqual(everything[0], everything[2])

    @ddt.data(('marker', 'abc', "Only integer is acceptable by 'marker'."),
              ('limit', 'x', "Only integer is acceptable by 'limit'."),
              ('limit', '-1', "Value '-1' is invalid for 'limit' which only "
                              "accepts non-negative integer."),
              ('marker', '-3', "Value '-3' is invalid for 'marker' which "
                               "only accepts non-negative integer."))
    @ddt.unpack
    def test_bad_query(self, name, value, message):
        deployment = self.create_deployment()
        response = self.events(deployment['id'], '?%s=%s' % (name, value),
                               status=400)
        self.assertError(response, 400, 'HTTPBadRequest', message)

    def test_other_project(self):
        deployment = self.create_deployment(
            project_id=agent_base.OTHER_PROJECT)
        response = self.events(deployment['id'], status=404)
        self.assertError(response, 404, 'NotFound',
                         'Deployment with id %s not found' % deployment['id'])
        self.assertEqual(1, len(self.events(
            deployment['id'], project_id=agent_base.OTHER_PROJECT)))

    def test_unknown_deployment(self):
        self.assertError(self.events('nope', status=404), 404, 'NotFound',
                         'Deployment with id nope not found')

    def test_reader_may_read(self):
        deployment = self.create_deployment()
        events = self.events(deployment['id'],
                             headers=self.headers(roles='reader'))
        self.assertEqual(1, len(events))

    def test_no_role_is_forbidden(self):
        deployment = self.create_deployment()
        response = self.events(deployment['id'], status=403,
                               headers=self.headers(roles=''))
        self.assertError(response, 403, 'Forbidden')

    def test_admin_sees_other_projects(self):
        deployment = self.create_deployment(
            project_id=agent_base.OTHER_PROJECT)
        events = self.events(deployment['id'],
                             headers=self.headers(roles='admin,member,reader'))
        self.assertEqual(deployment['id'], events[0]['deployment_id'])

    def test_deleted_deployment(self):
        deployment = self.create_deployment()
        self.delete('/software_deployments/' + deployment['id'], status=204)
        self.assertError(self.events(deployment['id'], status=404), 404,
                         'NotFound')
        with db_engine.get_engine().connect() as connection:
            self.assertEqual(0, connection.scalar(sa.select(sa.func.count())
                             .select_from(models.DeploymentEvent)))

    def test_method_not_allowed(self):
        deployment = self.create_deployment()
        response = self.post('/software_deployments/%s/events'
                             % deployment['id'], {})
        self.assertError(response, 405, 'HTTPMethodNotAllowed')
        self.assertAllow(response, 'GET')
