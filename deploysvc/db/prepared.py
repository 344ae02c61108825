"""Statements built once, compiled once per dialect, run on the driver.

The hot requests (a show, an agent poll, a create, an update) each run one
to four statements.  Run through ``Connection.execute``, SQLAlchemy's
per-execution work (statement cache key, execution context, result
object, event dispatch) costs about 60 us of CPU per statement on
PostgreSQL, where the driver's own round trip costs about 40 us: measured
with a 13-column primary-key SELECT, best of 7 rounds of 2,000 (tools/bench
and doc/source/contributor/performance.rst have the request figures).
That is 15-20 % of a request.

So a ``Statement`` is compiled once per dialect (``ClauseElement.compile``)
and ``run`` sends the SQL text on the DBAPI cursor of the SQLAlchemy
connection (``Connection.connection.dbapi_connection``), applying the
column types' own bind and result processors exactly as SQLAlchemy would.
Errors take SQLAlchemy's and oslo.db's way: the driver's exception is
wrapped by ``DBAPIError.instance`` and handed to oslo.db's error filters
(``oslo_db.sqlalchemy.exc_filters.handler``, the function oslo.db
registers as the engine's ``handle_error`` listener), so callers see the
same ``DBDeadlock``, ``DBDuplicateEntry``, ``DBReferenceError`` and
``DBConnectionError`` as from any statement, and a lost connection is
invalidated.  The one thing these statements skip is SQLAlchemy's cursor
events; ``trace(True)`` sends them through ``Connection.execute`` when a
tool needs to see them (the benchmark's query plans, tests).

Only public API is used: ``compile``, ``SQLCompiler.binds`` and
``positiontup``, ``TypeEngine.dialect_impl``/``bind_processor``/
``result_processor``, ``Dialect.is_disconnect``, ``DBAPIError.instance``,
``Connection.invalidate``.  Tests run every translated error on SQLite,
PostgreSQL and MariaDB, so a release that changes any of them fails
loudly.
"""

import collections

from oslo_db.sqlalchemy import exc_filters
import sqlalchemy as sa

_TRACE = {'on': False}


def trace(on):
    """Run every ``Statement`` through SQLAlchemy (cursor events fire)."""
    _TRACE['on'] = bool(on)


class Statement(object):
    """A Core statement, built once, compiled once per dialect.

    ``column_keys`` names the parameters of an INSERT or UPDATE whose
    columns are not all given (as ``compile`` takes them).  ``row`` is the
    named tuple type of the rows (default: one of the statement's column
    names); its fields must be those names, in order.
    """

    def __init__(self, statement, column_keys=None, row=None):
        self.statement = statement
        self.column_keys = column_keys
        self.returns_rows = bool(getattr(statement, 'exported_columns', ()))
        self.names = tuple(statement.exported_columns.keys()
                           if self.returns_rows else ())
        if row is None:
            row = collections.namedtuple('Row', self.names, rename=True)
        elif row._fields != self.names:
            raise ValueError('%s has the fields %s, not the columns %s' % (
                row.__name__, row._fields, self.names))
        self.row = row
        self._compiled = {}

    def where(self, *criteria):
        """A new ``Statement`` with more criteria (built once too)."""
        return Statement(self.statement.where(*criteria), self.column_keys,
                         self.row if self.returns_rows else None)

    def run(self, connection, params):
        """The ``Result`` of the statement on ``connection``."""
        if _TRACE['on']:
            result = connection.execute(self.statement, params)
            rows = ([self.row._make(row) for row in result]
                    if self.returns_rows else None)
            return Result(rows, result.rowcount)
        compiled = self._compiled.get(connection.dialect)
        if compiled is None:
            compiled = self._compiled[connection.dialect] = _Compiled(
                self, connection.dialect)
        return compiled.run(connection, params or {})


class _Compiled(object):
    """SQL text, parameter order and type processors for one dialect."""

    def __init__(self, statement, dialect):
        compiled = statement.statement.compile(
            dialect=dialect, column_keys=statement.column_keys)
        self.sql = str(compiled)
        self.positional = (list(compiled.positiontup)
                           if compiled.positional else None)
        # Values the statement carries itself (the 1 of "n + 1").
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
        self.returns_rows = statement.returns_rows

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

    def run(self, connection, params):
        parameters = self.parameters(params)
        cursor = connection.connection.dbapi_connection.cursor()
        try:
            try:
                cursor.execute(self.sql, parameters)
                rows = (self.rows(cursor.fetchall()) if self.returns_rows
                        else None)
            except Exception as e:
                _raise_translated(connection, e, self.sql, parameters,
                                  cursor)
            return Result(rows, cursor.rowcount)
        finally:
            cursor.close()


class Result(object):
    """The rows (named tuples) and row count of one statement."""

    __slots__ = ('rows', 'rowcount')

    def __init__(self, rows, rowcount):
        self.rows = rows
        self.rowcount = rowcount

    def __iter__(self):
        return iter(self.rows)

    def first(self):
        return self.rows[0] if self.rows else None

    def all(self):
        return self.rows

    def scalar(self):
        return self.rows[0][0] if self.rows else None


class _ErrorContext(object):
    """What oslo.db's error filters read of SQLAlchemy's ExceptionContext."""

    is_pre_ping = False

    def __init__(self, connection, original, wrapped, is_disconnect):
        self.connection = connection
        self.dialect = connection.dialect
        self.original_exception = original
        self.sqlalchemy_exception = wrapped
        self.is_disconnect = is_disconnect


def _raise_translated(connection, error, sql, parameters, cursor):
    """Raise ``error`` of the driver as SQLAlchemy and oslo.db would."""
    dialect = connection.dialect
    base = dialect.loaded_dbapi.Error
    if not isinstance(error, base):
        raise error
    is_disconnect = dialect.is_disconnect(
        error, connection.connection.dbapi_connection, cursor)
    wrapped = sa.exc.DBAPIError.instance(
        sql, parameters, error, base, connection_invalidated=is_disconnect,
        dialect=dialect)
    context = _ErrorContext(connection, error, wrapped, is_disconnect)
    translated = exc_filters.handler(context)
    if context.is_disconnect and not connection.invalidated:
        connection.invalidate(error)
    raise (translated or wrapped) from error
