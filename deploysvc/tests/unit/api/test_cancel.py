"""Cancel of deployments, and its races (issue 15).

See doc/source/contributor/behaviour.rst, behaviour-deadlines.
"""

import ddt

from deploysvc.tests.unit.api import agent_base
from deploysvc.tests.unit.api import deadlines_base as base
from deploysvc.tests import utils


@ddt.ddt
class TestCancel(base.DeadlineTestCase):

    def cancel(self, deployment_id, status=200, **kw):
        return self.post('/software_deployments/%s/cancel' % deployment_id,
                         None, status=status, **kw)

    def test_before_delivery_it_never_runs(self):
        deployment = self.create_deployment()
        url = self.rotate()
        before = self.poll(url, method='HEAD').headers['ETag']
        cancelled = self.cancel(deployment['id']).json['software_deployment']
        self.assertEqual(
            ('FAILED', 'CANCELLED', None),
            (cancelled['status'], cancelled['status_reason_code'],
             cancelled['deadline_at']))
        self.assertIn('will not run', cancelled['status_reason'])
        # Out of the agent's document, and of Heat's metadata.
        self.assertEqual([], self.document(url)['deployments'])
        self.assertNotEqual(before,
                            self.poll(url, method='HEAD').headers['ETag'])
        self.assertEqual([], self.get(
            '/software_deployments/metadata/' + agent_base.SERVER,
            status=200).json['metadata'])
        [event] = [e for e in self.events(deployment['id'])
                   if e['reason_code'] == 'CANCELLED']
        self.assertEqual(('api', 'IN_PROGRESS', 'FAILED'), (
            event['source'], event['status_from'], event['status_to']))

    def test_after_delivery_its_result_is_ignored(self):
        deployment, url, signal_url = self.setup_signal()
        cancelled = self.cancel(deployment['id']).json['software_deployment']
        self.assertIn('result will be ignored', cancelled['status_reason'])
        # Still served: the agent has it already.
        self.assertEqual(1, len(self.document(url)['deployments']))
        body = self.signal(signal_url, {'deploy_status_code': 0})
        self.assertEqual({'status': 'FAILED', 'applied': False}, body)
        self.assertEqual('CANCELLED', self.show_deployment(
            deployment['id'])['status_reason_code'])

    def test_a_new_status_serves_it_again(self):
        deployment = self.create_deployment()
        url = self.rotate()
        self.cancel(deployment['id'])
        self.update_deployment(deployment['id'], {
            'status': 'IN_PROGRESS', 'action': 'UPDATE'})
        self.assertEqual(1, len(self.document(url)['deployments']))

    @ddt.data('COMPLETE', 'FAILED')
    def test_not_in_progress_is_409(self, status):
        deployment = self.create_deployment()
        self.update_deployment(deployment['id'], {'status': status})
        response = self.cancel(deployment['id'], status=409)
        self.assertError(
            response, 409, 'Conflict',
            'Deployment %s is %s, not IN_PROGRESS: there is nothing to '
            'cancel.' % (deployment['id'], status))

    def test_past_its_deadline_it_has_timed_out_instead(self):
        deployment = self.create_deployment(delivery_timeout=5)
        self.later(5)
        self.cancel(deployment['id'], status=409)
        self.assertEqual('TIMED_OUT_DELIVERY', self.show_deployment(
            deployment['id'])['status_reason_code'])

    def test_unknown_or_other_projects_is_404(self):
        theirs = utils.create_test_deployment(
            self.make_context(agent_base.OTHER_PROJECT),
            config_id=utils.create_test_config(
                self.make_context(agent_base.OTHER_PROJECT)).id)
        for deployment_id in ('no-such-deployment', theirs.id):
            self.assertError(self.cancel(deployment_id, status=404), 404,
                             'NotFound')


class TestRaces(base.DeadlineTestCase):
    """Threads on one database (PostgreSQL and MariaDB in the gate)."""

    database_threads = True
    threads = 8

    def test_many_readers_after_the_deadline_record_one_event(self):
        deployment = self.create_deployment(delivery_timeout=1)
        self.later(1)
        results = utils.run_concurrently(
            self.threads, lambda i: self.threaded(
                'GET', '/software_deployments/' + deployment['id']))
        self.assertEqual([('ok', 200)] * self.threads,
                         [(kind, status) for kind, (status, _) in results])
        self.assertEqual(1, len(self.deadline_events(deployment['id'])))

    def test_cancel_racing_a_signal_ends_once(self):
        for _ in range(3):
            deployment, _, signal_url = self.setup_signal()
            results = utils.run_concurrently(2, lambda i: (
                self.threaded('POST', '/software_deployments/%s/cancel'
                              % deployment['id']) if i == 0 else
                self.threaded('PUT', agent_base.path_of(signal_url),
                              {'deploy_status_code': 0}, agent=True)))
            cancel, signal = [result for _, result in results]
            shown = self.show_deployment(deployment['id'])
            applied = [e for e in self.events(deployment['id'])
                       if e['applied'] and e['status_to'] != 'IN_PROGRESS']
            self.assertEqual(1, len(applied), applied)
            if shown['status_reason_code'] == 'CANCELLED':
                self.assertEqual((200, 200, False), (
                    cancel[0], signal[0], signal[1]['applied']))
            else:
                self.assertEqual(('COMPLETE', 409, True), (
                    shown['status'], cancel[0], signal[1]['applied']))
