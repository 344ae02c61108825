"""Deadlines, delivery and reason codes of deployments (issue 15).

See doc/source/contributor/behaviour.rst, behaviour-deadlines.
"""

import ddt

from deploysvc.tests.unit.api import agent_base
from deploysvc.tests.unit.api import deadlines_base as base

DELIVERY = base.DELIVERY
EXECUTION = base.EXECUTION
_time = base.time_at


@ddt.ddt
class TestDeadlines(base.DeadlineTestCase):

    def test_delivery_deadline_passes_exactly(self):
        deployment = self.create_deployment(delivery_timeout=60)
        self.assertEqual(_time(60), deployment['deadline_at'])
        self.later(59)
        shown = self.show_deployment(deployment['id'])
        self.assertEqual(('IN_PROGRESS', 'API_UPDATE'), (
            shown['status'], shown['status_reason_code']))
        self.later(1)
        shown = self.show_deployment(deployment['id'])
        self.assertEqual(
            ('FAILED', 'TIMED_OUT_DELIVERY', DELIVERY % 60, None),
            (shown['status'], shown['status_reason_code'],
             shown['status_reason'], shown['deadline_at']))

    def test_execution_deadline_counts_from_delivery(self):
        deployment = self.create_deployment(timeout=120)
        url = self.rotate()
        self.later(30)
        self.document(url)
        shown = self.show_deployment(deployment['id'])
        self.assertEqual((_time(30), _time(150)), (
            shown['delivered_at'], shown['deadline_at']))
        self.later(119)
        self.assertEqual('IN_PROGRESS',
                         self.show_deployment(deployment['id'])['status'])
        self.later(1)
        shown = self.show_deployment(deployment['id'])
        self.assertEqual(('FAILED', 'TIMED_OUT_EXECUTION', EXECUTION % 120),
                         (shown['status'], shown['status_reason_code'],
                          shown['status_reason']))

    @ddt.data(
        # (what is read first after the deadline)
        lambda test, d: test.show_deployment(d),
        lambda test, d: test.events(d),
        lambda test, d: test.get('/software_deployments', status=200),
        lambda test, d: test.get('/software_deployments?status=IN_PROGRESS',
                                 status=200),
        lambda test, d: test.update_deployment(d, {'status_reason': 'x'}),
    )
    def test_every_read_sees_it_recorded_once(self, read):
        deployment = self.create_deployment(delivery_timeout=10)
        self.later(10)
        read(self, deployment['id'])
        for _ in range(3):
            self.assertEqual('FAILED',
                             self.show_deployment(deployment['id'])['status'])
        [event] = self.deadline_events(deployment['id'])
        self.assertEqual(
            (None, 'IN_PROGRESS', 'FAILED', True, 'TIMED_OUT_DELIVERY',
             DELIVERY % 10),
            (event['actor'], event['status_from'], event['status_to'],
             event['applied'], event['reason_code'], event['reason']))

    def test_status_filtered_list_agrees(self):
        late = self.create_deployment(delivery_timeout=10)
        on_time = self.create_deployment(delivery_timeout=100)
        self.later(10)
        ids = [d['id'] for d in self.get(
            '/software_deployments?status=IN_PROGRESS',
            status=200).json['software_deployments']]
        self.assertEqual([on_time['id']], ids)
        ids = [d['id'] for d in self.get(
            '/software_deployments?status=FAILED',
            status=200).json['software_deployments']]
        self.assertEqual([late['id']], ids)

    def test_late_signal_is_ignored_and_kept(self):
        deployment = self.create_deployment(timeout=60)
        url = self.rotate()
        signal_url = self.signal_url(url, deployment['id'])
        self.later(61)
        details = {'deploy_stdout': 'late', 'deploy_status_code': 0,
                   'result': 'r'}
        body = self.signal(signal_url, details)
        self.assertEqual({'status': 'FAILED', 'applied': False}, body)
        shown = self.show_deployment(deployment['id'])
        self.assertEqual(('FAILED', 'TIMED_OUT_EXECUTION', None),
                         (shown['status'], shown['status_reason_code'],
                          shown['output_values']))
        signal, deadline = self.events(deployment['id'])[:2]
        self.assertEqual(('deadline', 'TIMED_OUT_EXECUTION'),
                         (deadline['source'], deadline['reason_code']))
        self.assertEqual(
            ('signal', False, 'SIGNAL_IGNORED', details,
             'Ignored: the deployment is FAILED (TIMED_OUT_EXECUTION), not '
             'IN_PROGRESS.'),
            (signal['source'], signal['applied'], signal['reason_code'],
             signal['details'], signal['reason']))

    @ddt.data(({'deploy_status_code': 0}, 'COMPLETE', 'OUTPUTS_RECEIVED'),
              ({'deploy_status_code': 3}, 'FAILED', 'NONZERO_EXIT'),
              ({'err': 'boom'}, 'FAILED', 'ERROR_OUTPUT'),
              ({'err': 'boom', 'deploy_status_code': 3}, 'FAILED',
               'NONZERO_EXIT'))
    @ddt.unpack
    def test_signal_reason_codes_end_the_deadline(self, details, status,
                                                  code):
        deployment, url, signal_url = self.setup_signal()
        self.signal(signal_url, details)
        shown = self.show_deployment(deployment['id'])
        self.assertEqual((status, code, None), (
            shown['status'], shown['status_reason_code'],
            shown['deadline_at']))
        self.assertEqual(code, self.events(deployment['id'])[0][
            'reason_code'])

    def test_update_to_a_final_status_ends_the_deadline(self):
        deployment = self.create_deployment(delivery_timeout=10)
        done = self.update_deployment(deployment['id'], {
            'status': 'COMPLETE'})
        self.assertEqual(('API_UPDATE', None), (
            done['status_reason_code'], done['deadline_at']))
        self.later(3600)
        self.assertEqual('COMPLETE',
                         self.show_deployment(deployment['id'])['status'])
        self.assertEqual([], self.deadline_events(deployment['id']))

    def test_new_action_is_a_new_run_with_new_deadlines(self):
        deployment, url = self.fetched(delivery_timeout=10, timeout=100)
        self.assertEqual(_time(0), deployment['delivered_at'])
        self.later(50)
        again = self.update_deployment(deployment['id'], {
            'action': 'UPDATE'})
        self.assertEqual((None, _time(60)), (again['delivered_at'],
                                             again['deadline_at']))
        self.later(5)
        self.document(url)
        shown = self.show_deployment(deployment['id'])
        self.assertEqual((_time(55), _time(155)), (
            shown['delivered_at'], shown['deadline_at']))

    @ddt.data(
        # (request, config options, [deployment] options) -> stored
        ({}, {}, {}, (3600, 14400)),
        ({}, {}, {'delivery_timeout': 5, 'timeout': 0}, (5, None)),
        ({}, {'delivery_timeout': 7, 'timeout': 8}, {}, (7, 8)),
        ({}, {'delivery_timeout': 'x', 'timeout': True}, {}, (3600, 14400)),
        ({'timeout': 9}, {'timeout': 8}, {}, (3600, 9)),
        ({'delivery_timeout': 0}, {'delivery_timeout': 7}, {}, (None, 14400)),
    )
    @ddt.unpack
    def test_where_the_timeouts_come_from(self, request, options, conf,
                                          stored):
        for name, value in conf.items():
            self.config(group='deployment', **{name: value})
        config = self.create_config(options=options)
        deployment = self.create_deployment(config_id=config['id'],
                                            **request)
        self.assertEqual(stored, (deployment['delivery_timeout'],
                                  deployment['timeout']))
        self.assertEqual(
            None if stored[0] is None else _time(stored[0]),
            deployment['deadline_at'])

    def test_update_sets_and_clears_timeouts(self):
        deployment = self.create_deployment(delivery_timeout=10)
        cleared = self.update_deployment(deployment['id'], {
            'delivery_timeout': 0})
        self.assertEqual((None, None), (cleared['delivery_timeout'],
                                        cleared['deadline_at']))
        self.later(60)
        again = self.update_deployment(deployment['id'], {
            'delivery_timeout': 30})
        self.assertEqual(_time(30), again['deadline_at'])

    @ddt.data(-1, 1.5, 'x', True, 10 ** 10)
    def test_bad_timeout_is_400(self, value):
        config = self.create_config()
        response = self.post('/software_deployments', {
            'config_id': config['id'], 'server_id': agent_base.SERVER,
            'timeout': value})
        self.assertEqual(400, response.status_int, response.text)


@ddt.ddt
class TestDelivery(base.DeadlineTestCase):

    def test_only_a_get_of_the_document_delivers(self):
        deployment = self.create_deployment()
        url = self.rotate()
        self.poll(url, method='HEAD')
        self.assertIsNone(
            self.show_deployment(deployment['id'])['delivered_at'])
        response = self.poll(url)
        self.later(10)
        self.poll(url, status=304,
                  **{'If-None-Match': response.headers['ETag']})
        self.poll(url)
        self.assertEqual(_time(0), self.show_deployment(
            deployment['id'])['delivered_at'])

    def test_document_of_an_earlier_revision_delivers_nothing_new(self):
        first = self.create_deployment()
        url = self.rotate()
        self.document(url)
        self.later(5)
        second = self.create_deployment()
        # Not fetched yet: not delivered.
        self.assertIsNone(self.show_deployment(second['id'])['delivered_at'])
        self.later(5)
        self.document(url)
        self.assertEqual((_time(0), _time(10)), (
            self.show_deployment(first['id'])['delivered_at'],
            self.show_deployment(second['id'])['delivered_at']))

    def test_heat_metadata_read_by_a_stack_user_delivers(self):
        deployment = self.create_deployment(
            stack_user_project_id=agent_base.OTHER_PROJECT)
        path = '/software_deployments/metadata/' + agent_base.SERVER
        self.get(path, status=200)
        self.assertIsNone(
            self.show_deployment(deployment['id'])['delivered_at'])
        self.later(3)
        self.get(path, status=200, project_id=agent_base.OTHER_PROJECT,
                 headers=self.headers(agent_base.OTHER_PROJECT,
                                      roles='heat_stack_user'))
        self.assertEqual(_time(3), self.show_deployment(
            deployment['id'])['delivered_at'])

    def test_agent_last_seen_once_per_interval(self):
        self.config(group='deployment', agent_seen_interval=60)
        url = self.rotate()
        shown = self.get('/server_agents/' + agent_base.SERVER, status=200)
        self.assertIsNone(shown.json['server_agent']['agent_last_seen'])
        seen = []
        for step in (0, 30, 29, 1, 10):
            self.later(step)
            self.poll(url, method='HEAD')
            seen.append(self.get('/server_agents/' + agent_base.SERVER,
                                 status=200).json['server_agent'][
                                     'agent_last_seen'])
        self.assertEqual([_time(0), _time(0), _time(0), _time(60),
                          _time(60)], seen)
