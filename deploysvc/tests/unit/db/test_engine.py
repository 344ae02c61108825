"""deploysvc.db.engine: parked connections, transactions, retries."""

import datetime
import types

import ddt
import fixtures
from oslo_db import exception as db_exc
import sqlalchemy as sa

from deploysvc.db import agents
from deploysvc.db import deployments
from deploysvc.db import engine as db_engine
from deploysvc.db import models
from deploysvc.db import prepared
from deploysvc.db import quotas
from deploysvc import exception
from deploysvc.tests import base
from deploysvc.tests import utils

_USAGE = models.QuotaUsage.__table__
_SD = models.SoftwareDeployment.__table__


def _backend_id(work):
    """The database server's id of the connection running ``work``."""
    dialect = work.dialect.name
    if dialect == 'postgresql':
        return work.execute(sa.text('SELECT pg_backend_pid()')).scalar()
    if dialect == 'mysql':
        return work.execute(sa.text('SELECT CONNECTION_ID()')).scalar()
    return id(work.connection.connection.dbapi_connection)


def _statements(test):
    """The SQL statements sent from now on, as a list kept up to date.

    Prepared statements go through SQLAlchemy meanwhile, so that its
    cursor events see them.
    """
    sent = []
    prepared.trace(True)
    test.addCleanup(prepared.trace, False)

    def before(conn, cursor, statement, params, context, many):
        sent.append(statement)
    bind = db_engine.get_engine()
    sa.event.listen(bind, 'before_cursor_execute', before)
    test.addCleanup(sa.event.remove, bind, 'before_cursor_execute', before)
    return sent


class TestParking(base.TestCase):
    """Connections stay open between requests, on every database."""

    def test_reads_reuse_one_connection(self):
        self.assertEqual(db_engine.read(_backend_id),
                         db_engine.read(_backend_id))

    def test_reader_leaves_no_transaction_open(self):
        def read(work):
            work.execute(sa.select(_USAGE.c.in_use)).all()
            return work.connection.connection.dbapi_connection
        dbapi_connection = db_engine.read(read)
        dialect = db_engine.get_engine().dialect.name
        if dialect == 'postgresql':
            self.assertEqual(0, dbapi_connection.info.transaction_status)
        elif dialect == 'mysql':
            self.assertTrue(dbapi_connection.get_autocommit())
        else:
            # A SHARED lock kept by a parked reader would make every
            # writer's COMMIT wait.
            self.assertFalse(dbapi_connection.in_transaction)

    def test_writer_commits_or_rolls_back(self):
        used = []

        def insert(work, fail=False):
            used.append(_backend_id(work))
            work.execute(_USAGE.insert(), {'project_id': 'p', 'resource': 'r',
                                           'in_use': 1 if fail else 2})
            if fail:
                raise exception.Conflict('stop')
        self.assertRaises(exception.Conflict, db_engine.write,
                          lambda w: insert(w, fail=True))
        db_engine.write(insert)
        # The writer that failed went back to the parking, usable.
        self.assertEqual(used[0], used[1])
        rows = db_engine.read(lambda r: r.execute(
            sa.select(_USAGE.c.in_use)).all())
        self.assertEqual([(2,)], [tuple(row) for row in rows])

    def test_dead_parked_connection_is_replaced(self):
        """The database restarting while a connection is parked."""
        before = db_engine.read(_backend_id)
        dialect = db_engine.get_engine().dialect.name
        if dialect == 'sqlite':
            # No server to lose: the parked connection is simply kept.
            self.assertEqual(before, db_engine.read(_backend_id))
            return
        killer = db_engine.get_engine().connect().execution_options(
            isolation_level='AUTOCOMMIT')
        self.addCleanup(killer.close)
        if dialect == 'postgresql':
            killer.execute(sa.text('SELECT pg_terminate_backend(:pid)'),
                           {'pid': before})
        else:
            killer.exec_driver_sql('KILL %d' % before)
        # A prepared statement meets the dead connection first: its
        # error is translated as SQLAlchemy's would be, and the read runs
        # again on a new connection.
        self.assertIsNone(agents.by_credential('unknown'))
        after = db_engine.read(_backend_id)
        self.assertNotEqual(before, after)
        self.assertEqual(after, db_engine.read(_backend_id))

    def test_without_a_replica_replica_reads_share_the_primary(self):
        self.assertFalse(db_engine.has_replica())
        primary = db_engine.read(_backend_id)
        self.assertEqual(primary, db_engine.read(_backend_id, replica=True))
        self.assertIs(db_engine.get_engine(), db_engine.read(
            lambda w: w.connection.engine, replica=True))

    def test_replica_reads_run_on_the_replica_and_only_they(self):
        replica = sa.create_engine('sqlite://')
        self.addCleanup(replica.dispose)
        self.useFixture(fixtures.MockPatchObject(
            db_engine, 'get_replica_engine', return_value=replica))
        self.assertTrue(db_engine.has_replica())

        def engine_of(w):
            return w.connection.engine

        # (how the work runs, the engine it runs on)
        for run, expected in (
                (lambda: db_engine.read(engine_of, replica=True), replica),
                (lambda: db_engine.replica_reader(engine_of)(), replica),
                (lambda: db_engine.read(engine_of), db_engine.get_engine()),
                (lambda: db_engine.reader(engine_of)(),
                 db_engine.get_engine()),
                (lambda: db_engine.write(engine_of), db_engine.get_engine())):
            self.assertIs(expected, run())

    def test_engine_change_drops_the_parking(self):
        before = db_engine.read(_backend_id)
        other = sa.create_engine('sqlite://')
        self.addCleanup(other.dispose)
        self.useFixture(fixtures.MockPatchObject(db_engine, 'get_engine',
                                                 return_value=other))
        self.assertIs(other, db_engine.read(lambda w: w.connection.engine))
        self.assertNotEqual(before, db_engine.read(_backend_id))


class _Connection(object):
    """A stand-in for a SQLAlchemy connection that fails on demand."""

    dialect = sa.create_engine('sqlite://').dialect

    def __init__(self, failures):
        self.failures = failures
        self.invalidated = False
        self.statements = 0

    def execute(self, statement, params=None):
        if self.failures:
            failure = self.failures.pop(0)
            self.invalidated = isinstance(failure, db_exc.DBConnectionError)
            raise failure
        self.statements += 1
        return types.SimpleNamespace(rowcount=self.statements)

    def begin(self):
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def rollback(self):
        pass


class _Parking(object):

    autocommit = True

    def __init__(self, connections):
        self.connections = list(connections)
        self.taken = []
        self.returned = []

    def take(self, write):
        connection = self.connections.pop(0)
        self.taken.append(connection)
        return connection, 0.0

    def give_back(self, connection, born, write, healthy=True):
        self.returned.append((connection, healthy))


class TestRetries(base.TestCase):
    """A connection dead before its first statement is replaced once."""

    def parking(self, *connections):
        parking = _Parking(connections)
        self.useFixture(fixtures.MockPatchObject(db_engine, '_parking',
                                                 return_value=parking))
        return parking

    def test_dead_before_the_first_statement_runs_again(self):
        dead = _Connection([])
        alive = _Connection([])
        parking = self.parking()
        for run in (db_engine.read, db_engine.write):
            parking.connections = [dead, alive]
            dead.failures = [db_exc.DBConnectionError('gone')]
            alive.statements = 0
            parking.returned = []
            self.assertEqual(1, run(lambda w: w.execute('SELECT 1')).rowcount)
            # The dead one is dropped, the new one parked.
            self.assertEqual([(dead, False), (alive, True)], parking.returned)

    def test_dead_after_a_statement_is_an_error(self):
        connection = _Connection([])
        parking = self.parking(connection, _Connection([]))

        def work(w):
            w.execute('UPDATE 1')
            connection.failures.append(db_exc.DBConnectionError('gone'))
            w.execute('UPDATE 2')
        self.assertRaises(exception.DatabaseUnavailable, db_engine.write,
                          work)
        self.assertEqual([(connection, False)], parking.returned)

    def test_second_dead_connection_is_an_error(self):
        parking = self.parking(
            _Connection([db_exc.DBConnectionError('gone')]),
            _Connection([db_exc.DBConnectionError('still gone')]))
        self.assertRaises(exception.DatabaseUnavailable, db_engine.read,
                          lambda r: r.execute('SELECT 1'))
        self.assertEqual(2, len(parking.taken))

    def test_deadlock_runs_the_whole_write_again(self):
        connection = _Connection([db_exc.DBDeadlock()])
        parking = self.parking(connection, connection)
        runs = []

        def work(w):
            runs.append(w)
            return w.execute('UPDATE').rowcount
        self.assertEqual(1, db_engine.write(work))
        self.assertEqual(2, len(runs))
        # A deadlock does not make the connection unusable.
        self.assertEqual([(connection, True)] * 2, parking.returned)

    def test_reads_are_not_retried_on_deadlock(self):
        connection = _Connection([db_exc.DBDeadlock()])
        parking = self.parking(connection)
        self.assertRaises(db_exc.DBDeadlock, db_engine.read,
                          lambda r: r.execute('SELECT'))
        self.assertEqual([(connection, True)], parking.returned)


class TestRecycle(base.TestCase):

    def test_old_parked_connections_are_replaced(self):
        engine = sa.create_engine('sqlite://')
        self.addCleanup(engine.dispose)
        parking = db_engine._Parking(engine, recycle=10)
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


class TestStatements(base.TestCase):
    """What the database functions send, and how errors come back."""

    def test_update_reads_and_locks_in_one_statement_where_possible(self):
        deployment = utils.create_test_deployment(self.context)
        sent = _statements(self)
        deployments.update(self.context, deployment.id,
                           {'status': 'COMPLETE'})
        kinds = [s.split()[0] for s in sent if s.split()[0] not in (
            'BEGIN', 'COMMIT', 'ROLLBACK')]
        if db_engine.get_engine().dialect.update_returning:
            self.assertEqual(['UPDATE', 'UPDATE', 'INSERT'], kinds)
            lock = [s for s in sent if s.startswith('UPDATE')][0]
            self.assertIn('RETURNING', lock)
        else:
            self.assertEqual(['UPDATE', 'SELECT', 'UPDATE', 'INSERT'], kinds)
        self.assertEqual('COMPLETE', deployments.get(
            self.context, deployment.id).status)

    def test_show_is_one_statement(self):
        deployment = utils.create_test_deployment(self.context)
        sent = _statements(self)
        deployments.get(self.context, deployment.id)
        self.assertEqual(['SELECT'], [s.split()[0] for s in sent
                                      if s.split()[0] not in (
                                          'BEGIN', 'ROLLBACK')])

    def test_types_round_trip(self):
        config = utils.create_test_config(self.context)
        values = dict.fromkeys(models.Deployment._fields)
        values.update(utils.get_test_deployment(config_id=config.id),
                      id='d' * 36, project_id='p',
                      input_values={'a': [1, 'ü', None]},
                      output_values={'deploy_status_code': 0},
                      served_revision=3,
                      created_at=datetime.datetime(2026, 1, 2, 3, 4, 5, 6))
        db_engine.write(lambda w: w.execute(_SD.insert(), values))
        admin = self.make_context(roles=('admin',))
        self.assertEqual(models.Deployment(**values),
                         deployments.get(admin, 'd' * 36))


@ddt.ddt
class TestPrepared(base.TestCase):
    """Prepared statements: types and errors as SQLAlchemy's own."""

    def traced(self, on):
        """Run prepared statements through SQLAlchemy (``on``) or not."""
        prepared.trace(on)
        self.addCleanup(prepared.trace, False)

    @ddt.data(False, True)
    def test_duplicate_is_translated(self, traced):
        self.traced(traced)
        values = {'project_id': 'p', 'resource': 'r', 'in_use': 1}
        db_engine.write(lambda w: w.execute(quotas._INSERT, values))
        self.assertRaises(db_exc.DBDuplicateEntry, db_engine.write,
                          lambda w: w.execute(quotas._INSERT, values))

    @ddt.data(False, True)
    def test_missing_reference_is_translated(self, traced):
        self.traced(traced)
        values = dict.fromkeys(models.Deployment._fields)
        values.update(id='d' * 36, project_id='p', server_id='s',
                      config_id='missing', served_revision=0,
                      created_at=datetime.datetime(2026, 1, 1))
        self.assertRaises(db_exc.DBReferenceError, db_engine.write,
                          lambda w: w.execute(deployments._INSERT, values))

    @ddt.data(False, True)
    def test_rows_are_named_and_typed(self, traced):
        self.traced(traced)
        deployment = utils.create_test_deployment(self.context)
        row = db_engine.read(lambda w: w.execute(
            deployments._BY_ID.any, {'p_id': deployment.id}).first())
        self.assertEqual(deployment, models.Deployment._make(row))
        self.assertEqual(deployment.created_at, row.created_at)
        self.assertEqual({}, row.input_values)

    def test_literal_values_of_the_statement_are_sent(self):
        """``in_use + 1``: the 1 is the statement's own parameter."""
        values = {'project_id': 'p', 'resource': 'r', 'in_use': 1}
        db_engine.write(lambda w: w.execute(quotas._INSERT, values))
        taken = db_engine.write(lambda w: w.execute(
            quotas._TAKE, {'p_project_id': 'p', 'p_resource': 'r'}))
        self.assertEqual(1, taken.rowcount)
        self.assertEqual(2, db_engine.read(lambda r: r.execute(
            quotas._USAGE_OF, {'p_project_id': 'p',
                               'p_resource': 'r'}).scalar()))

    def test_other_errors_pass_unchanged(self):
        # A parameter missing is the caller's error, not the database's.
        self.assertRaises(KeyError, db_engine.read, lambda w: w.execute(
            quotas._USAGE_OF, {'p_project_id': 'p'}))
