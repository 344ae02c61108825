"""The database engine and the one way to run statements on it.

oslo.db creates the engine (``[database]`` options, SQLite foreign keys,
MySQL SQL mode) and translates driver errors into ``oslo_db.exception``
(deadlock, duplicate, reference, disconnect) through SQLAlchemy's error
events.  Every database function of deploysvc runs its statements through
``read`` or ``write`` here, which own the transaction: ``read`` runs on a
connection in autocommit (one statement is one snapshot), ``write`` runs
one transaction, committed when the work returns and run again, whole, on
a deadlock.

Connections are parked here between requests rather than checked out of
the pool each time.  A checkout costs several times the query it serves
(on PostgreSQL about 0.4 ms of CPU around a 0.1 ms primary-key SELECT):
oslo.db turns on ``pool_pre_ping`` (a ``SELECT 1`` round trip), the driver
sends ``BEGIN`` before the first statement and the pool ``ROLLBACK`` when
it takes the connection back.  A parked connection serves one request at
a time; there are as many as there have been requests in flight at once in
this process (one reader and one writer per sync worker).  What the pool's
pre-ping did is done after the fact: a connection that turns out to be
dead at the first statement of its work (the database restarted while it
was parked) is dropped and the work runs once more on a new connection.
Connections older than ``[database] connection_recycle_time`` are replaced
before use.

With ``[database] slave_connection`` set, the reads that tolerate a
lagging copy run on that replica (``replica_reader``): the lists of configs
and deployments, and the agent's conditional poll (see
doc/source/admin/high-availability.rst, "Read replicas").  Everything else,
and every read when no replica is configured, runs on the primary.

The statements of the hot requests are built once at import and compiled
once per dialect (deploysvc.db.statement); the others are ordinary Core
statements.  SQLite runs the same code: the unit tests exercise what
production runs.
"""

import collections
import functools
import time

from oslo_db import api as oslo_db_api
from oslo_db import exception as db_exc
from oslo_db.sqlalchemy import enginefacade
from oslo_log import log as logging
from osprofiler import opts as profiler_opts
from osprofiler import sqlalchemy as profiler_sqlalchemy
import sqlalchemy as sa

from deploysvc.common import metrics
from deploysvc.db import prepared
from deploysvc import exception

LOG = logging.getLogger(__name__)

# Engine creation and configuration only: transactions are ``read`` and
# ``write`` below, not the facade's reader/writer sessions.
context_manager = enginefacade.transaction_context()
# Each access of ``reader``/``writer`` makes a new clone (~4 µs); the
# clones read the root's factory, which test fixtures patch, on each use.
_WRITER = context_manager.writer
_READER = context_manager.reader
_STATE = {'configured': False, 'recycle': None, 'parking': {}}


def configure(conf):
    """Configure the engine from ``conf`` (once per process)."""
    if not _STATE['configured']:
        context_manager.configure(sqlite_fk=True,
                                  **dict(conf.database.items()))
        _STATE['recycle'] = conf.database.connection_recycle_time
        _STATE['configured'] = True
        if profiler_opts.is_db_trace_enabled(conf):
            # osprofiler traces SQLAlchemy's cursor events, which the
            # prepared statements' own cursors skip: they run through
            # SQLAlchemy while the profiler is on.
            profiler_sqlalchemy.add_tracing(sa, get_engine(), 'db')
            prepared.trace(True)


def get_engine():
    return _WRITER.get_engine()


def get_replica_engine():
    """The replica's engine: the primary's when there is no replica."""
    return _READER.get_engine()


def has_replica():
    """Whether ``[database] slave_connection`` names a replica."""
    return get_replica_engine() is not get_engine()


def close_parked():
    """Close the parked connections (tests, before an engine goes)."""
    parked, _STATE['parking'] = _STATE['parking'], {}
    for parking in parked.values():
        parking.close()


def dispose():
    """Close parked and pooled connections (after fork, or in tests)."""
    close_parked()
    if _STATE['configured']:
        get_engine().dispose()
        get_replica_engine().dispose()


class Work(object):
    """What a database function's work gets: ``execute`` on its connection.

    ``execute`` runs a ``deploysvc.db.statement.Statement`` (built once,
    run on the driver's cursor) or any SQLAlchemy statement (run by
    ``Connection.execute``); both results have ``first``, ``all``,
    ``scalar``, ``rowcount`` and iterate over named rows.  ``started``
    tells whether a statement has reached the database, which decides
    whether the work may run again after a lost connection.
    ``after_commit`` defers a call until the transaction has committed.
    """

    __slots__ = ('connection', 'started', 'committed')

    def __init__(self, connection):
        self.connection = connection
        self.started = False
        self.committed = None

    def after_commit(self, function, *args):
        """Call ``function(*args)`` once the transaction has committed.

        Never when it rolls back, and not for a run of the work that is
        retried (a deadlock runs the whole work again, which defers its
        calls anew).  What a change announces (deploysvc.common.notify)
        goes out here: a rolled-back change is never announced.  The calls
        run in order; one that raises is logged and the others still run,
        since the change itself has been made.
        """
        if self.committed is None:
            self.committed = []
        self.committed.append((function, args))

    def _run_committed(self):
        for function, args in self.committed or ():
            try:
                function(*args)
            except Exception:
                LOG.exception('A call after the commit failed')

    @property
    def dialect(self):
        return self.connection.dialect

    def execute(self, statement, params=None):
        if isinstance(statement, prepared.Statement):
            result = statement.run(self.connection, params)
        else:
            result = self.connection.execute(statement, params)
        self.started = True
        return result


class _Parking(object):
    """The parked connections of one engine in this process."""

    def __init__(self, engine, recycle):
        self.engine = engine
        self.recycle = recycle
        # Readers run in autocommit where the driver can: PostgreSQL and
        # MySQL would otherwise send BEGIN and hold a snapshot between
        # requests.  Not on SQLite: an in-memory database has a single
        # connection that readers and writers share, where autocommit
        # would end every transaction; its readers end theirs instead.
        self.autocommit = engine.dialect.name != 'sqlite'
        self._idle = {False: collections.deque(), True: collections.deque()}

    def take(self, write):
        idle = self._idle[write]
        while idle:
            connection, born = idle.pop()
            if (self.recycle is None or self.recycle < 0
                    or time.monotonic() - born < self.recycle):
                return connection, born
            _close(connection)
        connection = self.engine.connect()
        if not write and self.autocommit:
            connection = connection.execution_options(
                isolation_level='AUTOCOMMIT')
        return connection, time.monotonic()

    def give_back(self, connection, born, write, healthy=True):
        if not healthy or connection.invalidated:
            _close(connection)
        else:
            self._idle[write].append((connection, born))

    def close(self):
        for idle in self._idle.values():
            while idle:
                _close(idle.pop()[0])


def _close(connection):
    try:
        connection.close()
    except Exception:  # noqa: S110 - a dead connection is being dropped
        pass


def _parking(replica=False):
    engine = get_engine()
    if replica:
        # Without a replica the reader engine is the primary's: its reads
        # share the primary's parked connections.
        replica_engine = get_replica_engine()
        replica = replica_engine is not engine
        engine = replica_engine
    parking = _STATE['parking'].get(replica)
    if parking is None or parking.engine is not engine:
        # A new engine (tests patch it): the old one's connections go.
        if parking is not None:
            parking.close()
        parking = _STATE['parking'][replica] = _Parking(
            engine, _STATE['recycle'])
    return parking


def read(work, replica=False):
    """``work(w)`` on an autocommit connection; returns its result.

    On the replica if ``replica`` and one is configured (its data may lag
    behind the primary's by the replication delay).
    """
    return _run(work, False, replica)


# The one place for the retry of whole write transactions: a deadlock (or
# a Galera certification failure, which the driver reports as one) and a
# RetryRequest (a lost race on an INSERT) run the work again.  The first
# wait is 50 ms, then random below 0.1, 0.2, 0.4, 0.8 s: oslo.db's default
# first wait of a whole second held a sync worker idle on every
# certification failure, which several writers on a Galera cluster get
# for each simultaneous write to a hot row (a project's quota row: 13 in
# 1,000 requests of the scale suite's load on three nodes).
@oslo_db_api.wrap_db_retry(max_retries=5, retry_on_deadlock=True,
                           retry_interval=0.05, max_retry_interval=1)
def write(work):
    """``work(w)`` in one transaction, committed when it returns."""
    return _run(work, True)


def _connect(parking, transactional):
    """A connection, or DatabaseUnavailable (503) if none can be opened."""
    try:
        return parking.take(transactional)
    except (db_exc.DBError, sa.exc.DBAPIError) as e:
        # Opening a connection failed: the server is down, restarting,
        # refusing connections or unreachable.  Nothing was sent.
        LOG.warning('The database is unavailable: %s', e)
        metrics.database_error('unavailable')
        raise exception.DatabaseUnavailable() from e


def _count_error(error):
    """Count a database error that reached the work (deploysvc_database_*).

    A duplicate entry is an answer, not an error (a lost race on an
    INSERT, a name taken): its caller handles it.
    """
    if isinstance(error, db_exc.DBDeadlock):
        metrics.database_error('deadlock')
    elif (isinstance(error, (db_exc.DBError, sa.exc.DBAPIError))
          and not isinstance(error, db_exc.DBDuplicateEntry)):
        metrics.database_error('other')


def _run(work, transactional, replica=False):
    parking = _parking(replica)
    retried = False
    while True:
        connection, born = _connect(parking, transactional)
        done = Work(connection)
        try:
            if transactional:
                with connection.begin():
                    result = work(done)
            else:
                result = work(done)
                if not parking.autocommit:
                    # oslo.db makes SQLAlchemy's autobegin send BEGIN on
                    # SQLite: a parked reader would keep its SHARED lock,
                    # and every writer's COMMIT would wait for it.  (In
                    # autocommit nothing was begun in the database.)
                    connection.rollback()
        except db_exc.DBConnectionError as e:
            parking.give_back(connection, born, transactional, False)
            if done.started or retried:
                # Lost while the work ran: not run again, since a write
                # may have reached the database before the connection went.
                LOG.warning('The database connection was lost: %s', e)
                metrics.database_error('connection_lost')
                raise exception.DatabaseUnavailable() from e
            # Dead before anything ran (the database restarted while the
            # connection was parked): once more on a new connection.
            retried = True
            continue
        except BaseException as e:
            _count_error(e)
            if not parking.autocommit and not transactional:
                connection.rollback()
            parking.give_back(connection, born, transactional)
            raise
        parking.give_back(connection, born, transactional)
        if done.committed:
            done._run_committed()
        return result


_PING = prepared.Statement(sa.select(sa.literal_column('1')))


def ping():
    """Whether the database answers (DatabaseUnavailable if not)."""
    return read(lambda w: w.execute(_PING).scalar()) == 1


def reader(function):
    """Decorate ``function(w, ...)`` to run as ``read``."""
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        return read(lambda w: function(w, *args, **kwargs))
    return wrapper


def replica_reader(function):
    """Decorate ``function(w, ...)`` to run as ``read`` on the replica.

    Only for reads whose callers accept data as old as the replication
    delay: a caller that must see its own writes uses ``reader``.
    """
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        return read(lambda w: function(w, *args, **kwargs), replica=True)
    return wrapper


def writer(function):
    """Decorate ``function(w, ...)`` to run as ``write``."""
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        return write(lambda w: function(w, *args, **kwargs))
    return wrapper
