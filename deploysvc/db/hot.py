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

SQLite (development and unit tests) uses ordinary pooled connections:
there is no network to save, and an in-memory database has one connection
that every transaction shares, which autocommit would break.
"""

import collections
import time

from oslo_db import exception as db_exc

_STATE = None


class _Work(object):
    """What a hot function gets: ``execute`` on its connection."""

    __slots__ = ('connection', 'dialect', 'started')

    def __init__(self, connection):
        self.connection = connection
        self.dialect = connection.dialect.name
        self.started = False

    def execute(self, statement, params=None):
        result = self.connection.execute(statement, params)
        self.started = True
        return result


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
        done = _Work(connection)
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
