"""Notifications on a real RabbitMQ, and requests while it is down.

The real ``deploysvc-api`` (two workers) sends to the RabbitMQ of
``tools/test-setup.sh start rabbitmq`` (DEPLOYSVC_TEST_RABBIT_URL), on a
topic of this test; oslo.messaging's notification listener reads them
back.  A second server is given a broker that is not there (a free port
nothing listens on): its requests must answer as usual.
"""

import json
import os
import queue
import time
import urllib.parse
import uuid

from oslo_config import cfg
import oslo_messaging
import testtools
from testtools import content

from deploysvc.tests.functional import base

# Seconds to wait for one notification to arrive.
WAIT = 30


class Endpoint(object):
    """What the listener hears, in order."""

    def __init__(self):
        self.heard = queue.Queue()

    def info(self, ctxt, publisher_id, event_type, payload, metadata):
        self.heard.put((event_type, payload))


def _conf(transport_url, topic):
    return ('[oslo_messaging_notifications]\n'
            'driver = messaging\n'
            'transport_url = %s\n'
            'topics = %s\n' % (transport_url, topic))


class NotificationsBase(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.rabbit = os.environ.get('DEPLOYSVC_TEST_RABBIT_URL')
        if not self.rabbit:
            self.fail('DEPLOYSVC_TEST_RABBIT_URL is not set: start RabbitMQ '
                      'with tools/test-setup.sh start rabbitmq')
        self.topic = 'deploysvc_test_%s' % uuid.uuid4().hex

    def serve(self, transport_url, workers=2):
        server = self.useFixture(base.ServerFixture(
            workers=workers, extra_conf=_conf(transport_url, self.topic)))
        self.addOnException(lambda exc_info: self.addDetail(
            'deploysvc-api-log', server.log_content()))
        return server

    def call(self, server, method, path, body=None):
        response = server.request(
            method, '/v1/%s%s' % (server.project_id, path),
            body=None if body is None else json.dumps(body),
            headers={'Content-Type': 'application/json'})
        self.assertLess(response.status, 300, response.body)
        return json.loads(response.body) if response.body else None

    def life(self, server):
        """A config and a deployment from creation to deletion."""
        config = self.call(server, 'POST', '/software_configs', {
            'name': 'notified', 'group': 'script', 'config': 'true',
            'inputs': [{'name': 'password'}]})['software_config']
        sd = self.call(server, 'POST', '/software_deployments', {
            'config_id': config['id'], 'server_id': str(uuid.uuid4()),
            'action': 'CREATE', 'status': 'IN_PROGRESS',
            'input_values': {'password': 'never-announced'}},
        )['software_deployment']
        # The server's agent fetches its document: the run is delivered.
        url = self.call(server, 'POST', '/server_agents/%s' % sd['server_id'],
                        {})['server_agent']['metadata_url']
        document = server.request('GET', urllib.parse.urlsplit(url).path)
        self.assertEqual(200, document.status, document.body)
        path = '/software_deployments/%s' % sd['id']
        self.call(server, 'PUT', path, {
            'status': 'COMPLETE', 'output_values': {'deploy_status_code': 0}})
        self.call(server, 'PUT', path, {'status': 'IN_PROGRESS',
                                        'action': 'UPDATE'})
        self.call(server, 'POST', path + '/cancel')
        self.call(server, 'DELETE', path)
        self.call(server, 'DELETE', '/software_configs/%s' % config['id'])
        return config['id'], sd['id']


class TestNotifications(NotificationsBase):

    def listen(self):
        conf = cfg.ConfigOpts()
        conf([])
        transport = oslo_messaging.get_notification_transport(
            conf, url=self.rabbit)
        self.addCleanup(transport.cleanup)
        endpoint = Endpoint()
        listener = oslo_messaging.get_notification_listener(
            transport, [oslo_messaging.Target(topic=self.topic)], [endpoint],
            executor='threading')
        listener.start()

        def stop():
            listener.stop()
            listener.wait()
        self.addCleanup(stop)
        return endpoint

    def test_a_life_in_order(self):
        endpoint = self.listen()
        # One worker: each worker sends its own in order, but two workers'
        # sends interleave (consumers order by updated_at, see
        # doc/source/admin/operations.rst).
        server = self.serve(self.rabbit, workers=1)
        config_id, deployment_id = self.life(server)
        expected = [
            ('software_config.create.end', config_id, None),
            ('software_deployment.create.end', deployment_id, 'IN_PROGRESS'),
            ('software_deployment.deliver.end', deployment_id, 'IN_PROGRESS'),
            ('software_deployment.update.end', deployment_id, 'COMPLETE'),
            ('software_deployment.update.end', deployment_id, 'IN_PROGRESS'),
            ('software_deployment.cancel.end', deployment_id, 'FAILED'),
            ('software_deployment.delete.end', deployment_id, 'FAILED'),
            ('software_config.delete.end', config_id, None),
        ]
        heard = [endpoint.heard.get(timeout=WAIT) for _ in expected]
        self.assertEqual(expected, [
            (event_type, payload['id'], payload.get('status'))
            for event_type, payload in heard])
        for event_type, payload in heard:
            self.assertNotIn('never-announced', json.dumps(payload))
            self.assertEqual('1.0', payload['payload_version'])


class TestBrokerDown(NotificationsBase):

    def test_requests_answer_as_usual(self):
        # A port nothing listens on: every connection is refused, as with
        # a stopped broker.
        down = 'rabbit://guest:guest@127.0.0.1:%d/' % base.free_port()
        server = self.serve(down)
        started = time.monotonic()
        # Every request of a life answers as usual: the notifications wait
        # in the workers' queues, never in a request.
        self.life(server)
        self.addDetail('seconds', content.text_content(
            '%.3f' % (time.monotonic() - started)))
