#!/usr/bin/env python3
"""In-process probes of the benchmark: query plans and CPU profiles.

    python tools/bench/inproc.py explain --config-file CONF --spec SPEC
    python tools/bench/inproc.py profile --config-file CONF --spec SPEC \
        [--iterations N] [--top N]

Both build the real paste pipeline of deploysvc (``deploysvc.api.app.
load_app()``) from CONF and send it the requests of SPEC::

    {"host": "127.0.0.1:PORT",
     "scenarios": {"show": [{"method", "path", "body", "headers",
                             "expect"}, ...], ...}}

``explain`` sends the first request of each scenario, records every SQL
statement it runs (SQLAlchemy ``before_cursor_execute``) and asks the
database for its plan: PostgreSQL ``EXPLAIN (ANALYZE, BUFFERS)`` for reads
and ``EXPLAIN`` for writes (nothing is executed twice), SQLite ``EXPLAIN
QUERY PLAN``.  Plans that scan a table (PostgreSQL "Seq Scan", a node
that reads or discards by filter more than 1,000 rows; SQLite "SCAN") are
flagged, with the number of rows of the scanned table.

``profile`` measures the in-process CPU time per request (no profiler),
then runs the same requests under cProfile (timer: process CPU time, so
waiting for the database does not count) and reports the top functions by
own time, and own time grouped by package, per request.

The result is JSON on stdout (or in --output); logs go to stderr.
"""

import argparse
import cProfile
import json
import os
import pstats
import re
import sys
import time

import sqlalchemy
from sqlalchemy import event
import webob

from deploysvc.api import app
from deploysvc.db import engine as db_engine
from deploysvc.db import prepared

_STATEMENT = re.compile(r'^\s*(SELECT|UPDATE|DELETE|INSERT|WITH)\b', re.I)
_PG_SEQ = re.compile(r'Seq Scan on (\w+)')
_PG_REMOVED = re.compile(r'Rows Removed by Filter: (\d+)')
_PG_ACTUAL = re.compile(r'actual time=[\d.]+\.\.[\d.]+ rows=(\d+) loops=(\d+)')
_SQLITE_SCAN = re.compile(r'\bSCAN (?:TABLE )?(\w+)')
FILTER_SCAN_ROWS = 1000


def _load(config_file):
    app.prepare_service(['--config-file', config_file])
    db_engine.configure(app.CONF)
    return app.load_app()


def _send(wsgi, host, request):
    req = webob.Request.blank('http://%s%s' % (host, request['path']),
                              method=request['method'],
                              headers=request.get('headers') or {})
    if request.get('body') is not None:
        req.body = request['body'].encode('utf-8')
    response = req.get_response(wsgi)
    # Read the whole body, as a client does: a long list is streamed, and
    # all but its first page is read and made while it is sent.
    for _ in response.app_iter:
        pass
    if hasattr(response.app_iter, 'close'):
        response.app_iter.close()
    return response.status_int in request.get('expect', (200,))


def _first_params(parameters, executemany):
    if executemany and parameters:
        return parameters[0]
    return parameters


def _explain_pg(cursor, statement, params):
    is_read = statement.lstrip().upper().startswith(('SELECT', 'WITH'))
    prefix = 'EXPLAIN (ANALYZE, BUFFERS) ' if is_read else 'EXPLAIN '
    cursor.execute(prefix + statement, params)
    plan = '\n'.join(row[0] for row in cursor.fetchall())
    removed = [int(n) for n in _PG_REMOVED.findall(plan)]
    flags = ['a node discarded %d rows by filter' % n
             for n in removed if n > FILTER_SCAN_ROWS]
    produced = [int(rows) * int(loops)
                for rows, loops in _PG_ACTUAL.findall(plan)]
    if produced and max(produced) > FILTER_SCAN_ROWS:
        flags.append('a node read %d rows' % max(produced))
    return plan, sorted(set(_PG_SEQ.findall(plan))), flags


def _explain_sqlite(cursor, statement, params):
    cursor.execute('EXPLAIN QUERY PLAN ' + statement, params or ())
    plan = '\n'.join(str(row[-1]) for row in cursor.fetchall())
    return plan, sorted(set(_SQLITE_SCAN.findall(plan))), []


def _rows(cursor, table, tables, cache):
    """Rows of ``table`` (an alias such as software_config_1 too)."""
    if table not in tables:
        table = re.sub(r'_\d+$', '', table)
    if table not in tables:
        return table, None
    if table not in cache:
        cursor.execute('SELECT count(*) FROM "%s"' % table)
        cache[table] = cursor.fetchone()[0]
    return table, cache[table]


def explain(wsgi, spec):
    engine = db_engine.get_engine()
    captured = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if _STATEMENT.match(statement):
            captured.append((statement,
                             _first_params(parameters, executemany)))

    dialect = engine.dialect.name
    tables = set(sqlalchemy.inspect(engine).get_table_names())
    sizes = {}
    result = {'dialect': dialect, 'scenarios': {}}
    for name, requests in sorted(spec['scenarios'].items()):
        del captured[:]
        event.listen(engine, 'before_cursor_execute', capture)
        # Prepared statements skip SQLAlchemy's cursor events unless traced.
        prepared.trace(True)
        try:
            ok = _send(wsgi, spec['host'], requests[0])
        finally:
            prepared.trace(False)
            event.remove(engine, 'before_cursor_execute', capture)
        entries = []
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            for statement, params in captured:
                try:
                    if dialect == 'postgresql':
                        plan, scans, flags = _explain_pg(cursor, statement,
                                                         params)
                    else:
                        plan, scans, flags = _explain_sqlite(
                            cursor, statement, params)
                    scanned = dict(_rows(cursor, table, tables, sizes)
                                   for table in scans)
                except Exception as e:  # report it, go on with the next
                    raw.rollback()
                    plan, scanned, flags = 'EXPLAIN failed: %s' % e, {}, []
                flags = ['%s scan of %s (%s rows)' % (
                    'Seq' if dialect == 'postgresql' else 'Full', table,
                    rows) for table, rows in sorted(scanned.items())
                ] + flags
                entries.append({'sql': ' '.join(statement.split()),
                                'plan': plan, 'flags': flags,
                                'scanned': scanned})
            raw.rollback()
        finally:
            raw.close()
        result['scenarios'][name] = {'request_ok': ok,
                                     'request': '%s %s' % (
                                         requests[0]['method'],
                                         requests[0]['path']),
                                     'statements': entries}
    return result


def _package(filename):
    if filename == '~' or filename.startswith('<'):
        return 'builtins'
    marker = os.sep + 'site-packages' + os.sep
    if marker in filename:
        rest = filename.split(marker, 1)[1]
        return rest.split(os.sep, 1)[0].replace('.py', '')
    if os.sep + 'deploysvc' + os.sep in filename:
        return 'deploysvc'
    return 'stdlib:' + os.path.basename(filename).replace('.py', '')


def profile(wsgi, spec, iterations, top):
    result = {}
    for name, requests in sorted(spec['scenarios'].items()):
        for request in requests[:5]:          # warm-up: caches, pools
            _send(wsgi, spec['host'], request)
        failed = 0
        started = time.process_time()
        for i in range(iterations):
            failed += not _send(wsgi, spec['host'],
                                requests[i % len(requests)])
        cpu_ms = (time.process_time() - started) * 1000.0 / iterations
        # CPU time (not wall): the database's own work is not counted.
        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        for i in range(iterations):
            failed += not _send(wsgi, spec['host'],
                                requests[i % len(requests)])
        profiler.disable()
        stats = pstats.Stats(profiler).stats
        total = sum(row[2] for row in stats.values())
        functions = sorted(stats.items(), key=lambda item: -item[1][2])
        by_package = {}
        for (filename, _, _), row in stats.items():
            package = _package(filename)
            by_package[package] = by_package.get(package, 0.0) + row[2]
        per = 1e6 / iterations
        result[name] = {
            'cpu_ms_per_request': cpu_ms,
            'profiled_us_per_request': total * per,
            'failed_requests': failed,
            'top_functions': [
                {'function': '%s:%d(%s)' % (_short(filename), line, func),
                 'own_us': row[2] * per, 'cum_us': row[3] * per,
                 'calls': row[1] / float(iterations)}
                for (filename, line, func), row in functions[:top]],
            # Mid-level hot spots: the outer layers (every middleware, the
            # Pecan app) each take most of the request and are left out.
            'top_cumulative': [
                {'function': '%s:%d(%s)' % (_short(filename), line, func),
                 'cum_us': row[3] * per, 'calls': row[1] / float(iterations)}
                for (filename, line, func), row in sorted(
                    stats.items(), key=lambda item: -item[1][3])
                if row[3] < 0.5 * total][:top],
            'by_package_us': sorted(
                ([package, seconds * per]
                 for package, seconds in by_package.items()),
                key=lambda item: -item[1])[:top],
        }
    return result


def _short(filename):
    for marker in (os.sep + 'site-packages' + os.sep,
                   os.sep + 'lib' + os.sep + 'python'):
        if marker in filename:
            return filename.split(marker, 1)[1]
    if os.sep + 'deploysvc' + os.sep in filename:
        return 'deploysvc' + filename.split(os.sep + 'deploysvc', 1)[1]
    return filename


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('mode', choices=('explain', 'profile'))
    parser.add_argument('--config-file', required=True)
    parser.add_argument('--spec', required=True)
    parser.add_argument('--iterations', type=int, default=300)
    parser.add_argument('--top', type=int, default=15)
    parser.add_argument('--output', help='write the JSON here, not to '
                        'stdout')
    args = parser.parse_args(argv)
    out = sys.stdout
    # Whatever the application prints must not end up in the JSON.
    sys.stdout = sys.stderr
    with open(args.spec) as f:
        spec = json.load(f)
    wsgi = _load(args.config_file)
    if args.mode == 'explain':
        result = explain(wsgi, spec)
    else:
        result = profile(wsgi, spec, args.iterations, args.top)
    if args.output:
        with open(args.output, 'w') as f:
            json.dump(result, f)
    else:
        json.dump(result, out)
        out.write('\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
