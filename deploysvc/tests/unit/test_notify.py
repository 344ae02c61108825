"""deploysvc.common.notify: what is announced, when, and what never is."""

import threading

import ddt

from deploysvc.common import notify
from deploysvc.db import configs
from deploysvc.db import deployment_groups
from deploysvc.db import deployments
from deploysvc.db import engine
from deploysvc.db import lifecycle
from deploysvc import exception
from deploysvc.tests.unit.db import base as db_base
from deploysvc.tests import utils

SECRET = 'p4ssw0rd-of-the-input'


class Recorder(object):
    """A sender that keeps what it is given, in order."""

    def __init__(self):
        self.sent = []

    def put(self, ctxt, event_type, body):
        self.sent.append((ctxt, event_type, body))

    @property
    def types(self):
        return [event_type for _, event_type, _ in self.sent]


def _signal(status, outputs):
    def decide(row, declared):
        return ({'status': status, 'status_reason': 'Outputs received',
                 'status_reason_code': 'OUTPUTS_RECEIVED',
                 'output_values': outputs}, 'Outputs received')
    return decide


def _ignore(row, declared):
    return {}, 'Ignored'


class NotifyTestCase(db_base.DbTestCase):

    def setUp(self):
        super().setUp()
        self.config(group='oslo_messaging_notifications',
                    driver=['messaging'])
        self.sent = Recorder()
        notify.use(self.sent)
        self.addCleanup(notify.use, None)
        self.sc = utils.create_test_config(
            self.context, inputs=[{'name': 'password'}])
        del self.sent.sent[:]

    def create(self, **kw):
        return utils.create_test_deployment(
            self.context, config_id=self.sc.id,
            input_values={'password': SECRET}, **kw)


@ddt.ddt
class TestEvents(NotifyTestCase):

    def test_a_deployments_life_in_order(self):
        row = self.create()
        deployments.signal(self.context, row.id, _signal(
            'COMPLETE', {'deploy_status_code': 0}), {})
        deployments.update(self.context, row.id, {'status': 'IN_PROGRESS',
                                                  'action': 'UPDATE'})
        lifecycle.cancel(self.context, row.id)
        deployments.signal(self.context, row.id, _ignore, {})
        deployments.delete(self.context, row.id)
        configs.delete(self.context, self.sc.id)
        self.assertEqual(
            ['software_deployment.create.end',
             'software_deployment.signal.end',
             'software_deployment.update.end',
             'software_deployment.cancel.end',
             'software_deployment.signal.end',
             'software_deployment.delete.end',
             'software_config.delete.end'], self.sent.types)
        self.assertEqual(
            [('IN_PROGRESS', 'API_UPDATE', None),
             ('COMPLETE', 'OUTPUTS_RECEIVED', True),
             ('IN_PROGRESS', 'API_UPDATE', None),
             ('FAILED', 'CANCELLED', None),
             ('FAILED', 'CANCELLED', False),
             ('FAILED', 'CANCELLED', None)],
            [(body['status'], body['status_reason_code'],
              body.get('signal_applied'))
             for _, _, body in self.sent.sent[:6]])
        self.assertEqual({row.id}, {body['id'] for _, t, body in
                                    self.sent.sent if 'deployment' in t})

    def test_a_rollouts_life_in_order(self):
        group = deployment_groups.create(
            self.context, {'config_id': self.sc.id, 'max_concurrency': 1,
                           'max_errors': 0,
                           'input_values': {'password': SECRET}},
            [('s1', None), ('s2', None)])
        first = deployment_groups.children(self.context, group.id)[0]
        deployments.update(self.context, first.id, {'status': 'COMPLETE'})
        deployment_groups.cancel(self.context, group.id)
        deployment_groups.delete(self.context, group.id)
        # (event, the group's status and counts it announces)
        self.assertEqual(
            [('software_deployment_group.create.end', 'IN_PROGRESS', 0, 0),
             ('software_deployment.update.end', None, None, None),
             # The released second child is cancelled as a deployment
             # is (it ran: not counted as never run).
             ('software_deployment_group.cancelled.end', 'CANCELLED', 1, 0),
             ('software_deployment.cancel.end', None, None, None),
             ('software_deployment_group.delete.end', 'CANCELLED', 1, 0)],
            [(event_type,) + ((body['status'], body['complete'],
                               body['cancelled'])
                              if 'group' in event_type else (None,) * 3)
             for _, event_type, body in self.sent.sent])
        self.assertNotIn(SECRET, repr(self.sent.sent))

    def test_timeout_before_the_update_that_noticed_it(self):
        row = self.create(delivery_timeout=10)
        del self.sent.sent[:]
        self.clock.advance_time_seconds(11)
        deployments.update(self.context, row.id, {'status': 'COMPLETE'})
        self.assertEqual(['software_deployment.timeout.end',
                          'software_deployment.update.end'], self.sent.types)
        self.assertEqual('TIMED_OUT_DELIVERY',
                         self.sent.sent[0][2]['status_reason_code'])

    def test_config_create(self):
        sc = utils.create_test_config(self.context, name='one')
        self.assertEqual([('software_config.create.end', sc.id, 'one')],
                         [(t, body['id'], body['name'])
                          for _, t, body in self.sent.sent])

    @ddt.data(
        # A change refused inside its transaction announces nothing.
        ('update unknown', lambda t: deployments.update(
            t.context, 'f' * 36, {'status': 'COMPLETE'}),
         exception.DeploymentNotFound),
        ('cancel not in progress', lambda t: lifecycle.cancel(
            t.context, t.create(status='COMPLETE').id), exception.Conflict),
        ('delete used config', lambda t: (t.create(), configs.delete(
            t.context, t.sc.id)), exception.InvalidRestrictedAction),
        ('delete other project', lambda t: deployments.delete(
            t.other_context, t.create().id), exception.DeploymentNotFound),
    )
    @ddt.unpack
    def test_rolled_back_not_announced(self, name, change, error):
        self.assertRaises(error, change, self)
        self.assertNotIn('.delete.', ' '.join(self.sent.types))
        self.assertNotIn('.cancel.', ' '.join(self.sent.types))
        self.assertNotIn('.update.', ' '.join(self.sent.types))

    def test_rolled_back_transaction_not_announced(self):
        row = self.create()
        del self.sent.sent[:]

        def work(w):
            deployments.update.__wrapped__(w, self.context, row.id,
                                           {'status': 'COMPLETE'})
            raise exception.Conflict(message='after the write')
        self.assertRaises(exception.Conflict, engine.write, work)
        self.assertEqual([], self.sent.sent)

    def test_off_by_default_nothing_queued(self):
        self.config(group='oslo_messaging_notifications', driver=[])
        self.create()
        self.assertEqual([], self.sent.sent)

    def test_context_has_ids_no_token(self):
        self.create()
        ctxt = self.sent.sent[0][0]
        self.assertEqual({'request_id', 'global_request_id', 'project_id',
                          'user_id'}, set(ctxt))
        self.assertEqual(self.context.project_id, ctxt['project_id'])


class TestPayloads(NotifyTestCase):

    def test_no_input_values_or_config_body_anywhere(self):
        row = self.create()
        deployments.signal(self.context, row.id, _signal(
            'COMPLETE', {'deploy_stdout': 'x' * 5000}), {})
        deployments.delete(self.context, row.id)
        configs.delete(self.context, self.sc.id)
        for _, event_type, body in self.sent.sent:
            text = repr(body)
            self.assertNotIn(SECRET, text, event_type)
            self.assertNotIn('input_values', body, event_type)
            self.assertNotIn('config', body, event_type)
            self.assertNotIn('inputs', body, event_type)
            self.assertEqual('1.0', body['payload_version'])

    def test_fields_of_a_deployment(self):
        row = self.create()
        self.assertEqual(
            ['action', 'config_id', 'created_at', 'deadline_at',
             'delivered_at', 'delivery_seconds', 'id', 'outputs',
             'payload_version', 'project_id', 'run', 'run_seconds',
             'run_started_at', 'server_id', 'status', 'status_reason',
             'status_reason_code', 'updated_at'],
            sorted(self.sent.sent[0][2]))
        self.assertEqual(row.server_id, self.sent.sent[0][2]['server_id'])

    def test_delivery_announced_once(self):
        row = self.create()
        del self.sent.sent[:]
        self.clock.advance_time_seconds(2)
        lifecycle.deliver(self.context, [row.id])
        lifecycle.deliver(self.context, [row.id])
        self.assertEqual(['software_deployment.deliver.end'], self.sent.types)
        body = self.sent.sent[0][2]
        self.assertEqual((row.id, 'IN_PROGRESS', 2.0, None),
                         (body['id'], body['status'],
                          body['delivery_seconds'], body['run_seconds']))
        self.assertIsNotNone(body['delivered_at'])
        self.assertEqual(self.context.request_id,
                         self.sent.sent[0][0]['request_id'])

    def test_delivery_of_a_cancelled_run_not_announced(self):
        row = self.create()
        lifecycle.cancel(self.context, row.id)
        del self.sent.sent[:]
        lifecycle.deliver(self.context, [row.id])
        self.assertEqual([], self.sent.types)

    def test_timings(self):
        row = self.create()
        self.clock.advance_time_seconds(2)
        lifecycle.deliver(self.context, [row.id])
        self.clock.advance_time_seconds(3)
        deployments.signal(self.context, row.id,
                           _signal('COMPLETE', {}), {})
        body = self.sent.sent[-1][2]
        self.assertEqual((2.0, 3.0),
                         (body['delivery_seconds'], body['run_seconds']))

    def test_outputs_and_reason_cut(self):
        row = self.create()
        deployments.signal(self.context, row.id, _signal(
            'COMPLETE', {'deploy_stdout': 'x' * 5000,
                         'deploy_status_code': 0, 'none': None}), {})
        outputs = self.sent.sent[-1][2]['outputs']
        self.assertEqual(
            {'deploy_stdout': 'x' * notify.OUTPUT_MAX,
             'deploy_status_code': '0', 'none': None}, outputs)


class TestSender(db_base.DbTestCase):

    class Notifier(object):
        """Holds the sending thread on its first notification."""

        def __init__(self):
            self.sent = []
            self.release = threading.Event()

        def info(self, ctxt, event_type, body):
            self.release.wait()
            self.sent.append(event_type)

    def test_full_queue_drops_never_waits(self):
        notifier = self.Notifier()
        sender = notify.Sender(notifier, size=1)
        # The thread holds at most one, the queue one more: the others
        # are dropped at once rather than waited for.
        for i in range(50):
            sender.put({}, 'e%d' % i, {'id': i})
        notifier.release.set()
        sender.flush()
        self.assertEqual(['e0'], notifier.sent[:1])
        self.assertLessEqual(len(notifier.sent), 2)
