"""A database that cannot be reached: 503 with Retry-After, never a 500.

The outage is made at the one place connections are opened
(``deploysvc.db.engine``): every connection attempt fails as the driver
fails when the server is down, and the connections parked before it die
at their first statement.  Recovery needs no restart: the next request
after the database is back is served.
"""

import ddt
import fixtures
from oslo_db import exception as db_exc
import sqlalchemy as sa

from deploysvc.db import engine as db_engine
from deploysvc import exception
from deploysvc.tests.unit.api import agent_base
from deploysvc.tests import utils

# What psycopg2 says when nothing listens on the server's port.
_REFUSED = sa.exc.OperationalError(
    'connect', {}, Exception('connection to server at "127.0.0.1", port '
                             '5432 failed: Connection refused'))


class _Down(fixtures.Fixture):
    """The database is down while this fixture is set up."""

    def _setUp(self):
        db_engine.close_parked()
        self.useFixture(fixtures.MockPatchObject(
            db_engine._Parking, 'take', side_effect=_REFUSED))
        self.addCleanup(db_engine.close_parked)


@ddt.ddt
class TestOutage(agent_base.AgentTestCase):

    def setUp(self):
        super().setUp()
        self.config_id = utils.create_test_config(self.context).id
        self.deployment = self.create_deployment(config_id=self.config_id)
        self.metadata_url = agent_base.path_of(self.rotate())

    def assertUnavailable(self, response):
        self.assertEqual(503, response.status_int, response.text)
        self.assertEqual('5', response.headers['Retry-After'])
        self.assertEqual('application/json', response.content_type)
        self.assertEqual('HTTPServiceUnavailable',
                         response.json['error']['type'])
        self.assertEqual('The database is unavailable; retry in 5 seconds.',
                         response.json['error']['message'])
        self.assertNotIn(b'OperationalError', response.body)

    def requests(self):
        """(method, path, body) of every kind of request that reads or writes.

        With the ids of this test's objects.
        """
        deployment = '/software_deployments/%s' % self.deployment['id']
        return [
            ('GET', self.url('/software_configs'), None),
            ('GET', self.url('/software_configs/' + self.config_id), None),
            ('POST', self.url('/software_configs'), utils.config_body()),
            ('DELETE', self.url('/software_configs/' + self.config_id),
             None),
            ('GET', self.url('/software_deployments'), None),
            ('GET', self.url(deployment), None),
            ('PUT', self.url(deployment), {'status': 'COMPLETE'}),
            ('DELETE', self.url(deployment), None),
            ('GET', self.url(deployment + '/events'), None),
            ('POST', self.url('/software_deployments'),
             utils.deployment_body(config_id=self.config_id)),
            ('GET', self.url('/software_deployments/metadata/' +
                             agent_base.SERVER), None),
            ('GET', self.url('/server_agents/' + agent_base.SERVER), None),
            ('GET', self.metadata_url, None),
            ('HEAD', self.metadata_url, None),
        ]

    def send(self, method, path, body):
        return self.app.request(path, method=method, headers=self.headers(),
                                json=body, expect_errors=True)

    def test_every_request_is_503_while_down_and_served_after(self):
        with _Down():
            for method, path, body in self.requests():
                response = self.send(method, path, body)
                if method == 'HEAD':
                    self.assertEqual(503, response.status_int)
                    self.assertEqual('5', response.headers['Retry-After'])
                else:
                    self.assertUnavailable(response)
        # Back: served without a restart, and nothing was half done.
        shown = self.show_deployment(self.deployment['id'])
        self.assertEqual('IN_PROGRESS', shown['status'])
        self.assertEqual(200, self.send('GET', self.metadata_url,
                                        None).status_int)

    def test_signal_is_503_while_down(self):
        signal = agent_base.path_of(self.signal_url(
            self.rotate(), self.deployment['id']))
        self.useFixture(_Down())
        self.assertUnavailable(self.send('PUT', signal, {'a': 1}))

    @ddt.data('/healthcheck')
    def test_healthcheck_reports_the_database(self, path):
        self.assertEqual(200, self.app.get(path).status_int)
        with _Down():
            response = self.app.get(path, expect_errors=True)
        self.assertEqual(503, response.status_int)
        self.assertIn('DATABASE UNAVAILABLE', response.text)
        self.assertEqual(200, self.app.get(path).status_int)

    def test_connection_lost_during_the_work(self):
        # A parked connection whose server went away after the statement
        # started: the work is not run again, the client gets a 503.
        def lost(w):
            w.execute(sa.select(sa.literal_column('1')))
            raise db_exc.DBConnectionError('lost')
        self.assertRaises(exception.DatabaseUnavailable, db_engine.read,
                          lost)
