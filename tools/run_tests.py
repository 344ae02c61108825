#!/usr/bin/env python3
"""Run every test suite of deploysvc and print "N passed, N failed".

Called by ``tox -e all`` (the README's test command, and CI's).  Steps:

1. style (flake8 + hacking);
2. unit and API tests on SQLite;
3. start PostgreSQL, MariaDB, Keystone and a three-node MariaDB Galera
   cluster on free loopback ports (tools/test-setup.sh, which installs
   bindep.txt's missing packages, HAProxy among them);
4. database and API tests again on PostgreSQL, then on MariaDB;
5. functional tests: real deploysvc-api processes driven by the unmodified
   python-heatclient / openstackclient, the Keystone pipeline against the
   real Keystone, the agent loop and the concurrency checks;
   the scale-out suite: three API nodes on the Galera cluster behind
   HAProxy, a mixed load through a lost API node, a lost Galera node and
   HAProxy's shifts (its figures are printed after it);
6. documentation, api-ref and release notes (warnings are errors);
7. stop the services (only the processes tools/test-setup.sh started).

A step that is not a test run (style, docs) counts as one test.  The exit
status is non-zero when anything failed.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SETUP = os.path.join(ROOT, 'tools', 'test-setup.sh')
SERVICES_DIR = os.environ.get('DEPLOYSVC_SERVICES_DIR',
                              os.path.join(ROOT, '.services'))
BIN = os.path.dirname(sys.executable)

# Functional tests that need the database servers themselves (several
# workers hammering them, an outage between the API and them), and the
# suites that have a row of their own.
_DATABASE_SERVERS = r'test_concurrency|test_database_outage|test_read_replica'
# The scale-out suite: one test at a time (each runs three API nodes).
_SCALE = r'deploysvc\.tests\.functional\.scale\.'
# Notifications on the RabbitMQ of tools/test-setup.sh.
_RABBITMQ = r'test_notifications'
_OWN_SUITES = (r'test_keystone|' + _DATABASE_SERVERS + '|' + _SCALE + '|'
               + _RABBITMQ)
_SERVICES = 'pg pgreplica mysql keystone galera haproxy rabbitmq'

_TOTALS = re.compile(r'- (Passed|Failed|Skipped): (\d+)')


class Tally(object):

    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.skipped = 0
        self.rows = []

    def add(self, name, passed, failed, skipped=0, seconds=0.0):
        self.passed += passed
        self.failed += failed
        self.skipped += skipped
        self.rows.append((name, passed, failed, skipped, seconds))

    def report(self):
        header = ('suite', 'passed', 'failed', 'skipped', 'seconds')
        print('\n%-46s %7s %7s %7s %8s' % header)
        for name, passed, failed, skipped, seconds in self.rows:
            print('%-46s %7d %7d %7d %8.1f' % (name, passed, failed,
                                               skipped, seconds))
        print()
        line = '%d passed, %d failed' % (self.passed, self.failed)
        if self.skipped:
            line += ', %d skipped' % self.skipped
        sys.stdout.flush()
        print(line)


def _run(cmd, env=None, timeout=None):
    print('\n==> %s' % ' '.join(cmd), flush=True)
    merged = dict(os.environ)
    merged.update(env or {})
    try:
        return subprocess.run(cmd, cwd=ROOT, env=merged,
                              timeout=timeout).returncode
    except subprocess.TimeoutExpired:
        print('TIMEOUT after %ss: %s' % (timeout, ' '.join(cmd)))
        return 124


def check(tally, name, cmd, env=None, timeout=1800):
    start = time.time()
    rc = _run(cmd, env, timeout)
    tally.add(name, int(rc == 0), int(rc != 0), 0, time.time() - start)
    return rc == 0


def stestr(tally, name, test_path, env=None, regex=None, timeout=1800,
           concurrency=None, exclude=None):
    """One stestr run; its totals are added to the tally.

    A skipped test counts as failed: no suite here is allowed to skip.
    """
    start = time.time()
    cmd = [os.path.join(BIN, 'stestr'), '--test-path', test_path, 'run']
    if concurrency:
        cmd += ['--concurrency', str(concurrency)]
    if exclude:
        cmd += ['--exclude-regex', exclude]
    if regex:
        cmd.append(regex)
    rc = _run(cmd, env, timeout)
    last = subprocess.run([os.path.join(BIN, 'stestr'), 'last'],
                          cwd=ROOT, capture_output=True, text=True)
    counts = dict((k, int(v)) for k, v in _TOTALS.findall(last.stdout))
    passed = counts.get('Passed', 0)
    failed = counts.get('Failed', 0)
    skipped = counts.get('Skipped', 0)
    if rc != 0 and failed == 0:
        failed = 1  # the run itself broke (import error, timeout...)
    if skipped:
        print('%s: %d tests were skipped; skips count as failures here.'
              % (name, skipped))
    tally.add(name, passed, failed + skipped, 0, time.time() - start)
    return rc == 0


def start_services(tally):
    start = time.time()
    rc = _run(['bash', SETUP, 'start'] + _SERVICES.split(), timeout=1800)
    env = {}
    env_file = os.path.join(SERVICES_DIR, 'env.json')
    if rc == 0:
        with open(env_file) as f:
            env = json.load(f)
    tally.add('services: %s' % _SERVICES.replace(' ', ', '), int(rc == 0),
              int(rc != 0), 0, time.time() - start)
    return env if rc == 0 else None


def scale_figures():
    """The scale-out suite's figures, one JSON line per run."""
    path = os.path.join(SERVICES_DIR, 'logs', 'scale.log')
    if os.path.exists(path):
        with open(path) as f:
            print('\nscale-out figures (%s):\n%s' % (path, f.read()))
        os.remove(path)


def stop_services():
    _run(['bash', SETUP, 'stop'], timeout=300)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--skip-services', action='store_true',
                        help='Do not start PostgreSQL, MariaDB and Keystone '
                             'and do not run the suites that need them '
                             '(quick local runs only; CI never does this).')
    parser.add_argument('--skip-docs', action='store_true',
                        help='Do not build the documentation.')
    args = parser.parse_args()

    tally = Tally()
    unit = './deploysvc/tests/unit'
    functional = './deploysvc/tests/functional'
    check(tally, 'pep8 (flake8 + hacking)', [os.path.join(BIN, 'flake8')])
    stestr(tally, 'unit+api (SQLite)', unit)

    if not args.skip_services:
        env = start_services(tally)
        try:
            if env is not None:
                db_tests = r'deploysvc\.tests\.unit\.(api|db)\.'
                for name, key in (('PostgreSQL', 'DEPLOYSVC_TEST_PG_URL'),
                                  ('MariaDB', 'DEPLOYSVC_TEST_MYSQL_URL')):
                    db_env = dict(env, DEPLOYSVC_TEST_DB_URL=env[key])
                    stestr(tally, 'db+api (%s)' % name, unit, db_env,
                           regex=db_tests)
                stestr(tally, 'functional (clients, agents, server)',
                       functional, env, exclude=_OWN_SUITES)
                stestr(tally, 'keystone (real Keystone)', functional, env,
                       regex=r'test_keystone')
                stestr(tally, 'notifications (RabbitMQ)', functional, env,
                       regex=_RABBITMQ)
                stestr(tally, 'concurrency, outage, replica (PG, MariaDB)',
                       functional, env, regex=_DATABASE_SERVERS)
                stestr(tally, 'scale-out (Galera, HAProxy, faults)',
                       functional, env, regex=_SCALE, concurrency=1)
                scale_figures()
        finally:
            stop_services()
    else:
        stestr(tally, 'functional (no services)', functional,
               exclude=_OWN_SUITES)

    if not args.skip_docs:
        sphinx = os.path.join(BIN, 'sphinx-build')
        check(tally, 'docs + api-ref (-W)',
              [sphinx, '-W', '--keep-going', '-q', '-b', 'html',
               'doc/source', 'doc/build/html'])
        check(tally, 'release notes (-W)',
              [sphinx, '-a', '-E', '-W', '--keep-going', '-q', '-b', 'html',
               'releasenotes/source', 'releasenotes/build/html'])

    tally.report()
    return 0 if tally.failed == 0 else 1


if __name__ == '__main__':
    sys.exit(main())
