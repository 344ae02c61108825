"""Galera's certification failure is oslo.db's DBDeadlock, and is retried.

Two transactions on two nodes of the cluster update the same row; the
second to commit fails certification.  MariaDB reports it as error 1213
(``WSREP detected deadlock/conflict``, or InnoDB's deadlock message),
which oslo.db's filters for PyMySQL must turn into ``DBDeadlock``: what
``deploysvc.db.engine.write`` retries, whole.  (``engine.read`` has no
retry: a read is one autocommit statement, which certification never
aborts.)
"""

import fixtures
from oslo_db import exception as db_exc
from oslo_db.sqlalchemy import engines
from oslo_utils import uuidutils
import sqlalchemy as sa
import testtools

from deploysvc.tests.functional import base
from deploysvc.tests.functional.scale import harness


class TestCertificationFailure(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.Timeout(120, gentle=True))
        urls = harness.galera_urls()
        name = 'deploysvc_cert_%s' % uuidutils.generate_uuid(
            dashed=False)[:12]
        database = base._ServerDatabase(urls[0], name)
        database.create()
        self.addCleanup(database.drop)
        self.engines = []
        for url in urls[:2]:
            engine = engines.create_engine(sa.engine.make_url(url).set(
                database=name).render_as_string(hide_password=False),
                mysql_wsrep_sync_wait=1)
            self.addCleanup(engine.dispose)
            self.engines.append(engine)
        with self.engines[0].begin() as connection:
            connection.exec_driver_sql(
                'CREATE TABLE hot (id INTEGER PRIMARY KEY, n INTEGER)')
            connection.exec_driver_sql('INSERT INTO hot VALUES (1, 0)')

    def test_conflict_on_two_nodes_is_a_deadlock(self):
        first = self.engines[0].connect()
        self.addCleanup(first.close)
        transaction = first.begin()
        first.exec_driver_sql('UPDATE hot SET n = n + 1 WHERE id = 1')
        # Another node commits a write to the same row meanwhile...
        with self.engines[1].begin() as second:
            # (A read first: wsrep_sync_wait makes it wait until the row's
            # INSERT is applied on this node; an UPDATE alone does not.)
            self.assertEqual(0, second.exec_driver_sql(
                'SELECT n FROM hot WHERE id = 1').scalar())
            second.exec_driver_sql('UPDATE hot SET n = n + 10 WHERE id = 1')
        # ...so the first one loses certification (at its commit, or at
        # its next statement once the other write is applied).
        error = self.assertRaises(db_exc.DBDeadlock, self._finish,
                                  first, transaction)
        self.assertIn('1213', str(error.inner_exception))
        with self.engines[0].connect() as connection:
            self.assertEqual(10, connection.exec_driver_sql(
                'SELECT n FROM hot WHERE id = 1').scalar())

    @staticmethod
    def _finish(connection, transaction):
        connection.exec_driver_sql('SELECT n FROM hot WHERE id = 1')
        transaction.commit()
