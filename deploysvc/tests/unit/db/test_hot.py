"""The parked connections of the hot paths (deploysvc.db.hot)."""

import datetime
import types

import fixtures
from oslo_db import exception as db_exc
import sqlalchemy as sa

from deploysvc.db import api as db_api
from deploysvc.db import hot
from deploysvc.db import models
from deploysvc import exception
from deploysvc.tests import base
from deploysvc.tests import utils

_USAGE = models.QuotaUsage.__table__


def _backend_id(work):
    """The database server's id of the connection running ``work``."""
    dialect = work.connection.dialect.name
    if dialect == 'postgresql':
        return work.execute(sa.text('SELECT pg_backend_pid()')).scalar()
    if dialect == 'mysql':
        return work.execute(sa.text('SELECT CONNECTION_ID()')).scalar()
    return id(work.connection.connection.dbapi_connection)


class TestParking(base.TestCase):
    """What is parked, and how parked connections are used."""

    def setUp(self):
        super().setUp()
        self.engine = db_api.get_engine()
        self.server = self.engine.dialect.name != 'sqlite'

    def test_reads_reuse_one_connection_on_database_servers(self):
        first = hot.read(_backend_id)
        second = hot.read(_backend_id)
        parked = hot._parking()._idle[False]
        if self.server:
            self.assertEqual(first, second)
            self.assertEqual(1, len(parked))
        else:
            # SQLite has no round trips to save: its connections go back
            # to the pool.
            self.assertFalse(hot._parking().parks)
            self.assertEqual(0, len(parked))

    def test_reader_leaves_no_transaction_open(self):
        """Readers autocommit: nothing is left open between requests."""
        def in_transaction(work):
            work.execute(sa.select(_USAGE.c.in_use)).all()
            return work.connection.connection.dbapi_connection
        dbapi_connection = hot.read(in_transaction)
        if self.engine.dialect.name == 'postgresql':
            self.assertEqual(0, dbapi_connection.info.transaction_status)
        elif self.engine.dialect.name == 'mysql':
            self.assertTrue(dbapi_connection.get_autocommit())
        else:
            # The SQLite connection went back to the pool, rolled back.
            self.assertFalse(dbapi_connection.in_transaction)

    def test_writer_commits_or_rolls_back(self):
        used = []

        def insert(work, fail=False):
            used.append(work.connection)
            work.execute(_USAGE.insert(), {'project_id': 'p', 'resource': 'r',
                                           'in_use': 1 if fail else 2})
            if fail:
                raise exception.Conflict('stop')
        self.assertRaises(exception.Conflict, hot.write,
                          lambda w: insert(w, fail=True))
        # The writer that failed went back to the parking, usable.
        parked = [c for c, _ in hot._parking()._idle[True]]
        self.assertEqual(self.server, used[0] in parked)
        hot.write(insert)

        rows = hot.read(lambda r: r.execute(
            sa.select(_USAGE.c.in_use)).all())
        self.assertEqual([(2,)], [tuple(row) for row in rows])

    def test_dead_parked_connection_is_replaced(self):
        """The database restarting while a connection is parked."""
        if not self.server:
            self.assertFalse(hot._parking().parks)
            return
        before = hot.read(_backend_id)
        killer = self.engine.connect().execution_options(
            isolation_level='AUTOCOMMIT')
        self.addCleanup(killer.close)
        if self.engine.dialect.name == 'postgresql':
            killer.execute(sa.text('SELECT pg_terminate_backend(:pid)'),
                           {'pid': before})
        else:
            killer.exec_driver_sql('KILL %d' % before)
        after = hot.read(_backend_id)
        self.assertNotEqual(before, after)
        self.assertEqual(after, hot.read(_backend_id))

    def test_engine_change_drops_the_parking(self):
        parking = hot._parking()
        other = sa.create_engine('sqlite://')
        self.addCleanup(other.dispose)
        self.useFixture(fixtures.MockPatchObject(db_api, 'get_engine',
                                                 return_value=other))
        self.assertIsNot(parking, hot._parking())
        self.assertIs(other, hot._parking().engine)


class _Connection(object):
    """A stand-in for a SQLAlchemy connection that fails on demand."""

    dialect = sa.create_engine('sqlite://').dialect

    def __init__(self, failures):
        self.failures = failures
        self.connection = types.SimpleNamespace(dbapi_connection=None)
        self.invalidated = False
        self.closed = False
        self.statements = 0

    def execute(self, statement, params=None):
        if self.failures:
            failure = self.failures.pop(0)
            self.invalidated = isinstance(failure, db_exc.DBConnectionError)
            raise failure
        self.statements += 1
        return types.SimpleNamespace(returns_rows=False,
                                     rowcount=self.statements)

    def begin(self):
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def close(self):
        self.closed = True


class _Parking(object):

    parks = True

    def __init__(self, connections):
        self.connections = list(connections)
        self.taken = []
        self.returned = []

    def take(self, write):
        connection = self.connections.pop(0)
        self.taken.append(connection)
        return connection, 0.0

    def give_back(self, connection, born, write):
        self.returned.append((connection, born))


class TestRetries(base.TestCase):
    """A connection dead before its first statement is replaced once."""

    def parking(self, *connections):
        parking = _Parking(connections)
        self.useFixture(fixtures.MockPatchObject(hot, '_parking',
                                                 return_value=parking))
        return parking

    def test_dead_before_the_first_statement_runs_again(self):
        dead = _Connection([db_exc.DBConnectionError('gone')])
        alive = _Connection([])
        parking = self.parking(dead, alive)
        for run in (hot.read, hot.write):
            parking.connections = [dead, alive]
            dead.failures = [db_exc.DBConnectionError('gone')]
            alive.statements = 0
            parking.returned = []
            self.assertEqual(1, run(lambda w: w.execute('SELECT 1')).rowcount)
            # The dead one is dropped (born None), the new one parked.
            self.assertEqual([(dead, None), (alive, 0.0)], parking.returned)

    def test_dead_after_a_statement_is_an_error(self):
        connection = _Connection([])
        parking = self.parking(connection, _Connection([]))

        def work(w):
            w.execute('UPDATE 1')
            connection.failures.append(db_exc.DBConnectionError('gone'))
            w.execute('UPDATE 2')
        self.assertRaises(db_exc.DBConnectionError, hot.write, work)
        self.assertEqual([(connection, None)], parking.returned)

    def test_second_dead_connection_is_an_error(self):
        parking = self.parking(
            _Connection([db_exc.DBConnectionError('gone')]),
            _Connection([db_exc.DBConnectionError('still gone')]))
        self.assertRaises(db_exc.DBConnectionError, hot.read,
                          lambda r: r.execute('SELECT 1'))
        self.assertEqual(2, len(parking.taken))

    def test_other_errors_keep_the_connection(self):
        connection = _Connection([db_exc.DBDeadlock()])
        parking = self.parking(connection)
        self.assertRaises(db_exc.DBDeadlock, hot.write,
                          lambda w: w.execute('UPDATE'))
        self.assertEqual([(connection, 0.0)], parking.returned)


class TestRecycle(base.TestCase):

    def test_old_parked_connections_are_replaced(self):
        engine = sa.create_engine('sqlite://')
        self.addCleanup(engine.dispose)
        parking = hot._Parking(engine, recycle=10)
        parking.parks = True
        clock = self.useFixture(fixtures.MockPatch(
            'time.monotonic', return_value=100.0)).mock
        connection, born = parking.take(False)
        self.assertEqual(100.0, born)
        parking.give_back(connection, born, False)
        clock.return_value = 105.0
        again, born_again = parking.take(False)
        self.assertIs(connection, again)
        parking.give_back(again, born_again, False)
        clock.return_value = 111.0
        fresh, fresh_born = parking.take(False)
        self.assertIsNot(connection, fresh)
        self.assertEqual(111.0, fresh_born)
        self.assertTrue(connection.closed)
        fresh.close()


class TestHotFunctions(base.TestCase):
    """The DB API functions on parked connections keep their contract."""

    def test_update_reads_and_locks_in_one_statement_where_possible(self):
        deployment = utils.create_test_deployment(self.context)
        statements = []
        execute = hot.Work.execute

        def record(work, statement, params=None):
            sql = getattr(statement, 'statement', statement)
            statements.append(str(sql.compile(dialect=work.dialect)))
            return execute(work, statement, params)
        self.useFixture(fixtures.MockPatchObject(hot.Work, 'execute',
                                                 record))
        db_api.deployment_update(self.context, deployment.id,
                                 {'status': 'COMPLETE'})
        kinds = [s.split()[0] for s in statements]
        if db_api.get_engine().dialect.update_returning:
            self.assertEqual(['UPDATE', 'UPDATE', 'INSERT'], kinds)
            self.assertIn('RETURNING', statements[0])
        else:
            self.assertEqual(['UPDATE', 'SELECT', 'UPDATE', 'INSERT'], kinds)
        self.assertEqual('COMPLETE', db_api.deployment_get(
            self.context, deployment.id).status)


class TestStatements(base.TestCase):
    """Statements on the driver's cursor: types and errors as SQLAlchemy's."""

    def test_types_round_trip(self):
        config = utils.create_test_config(self.context)
        values = dict(utils.get_test_deployment(config_id=config.id),
                      id='d' * 36, project_id='p', stack_user_project_id=None,
                      input_values={'a': [1, 'ü', None]},
                      output_values={'deploy_status_code': 0},
                      status_reason=None, served_revision=3,
                      created_at=datetime.datetime(2026, 1, 2, 3, 4, 5, 6),
                      updated_at=None)
        hot.write(lambda w: w.execute(db_api._SD_INSERT, values))
        row = hot.read(lambda r: r.execute(db_api._SHOW.any,
                                           {'p_id': 'd' * 36}).first())
        self.assertEqual(dict((k, values[k]) for k in row._fields),
                         row._asdict())

    def test_duplicate_is_translated(self):
        values = {'project_id': 'p', 'resource': 'r', 'in_use': 1}
        hot.write(lambda w: w.execute(db_api._USAGE_INSERT, values))
        self.assertRaises(db_exc.DBDuplicateEntry, hot.write,
                          lambda w: w.execute(db_api._USAGE_INSERT, values))

    def test_missing_reference_is_translated(self):
        values = dict.fromkeys(db_api._SD_COLUMNS)
        values.update(id='d' * 36, project_id='p', server_id='s',
                      config_id='missing', served_revision=0,
                      created_at=datetime.datetime(2026, 1, 1))
        self.assertRaises(db_exc.DBReferenceError, hot.write,
                          lambda w: w.execute(db_api._SD_INSERT, values))

    def test_literal_values_of_the_statement_are_sent(self):
        """``in_use + 1``: the 1 is the statement's own parameter."""
        values = {'project_id': 'p', 'resource': 'r', 'in_use': 1}
        hot.write(lambda w: w.execute(db_api._USAGE_INSERT, values))
        taken = hot.write(lambda w: w.execute(
            db_api._TAKE, {'p_project_id': 'p', 'p_resource': 'r'}))
        self.assertEqual(1, taken.rowcount)
        self.assertEqual(2, hot.read(lambda r: r.execute(
            db_api._USAGE_OF, {'p_project_id': 'p',
                               'p_resource': 'r'}).scalar()))

    def test_cursor_events_fire(self):
        """Tracing (osprofiler) and query-plan tools see every statement."""
        seen = []

        def before(conn, cursor, statement, params, context, many):
            if 'software_deployment' in statement:
                seen.append(('before', statement.split()[0], params))

        def after(conn, cursor, statement, params, context, many):
            if 'software_deployment' in statement:
                seen.append(('after', statement.split()[0], params))
        engine = db_api.get_engine()
        for name, listener in (('before_cursor_execute', before),
                               ('after_cursor_execute', after)):
            sa.event.listen(engine, name, listener)
            self.addCleanup(sa.event.remove, engine, name, listener)
        hot.read(lambda r: r.execute(db_api._SHOW.any, {'p_id': 'x'}))
        self.assertEqual([('before', 'SELECT'), ('after', 'SELECT')],
                         [s[:2] for s in seen])
        params = seen[0][2]
        self.assertIn('x', params.values() if isinstance(params, dict)
                      else params)
