"""``[database] slave_connection``: which reads a lagging replica serves.

The real ``deploysvc-api`` runs on a database of the test PostgreSQL
(``DEPLOYSVC_TEST_PG_URL``) with that database's copy on the hot standby
(``DEPLOYSVC_TEST_PG_REPLICA_URL``, ``tools/test-setup.sh start pg
pgreplica``) as its replica.  The test makes the lag itself: it pauses the
standby's replay (``pg_wal_replay_pause``) for as long as it needs, so what
a lagging replica serves is seen exactly, with no race against the
replication delay.  The pause stops the standby for every database on it:
the tests take turns (a lock file beside the services' state).

What it shows: lists come from the replica (a row written meanwhile is
missing until the replica catches up); a show, the metadata endpoint and
every write see the primary; an agent's conditional poll is answered 304
by the replica only for the document the replica has, never for one older
than what the agent holds, and a plain GET always gets the primary's
document.
"""

import fcntl
import json
import os
import time

import fixtures
import sqlalchemy
import testtools

from deploysvc.tests.functional import base
from deploysvc.tests import utils

WAIT = 30
SERVER = '5e1f0c2a-7d4b-4c3e-9a8f-0b1c2d3e4f50'


class ReadReplicaTest(utils.HttpHelpers, testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.Timeout(
            int(os.environ.get('OS_TEST_TIMEOUT', 160)), gentle=True))
        urls = [os.environ.get(name) for name in (
            'DEPLOYSVC_TEST_PG_URL', 'DEPLOYSVC_TEST_PG_REPLICA_URL')]
        if not all(urls):
            self.fail('DEPLOYSVC_TEST_PG_URL and DEPLOYSVC_TEST_PG_REPLICA_'
                      'URL are not both set: start them with '
                      '"tools/test-setup.sh start pg pgreplica" and source '
                      '.services/env.sh, or run "tox -e all".')
        self._take_turn()
        self.useFixture(fixtures.EnvironmentVariable(
            'DEPLOYSVC_TEST_DB_URL', urls[0]))
        self.server = self.useFixture(base.ServerFixture(
            workers=1, replica_url=urls[1]))
        self.addOnException(lambda exc_info: self.addDetail(
            'deploysvc-api-log', self.server.log_content()))
        self.primary = self._engine(self.server.conf.db_url)
        self.replica = self._engine(self.server.conf.replica_db_url)
        self.caught_up()

    def _take_turn(self):
        directory = os.environ.get('DEPLOYSVC_TEST_SERVICES_DIR') or (
            self.useFixture(fixtures.TempDir()).path)
        lock = open(os.path.join(directory, 'replica-pause.lock'), 'w')
        self.addCleanup(lock.close)
        # Blocks while another test process holds it (its test is bounded
        # by OS_TEST_TIMEOUT, as this one is).
        fcntl.flock(lock, fcntl.LOCK_EX)
        self.addCleanup(fcntl.flock, lock, fcntl.LOCK_UN)

    def _engine(self, url):
        engine = sqlalchemy.create_engine(url, isolation_level='AUTOCOMMIT')
        self.addCleanup(engine.dispose)
        return engine

    def _sql(self, engine, statement):
        with engine.connect() as connection:
            return connection.exec_driver_sql(statement).scalar()

    def caught_up(self):
        """Wait until the replica has replayed all the primary has now.

        The test servers commit without waiting for the disk
        (synchronous_commit off): what the primary has written may still
        be in its WAL buffers, sent to the standby only when flushed (up
        to 15 s later on an idle server).  So: where the WAL ends now,
        then a transaction with an id committed synchronously, which
        flushes all of it; the replica has caught up once it has replayed
        that far.
        """
        lsn = self._sql(self.primary, 'SELECT pg_current_wal_insert_lsn()')
        with self.primary.connect() as connection:
            # Autocommit: each statement is a transaction of its own.
            connection.exec_driver_sql('SET synchronous_commit = on')
            connection.exec_driver_sql('SELECT pg_current_xact_id()')
            connection.exec_driver_sql('RESET synchronous_commit')
        deadline = time.monotonic() + WAIT
        while not self._sql(self.replica,
                            "SELECT pg_last_wal_replay_lsn() >= '%s'" % lsn):
            self.assertLess(time.monotonic(), deadline,
                            'the replica did not catch up in %d s' % WAIT)
            time.sleep(0.05)

    def lag(self):
        """The replica stops replaying until ``catch_up`` or clean-up."""
        self._sql(self.replica, 'SELECT pg_wal_replay_pause()')
        self.addCleanup(self._resume)

    def _resume(self):
        self._sql(self.replica, 'SELECT pg_wal_replay_resume()')

    def catch_up(self):
        self._resume()
        self.caught_up()

    # -- the API ------------------------------------------------------------

    def request(self, method, path, body=None, headers=None):
        headers = dict(headers or {})
        if body is not None:
            body = json.dumps(body)
            headers['Content-Type'] = 'application/json'
        return self.server.request(method, path, body, headers)

    def api(self, method, path, body=None, status=200):
        response = self.request(method, '/v1/%s%s' % (
            self.server.project_id, path), body)
        self.assertEqual(status, response.status, response.body)
        return json.loads(response.body) if response.body else None

    def post_json(self, path, body):
        return self.api('POST', path, body)

    def listed(self, kind):
        return set(item['id'] for item in self.api(
            'GET', '/%s' % kind)[kind])

    # -- the tests ----------------------------------------------------------

    def test_lists_come_from_the_replica_the_rest_from_the_primary(self):
        before = self.create_deployment(server_id=SERVER)
        self.caught_up()
        self.lag()
        config = self.create_config()
        deployment = self.create_deployment(config_id=config['id'],
                                            server_id=SERVER)
        # (list, the row written before the lag, the one written during it)
        for kind, old, new in (
                ('software_configs', before['config_id'], config['id']),
                ('software_deployments', before['id'], deployment['id'])):
            seen = self.listed(kind)
            self.assertIn(old, seen, kind)
            self.assertNotIn(new, seen, kind)
        self.assertEqual(deployment['id'], self.api(
            'GET', '/software_deployments/%s' % deployment['id'])[
                'software_deployment']['id'])
        self.assertEqual(config['id'], self.api(
            'GET', '/software_configs/%s' % config['id'])[
                'software_config']['id'])
        # The metadata endpoint (os-collect-config's heat collector) too.
        self.assertEqual(2, len(self.api(
            'GET', '/software_deployments/metadata/%s' % SERVER)[
                'metadata']))
        self.catch_up()
        self.assertIn(config['id'], self.listed('software_configs'))
        self.assertIn(deployment['id'], self.listed('software_deployments'))

    def poll(self, url, etag=None):
        headers = {} if etag is None else {'If-None-Match': etag}
        path = url[len(self.server.url):]
        response = self.request('GET', path, headers=headers)
        self.assertIn(response.status, (200, 304), response.body)
        return response

    def test_an_agent_is_never_served_an_older_document(self):
        deployment = self.create_deployment(server_id=SERVER)
        url = self.api('POST', '/server_agents/%s' % SERVER, {})[
            'server_agent']['metadata_url']
        first = self.poll(url)
        old_etag = first.headers['ETag']
        self.caught_up()
        self.lag()
        self.api('PUT', '/software_deployments/%s' % deployment['id'],
                 {'input_values': {'moved': 'yes'}})
        # The agent holds the replica's document: 304, as a poll just
        # before the change would have been (it catches up later).
        self.assertEqual(304, self.poll(url, old_etag).status)
        # A plain GET reads the primary: the new document.
        new = self.poll(url)
        self.assertEqual(200, new.status)
        self.assertNotEqual(old_etag, new.headers['ETag'])
        self.assertIn(b'"moved"', new.body)
        # The agent now holds a document newer than the replica's: the
        # replica has no 304 for it, the primary does.
        self.assertEqual(304, self.poll(url, new.headers['ETag']).status)
        self.catch_up()
        # Caught up, the old document is stale everywhere.
        again = self.poll(url, old_etag)
        self.assertEqual(200, again.status)
        self.assertEqual(new.body, again.body)
        self.assertEqual(new.headers['ETag'], again.headers['ETag'])
