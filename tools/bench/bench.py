#!/usr/bin/env python3
"""Benchmark of deploysvc-api: cost per request, and flatness with size.

    tox -e bench [-- OPTIONS]          # or: python tools/bench/bench.py

For each database (SQLite, and PostgreSQL when tools/test-setup.sh has
started one) and each tier of rows (1,000 and 100,000; 1,000,000 with
--million) it:

1. seeds the tables in bulk through SQLAlchemy Core (realistic derived
   configs, 10 deployments per server, 80 % of the rows in the benchmark's
   project, quota_usage kept equal to the rows inserted), and a project of
   exactly 4,096 deployments for the unpaged lists; with --db-name, once,
   into a database per tier that later runs reuse;
2. starts ``deploysvc-api`` as it ships (uWSGI, ``[api] workers`` = 1
   and 2) on a free port of 127.0.0.1 with a configuration file of its own
   (quotas raised to 10,000,000 so creates do not hit them);
3. next to it, starts a bare WSGI app under the same server and worker
   count (tools/bench/bare_app.py, the "ceiling"), and the same bare app
   under gunicorn's sync worker (the server deploysvc-api had before: the
   "gunicorn ceiling", measured right after the ceiling in every round);
4. drives a fixed number of requests per scenario at each concurrency from
   a separate process (tools/bench/load.py), to the ceiling and to
   deploysvc-api in turn, and reads, from /proc, the CPU time (utime +
   stime) of each server master's children before and after, and their
   RSS; this is repeated --rounds times (default 3), interleaved: round 1
   of every scenario, then round 2, ..., the ceiling and the app
   alternating within each, so that a slow phase of a shared machine hits
   both;
5. prints the query plans of every scenario (PostgreSQL EXPLAIN ANALYZE;
   SQLite EXPLAIN QUERY PLAN) and flags table scans.

Per scenario the report gives the best (lowest) CPU per request over the
rounds -- the figure least disturbed by other load, which the targets
check -- the median, and the ratio of the best app CPU to the best
ceiling CPU; requests/s and latencies are those of the round with the
lowest CPU.  The run ends with a check of the targets, a table, and a JSON
report (default: state/bench/<time>-<commit>.json) that --compare reads
(reports of one round included).
"""

import argparse
import base64
import datetime
import glob
import http.client
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid

import sqlalchemy as sa

from deploysvc.db import models
from deploysvc.db import quotas
from deploysvc.tests.functional import base

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
LOAD = os.path.join(HERE, 'load.py')
BARE = os.path.join(HERE, 'bare_app.py')
INPROC = os.path.join(HERE, 'inproc.py')
SETUP = os.path.join(ROOT, 'tools', 'test-setup.sh')

PROJECT = base.PROJECT
OTHER_PROJECTS = ['%032x' % (0xbe0c4000 + n) for n in range(20)]
# A project of exactly LIST_ROWS deployments (and their configs), seeded
# with the first tier and not counted in the tiers, for the unpaged lists
# (list_all, list_configs_all): openstacksdk fetches a project's whole list
# and filters on the client, and the default quotas allow 4,096 of each.
LIST_PROJECT = '%032x' % 0x115700001
LIST_ROWS = 4096
PER_SERVER = 10
QUOTA = 10000000
CLK_TCK = os.sysconf('SC_CLK_TCK')
# What python-heatclient sends (agents' requests carry neither).
ACCEPT = {'Accept': 'application/json'}
JSON_HEADERS = {'Content-Type': 'application/json',
                'Accept': 'application/json'}

SEEDING_NOTE = ('Rows are bulk-inserted through SQLAlchemy Core into the '
                'tables of deploysvc/db/models.py (not through the API); '
                'quota_usage is kept equal to the rows inserted.')
QUOTA_NOTE = ('The benchmark configuration sets max_software_configs_'
              'per_tenant and max_software_deployments_per_tenant to %d '
              '(the quota is still enforced, it is just not reached).'
              % QUOTA)

# name -> (what it sends, CPU target in ms at 1,000 rows, PostgreSQL, one
# worker; None: no target)
SCENARIOS = [
    ('create_config', 'POST /software_configs (derived config, ~2 KiB)', 2),
    ('create_deployment', 'POST /software_deployments', 2),
    ('show', 'GET /software_deployments/{id}', 1),
    ('update', 'PUT /software_deployments/{id} (status, outputs)', 2),
    ('list_server', 'GET /software_deployments?server_id= (10 rows)', None),
    ('list_page', 'GET /software_deployments?limit=50&marker=', None),
    ('list_status', 'GET /software_deployments?status=IN_PROGRESS&limit=50',
     None),
    ('list_all', 'GET /software_deployments (no limit: %d rows, streamed)'
     % LIST_ROWS, None),
    ('list_configs_all', 'GET /software_configs (no limit: %d rows, '
     'streamed)' % LIST_ROWS, None),
    ('metadata', 'GET /software_deployments/metadata/{server} (10)', 1),
    ('agent_metadata', 'GET agent metadata_url (10 deployments)', 1),
    ('agent_metadata_304', 'GET agent metadata_url, If-None-Match: 304',
     0.5),
]
SCENARIO_NAMES = [name for name, _, _ in SCENARIOS]
AGENT_SCENARIOS = ('agent_metadata', 'agent_metadata_304')
# Rows per request of the unpaged lists: their CPU is also reported per
# row, against a target in microseconds.  They are sent a tenth as often
# as the other scenarios (at least 10 requests a round): one costs about
# as much as a hundred shows.
LIST_SCENARIOS = {'list_all': LIST_ROWS, 'list_configs_all': LIST_ROWS}
LIST_US_PER_ROW = {'list_all': 15}
LIST_REQUESTS_DIVISOR = 10
P99_FLATNESS = 1.5
SMALL_TABLE = 1000

SCRIPT = ('#!/bin/sh -x\n'
          'echo "Writing to /tmp/$bar"\n'
          'echo $foo > /tmp/$bar\n'
          'echo -n "The file /tmp/$bar contains `cat /tmp/$bar` for server '
          '$deploy_server_id during $deploy_action" > $heat_outputs_path.'
          'result\n'
          'echo "Written to /tmp/$bar"\n'
          'echo "Output to stderr" 1>&2\n'
          + ''.join('install_step_%02d --quiet --retries 3 '
                    '/etc/app/conf.d/%02d.conf\n' % (n, n)
                    for n in range(8)))


def log(message, *args):
    sys.stderr.write('[%7.1fs] %s\n' % (time.monotonic() - _T0,
                                        message % args if args else message))
    sys.stderr.flush()


_T0 = time.monotonic()


# -- realistic bodies --------------------------------------------------------

def config_values(server_id, n, project):
    """A derived config as Heat's SoftwareDeployment resource makes it."""
    stack_id = str(uuid.UUID(int=n * 7919 + 1))
    signal_id = ('http://127.0.0.1:8080/v1/AUTH_%s/%s/%s?temp_url_sig=%040x'
                 '&temp_url_expires=2147483647' % (project, stack_id,
                                                   server_id, n))

    def item(name, value, description):
        return {'name': name, 'description': description, 'type': 'String',
                'value': value}
    return {
        'name': 'stack%05d-deployment-%08x' % (n // 100, n),
        'group': 'script',
        'config': SCRIPT,
        'inputs': [
            {'name': 'foo', 'description': 'first input', 'type': 'String',
             'default': 'fooooo', 'value': 'fooooo-%d' % n},
            {'name': 'bar', 'description': 'second input', 'type': 'String',
             'default': 'baaaaa', 'value': 'baaaaa'},
            item('deploy_server_id', server_id,
                 'ID of the server being deployed to'),
            item('deploy_action', 'CREATE',
                 'Name of the current action being deployed'),
            item('deploy_stack_id', 'stack%05d/%s' % (n // 100, stack_id),
                 'ID of the stack this deployment belongs to'),
            item('deploy_resource_name', 'deployment',
                 'Name of this deployment resource in the stack'),
            item('deploy_signal_transport', 'TEMP_URL_SIGNAL',
                 'How the server should signal to heat with the deployment '
                 'output values.'),
            item('deploy_signal_id', signal_id,
                 'ID of signal to use for signaling output values'),
            item('deploy_signal_verb', 'PUT',
                 'HTTP verb to use for signaling output values'),
        ],
        'outputs': [{'name': 'result', 'description': 'The result',
                     'type': 'String', 'error_output': False}],
        'options': {},
    }


def output_values(server_id):
    return {'deploy_stdout': 'Writing to /tmp/baaaaa\nWritten to '
                             '/tmp/baaaaa\n',
            'deploy_stderr': '+ echo Writing to /tmp/baaaaa\n+ echo '
                             'fooooo\n+ cat /tmp/baaaaa\nOutput to stderr\n',
            'deploy_status_code': 0,
            'result': 'The file /tmp/baaaaa contains fooooo for server %s '
                      'during CREATE' % server_id}


# -- seeding -----------------------------------------------------------------

class Pool(object):
    """Ids of the benchmark project's rows that the scenarios use."""

    SIZE = 500

    def __init__(self, rng):
        self.rng = rng
        self.deployments = []
        self.servers = []
        self.configs = []
        self.seen = {'deployments': 0, 'servers': 0, 'configs': 0}
        self.agents = None
        self.agent_problem = 'not set up'

    def offer(self, kind, value):
        """Reservoir sampling (Algorithm R) of every id offered."""
        sample = getattr(self, kind)
        self.seen[kind] += 1
        if len(sample) < self.SIZE:
            sample.append(value)
        else:
            slot = self.rng.randrange(self.seen[kind])
            if slot < self.SIZE:
                sample[slot] = value


# The benchmark's record of what it seeded (not a table of deploysvc).
SEED_TABLE = sa.Table('deploysvc_bench_seed', sa.MetaData(),
                      sa.Column('name', sa.String(32), primary_key=True),
                      sa.Column('value', sa.Integer, nullable=False))


class Seeder(object):
    """Bulk inserts, tier after tier, into one database.

    What has been seeded is recorded in a table of the benchmark's own
    (SEED_TABLE), so that a kept database (--db-name) is seeded only up to
    the tiers asked for: the rows already there are replayed, not
    inserted (the ids are a function of the row's number and the pool's
    sample is drawn in the same order), and the pool is the same.
    """

    BATCH_SERVERS = 200

    def __init__(self, url, pool):
        self.engine = sa.create_engine(url)
        self.pool = pool
        self.servers = 0
        self.start = datetime.datetime(2025, 1, 1)
        self.running_until = (datetime.datetime.now(datetime.timezone.utc)
                              .replace(tzinfo=None)
                              + datetime.timedelta(days=7))
        SEED_TABLE.create(self.engine, checkfirst=True)
        with self.engine.connect() as connection:
            state = dict(connection.execute(sa.select(
                SEED_TABLE.c.name, SEED_TABLE.c.value)).all())
        self.seeded_servers = state.get('servers', 0)
        self.list_seeded = state.get('list_rows') == LIST_ROWS

    @property
    def rows(self):
        return self.servers * PER_SERVER

    def seed_to(self, rows):
        """Insert deployments (and their configs) until ``rows`` exist."""
        wanted = -(-rows // PER_SERVER)
        if self.seeded_servers > max(wanted, self.servers):
            raise RuntimeError('the database holds %d seeded rows, more '
                               'than the tier of %d' % (
                                   self.seeded_servers * PER_SERVER, rows))
        started = time.monotonic()
        inserted = 0
        if not self.list_seeded:
            inserted += self._seed_list_project()
        while self.servers < wanted:
            batch = min(self.BATCH_SERVERS, wanted - self.servers)
            if self.servers + batch <= self.seeded_servers:
                self._replay(self.servers, batch)
            else:
                inserted += self._batch(self.servers, batch)
            self.servers += batch
        if inserted and self.engine.dialect.name == 'postgresql':
            with self.engine.connect().execution_options(
                    isolation_level='AUTOCOMMIT') as connection:
                connection.exec_driver_sql('ANALYZE')
        return inserted, time.monotonic() - started

    def _project(self, server):
        if server % 5 == 4:
            return OTHER_PROJECTS[(server // 5) % len(OTHER_PROJECTS)]
        return PROJECT

    @staticmethod
    def _ids(n, tag=0):
        """(config id, deployment id) of seeded row ``n``."""
        return (str(uuid.UUID(int=(n + 1) << 32 | 0xc0 | tag)),
                str(uuid.UUID(int=(n + 1) << 32 | 0xd0 | tag)))

    def _rows(self, n, server_id, project, stack_user_project, created,
              tag=0):
        """(config, deployment) of seeded row ``n``."""
        config_id, deployment_id = self._ids(n, tag)
        values = config_values(server_id, n, project)
        complete = n % 20 != 0
        return dict(values, id=config_id, project_id=project,
                    created_at=created), {
            'id': deployment_id, 'project_id': project,
            'stack_user_project_id': stack_user_project,
            'server_id': server_id, 'config_id': config_id,
            'input_values': {},
            'output_values': (output_values(server_id)
                              if complete else None),
            'action': 'CREATE',
            'status': 'COMPLETE' if complete else 'IN_PROGRESS',
            'status_reason': ('Outputs received' if complete
                              else 'Deploy data available'),
            'created_at': created,
            'updated_at': (created + datetime.timedelta(seconds=30)
                           if complete else None),
            # Running ones are delivered and have hours left, as the
            # deadlines of a live fleet do: the sweep finds nothing
            # overdue, through its index.
            'delivered_at': None if complete else created,
            'deadline_at': None if complete else self.running_until,
        }

    def _seed_list_project(self):
        """LIST_PROJECT's LIST_ROWS deployments.

        Created in 2030, after every other row (and the creates of the
        rounds): a list read in creation order from the start, as an
        unindexed status filter did, never reaches them.
        """
        configs = []
        deployments = []
        start = datetime.datetime(2030, 1, 1)
        for n in range(LIST_ROWS):
            server_id = str(uuid.UUID(int=0x1157 << 112 | (n // PER_SERVER
                                                           + 1) << 64))
            config, deployment = self._rows(
                n, server_id, LIST_PROJECT, '%032x' % 0x5ac1157,
                start + datetime.timedelta(milliseconds=10 * n), tag=1)
            configs.append(config)
            deployments.append(deployment)
        with self.engine.begin() as connection:
            connection.execute(models.SoftwareConfig.__table__.insert(),
                               configs)
            connection.execute(models.SoftwareDeployment.__table__.insert(),
                               deployments)
            for resource in (quotas.CONFIGS, quotas.DEPLOYMENTS):
                self._count(connection, LIST_PROJECT, resource, LIST_ROWS)
            self._record(connection, 'list_rows', LIST_ROWS)
        self.list_seeded = True
        return LIST_ROWS

    def _replay(self, first, count):
        """The pool's offers of rows already in the database."""
        for server in range(first, first + count):
            if self._project(server) != PROJECT:
                continue
            for k in range(PER_SERVER):
                config_id, deployment_id = self._ids(server * PER_SERVER + k)
                self.pool.offer('deployments', deployment_id)
                self.pool.offer('configs', config_id)
            self.pool.offer('servers', str(uuid.UUID(int=(server + 1)
                                                     << 64)))

    def _batch(self, first, count):
        configs = []
        deployments = []
        per_project = {}
        for server in range(first, first + count):
            project = self._project(server)
            server_id = str(uuid.UUID(int=(server + 1) << 64))
            stack_user_project = '%032x' % (0x5ac0000 + server // 50)
            for k in range(PER_SERVER):
                n = server * PER_SERVER + k
                created = self.start + datetime.timedelta(milliseconds=10 * n)
                config, deployment = self._rows(
                    n, server_id, project, stack_user_project, created)
                configs.append(config)
                deployments.append(deployment)
                if project == PROJECT:
                    self.pool.offer('deployments', deployment['id'])
                    self.pool.offer('configs', config['id'])
            if project == PROJECT:
                self.pool.offer('servers', server_id)
            per_project[project] = per_project.get(project, 0) + PER_SERVER
        with self.engine.begin() as connection:
            connection.execute(models.SoftwareConfig.__table__.insert(),
                               configs)
            connection.execute(models.SoftwareDeployment.__table__.insert(),
                               deployments)
            for project, added in sorted(per_project.items()):
                for resource in (quotas.CONFIGS, quotas.DEPLOYMENTS):
                    self._count(connection, project, resource, added)
            self._record(connection, 'servers', first + count)
        return len(deployments)

    @staticmethod
    def _record(connection, name, value):
        connection.execute(SEED_TABLE.delete().where(
            SEED_TABLE.c.name == name))
        connection.execute(SEED_TABLE.insert().values(name=name,
                                                      value=value))

    @staticmethod
    def _count(connection, project, resource, added):
        usage = models.QuotaUsage.__table__
        where = sa.and_(usage.c.project_id == project,
                        usage.c.resource == resource)
        if not connection.execute(usage.update().where(where).values(
                in_use=usage.c.in_use + added)).rowcount:
            connection.execute(usage.insert().values(
                project_id=project, resource=resource, in_use=added))

    def dispose(self):
        self.engine.dispose()


# -- scenarios ---------------------------------------------------------------

def _request(method, path, body=None, headers=None, expect=(200,)):
    return {'method': method, 'path': path,
            'body': None if body is None else json.dumps(body),
            'headers': dict(headers or {}), 'expect': list(expect)}


def build_requests(name, pool, variants=50):
    """The requests of scenario ``name``: request i is list[i % len]."""
    rng = random.Random(name)
    prefix = '/v1/%s' % PROJECT
    deployments = prefix + '/software_deployments'
    if name == 'create_config':
        return [_request('POST', prefix + '/software_configs',
                         config_values(str(uuid.uuid4()), 10 ** 8 + i,
                                       PROJECT), JSON_HEADERS)
                for i in range(variants)]
    if name == 'create_deployment':
        return [_request('POST', deployments, {
            'config_id': rng.choice(pool.configs),
            'server_id': str(uuid.UUID(int=rng.getrandbits(128))),
            'action': 'CREATE', 'status': 'IN_PROGRESS',
            'status_reason': 'Deploy data available', 'input_values': {},
            'stack_user_project_id': '%032x' % 0x5acffff},
            JSON_HEADERS) for _ in range(variants)]
    if name == 'show':
        return [_request('GET', '%s/%s' % (deployments, deployment_id),
                         headers=ACCEPT)
                for deployment_id in pool.deployments[:variants * 4]]
    if name == 'update':
        return [_request('PUT', '%s/%s' % (deployments, deployment_id), {
            'status': 'COMPLETE', 'status_reason': 'Outputs received',
            'output_values': output_values(deployment_id)}, JSON_HEADERS)
            for deployment_id in pool.deployments[:variants * 4]]
    if name == 'list_server':
        return [_request('GET', '%s?server_id=%s' % (deployments, server),
                         headers=ACCEPT)
                for server in pool.servers[:variants]]
    if name == 'list_page':
        return [_request('GET', '%s?limit=50&marker=%s' % (deployments,
                                                           marker),
                         headers=ACCEPT)
                for marker in pool.deployments[-variants:]]
    if name == 'list_status':
        # Chosen by status: the deadline sweep (ix_software_deployment_
        # deadline) runs before the page is read.
        return [_request('GET', '%s?status=IN_PROGRESS&limit=50' % (
            deployments,), headers=ACCEPT)]
    if name == 'list_all':
        # No limit, as openstacksdk's software_deployments() sends.
        return [_request('GET', '/v1/%s/software_deployments' % (
            LIST_PROJECT,), headers=ACCEPT)]
    if name == 'list_configs_all':
        return [_request('GET', '/v1/%s/software_configs' % (LIST_PROJECT,),
                         headers=ACCEPT)]
    if name == 'metadata':
        return [_request('GET', '%s/metadata/%s' % (deployments, server),
                         headers=ACCEPT)
                for server in pool.servers[:variants]]
    if name == 'agent_metadata':
        return [_request('GET', path) for path, _ in pool.agents]
    if name == 'agent_metadata_304':
        return [_request('GET', path, headers={'If-None-Match': etag},
                         expect=(304,)) for path, etag in pool.agents]
    raise ValueError(name)


def fake_pool():
    """Ids of the right shape, for the ceiling (the bare app ignores them)."""
    pool = Pool(random.Random(0))
    rng = random.Random(1)
    for _ in range(200):
        pool.deployments.append(str(uuid.UUID(int=rng.getrandbits(128))))
        pool.configs.append(str(uuid.UUID(int=rng.getrandbits(128))))
        pool.servers.append(str(uuid.UUID(int=rng.getrandbits(128))))
    pool.agents = [('/agent/v1/metadata/%s/%064x' % (
        uuid.UUID(int=rng.getrandbits(128)), rng.getrandbits(256)),
        '"%040x"' % rng.getrandbits(160)) for _ in range(20)]
    return pool


# -- HTTP and /proc ----------------------------------------------------------

def send(port, method, path, body=None, headers=None, timeout=30):
    connection = http.client.HTTPConnection('127.0.0.1', port,
                                            timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return (response.status,
                dict((k.lower(), v) for k, v in response.getheaders()),
                response.read())
    finally:
        connection.close()


def worker_cpu(master_pid):
    """(worker pids, their CPU seconds: utime + stime, and schedstat).

    utime + stime (/proc/<pid>/stat) count in clock ticks (10 ms); the
    scheduler's own run time of every thread (/proc/<pid>/task/*/
    schedstat, in ns) is the same accounting without the rounding.
    """
    pids = base.children(master_pid)
    ticks = 0
    nanoseconds = 0
    for pid in pids:
        try:
            with open('/proc/%d/stat' % pid) as f:
                fields = f.read().rsplit(')', 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
            for task in glob.glob('/proc/%d/task/*/schedstat' % pid):
                with open(task) as f:
                    nanoseconds += int(f.read().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            continue
    return pids, (ticks / float(CLK_TCK), nanoseconds / 1e9)


def rss_mib(pid):
    try:
        with open('/proc/%d/status' % pid) as f:
            for line in f:
                if line.startswith('VmRSS:'):
                    return int(line.split()[1]) / 1024.0
    except FileNotFoundError:
        pass
    return None


def reset_peak_rss(pids):
    """Reset the peak RSS (VmHWM) of ``pids`` (Linux: clear_refs 5)."""
    for pid in pids:
        try:
            with open('/proc/%d/clear_refs' % pid, 'w') as f:
                f.write('5')
        except OSError:
            pass


def peak_rss_mib(pid):
    """The peak RSS (VmHWM) since the last reset_peak_rss, in MiB."""
    try:
        with open('/proc/%d/status' % pid) as f:
            for line in f:
                if line.startswith('VmHWM:'):
                    return int(line.split()[1]) / 1024.0
    except FileNotFoundError:
        pass
    return None


def requests_of(args, name):
    """Requests per round of scenario ``name``."""
    if name in LIST_SCENARIOS:
        return max(10, args.requests // LIST_REQUESTS_DIVISOR)
    return args.requests


def run_load(workdir, port, requests, count, concurrency, processes,
             deadline):
    spec_path = os.path.join(workdir, 'load-spec.json')
    with open(spec_path, 'w') as f:
        json.dump({'host': '127.0.0.1', 'port': port, 'count': count,
                   'concurrency': concurrency, 'processes': processes,
                   'deadline': deadline, 'requests': requests}, f)
    done = subprocess.run([sys.executable, LOAD, spec_path],
                          capture_output=True, timeout=deadline + 60,
                          check=False)
    if done.returncode != 0:
        raise RuntimeError('load.py failed: %s' % done.stderr.decode())
    return json.loads(done.stdout)


def concurrencies(args, workers):
    if workers == 1 or args.all_pairs:
        return args.concurrency
    return [c for c in args.concurrency if c > 1] or args.concurrency


def machine_steal():
    """Seconds of CPU the hypervisor gave to others (/proc/stat, all CPUs)."""
    try:
        with open('/proc/stat') as f:
            fields = f.readline().split()
        return int(fields[8]) / float(CLK_TCK)
    except (OSError, IndexError, ValueError):
        return None


def warm_up(port, requests):
    for request in requests[:min(len(requests), 10)]:
        send(port, request['method'], request['path'],
             None if request['body'] is None
             else request['body'].encode('utf-8'), request['headers'])


def measure(args, workdir, master_pid, port, requests, concurrency,
            count=None):
    """One round of one scenario at one concurrency on a running server."""
    before_pids, before = worker_cpu(master_pid)
    reset_peak_rss(before_pids)
    steal_before = machine_steal()
    started = time.monotonic()
    result = run_load(workdir, port, requests, count or args.requests,
                      concurrency,
                      min(concurrency, args.client_processes), args.deadline)
    wall = time.monotonic() - started
    steal_after = machine_steal()
    after_pids, after = worker_cpu(master_pid)
    completed = result['completed'] or 1
    result['cpu_ms'] = (after[0] - before[0]) * 1000.0 / completed
    result['cpu_ms_sched'] = (after[1] - before[1]) * 1000.0 / completed
    result['steal_pct'] = None
    if steal_before is not None and steal_after is not None and wall > 0:
        result['steal_pct'] = ((steal_after - steal_before) * 100.0
                               / (wall * (os.cpu_count() or 1)))
    result['workers_restarted'] = before_pids != after_pids
    result['rss_mib'] = [rss_mib(pid) for pid in after_pids]
    # The peak of the round: what a long list streamed costs in memory.
    result['rss_peak_mib'] = [peak_rss_mib(pid) for pid in after_pids]
    result['status'] = 'ok'
    return result


# -- rounds ------------------------------------------------------------------

# What the report keeps of every round (in "rounds" of a run or ceiling).
ROUND_FIELDS = ('cpu_ms', 'cpu_ms_sched', 'rps', 'p50_ms', 'p90_ms',
                'p99_ms', 'max_ms', 'mean_ms', 'elapsed_s', 'completed',
                'errors', 'steal_pct', 'workers_restarted')
CEILING, APP = 'ceiling', 'app'
# The bare app under gunicorn sync: measured right after CEILING.
GUNICORN = 'gunicorn'


def schedule(rounds, names, concurrency_list):
    """The order of the measurements: (round, scenario, concurrency, target).

    Round 1 of every scenario, then round 2, ...; within a scenario and
    concurrency the ceiling and the app follow each other, in the opposite
    order every other round (ceiling first in odd rounds), so that neither
    is always measured first after a change of scenario.
    """
    steps = []
    for number in range(1, rounds + 1):
        order = (CEILING, APP) if number % 2 else (APP, CEILING)
        for name in names:
            for concurrency in concurrency_list:
                for target in order:
                    steps.append((number, name, concurrency, target))
    return steps


def median(values):
    """Median of numbers (the mean of the middle two for an even count)."""
    ordered = sorted(values)
    if not ordered:
        return None
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2.0


def _lowest(values):
    known = [value for value in values if value is not None]
    return min(known) if known else None


def aggregate_rounds(results):
    """One row of the report from the rounds of one measurement.

    ``results`` are measure()'s results, in round order.  cpu_ms and
    cpu_ms_sched are each the lowest over the rounds (with their medians
    in cpu_ms_median, cpu_ms_sched_median); requests/s, latencies and the
    other load figures are those of the round with the lowest cpu_ms_sched
    (best_round, counted from 1); completed and errors add up every round;
    rss_mib is the last round's; "rounds" keeps every round's figures.
    """
    if not results:
        raise ValueError('no rounds')

    def sched(index):
        value = results[index].get('cpu_ms_sched')
        return (value is None, value or 0.0, index)
    best = min(range(len(results)), key=sched)
    row = dict(results[best])
    for field in ('cpu_ms', 'cpu_ms_sched'):
        values = [result.get(field) for result in results]
        row[field] = _lowest(values)
        row[field + '_median'] = median(
            [value for value in values if value is not None])
    # p99 of one round of a few hundred requests is its few slowest: one
    # disturbed round moves it 2-3x (1.6 to 4.5 ms for the same update at
    # 1,000 rows).  The flatness check compares the median over rounds.
    row['p99_ms_median'] = median([result['p99_ms'] for result in results
                                   if result.get('p99_ms') is not None])
    row['completed'] = sum(result.get('completed') or 0
                           for result in results)
    row['errors'] = sum(result.get('errors') or 0 for result in results)
    row['error_samples'] = sorted(set(
        sample for result in results
        for sample in result.get('error_samples', [])))[:5]
    row['workers_restarted'] = any(result.get('workers_restarted')
                                   for result in results)
    row['rss_mib'] = results[-1].get('rss_mib', [])
    peaks = [peak for result in results
             for peak in result.get('rss_peak_mib') or [] if peak]
    row['rss_peak_mib'] = max(peaks) if peaks else None
    row['best_round'] = best + 1
    row['rounds'] = [dict((field, result.get(field))
                          for field in ROUND_FIELDS) for result in results]
    return row


# -- servers -----------------------------------------------------------------

class _BenchConf(base.ConfFileFixture):
    """The functional tests' configuration file, on the bench database."""

    def __init__(self, workers, db_url):
        super().__init__(workers)
        self.bench_db_url = db_url

    def _database(self):
        return self.bench_db_url

    def text(self):
        return super().text().replace('[DEFAULT]\n', (
            '[DEFAULT]\n'
            'max_software_configs_per_tenant = %d\n'
            'max_software_deployments_per_tenant = %d\n' % (QUOTA, QUOTA)),
            1) + (
            # Agent secrets encrypted, as in production (a release without
            # the [crypto] group ignores it).
            '[crypto]\nencryption_keys = %s\n' % _BENCH_KEY)


# A fixed Fernet key (32 bytes, URL-safe base64) for the bench's server.
_BENCH_KEY = base64.urlsafe_b64encode(b'deploysvc-bench-key-0123456789ab'
                                      ).decode('ascii')


class BenchServer(base.ServerFixture):
    """deploysvc-api as shipped (the functional tests' fixture)."""

    def __init__(self, workers, db_url):
        super().__init__(workers=workers)
        self.db_url = db_url

    def _setUp(self):
        self.conf = self.useFixture(_BenchConf(self.workers, self.db_url))
        self.port = self.conf.port
        self.url = 'http://127.0.0.1:%d' % self.port
        self.log_path = os.path.join(self.conf.state_path,
                                     'deploysvc-api.log')
        self._start()


class BareServer(object):
    """tools/bench/bare_app.py on a free port, under ``server``."""

    def __init__(self, workers, workdir, server='uwsgi'):
        self.workers = workers
        self.port = base.free_port()
        self.log_path = os.path.join(workdir, 'bare-%s-%d.log' % (server,
                                                                  workers))
        with open(self.log_path, 'wb') as out:
            self.process = subprocess.Popen(
                [sys.executable, BARE, '--port', str(self.port),
                 '--workers', str(workers), '--server', server],
                stdin=subprocess.DEVNULL,
                stdout=out, stderr=subprocess.STDOUT, cwd=workdir,
                env=base.clean_env(HOME=workdir), start_new_session=True)
        deadline = time.monotonic() + base.START_TIMEOUT
        while True:
            if self.process.poll() is not None:
                raise RuntimeError('bare_app exited: %s' % self.log())
            try:
                if send(self.port, 'GET', '/', timeout=2)[0] == 200:
                    break
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError('bare_app did not answer: %s'
                                       % self.log())
                time.sleep(0.1)
        # Every worker is up when the master lists them all.
        while len(base.children(self.process.pid)) < workers:
            time.sleep(0.05)

    def log(self):
        with open(self.log_path, 'rb') as f:
            return f.read().decode('utf-8', 'replace')

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=base.STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def setup_agents(port, pool, count=20):
    """Agent capability URLs (+ ETag) of ``count`` servers, or why not."""
    agents = []
    for server_id in pool.servers[:count]:
        status, _, body = send(port, 'POST', '/v1/%s/server_agents/%s' % (
            PROJECT, server_id), b'{}', JSON_HEADERS)
        if status != 200:
            return None, ('POST /v1/{tenant}/server_agents/{server_id} '
                          'answered %d %s' % (status, body[:120].decode(
                              'utf-8', 'replace')))
        try:
            url = json.loads(body)['server_agent']['metadata_url']
        except (ValueError, KeyError, TypeError):
            return None, 'no server_agent.metadata_url in %s' % body[:200]
        parts = urllib.parse.urlsplit(url)
        path = parts.path + ('?' + parts.query if parts.query else '')
        status, headers, body = send(port, 'GET', path)
        if status != 200 or not headers.get('etag'):
            return None, ('GET metadata_url answered %d (ETag %r)'
                          % (status, headers.get('etag')))
        agents.append((path, headers['etag']))
    return agents, None


# -- in-process probes -------------------------------------------------------

def inproc(mode, conf_path, host, scenarios, workdir, extra=()):
    spec_path = os.path.join(workdir, 'inproc-spec.json')
    with open(spec_path, 'w') as f:
        json.dump({'host': host, 'scenarios': scenarios}, f)
    out_path = os.path.join(workdir, 'inproc-out.json')
    log_path = os.path.join(workdir, 'inproc.log')
    with open(log_path, 'ab') as err:
        done = subprocess.run(
            [sys.executable, INPROC, mode, '--config-file', conf_path,
             '--spec', spec_path, '--output', out_path] + list(extra),
            stdout=err, stderr=err, check=False, timeout=1800)
    if done.returncode != 0:
        with open(log_path, 'rb') as f:
            tail = f.read()[-3000:].decode('utf-8', 'replace')
        raise RuntimeError('inproc.py %s failed:\n%s' % (mode, tail))
    with open(out_path) as f:
        return json.load(f)


# -- databases ---------------------------------------------------------------

def pg_admin_url(args):
    if args.pg_url:
        return args.pg_url
    if os.environ.get('DEPLOYSVC_TEST_PG_URL'):
        return os.environ['DEPLOYSVC_TEST_PG_URL']
    services_dir = os.environ.get('DEPLOYSVC_SERVICES_DIR',
                                  os.path.join(ROOT, '.services'))
    env_json = os.path.join(services_dir, 'env.json')
    if args.start_services and not os.path.exists(env_json):
        log('starting PostgreSQL: %s start pg', SETUP)
        subprocess.run(['bash', SETUP, 'start', 'pg'], check=True,
                       stdout=subprocess.DEVNULL,
                       env=dict(os.environ,
                                DEPLOYSVC_SERVICES_DIR=services_dir))
    if os.path.exists(env_json):
        with open(env_json) as f:
            return json.load(f).get('DEPLOYSVC_TEST_PG_URL')
    return None


class Database(object):
    """The benchmark's database: a new one, or ``name`` kept across runs."""

    def __init__(self, kind, workdir, pg_url=None, name=None):
        self.kind = kind
        self.kept = name is not None
        self._server_db = None
        if kind == 'sqlite':
            self.url = 'sqlite:///%s' % os.path.join(workdir, 'bench.sqlite')
        else:
            self._server_db = base._ServerDatabase(
                pg_url, name or 'deploysvc_bench_%d' % os.getpid())
            if not (self.kept and self._exists(pg_url, name)):
                self._server_db.create()
            self.url = self._server_db.url

    @staticmethod
    def _exists(admin_url, name):
        engine = sa.create_engine(admin_url)
        try:
            with engine.connect() as connection:
                return connection.execute(sa.text(
                    'SELECT 1 FROM pg_database WHERE datname = :name'),
                    {'name': name}).first() is not None
        finally:
            engine.dispose()

    def drop(self):
        if self._server_db is not None and not self.kept:
            self._server_db.drop()


def db_sync(conf_path, workdir):
    with open(os.path.join(workdir, 'manage.log'), 'ab') as out:
        subprocess.run([base.script('deploysvc-manage'), '--config-file',
                        conf_path, 'db', 'sync'], check=True, stdout=out,
                       stderr=subprocess.STDOUT, cwd=workdir)


# -- the run -----------------------------------------------------------------

def run_database(args, kind, workdir, report, pg_url=None):
    """Every tier on ``kind``.

    One database whose rows add up tier after tier or, with --db-name
    (PostgreSQL), a kept database per tier.
    """
    if kind == 'pg' and args.db_name:
        for tier in args.tiers:
            _run_tiers(args, kind, workdir, report, pg_url, [tier],
                       '%s_%d' % (args.db_name, tier))
    else:
        _run_tiers(args, kind, workdir, report, pg_url, args.tiers)


def _run_tiers(args, kind, workdir, report, pg_url, tiers, name=None):
    database = Database(kind, workdir, pg_url, name)
    conf = _BenchConf(1, database.url)
    conf.setUp()
    pool = Pool(random.Random(42))
    seeder = None
    try:
        db_sync(conf.path, workdir)
        seeder = Seeder(database.url, pool)
        for tier in tiers:
            inserted, seconds = seeder.seed_to(tier)
            log('%s: %d rows seeded (+%d in %.1f s, bulk insert through '
                'SQLAlchemy Core)', kind, seeder.rows, inserted, seconds)
            report['seeding'].append({'db': kind, 'tier': tier,
                                      'rows': seeder.rows,
                                      'inserted': inserted,
                                      'seconds': seconds})
            host = None
            for workers in args.workers:
                host = run_server(args, kind, tier, workers, database,
                                  pool, workdir, report)
            scenarios = dict((name, build_requests(name, pool))
                             for name in args.scenarios
                             if name not in AGENT_SCENARIOS or pool.agents)
            if args.explain:
                log('%s %d: query plans', kind, tier)
                plans = inproc('explain', conf.path, host, scenarios,
                               workdir)
                plans.update(db=kind, tier=tier)
                report['explain'].append(plans)
            if args.profile and tier == args.tiers[0]:
                log('%s %d: cProfile, %d requests per scenario', kind, tier,
                    args.profile_iterations)
                profiles = inproc('profile', conf.path, host, dict(
                    (name, scenarios[name]) for name in args.profile
                    if name in scenarios), workdir,
                    ['--iterations', str(args.profile_iterations)])
                report['profile'].append({'db': kind, 'tier': tier,
                                          'scenarios': profiles})
    finally:
        if seeder is not None:
            seeder.dispose()
        conf.cleanUp()
        if not args.keep:
            database.drop()


def ceiling_requests():
    """Every scenario's requests for the bare app (which answers 200)."""
    pool = fake_pool()
    scenarios = {}
    for name in SCENARIO_NAMES:
        requests = build_requests(name, pool)
        for request in requests:
            request['expect'] = [200]
        scenarios[name] = requests
    return scenarios


def run_server(args, kind, tier, workers, database, pool, workdir, report):
    """Every round of every scenario on deploysvc-api and the ceiling."""
    server = BenchServer(workers, database.url)
    server.setUp()
    bare = gunicorn = None
    try:
        bare = BareServer(workers, workdir)
        gunicorn = BareServer(workers, workdir, server='gunicorn')
        while len(base.children(server.process.pid)) < workers:
            time.sleep(0.05)
        pool.agents, pool.agent_problem = setup_agents(server.port, pool)
        key = dict(db=kind, tier=tier, workers=workers)
        servers = {CEILING: (bare.process.pid, bare.port),
                   GUNICORN: (gunicorn.process.pid, gunicorn.port),
                   APP: (server.process.pid, server.port)}
        requests = {CEILING: ceiling_requests(), APP: {}}
        requests[GUNICORN] = requests[CEILING]
        for name in args.scenarios:
            if name in AGENT_SCENARIOS and not pool.agents:
                log('%s %d w%d %s: unavailable (%s)', kind, tier, workers,
                    name, pool.agent_problem)
                continue
            requests[APP][name] = build_requests(name, pool)
        rounds = {}
        warm = set()
        for number, name, concurrency, target in schedule(
                args.rounds, args.scenarios, concurrencies(args, workers)):
            if name not in requests[target]:
                continue
            for one in ((target, GUNICORN) if target == CEILING
                        else (target,)):
                master_pid, port = servers[one]
                if (number, name, one) not in warm:
                    warm.add((number, name, one))
                    warm_up(port, requests[one][name])
                result = measure(args, workdir, master_pid, port,
                                 requests[one][name], concurrency,
                                 requests_of(args, name))
                rounds.setdefault((one, name, concurrency),
                                  []).append(result)
                log('%s %d w%d c%d %-18s %-8s round %d/%d %7.1f req/s p99 '
                    '%7.2f ms %6.2f ms CPU %4.1f %% steal %d errors', kind,
                    tier, workers, concurrency, name, one, number,
                    args.rounds, result['rps'] or 0, result['p99_ms'] or 0,
                    result['cpu_ms_sched'], result['steal_pct'] or 0,
                    result['errors'])
                if result['error_samples']:
                    log('  e.g. %s', '; '.join(result['error_samples']))
        for name in args.scenarios:
            for concurrency in concurrencies(args, workers):
                row = aggregate_rounds(rounds[CEILING, name, concurrency])
                row.update(key, scenario=name)
                report['ceiling'].append(row)
                row = aggregate_rounds(rounds[GUNICORN, name, concurrency])
                row.update(key, scenario=name)
                report.setdefault('ceiling_gunicorn', []).append(row)
                if name not in requests[APP]:
                    report['runs'].append(dict(
                        key, scenario=name, concurrency=concurrency,
                        status='unavailable', reason=pool.agent_problem,
                        errors=0))
                    continue
                row = aggregate_rounds(rounds[APP, name, concurrency])
                row.update(key, scenario=name)
                report['runs'].append(row)
        return '127.0.0.1:%d' % server.port
    finally:
        for one in (bare, gunicorn):
            if one is not None:
                one.stop()
        if args.keep:
            shutil.copy(server.log_path, os.path.join(
                workdir, 'deploysvc-api-%s-%d-w%d.log' % (kind, tier,
                                                          workers)))
        server.cleanUp()


# -- verdicts and output ------------------------------------------------------

def _ceiling_of(report, run):
    """The ceiling measured with ``run``.

    Reports before --rounds had one ceiling per worker count, without db
    and tier: such a row matches every db and tier.
    """
    for row in report['ceiling']:
        if (row['workers'], row['concurrency'], row['scenario']) == (
                run['workers'], run['concurrency'], run['scenario']) and all(
                row.get(k, run.get(k)) == run.get(k) for k in ('db', 'tier')):
            return row
    return None


def add_ratios(report):
    for run in report['runs']:
        if run.get('status') == 'ok' and run['scenario'] in LIST_SCENARIOS:
            run['cpu_us_row'] = (run['cpu_ms_sched'] * 1000.0
                                 / LIST_SCENARIOS[run['scenario']])
        ceil = _ceiling_of(report, run)
        if run.get('status') != 'ok' or ceil is None:
            continue
        run['ratio'] = {
            'rps': _div(run['rps'], ceil['rps']),
            'p50': _div(run['p50_ms'], ceil['p50_ms']),
            'p99': _div(run['p99_ms'], ceil['p99_ms']),
            'cpu': _div(run['cpu_ms_sched'], ceil['cpu_ms_sched']),
        }


def _div(a, b):
    if a is None or not b:
        return None
    return a / b


def _find(report, **key):
    for run in report['runs']:
        if all(run.get(k) == v for k, v in key.items()):
            return run
    return None


def targets(args, report):
    """The issue's targets, checked on the most representative data.

    CPU is the best (lowest) figure of the rounds: the one least disturbed
    by other load on the machine.
    """
    dbs = [kind for kind in ('pg', 'sqlite') if kind in report['dbs']]
    if not dbs:
        return []
    kind = dbs[0]
    small, large = args.tiers[0], args.tiers[-1]
    conc = args.concurrency[0]
    verdicts = []
    for name, _, target in SCENARIOS:
        run = _find(report, db=kind, tier=small, workers=1,
                    concurrency=conc, scenario=name)
        if run is None:
            continue
        if name in LIST_US_PER_ROW:
            verdict = _verdict(
                'CPU us/row of %s (%s, %d rows listed, 1 worker, c%d)' % (
                    name, kind, LIST_SCENARIOS[name], conc),
                run.get('cpu_us_row'), LIST_US_PER_ROW[name], run)
            verdicts.append(verdict)
        if target is not None:
            verdict = _verdict(
                'CPU ms/request of %s (%s, %d rows, 1 worker, c%d)' % (
                    name, kind, small, conc),
                run and run.get('cpu_ms'), target, run)
            verdict['median'] = run and run.get('cpu_ms_median')
            verdicts.append(verdict)
        if large != small:
            high = _find(report, db=kind, tier=large, workers=1,
                         concurrency=conc, scenario=name)
            ratio = None
            if high:
                ratio = _div(_p99(high), _p99(run))
            verdicts.append(_verdict(
                'p99 of %s at %d rows / at %d rows (%s, 1 worker, c%d)' % (
                    name, large, small, kind, conc), ratio, P99_FLATNESS,
                high))
    for plans in report['explain']:
        if plans['db'] != kind or plans['tier'] != large:
            continue
        for name, scenario in sorted(plans['scenarios'].items()):
            flags = [flag for statement in scenario['statements']
                     for flag in statement['flags']]
            # A scan of a table smaller than SMALL_TABLE rows is how
            # PostgreSQL reads a tiny table (quota_usage, or everything at
            # the smallest tiers): shown, not counted.
            bad = [flag for statement in scenario['statements']
                   for flag in statement['flags']
                   if not flag.startswith(('Seq scan', 'Full scan'))]
            bad += ['scan of %s (%d rows)' % (table, rows)
                    for statement in scenario['statements']
                    for table, rows in sorted(statement['scanned'].items())
                    if rows is None or rows >= SMALL_TABLE]
            verdicts.append({
                'check': 'no table scan behind %s (%s, %d rows)' % (
                    name, kind, large),
                'value': '; '.join(flags) or 'none', 'target': 'none',
                'verdict': 'MISS' if bad else 'pass'})
    return verdicts


def _p99(run):
    """A run's median p99 over its rounds (a report of one round: its p99)."""
    value = run.get('p99_ms_median')
    return run.get('p99_ms') if value is None else value


def _verdict(check, value, target, run):
    if run is not None and run.get('status') == 'unavailable':
        return {'check': check, 'value': None, 'target': target,
                'verdict': 'unavailable'}
    if value is None:
        verdict = 'n/a'
    else:
        verdict = 'pass' if value <= target else 'MISS'
    return {'check': check, 'value': value, 'target': target,
            'verdict': verdict}


def _fmt(value, digits=2):
    return '-' if value is None else '%.*f' % (digits, value)


def print_report(report, out=sys.stdout):
    w = out.write
    w('\ndeploysvc benchmark  commit %s  %s\n' % (
        report['meta']['commit'], report['meta']['date']))
    for note in report['meta']['notes']:
        w('  * %s\n' % note)
    rounds = report['meta'].get('rounds', 1)
    w('\nCPU per request is the best (lowest) of %d round%s, the figure '
      'least disturbed by\nother load, and the median; req/s and '
      'latencies are those of the round with the\nlowest sched CPU; err '
      'counts every round.\n' % (rounds, '' if rounds == 1 else 's'))
    w('\nCeiling: bare WSGI app, same server (uWSGI) and worker count, '
      'measured in turn\nwith deploysvc-api\n')
    w('%-6s %8s %-2s %-4s %-19s %8s %7s %7s %7s %7s %7s %7s %4s\n' % (
        'db', 'rows', 'wk', 'conc', 'scenario', 'req/s', 'p50 ms',
        'p99 ms', 'cpu ms', 'med', 'sched', 'med', 'err'))
    for row in report['ceiling']:
        w('%-6s %8s %-2d %-4d %-19s %8.0f %7s %7s %7s %7s %7s %7s %4d\n'
          % (row.get('db', '-'), row.get('tier', '-'), row['workers'],
             row['concurrency'], row['scenario'], row['rps'] or 0,
             _fmt(row['p50_ms']), _fmt(row['p99_ms']),
             _fmt(row['cpu_ms'], 3), _fmt(row.get('cpu_ms_median'), 3),
             _fmt(row['cpu_ms_sched'], 3),
             _fmt(row.get('cpu_ms_sched_median'), 3), row['errors']))
    print_floors(report, out)
    w('\nResults. cpu: utime+stime of the workers per request; sched: the '
      'same from\n/proc/<pid>/task/*/schedstat (ns); med: the median over '
      'the rounds; in brackets:\nratio to the ceiling (cpu: best sched '
      'of the app / best sched of the ceiling).\n')
    w('%-6s %8s %-2s %-4s %-19s %15s %15s %15s %7s %7s %16s %7s %4s %s\n'
      % ('db', 'rows', 'wk', 'conc', 'scenario', 'req/s', 'p50 ms',
         'p99 ms', 'cpu ms', 'med', 'sched ms', 'med', 'err',
         'RSS MiB/worker'))
    for run in report['runs']:
        if run.get('status') != 'ok':
            w('%-6s %8d %-2d %-4d %-19s %s: %s\n' % (
                run['db'], run['tier'], run['workers'], run['concurrency'],
                run['scenario'], run['status'].upper(), run.get('reason')))
            continue
        ratio = run.get('ratio', {})
        w('%-6s %8d %-2d %-4d %-19s %8.0f %-6s %7s %-7s %7s %-7s %7s %7s '
          '%7s %-8s %7s %4d %s%s\n' % (
              run['db'], run['tier'], run['workers'], run['concurrency'],
              run['scenario'], run['rps'] or 0,
              '(%s)' % _fmt(ratio.get('rps'), 2),
              _fmt(run['p50_ms']), '(%sx)' % _fmt(ratio.get('p50'), 1),
              _fmt(run['p99_ms']), '(%sx)' % _fmt(ratio.get('p99'), 1),
              _fmt(run['cpu_ms']), _fmt(run.get('cpu_ms_median')),
              _fmt(run['cpu_ms_sched']),
              '(%sx)' % _fmt(ratio.get('cpu'), 1),
              _fmt(run.get('cpu_ms_sched_median')),
              run['errors'],
              ' '.join(_fmt(r, 0) for r in run['rss_mib']),
              ' (worker restarted!)' if run.get('workers_restarted')
              else ''))
    print_lists(report, out)
    if rounds > 1:
        print_rounds(report, out)
    for plans in report['explain']:
        w('\nQuery plans: %s, %d rows (%s)\n' % (plans['db'], plans['tier'],
                                                 plans['dialect']))
        for name, scenario in sorted(plans['scenarios'].items()):
            w('\n== %s: %s%s\n' % (name, scenario['request'],
                                   '' if scenario['request_ok']
                                   else '  (UNEXPECTED STATUS)'))
            for statement in scenario['statements']:
                sql = statement['sql']
                w('  -- %s\n' % (sql if len(sql) <= 600
                                 else sql[:600] + ' ...'))
                for line in statement['plan'].splitlines():
                    w('     %s\n' % line)
                for flag in statement['flags']:
                    w('  !! %s\n' % flag)
    for entry in report['profile']:
        w('\nProfile (cProfile, in-process app): %s, %d rows\n' % (
            entry['db'], entry['tier']))
        for name, prof in sorted(entry['scenarios'].items()):
            w('\n== %s: %.2f ms CPU/request in-process (%.0f us under '
              'cProfile)\n' % (name, prof['cpu_ms_per_request'],
                               prof['profiled_us_per_request']))
            w('   by package (own time, us/request): %s\n' % ', '.join(
                '%s %.0f' % (package, us)
                for package, us in prof['by_package_us']))
            w('   top own time:\n')
            for fn in prof['top_functions']:
                w('   %8.1f us own %8.1f us cum %6.1f calls  %s\n' % (
                    fn['own_us'], fn['cum_us'], fn['calls'],
                    fn['function']))
            w('   top cumulative time (below half of the request):\n')
            for fn in prof.get('top_cumulative', []):
                w('   %8.1f us cum %6.1f calls  %s\n' % (
                    fn['cum_us'], fn['calls'], fn['function']))
    if report['targets']:
        w('\nTargets (CPU: best of %d round%s: the figure least disturbed '
          'by other load; p99: median of the rounds\' p99)\n' % (
              rounds, '' if rounds == 1 else 's'))
        for verdict in report['targets']:
            value = verdict['value']
            if isinstance(value, float):
                value = '%.2f' % value
            if verdict.get('median') is not None and rounds > 1:
                value = '%s (median %.2f)' % (value, verdict['median'])
            w('  %-11s %-72s %s (target %s)\n' % (
                verdict['verdict'], verdict['check'], value,
                verdict['target']))


def print_lists(report, out=sys.stdout):
    """The unpaged lists: CPU per row, and the workers' peak RSS."""
    runs = [run for run in report['runs'] if run.get('status') == 'ok'
            and run['scenario'] in LIST_SCENARIOS]
    if not runs:
        return
    w = out.write
    w('\nUnpaged lists: best sched CPU per request and per row listed; '
      'peak RSS of the\nworkers during the rounds (VmHWM, reset before '
      'each round) and RSS after\n')
    w('%-6s %8s %-2s %-4s %-19s %6s %10s %9s %9s %9s\n' % (
        'db', 'rows', 'wk', 'conc', 'scenario', 'listed', 'ms/request',
        'us/row', 'peak MiB', 'RSS MiB'))
    for run in runs:
        w('%-6s %8d %-2d %-4d %-19s %6d %10s %9s %9s %9s\n' % (
            run['db'], run['tier'], run['workers'], run['concurrency'],
            run['scenario'], LIST_SCENARIOS[run['scenario']],
            _fmt(run['cpu_ms_sched']), _fmt(run.get('cpu_us_row'), 1),
            _fmt(run.get('rss_peak_mib'), 1),
            ' '.join(_fmt(r, 1) for r in run['rss_mib'])))


def floors(report):
    """(key, uWSGI ceiling row, gunicorn ceiling row) measured together."""
    fields = ('db', 'tier', 'workers', 'concurrency', 'scenario')
    gunicorn = dict((tuple(row.get(k) for k in fields), row)
                    for row in report.get('ceiling_gunicorn', []))
    for row in report['ceiling']:
        key = tuple(row.get(k) for k in fields)
        if key in gunicorn:
            yield key, row, gunicorn[key]


def print_floors(report, out=sys.stdout):
    """The bare app's sched CPU under uWSGI and under gunicorn sync."""
    rows = list(floors(report))
    if not rows:
        return
    w = out.write
    w('\nServer floor: the bare app under uWSGI (deploysvc-api\'s server) '
      'and under gunicorn\nsync, same rounds; best sched CPU ms/request '
      '(median)\n')
    w('%-6s %8s %-2s %-4s %-19s %15s %15s %7s\n' % (
        'db', 'rows', 'wk', 'conc', 'scenario', 'uWSGI', 'gunicorn',
        'ratio'))
    for key, uwsgi, gunicorn in rows:
        w('%-6s %8s %-2s %-4s %-19s %6s (%6s) %6s (%6s) %7s\n' % (
            key[0] or '-', key[1] or '-', key[2], key[3], key[4],
            _fmt(uwsgi['cpu_ms_sched'], 3),
            _fmt(uwsgi.get('cpu_ms_sched_median'), 3),
            _fmt(gunicorn['cpu_ms_sched'], 3),
            _fmt(gunicorn.get('cpu_ms_sched_median'), 3),
            _fmt(_div(gunicorn['cpu_ms_sched'], uwsgi['cpu_ms_sched']), 1)))


def print_rounds(report, out=sys.stdout):
    """Every round's sched CPU of the app and of its ceiling, and steal."""
    w = out.write
    rounds = report['meta'].get('rounds', 1)
    width = 8 * rounds - 1

    def figures(row, field, digits=2):
        best = row.get('best_round')
        return ' '.join('%6s%s' % (_fmt(one.get(field), digits),
                                   '*' if number == best else ' ')
                        for number, one in enumerate(row['rounds'], 1))
    w('\nRounds, in the order run: sched CPU ms/request of each (* the '
      'best round: its req/s\nand latencies are reported); steal: % of '
      'the machine\'s CPU time taken by the\nhypervisor for other guests '
      'during the app\'s round.\n')
    w('%-6s %8s %-2s %-4s %-19s %-*s %-*s %s\n' % (
        'db', 'rows', 'wk', 'conc', 'scenario', width, 'app', width,
        'ceiling', 'steal % (app)'))
    for run in report['runs']:
        if run.get('status') != 'ok' or 'rounds' not in run:
            continue
        ceil = _ceiling_of(report, run)
        w('%-6s %8d %-2d %-4d %-19s %-*s %-*s %s\n' % (
            run['db'], run['tier'], run['workers'], run['concurrency'],
            run['scenario'], width, figures(run, 'cpu_ms_sched'), width,
            figures(ceil, 'cpu_ms_sched') if ceil and 'rounds' in ceil
            else '-', ' '.join(_fmt(one.get('steal_pct'), 1)
                               for one in run['rounds'])))


def _cpu_median(run):
    """A run's median CPU; a report of one round has just its figure."""
    value = run.get('cpu_ms_median')
    return run.get('cpu_ms') if value is None else value


def compare_rows(report, old):
    """(run, old run, new/old ratios) of every run found in both reports.

    cpu compares the best figures, cpu_median the medians (a report of
    one round, as every report before --rounds, has one figure: it is its
    best and its median), cpu_ceiling the ratios to the ceilings.
    """
    rows = []
    for run in report['runs']:
        if run.get('status') != 'ok':
            continue
        before = None
        for candidate in old.get('runs', []):
            if candidate.get('status') == 'ok' and all(
                    candidate.get(k) == run.get(k) for k in (
                        'db', 'tier', 'workers', 'concurrency',
                        'scenario')):
                before = candidate
        if before is None:
            continue
        rows.append((run, before, {
            'rps': _div(run.get('rps'), before.get('rps')),
            'p99': _div(run.get('p99_ms'), before.get('p99_ms')),
            'cpu': _div(run.get('cpu_ms'), before.get('cpu_ms')),
            'cpu_median': _div(_cpu_median(run), _cpu_median(before)),
            'cpu_ceiling': _div((run.get('ratio') or {}).get('cpu'),
                                (before.get('ratio') or {}).get('cpu')),
        }))
    return rows


def compare(report, old_path, out=sys.stdout):
    with open(old_path) as f:
        old = json.load(f)
    out.write('\nComparison with %s (commit %s): new / old; cpu: best of %d '
              'round(s) / best of %d, med: median / median, x ceil: ratio '
              'to the ceiling / ratio to the ceiling\n' % (
                  old_path, old['meta'].get('commit'),
                  report['meta'].get('rounds', 1),
                  old['meta'].get('rounds', 1)))
    out.write('%-6s %8s %-2s %-4s %-19s %10s %10s %10s %10s %10s\n' % (
        'db', 'rows', 'wk', 'conc', 'scenario', 'req/s', 'p99', 'cpu',
        'med', 'x ceil'))
    for run, _, ratios in compare_rows(report, old):
        out.write('%-6s %8d %-2d %-4d %-19s %10s %10s %10s %10s %10s\n' % (
            run['db'], run['tier'], run['workers'], run['concurrency'],
            run['scenario'], _fmt(ratios['rps']), _fmt(ratios['p99']),
            _fmt(ratios['cpu']), _fmt(ratios['cpu_median']),
            _fmt(ratios['cpu_ceiling'])))


def _ints(text):
    return [int(part) for part in text.split(',') if part]


def _commit():
    try:
        head = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'],
                              cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(['git', 'status', '--porcelain',
                                '--untracked-files=no'], cwd=ROOT,
                               capture_output=True, text=True).stdout
        return head + ('-dirty' if dirty.strip() else '')
    except (OSError, subprocess.CalledProcessError):
        return 'unknown'


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description='Benchmark deploysvc-api (see the module docstring).')
    parser.add_argument('--db', default='sqlite,pg',
                        help='comma list of sqlite,pg (default: both; pg '
                             'is skipped with a note when no PostgreSQL '
                             'URL is known)')
    parser.add_argument('--tiers', type=_ints, default=[1000, 100000],
                        help='rows of software_deployment per tier '
                             '(default 1000,100000)')
    parser.add_argument('--million', action='store_true',
                        help='add the 1,000,000-row tier (slow: several '
                             'minutes of seeding per database)')
    parser.add_argument('--workers', type=_ints, default=[1, 2],
                        help='[api] workers values (default 1,2)')
    parser.add_argument('--concurrency', type=_ints, default=[1, 8],
                        help='requests in flight (default 1,8)')
    parser.add_argument('--requests', type=int, default=150,
                        help='requests per scenario and concurrency '
                             '(default 150)')
    parser.add_argument('--rounds', type=int, default=3,
                        help='measure every scenario (and its ceiling) '
                             'this many times, interleaved: round 1 of '
                             'every scenario, then round 2, ...; the '
                             'report and the targets use the best CPU '
                             'figure (default 3)')
    parser.add_argument('--all-pairs', action='store_true',
                        help='also run concurrency 1 with several workers '
                             '(by default several workers only get the '
                             'concurrencies above 1: one request at a '
                             'time keeps all but one worker idle)')
    parser.add_argument('--client-processes', type=int, default=2,
                        help='load generator processes (default 2)')
    parser.add_argument('--deadline', type=float, default=120,
                        help='seconds allowed per scenario run; requests '
                             'not sent by then count as errors')
    parser.add_argument('--no-explain', dest='explain',
                        action='store_false',
                        help='do not print query plans')
    parser.add_argument('--profile', nargs='?', const='show,metadata,'
                        'agent_metadata,agent_metadata_304,create_config,'
                        'create_deployment,update', default='',
                        help='cProfile these scenarios in-process on the '
                             'first tier (default list: show, metadata, '
                             'creates, update)')
    parser.add_argument('--profile-iterations', type=int, default=300)
    parser.add_argument('--scenarios', type=lambda text: [
        name for name in text.split(',') if name], default=[],
        help='comma list: measure only these scenarios (default: all)')
    parser.add_argument('--pg-url', help='PostgreSQL URL of a user that may '
                        'CREATE DATABASE (default: DEPLOYSVC_TEST_PG_URL, '
                        'else .services/env.json)')
    parser.add_argument('--start-services', action='store_true',
                        help='start PostgreSQL with tools/test-setup.sh '
                             'when it is not running (root; stop it with '
                             '"tools/test-setup.sh stop")')
    parser.add_argument('--json', help='report path (default '
                        'state/bench/<time>-<commit>.json)')
    parser.add_argument('--compare', help='an earlier JSON report: print '
                        'new/old ratios')
    parser.add_argument('--db-name', help='PostgreSQL: seed this database '
                        'and keep it; a later run with the same name '
                        'reuses its rows and seeds only the tiers it '
                        'lacks (the 1,000,000-row tier takes about '
                        'half an hour to seed on two cores)')
    parser.add_argument('--keep', action='store_true',
                        help='keep the work directory and PostgreSQL '
                             'database')
    args = parser.parse_args(argv)
    if args.million and 1000000 not in args.tiers:
        args.tiers.append(1000000)
    args.tiers = sorted(set(args.tiers))
    args.profile = [name for name in args.profile.split(',') if name]
    unknown = set(args.profile + args.scenarios) - set(SCENARIO_NAMES)
    if unknown:
        parser.error('unknown scenarios: %s' % ', '.join(sorted(unknown)))
    args.scenarios = [name for name in SCENARIO_NAMES
                      if not args.scenarios or name in args.scenarios]
    if args.rounds < 1:
        parser.error('--rounds must be at least 1')
    args.db = [kind for kind in args.db.split(',') if kind]
    if set(args.db) - {'sqlite', 'pg'}:
        parser.error('--db takes sqlite and/or pg')
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    commit = _commit()
    now = datetime.datetime.now(datetime.timezone.utc)
    report = {
        'meta': {
            'commit': commit, 'date': now.strftime('%Y-%m-%dT%H:%M:%SZ'),
            'python': sys.version.split()[0], 'cpus': os.cpu_count(),
            'tiers': args.tiers, 'workers': args.workers,
            'concurrency': args.concurrency, 'requests': args.requests,
            'rounds': args.rounds,
            'client_processes': args.client_processes,
            'scenarios': dict((name, what) for name, what, _ in SCENARIOS),
            'notes': [SEEDING_NOTE, QUOTA_NOTE,
                      'Load: tools/bench/load.py (http.client, %d client '
                      'processes) on the same %d-CPU machine as the '
                      'server.' % (args.client_processes, os.cpu_count()),
                      'Server CPU: utime+stime of the server master\'s '
                      'children (/proc/<pid>/stat), %d ticks/s.' % CLK_TCK,
                      'Rounds: %d per scenario, interleaved (round 1 of '
                      'every scenario, then round 2, ...; the ceiling and '
                      'the app in turn). CPU: best of %d rounds, the '
                      'figure least disturbed by other load (targets use '
                      'it), and the median; req/s and latencies: the '
                      'round with the lowest sched CPU.' % (args.rounds,
                                                            args.rounds)],
        },
        'dbs': [], 'seeding': [], 'ceiling': [], 'ceiling_gunicorn': [],
        'runs': [], 'explain': [],
        'profile': [], 'targets': [],
    }
    json_path = args.json or os.path.join(
        ROOT, 'state', 'bench', '%s-%s.json' % (now.strftime('%Y%m%d-%H%M%S'),
                                                commit))
    workdir = tempfile.mkdtemp(prefix='deploysvc-bench-')
    log('work directory %s', workdir)
    try:
        for kind in args.db:
            pg_url = None
            if kind == 'pg':
                pg_url = pg_admin_url(args)
                if not pg_url:
                    report['meta']['notes'].append(
                        'PostgreSQL skipped: no DEPLOYSVC_TEST_PG_URL and no '
                        '.services/env.json (run "tools/test-setup.sh '
                        'start pg" or pass --start-services).')
                    log('pg: skipped, no PostgreSQL URL')
                    continue
            report['dbs'].append(kind)
            run_database(args, kind, workdir, report, pg_url)
    finally:
        if args.keep:
            log('kept %s', workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    add_ratios(report)
    report['targets'] = targets(args, report)
    report['meta']['seconds'] = time.monotonic() - _T0
    print_report(report)
    if args.compare:
        compare(report, args.compare)
    os.makedirs(os.path.dirname(os.path.abspath(json_path)), exist_ok=True)
    with open(json_path, 'w') as f:
        json.dump(report, f, indent=1, sort_keys=True)
    sys.stdout.write('\nJSON report: %s (%.0f s in all)\n' % (
        json_path, report['meta']['seconds']))
    errors = sum(run.get('errors') or 0 for run in report['runs'])
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
