"""Connections kept open for the hot paths (show, metadata, create, update).

A connection checked out of oslo.db's pool costs several times the query
it serves: oslo.db turns on ``pool_pre_ping`` (a ``SELECT 1`` round trip),
the driver sends ``BEGIN`` before the first statement, the pool sends
``ROLLBACK`` when it takes the connection back, and the checkout and checkin
bookkeeping runs Python on every request.  On PostgreSQL that is about
0.4 ms of CPU around a primary-key ``SELECT`` that itself costs 0.1 ms.

So the hot paths use connections that stay checked out of the engine's
pool and are parked here between requests:

* readers run in autocommit: one statement is one round trip, and a
  single statement sees one consistent snapshot on every database;
* writers run explicit transactions (``BEGIN`` ... ``COMMIT``).

A parked connection is used by one request at a time; there are as many as
there have been requests in flight at once in this process (one reader and
one writer per gunicorn sync worker).  What the pool's pre-ping did is done
here after the fact: a connection that turns out to be dead at the first
statement of its request (the database restarted while it was parked) is
dropped and the work runs once more on a new connection.  A failure after
the first statement is the caller's error, as with any pooled connection.
Parked connections older than ``[database] connection_recycle_time`` are
replaced before use.

On parked connections, statements built once (``Statement``) are also
compiled once per dialect and run on the driver's cursor: SQLAlchemy's
per-execution work (cache key, execution context, result object) costs
about as much again as the driver's round trip.  Types are still applied
both ways (the column types' own bind and result processors) and errors
still go through SQLAlchemy's error handling, so oslo.db translates them
(deadlock, duplicate, reference, disconnect) exactly as for any statement,
and SQLAlchemy's cursor events (``before_cursor_execute`` and
``after_cursor_execute``) fire for them.

SQLite (development and unit tests) uses ordinary pooled connections and
SQLAlchemy's execution: there is no network to save, and an in-memory
database has one connection that every transaction shares, which
autocommit would break.
"""

import collections
import time

from oslo_db import exception as db_exc

_STATE = None


class Statement(object):
    """A Core statement compiled once per dialect.

    ``column_keys`` names the parameters of an INSERT or UPDATE whose
    columns are not all given (as SQLAlchemy's ``compile`` takes them).
    """

    def __init__(self, statement, column_keys=None):
        self.statement = statement
        self.column_keys = column_keys
        self._compiled = {}
        self.returns_rows = bool(getattr(statement, 'exported_columns', ()))
        self.names = tuple(statement.exported_columns.keys()
                           if self.returns_rows else ())
        self.row = collections.namedtuple('Row', self.names, rename=True)

    def compiled(self, dialect):
        try:
            return self._compiled[dialect]
        except KeyError:
            compiled = self._compiled[dialect] = _Compiled(self, dialect)
            return compiled


class _Compiled(object):
    """SQL text, parameter order and type processors for one dialect."""

    def __init__(self, statement, dialect):
        compiled = statement.statement.compile(
            dialect=dialect, column_keys=statement.column_keys)
        self.sql = str(compiled)
        self.positional = (list(compiled.positiontup)
                           if compiled.positional else None)
        # Values the statement carries itself (e.g. the 1 of "n + 1").
        self.defaults = dict(
            (name, bind.effective_value)
            for name, bind in compiled.binds.items() if not bind.required)
        self.binds = tuple(
            (name, processor) for name, processor in (
                (name, bind.type.dialect_impl(dialect).bind_processor(
                    dialect)) for name, bind in compiled.binds.items())
            if processor is not None)
        processors = [
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in (statement.statement.exported_columns
                           if statement.returns_rows else ())]
        self.results = tuple((index, processor) for index, processor
                             in enumerate(processors) if processor)
        self.row = statement.row

    def parameters(self, params):
        if self.defaults:
            params = dict(self.defaults, **params)
        if self.binds:
            params = dict(params)
            for name, processor in self.binds:
                if name in params:
                    params[name] = processor(params[name])
        if self.positional is not None:
            return tuple(params[name] for name in self.positional)
        return params

    def rows(self, raw):
        make = self.row._make
        if not self.results:
            return [make(row) for row in raw]
        result = []
        for row in raw:
            row = list(row)
            for index, processor in self.results:
                row[index] = processor(row[index])
            result.append(make(row))
        return result


class Result(object):
    """The rows (named tuples) and row count of one statement."""

    __slots__ = ('rows', 'rowcount')

    def __init__(self, rows, rowcount):
        self.rows = rows
        self.rowcount = rowcount

    def first(self):
        return self.rows[0] if self.rows else None

    def all(self):
        return self.rows

    def scalar(self):
        return self.rows[0][0] if self.rows else None


class Work(object):
    """What hot functions get: ``execute`` on their connection.

    ``execute`` takes a ``Statement`` (run on the driver's cursor where the
    connection is parked) or any SQLAlchemy statement (run by SQLAlchemy);
    either way it returns a ``Result``.
    """

    __slots__ = ('connection', 'dialect', 'started', '_dbapi')

    def __init__(self, connection, raw=False):
        self.connection = connection
        self.dialect = connection.dialect
        self.started = False
        self._dbapi = (connection.connection.dbapi_connection if raw
                       else None)

    def execute(self, statement, params=None):
        if not isinstance(statement, Statement):
            result = self.connection.execute(statement, params)
            self.started = True
            if result.returns_rows:
                return Result(result.all(), result.rowcount)
            return Result(None, result.rowcount)
        if self._dbapi is None:
            result = self.connection.execute(statement.statement, params)
            self.started = True
            if statement.returns_rows:
                return Result([statement.row._make(row) for row in result],
                              result.rowcount)
            return Result(None, result.rowcount)
        compiled = statement.compiled(self.dialect)
        sql = compiled.sql
        parameters = compiled.parameters(params or {})
        connection = self.connection
        # The cursor events of SQLAlchemy (osprofiler, oslo.db's trace
        # comments, the benchmark's query plans) see these statements too.
        events = connection._has_events or connection.engine._has_events
        cursor = self._dbapi.cursor()
        try:
            try:
                if events:
                    for listener in connection.dispatch.before_cursor_execute:
                        sql, parameters = listener(connection, cursor, sql,
                                                   parameters, None, False)
                cursor.execute(sql, parameters)
                if events:
                    connection.dispatch.after_cursor_execute(
                        connection, cursor, sql, parameters, None, False)
                rows = (compiled.rows(cursor.fetchall())
                        if statement.returns_rows else None)
            except Exception as e:
                # SQLAlchemy's own handling: the handle_error event (oslo.db
                # turns driver errors into DBDeadlock, DBDuplicateEntry,
                # DBConnectionError...) and invalidation on disconnect.
                connection._handle_dbapi_exception(
                    e, sql, parameters, cursor, None)
            self.started = True
            return Result(rows, cursor.rowcount)
        finally:
            cursor.close()


def on(connection):
    """``Work`` over a caller's SQLAlchemy connection (its transaction)."""
    return Work(connection)


class _Parking(object):
    """The parked connections of one engine in this process."""

    def __init__(self, engine, recycle):
        self.engine = engine
        self.recycle = recycle
        self.parks = engine.dialect.name != 'sqlite'
        self._idle = {False: collections.deque(), True: collections.deque()}

    def take(self, write):
        if not self.parks:
            return self.engine.connect(), None
        idle = self._idle[write]
        while True:
            try:
                connection, born = idle.pop()
            except IndexError:
                break
            if (self.recycle is None or self.recycle < 0
                    or time.monotonic() - born < self.recycle):
                return connection, born
            _close(connection)
        connection = self.engine.connect()
        if not write:
            connection = connection.execution_options(
                isolation_level='AUTOCOMMIT')
        return connection, time.monotonic()

    def give_back(self, connection, born, write):
        if born is None or connection.invalidated:
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


def configure(engine, recycle):
    """Park connections of ``engine`` (replacing those of another one)."""
    global _STATE
    if _STATE is not None and _STATE.engine is engine:
        return _STATE
    reset()
    _STATE = _Parking(engine, recycle)
    return _STATE


def reset():
    """Close every parked connection (tests, engine disposal)."""
    global _STATE
    if _STATE is not None:
        _STATE.close()
    _STATE = None


def _parking():
    from deploysvc.db import api as db_api
    engine = db_api.get_engine()
    if _STATE is not None and _STATE.engine is engine:
        return _STATE
    return configure(engine, db_api.recycle_time())


def read(work):
    """``work(w)`` on an autocommit connection; returns its result."""
    return _run(work, False)


def write(work):
    """``work(w)`` in one transaction, committed when it returns."""
    return _run(work, True)


def _run(work, transactional):
    parking = _parking()
    retried = False
    while True:
        connection, born = parking.take(transactional)
        done = Work(connection, raw=born is not None)
        try:
            if transactional:
                with connection.begin():
                    result = work(done)
            else:
                result = work(done)
        except db_exc.DBConnectionError:
            parking.give_back(connection, None, transactional)
            if done.started or retried or born is None:
                raise
            # Dead before anything ran (e.g. the database restarted while
            # the connection was parked): once more on a new connection.
            retried = True
            continue
        except BaseException:
            parking.give_back(connection, born, transactional)
            raise
        parking.give_back(connection, born, transactional)
        return result
