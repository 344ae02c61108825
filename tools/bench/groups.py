#!/usr/bin/env python3
"""Benchmark of deployment groups: creation, and flatness of a transition.

    python tools/bench/groups.py [--db-url URL] [--transitions N]

On a fresh database (a temporary SQLite file, or a new database on the
PostgreSQL/MariaDB server of ``--db-url``, dropped afterwards):

1. creates a group of 10,000 servers in one call and reports its time;
2. ends ``--transitions`` children one after the other (each end
   releases the next child) in groups of 10 servers and in a group of
   10,000, and reports the CPU time of this process and the wall time per
   transition (median), and their ratio: a transition must not grow with
   the group;
3. records the statements of one transition in the large group and, on
   PostgreSQL, asks for their plans (EXPLAIN), flagging any Seq Scan.

The result is JSON on stdout.  Runs deploysvc's database functions in
process (no HTTP): what a signal's transaction costs, nothing else.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid

from oslo_config import cfg
import sqlalchemy
from sqlalchemy import event

from deploysvc import conf
from deploysvc.conf import opts
from deploysvc import context as ctx
from deploysvc.db import configs
from deploysvc.db import deployment_groups
from deploysvc.db import deployments
from deploysvc.db import engine as db_engine
from deploysvc.db import migration
from deploysvc.db import models
from deploysvc.db import prepared
from deploysvc.db import runs

PROJECT = 'bench0groups0000000000000000000'
_SD = models.SoftwareDeployment.__table__


def _database(url):
    """(URL of a fresh database, cleanup)."""
    if url is None:
        directory = tempfile.mkdtemp(prefix='deploysvc-bench-groups-')
        path = os.path.join(directory, 'bench.sqlite')
        return 'sqlite:///' + path, lambda: os.unlink(path)
    base = sqlalchemy.engine.make_url(url)
    name = 'deploysvc_bench_groups_%s' % uuid.uuid4().hex[:8]
    admin = sqlalchemy.create_engine(base, isolation_level='AUTOCOMMIT')
    with admin.connect() as connection:
        connection.execute(sqlalchemy.text('CREATE DATABASE %s' % name))

    def drop():
        db_engine.dispose()
        with admin.connect() as connection:
            connection.execute(sqlalchemy.text('DROP DATABASE %s' % name))
        admin.dispose()
    return base.set(database=name).render_as_string(
        hide_password=False), drop


def _configure(url):
    opts.set_lib_defaults()
    conf.CONF([], project='deploysvc', default_config_files=[])
    conf.CONF.set_override('connection', url, group='database')
    db_engine.configure(conf.CONF)
    migration.upgrade()


def _running(group_id):
    return db_engine.read(lambda w: w.execute(
        sqlalchemy.select(_SD.c.id).where(
            _SD.c.group_id == group_id,
            _SD.c.group_state == runs.RELEASED)).scalar())


def _create(context, config_id, count):
    return deployment_groups.create(
        context, {'config_id': config_id, 'max_concurrency': 1,
                  'max_errors': '100%'},
        [('srv-%05d' % i, None) for i in range(count)])


def _transitions(context, group_ids, count):
    """(CPU seconds, wall seconds) of each of ``count`` transitions."""
    cpu, wall = [], []
    groups = list(group_ids)
    while len(cpu) < count:
        child = _running(groups[0])
        if child is None:
            groups.pop(0)
            continue
        c0, w0 = time.process_time(), time.perf_counter()
        deployments.update(context, child, {'status': 'COMPLETE'})
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return cpu, wall


def _explain(context, group_id):
    """The statements of one transition, with their plans (PostgreSQL)."""
    bind = db_engine.get_engine()
    seen = []

    def capture(conn, cursor, statement, parameters, context_, many):
        seen.append((statement, parameters))
    child = _running(group_id)
    prepared.trace(True)
    event.listen(bind, 'before_cursor_execute', capture)
    try:
        deployments.update(context, child, {'status': 'COMPLETE'})
    finally:
        event.remove(bind, 'before_cursor_execute', capture)
        prepared.trace(False)
    result = []
    for statement, params in seen:
        entry = {'statement': ' '.join(statement.split())[:300]}
        if bind.dialect.name == 'postgresql' and statement.lstrip().upper(
                ).startswith(('SELECT', 'UPDATE', 'INSERT', 'DELETE')):
            raw = bind.raw_connection()
            try:
                cursor = raw.cursor()
                cursor.execute('EXPLAIN ' + statement, params)
                plan = '\n'.join(row[0] for row in cursor.fetchall())
            finally:
                raw.rollback()
                raw.close()
            entry['plan'] = plan
            entry['flagged'] = 'Seq Scan' in plan
        result.append(entry)
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--db-url', default=None)
    parser.add_argument('--transitions', type=int, default=200)
    parser.add_argument('--large', type=int, default=10000)
    parser.add_argument('--late', action='store_true',
                        help='also measure the last transitions of the '
                             'large group (ends nearly all of it first)')
    args = parser.parse_args(argv)
    url, cleanup = _database(args.db_url)
    try:
        _configure(url)
        cfg.CONF.set_override('max_software_deployments_per_tenant', -1)
        context = ctx.RequestContext(project_id=PROJECT, user_id='bench',
                                     roles=['member', 'reader'])
        config_id = configs.create(context, {'name': 'bench',
                                             'group': 'script',
                                             'config': 'true'}).id
        c0, w0 = time.process_time(), time.perf_counter()
        large = _create(context, config_id, args.large)
        create = {'servers': args.large,
                  'cpu_s': round(time.process_time() - c0, 3),
                  'wall_s': round(time.perf_counter() - w0, 3)}
        small = [_create(context, config_id, 10).id
                 for _ in range(args.transitions // 10 + 1)]
        # Warm both paths (statement compilation, caches) first.
        _transitions(context, small, 5)
        _transitions(context, [large.id], 5)
        report = {'db': db_engine.get_engine().dialect.name,
                  'create': create}
        for name, ids in (('10', small), (str(args.large), [large.id])):
            cpu, wall = _transitions(context, ids, args.transitions)
            report['transition_%s' % name] = {
                'cpu_ms': round(statistics.median(cpu) * 1000, 3),
                'wall_ms': round(statistics.median(wall) * 1000, 3)}
        if args.late:
            # The end of the large rollout: everything before it released
            # and ended (what a scan of the group would pay for).
            _transitions(context, [large.id],
                         args.large - 3 * args.transitions - 10)
            cpu, wall = _transitions(context, [large.id], args.transitions)
            report['transition_%s_late' % args.large] = {
                'cpu_ms': round(statistics.median(cpu) * 1000, 3),
                'wall_ms': round(statistics.median(wall) * 1000, 3)}
        report['cpu_ratio'] = round(
            report['transition_%d' % args.large]['cpu_ms']
            / report['transition_10']['cpu_ms'], 3)
        report['wall_ratio'] = round(
            report['transition_%d' % args.large]['wall_ms']
            / report['transition_10']['wall_ms'], 3)
        plans = _explain(context, large.id)
        plans = [p for p in plans if p['statement']]
        report['statements_per_transition'] = len(plans)
        report['flagged_plans'] = [p for p in plans if p.get('flagged')]
        report['plans'] = plans
        json.dump(report, sys.stdout, indent=1)
        sys.stdout.write('\n')
        return 0
    finally:
        db_engine.dispose()
        cleanup()


if __name__ == '__main__':
    sys.exit(main())
