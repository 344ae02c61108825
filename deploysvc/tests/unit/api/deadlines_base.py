"""Deadlines, delivery and cancel (issue 15): the tests' shared case.

The clock is frozen and moved by the tests: a deadline passes exactly
when it says.  The tests are in test_deadlines.py and test_cancel.py.
"""

import datetime
import json

from oslo_utils import fixture as utils_fixture
import webtest

from deploysvc.tests.unit.api import agent_base

NOW = datetime.datetime(2026, 3, 1, 12, 0, 0)
DELIVERY = 'Deployment was not delivered to the server within %d seconds'
EXECUTION = 'Deployment produced no result within %d seconds of delivery'


def time_at(seconds):
    """NOW + ``seconds`` as the API writes times."""
    return (NOW + datetime.timedelta(seconds=seconds)).strftime(
        '%Y-%m-%dT%H:%M:%SZ')


class DeadlineTestCase(agent_base.AgentTestCase):

    def setUp(self):
        super().setUp()
        self.clock = self.useFixture(utils_fixture.TimeFixture(NOW))

    def later(self, seconds):
        self.clock.advance_time_seconds(seconds)

    def threaded(self, method, path, body=None, agent=False):
        """A request from a thread (webtest apps are not shared)."""
        client = webtest.TestApp(self.app.app)
        kw = {'expect_errors': True}
        if body is not None:
            kw.update(body=json.dumps(body).encode(),
                      content_type='application/json')
        if not agent:
            path = self.url(path)
            kw['headers'] = self.headers()
        response = client.request(path, method=method, **kw)
        return response.status_int, response.json

    def deadline_events(self, deployment_id):
        return [e for e in self.events(deployment_id)
                if e['source'] == 'deadline']

    def fetched(self, **kw):
        """A deployment whose server's agent has fetched it."""
        deployment = self.create_deployment(**kw)
        url = self.rotate()
        self.document(url)
        return self.show_deployment(deployment['id']), url
