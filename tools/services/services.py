#!/usr/bin/env python3
"""Start/stop the real backing services the deploysvc test suite needs.

Stdlib only; run with the system ``python3`` (3.10+) as root on Debian 12.

    python3 tools/services/services.py start [--only pg,mysql,keystone]
                                             [--dir DIR]
    python3 tools/services/services.py status [--dir DIR]
    python3 tools/services/services.py stop [--dir DIR] [--purge]
    python3 tools/services/services.py register-endpoint URL [--dir DIR]
    python3 tools/services/services.py env [--dir DIR]   # print env.sh

Services (all on 127.0.0.1 only, ports chosen at run time):

* ``pg``       PostgreSQL (Debian postgresql, installed with apt if missing),
               run as the ``postgres`` system user, data in DIR/pg.
* ``mysql``    MariaDB (Debian mariadb-server, installed with apt if missing),
               data in DIR/mysql.
* ``keystone`` Keystone from PyPI in DIR/keystone-venv, SQLite + fernet,
               served by gunicorn, seeded with the test identities.

``start`` writes DIR/env.sh and DIR/env.json (DEPLOYSVC_TEST_* variables) and
prints the env.sh text on stdout; progress goes to stderr.  Services that an
earlier ``start`` on the same DIR left running are reused.  Data directories
survive ``stop`` (so a restart is fast); ``stop --purge`` removes them.

Environment written (see ``keystone_env`` etc. for the full list):
DEPLOYSVC_TEST_SERVICES_DIR, DEPLOYSVC_TEST_SERVICES (running ones),
DEPLOYSVC_TEST_PG_{URL,HOST,PORT,USER,PASSWORD,DATABASE,SOCKET_DIR},
DEPLOYSVC_TEST_MYSQL_{URL,HOST,PORT,USER,PASSWORD,DATABASE,SOCKET},
DEPLOYSVC_TEST_KEYSTONE_{URL,ROOT_URL,REGION,STACK_DOMAIN,STACK_DOMAIN_ID,
ORCHESTRATION_SERVICE_ID,ORCHESTRATION_SERVICE_NAME,CONFIG_FILE},
DEPLOYSVC_TEST_KEYSTONE_ROLE_<ROLE>_ID and, for each identity ADMIN, SERVICE,
DEMO_MEMBER, DEMO_READER, ALT_MEMBER, STACK_AGENT, STACK_DOMAIN_ADMIN:
DEPLOYSVC_TEST_KEYSTONE_<IDENT>_{USER,USER_ID,PASSWORD,USER_DOMAIN,
USER_DOMAIN_ID} plus _{PROJECT,PROJECT_ID,PROJECT_DOMAIN,PROJECT_DOMAIN_ID}
(project-scoped identities) or _{DOMAIN,DOMAIN_ID} (STACK_DOMAIN_ADMIN).

Knobs: DEPLOYSVC_SERVICES_DIR (default DIR), DEPLOYSVC_KEYSTONE_VENV (share
one keystone venv between several DIRs), DEPLOYSVC_KEYSTONE_PIP_SPEC.

The module is importable (``import services`` starts nothing) and offers
``start_services()``, ``stop_services()``, ``status()``, ``load_env()``,
``keystone_token()`` and ``register_endpoint()``.
"""

import argparse
import base64
import contextlib
import fcntl
import hashlib
import json
import os
import pwd
import random
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request

ALL_SERVICES = ('pg', 'mysql', 'keystone')
ALIASES = {
    'pg': 'pg', 'postgres': 'pg', 'postgresql': 'pg',
    'mysql': 'mysql', 'mariadb': 'mysql',
    'keystone': 'keystone', 'ks': 'keystone',
}
DB_NAME = 'deploysvc'
DB_USER = 'deploysvc'
REGION = 'RegionOne'
# gunicorn 27's rewritten gthread worker was seen stalling 2s (its keepalive)
# per request when a client leaves a response unread; 23.0.0 does not.
KEYSTONE_PIP_SPEC = os.environ.get(
    'DEPLOYSVC_KEYSTONE_PIP_SPEC', 'keystone>=30,<31 gunicorn==23.0.0').split()
ENV_PREFIX = 'DEPLOYSVC_TEST_'
KS = ENV_PREFIX + 'KEYSTONE_'

# Identities seeded into keystone: key -> (user, user domain, project or None,
# project domain, roles, domain-scope domain or None).
IDENTITIES = {
    'ADMIN': dict(user='admin', domain='Default', project='admin',
                  project_domain='Default', roles=['admin']),
    'SERVICE': dict(user='deploysvc', domain='Default', project='service',
                    project_domain='Default', roles=['admin', 'service']),
    'DEMO_MEMBER': dict(user='demo-member', domain='Default', project='demo',
                        project_domain='Default', roles=['member']),
    'DEMO_READER': dict(user='demo-reader', domain='Default', project='demo',
                        project_domain='Default', roles=['reader']),
    'ALT_MEMBER': dict(user='alt-member', domain='Default', project='alt',
                       project_domain='Default', roles=['member']),
    'STACK_AGENT': dict(user='stack-agent', domain='heat_stack',
                        project='stack-user-project',
                        project_domain='heat_stack',
                        roles=['heat_stack_user']),
    # Heat's "stack_domain_admin": admin on the heat_stack domain.
    'STACK_DOMAIN_ADMIN': dict(user='heat-domain-admin', domain='heat_stack',
                               project=None, project_domain=None,
                               domain_scope='heat_stack', roles=['admin']),
}
EXTRA_ROLES = ['heat_stack_user', 'service']

_T0 = time.monotonic()
_print_lock = threading.Lock()


class ServiceError(Exception):
    def __init__(self, msg, logs=()):
        super().__init__(msg)
        self.logs = list(logs)


def log(msg):
    with _print_lock:
        sys.stderr.write('[%6.1fs] %s\n' % (time.monotonic() - _T0, msg))
        sys.stderr.flush()


def tail(path, n=40):
    try:
        with open(path, 'rb') as f:
            f.seek(0, 2)
            size = f.tell()
            f.seek(max(0, size - 64 * 1024))
            lines = f.read().decode('utf-8', 'replace').splitlines()
        return '\n'.join(lines[-n:])
    except OSError as e:
        return '(cannot read %s: %s)' % (path, e)


def default_dir():
    return os.path.abspath(os.environ.get('DEPLOYSVC_SERVICES_DIR',
                                          '.services'))


class Layout:
    """All paths for one services directory."""

    def __init__(self, d):
        d = os.path.abspath(d or default_dir())
        self.dir = d
        self.logs = os.path.join(d, 'logs')
        self.run = os.path.join(d, 'run')
        self.state = os.path.join(d, 'state.json')
        self.env_sh = os.path.join(d, 'env.sh')
        self.env_json = os.path.join(d, 'env.json')
        self.lock = os.path.join(d, '.lock')
        self.mysql = os.path.join(d, 'mysql')
        self.mysql_data = os.path.join(self.mysql, 'data')
        self.ks = os.path.join(d, 'keystone')
        self.ks_venv = os.environ.get('DEPLOYSVC_KEYSTONE_VENV') or \
            os.path.join(d, 'keystone-venv')
        # unix socket paths are limited to ~107 bytes
        short = os.path.join(d, 'sock')
        if len(short) > 70:
            short = '/tmp/deploysvc-sock-' + hashlib.sha1(
                d.encode()).hexdigest()[:12]
        self.sockdir = short
        self.mysql_sock = os.path.join(short, 'mysql.sock')
        # postgres runs as the postgres user: when it cannot enter DIR its
        # data lives elsewhere (decided by start, remembered in state.json)
        base = read_json(self.state, {}).get('pg', {}).get('base')
        self.set_pg_base(base or os.path.join(d, 'pg'))

    def set_pg_base(self, base):
        self.pg = base
        self.pg_data = os.path.join(base, 'data')
        self.pg_sockdir = os.path.join(base, 'sock')
        if len(self.pg_sockdir) > 80:
            self.pg_sockdir = os.path.join(self.sockdir, 'pg')

    def pg_alt_base(self):
        return '/var/tmp/deploysvc-pg-' + hashlib.sha1(
            self.dir.encode()).hexdigest()[:12]

    def pidfile(self, svc):
        return os.path.join(self.run, svc + '.pid')

    def logfile(self, name):
        return os.path.join(self.logs, name)

    def marker(self, svc):
        """A string found in the command line of the service's main process."""
        return {'pg': self.pg_data, 'mysql': self.mysql_data,
                'keystone': self.ks}[svc]


# --------------------------------------------------------------------------
# state / process helpers

def read_json(path, default=None):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {} if default is None else default


def write_json(path, data):
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(data, f, indent=2, sort_keys=True)
        f.write('\n')
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def _proc_cmdline(pid):
    try:
        with open('/proc/%d/cmdline' % pid, 'rb') as f:
            return f.read().replace(b'\0', b' ').decode('utf-8', 'replace')
    except OSError:
        return None


def _proc_stat(pid):
    """(state, pgrp, ppid) of a process or None."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            data = f.read()
    except OSError:
        return None
    rest = data[data.rindex(')') + 2:].split()
    return rest[0], int(rest[2]), int(rest[1])


def _proc_comm(pid):
    try:
        with open('/proc/%d/comm' % pid) as f:
            return f.read().strip()
    except OSError:
        return None


def _all_pids():
    return [int(n) for n in os.listdir('/proc') if n.isdigit()]


def _descendants(pid):
    """pids of all live descendants of pid (by parent links)."""
    kids = {}
    for p in _all_pids():
        st = _proc_stat(p)
        if st:
            kids.setdefault(st[2], []).append(p)
    out, todo = [], [pid]
    while todo:
        for k in kids.get(todo.pop(), ()):
            out.append(k)
            todo.append(k)
    return out


def _alive(pid):
    st = _proc_stat(pid)
    return st is not None and st[0] not in ('Z', 'X')


def _pgrp_members(pgid):
    out = []
    for p in _all_pids():
        st = _proc_stat(p)
        if st and st[1] == pgid and st[0] not in ('Z', 'X'):
            out.append(p)
    return out


def read_pid(lay, svc):
    try:
        with open(lay.pidfile(svc)) as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def service_pid(lay, svc):
    """PID of our running service process, or None."""
    pid = read_pid(lay, svc)
    if pid and _alive(pid):
        cmd = _proc_cmdline(pid) or ''
        if lay.marker(svc) in cmd:
            return pid
    return None


def write_pid(lay, svc, pid):
    os.makedirs(lay.run, exist_ok=True)
    with open(lay.pidfile(svc), 'w') as f:
        f.write('%d\n' % pid)


def port_free(port):
    for addr in ('127.0.0.1', '0.0.0.0'):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((addr, port))
        except OSError:
            return False
        finally:
            s.close()
    return True


_port_lock = threading.Lock()
_ports_taken = set()


def pick_port(preferred=None):
    """A free TCP port on 127.0.0.1, below the ephemeral range if possible."""
    with _port_lock:
        if preferred and preferred not in _ports_taken and \
                port_free(preferred):
            _ports_taken.add(preferred)
            return preferred
        rnd = random.SystemRandom()
        for _ in range(200):
            p = rnd.randint(20000, 32000)
            if p not in _ports_taken and port_free(p):
                _ports_taken.add(p)
                return p
        s = socket.socket()
        s.bind(('127.0.0.1', 0))
        p = s.getsockname()[1]
        s.close()
        _ports_taken.add(p)
        return p


def run(cmd, logpath=None, check=True, timeout=600, **kw):
    """Run a command, output appended to logpath (or captured)."""
    if logpath:
        with open(logpath, 'ab') as lf:
            lf.write(('\n$ %s\n' % ' '.join(shlex.quote(c) for c in cmd))
                     .encode())
            lf.flush()
            r = subprocess.run(cmd, stdout=lf, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, timeout=timeout, **kw)
    else:
        if 'input' not in kw:
            kw.setdefault('stdin', subprocess.DEVNULL)
        r = subprocess.run(cmd, capture_output=True, timeout=timeout, **kw)
    if check and r.returncode != 0:
        msg = 'command failed (exit %d): %s' % (
            r.returncode, ' '.join(shlex.quote(c) for c in cmd))
        if not logpath:
            msg += '\n' + (r.stdout or b'').decode(errors='replace')[-3000:] \
                + (r.stderr or b'').decode(errors='replace')[-3000:]
        raise ServiceError(msg, [logpath] if logpath else [])
    return r


def spawn(cmd, logpath, **kw):
    """Start a detached long-running process in its own session."""
    with open(logpath, 'ab') as lf:
        lf.write(('\n$ %s\n' % ' '.join(shlex.quote(c) for c in cmd)).encode())
        lf.flush()
        return subprocess.Popen(cmd, stdout=lf, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL,
                                start_new_session=True, close_fds=True, **kw)


def wait_until(pred, proc, timeout, what, logs):
    deadline = time.monotonic() + timeout
    delay = 0.05
    while True:
        if proc is not None and proc.poll() is not None:
            raise ServiceError('%s: process exited with code %s while '
                               'starting' % (what, proc.returncode), logs)
        try:
            if pred():
                return
        except Exception:  # noqa - keep polling
            pass
        if time.monotonic() > deadline:
            raise ServiceError('%s: not ready after %ss' % (what, timeout),
                               logs)
        time.sleep(delay)
        delay = min(delay * 1.5, 0.5)


def kill_service(lay, svc, pid=None, timeout=30):
    """Stop one service by its PID.

    Also waits for (and if need be kills) the processes it had started:
    postgres children call setsid(), so they are found by parent link
    before the signal, gunicorn workers by process group.
    """
    pid = pid or read_pid(lay, svc)
    if not pid:
        return False
    ours = service_pid(lay, svc) == pid
    stopped = False
    children = []
    if ours:
        children = [(c, _proc_cmdline(c)) for c in _descendants(pid)]
        sig = {'pg': signal.SIGINT,         # postgres "fast" shutdown
               'mysql': signal.SIGTERM,
               'keystone': signal.SIGINT}[svc]  # gunicorn quick shutdown
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
        deadline = time.monotonic() + timeout
        while _alive(pid) and time.monotonic() < deadline:
            _reap(pid)
            time.sleep(0.05)
        if _alive(pid):
            log('%s: pid %d did not exit after %ss, SIGKILL' % (
                svc, pid, timeout))
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            while _alive(pid):
                _reap(pid)
                time.sleep(0.05)
        stopped = True
    # left-overs: former children, or members of the service's process group
    me = os.getpid()

    def leftovers():
        out = set(p for p in _pgrp_members(pid) if p != me)
        for c, cmd in children:
            if _alive(c) and _proc_cmdline(c) == cmd:
                out.add(c)
        return sorted(out)
    members = leftovers()
    deadline = time.monotonic() + 5
    while members and time.monotonic() < deadline:
        time.sleep(0.1)
        members = leftovers()
    for m in members:
        log('%s: killing left-over process %d' % (svc, m))
        with contextlib.suppress(ProcessLookupError):
            os.kill(m, signal.SIGKILL)
    with contextlib.suppress(OSError):
        os.unlink(lay.pidfile(svc))
    return stopped


def _reap(pid):
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


# --------------------------------------------------------------------------
# apt

class Apt:
    """Installs Debian packages once, without starting system services."""

    def __init__(self):
        self.lock = threading.Lock()
        self.updated = False

    def install(self, pkgs, logpath, ours=None):
        with self.lock:
            missing = [p for p in pkgs if not _dpkg_installed(p)]
            if not missing:
                return
            log('apt: installing %s' % ' '.join(missing))
            t = time.monotonic()
            env = dict(os.environ, DEBIAN_FRONTEND='noninteractive')
            policy = '/usr/sbin/policy-rc.d'
            created = False
            before = _server_pids()
            if not os.path.exists(policy):
                with open(policy, 'w') as f:
                    f.write('#!/bin/sh\n# deploysvc services.py: no service '
                            'starts during apt-get\nexit 101\n')
                os.chmod(policy, 0o755)
                created = True
            try:
                if not self.updated:
                    run(['apt-get', 'update', '-q'], logpath, env=env,
                        timeout=900)
                    self.updated = True
                run(['apt-get', 'install', '-y', '-q',
                     '--no-install-recommends',
                     '-o', 'Dpkg::Options::=--force-confdef',
                     '-o', 'Dpkg::Options::=--force-confold'] + missing,
                    logpath, env=env, timeout=1800)
            finally:
                if created:
                    with contextlib.suppress(OSError):
                        os.unlink(policy)
            # a system server started by the packages' scripts anyway?
            for pid, name in _server_pids().items():
                if pid not in before and not (
                        ours and ours in (_proc_cmdline(pid) or '')):
                    log('apt: stopping %s (pid %d) started by the package '
                        'install' % (name, pid))
                    with contextlib.suppress(OSError):
                        os.kill(pid, signal.SIGTERM)
            log('apt: done in %.1fs' % (time.monotonic() - t))


def _dpkg_installed(pkg):
    r = subprocess.run(['dpkg-query', '-W', '-f=${Status}', pkg],
                       capture_output=True)
    return r.returncode == 0 and b'install ok installed' in r.stdout


def _server_pids():
    """Database server main processes now running: {pid: comm}."""
    out = {}
    names = ('mariadbd', 'mysqld', 'mysqld_safe', 'mariadbd-safe', 'postgres')
    for p in _all_pids():
        comm = _proc_comm(p)
        if comm not in names:
            continue
        st = _proc_stat(p)
        # postgres children (checkpointer, ...) have a postgres parent
        if st and _proc_comm(st[2]) in names:
            continue
        out[p] = comm
    return out


# --------------------------------------------------------------------------
# PostgreSQL

def find_pg_bindir():
    cands = []
    base = '/usr/lib/postgresql'
    if os.path.isdir(base):
        for v in os.listdir(base):
            b = os.path.join(base, v, 'bin')
            if os.path.exists(os.path.join(b, 'postgres')) and \
                    os.path.exists(os.path.join(b, 'initdb')):
                with contextlib.suppress(ValueError):
                    cands.append((float(v), b))
    if cands:
        return sorted(cands)[-1][1]
    p = shutil.which('postgres')
    if p and shutil.which('initdb'):
        return os.path.dirname(os.path.realpath(p))
    return None


def _ensure_system_user(name, home):
    try:
        return pwd.getpwnam(name)
    except KeyError:
        log('creating system user %s' % name)
        run(['useradd', '--system', '--user-group', '--home-dir', home,
             '--no-create-home', '--shell', '/bin/bash', name])
        return pwd.getpwnam(name)


def _chown_tree(path, uid, gid):
    os.chown(path, uid, gid)
    for root, dirs, files in os.walk(path):
        for n in dirs + files:
            with contextlib.suppress(OSError):
                os.lchown(os.path.join(root, n), uid, gid)


def start_pg(lay, st, apt):
    t0 = time.monotonic()
    bindir = find_pg_bindir()
    if not bindir:
        apt.install(['postgresql'], lay.logfile('apt.log'), lay.dir)
        bindir = find_pg_bindir()
        if not bindir:
            raise ServiceError('pg: postgres binaries not found after apt '
                               'install', [lay.logfile('apt.log')])
    pw = _ensure_system_user('postgres', '/var/lib/postgresql')
    uid, gid = pw.pw_uid, pw.pw_gid
    as_pg = dict(user=uid, group=gid, extra_groups=[],
                 env=dict(os.environ, HOME=pw.pw_dir or '/tmp',
                          USER='postgres', LOGNAME='postgres',
                          LC_ALL='C.UTF-8'))
    pglog = lay.logfile('postgres.log')
    cfg = st.setdefault('pg', {})
    # the postgres user must be able to reach its data and socket dirs
    if not cfg.get('base'):
        r = subprocess.run(['test', '-x', lay.dir], user=uid, group=gid,
                           extra_groups=[])
        if r.returncode != 0:
            lay.set_pg_base(lay.pg_alt_base())
            cfg['base'] = lay.pg
            log('pg: the postgres user cannot enter %s; data goes to %s' % (
                lay.dir, lay.pg))
    os.makedirs(lay.pg, exist_ok=True)
    os.chown(lay.pg, uid, gid)
    cfg.setdefault('user', DB_USER)
    cfg.setdefault('password', base64.b32encode(os.urandom(15)).decode()
                   .lower())
    cfg.setdefault('database', DB_NAME)
    if not os.path.exists(os.path.join(lay.pg_data, 'PG_VERSION')):
        if os.path.exists(lay.pg_data):
            shutil.rmtree(lay.pg_data)
        log('pg: initdb (%s)' % bindir)
        run([os.path.join(bindir, 'initdb'), '-D', lay.pg_data, '-U',
             'postgres', '-E', 'UTF8', '--no-locale', '--auth-local=trust',
             '--auth-host=scram-sha-256', '--no-sync'], pglog, cwd=lay.pg,
            **as_pg)
        cfg.pop('initialized', None)
        log('pg: initdb done (%.1fs)' % (time.monotonic() - t0))
    os.makedirs(lay.pg_sockdir, exist_ok=True)
    os.chown(lay.pg_sockdir, uid, gid)
    os.chmod(lay.pg_sockdir, 0o755)
    with open(pglog, 'ab'):
        pass
    port = pick_port(cfg.get('port'))
    cmd = [os.path.join(bindir, 'postgres'), '-D', lay.pg_data,
           '-p', str(port), '-k', lay.pg_sockdir,
           '-c', 'listen_addresses=127.0.0.1',
           '-c', 'fsync=off', '-c', 'synchronous_commit=off',
           '-c', 'full_page_writes=off', '-c', 'max_connections=200',
           '-c', 'shared_buffers=128MB', '-c', 'log_min_messages=warning',
           '-c', 'log_line_prefix=%m [%p] %q%u@%d ']
    proc = spawn(cmd, pglog, cwd=lay.pg, **as_pg)
    write_pid(lay, 'pg', proc.pid)
    psql = os.path.join(bindir, 'psql')
    if not os.path.exists(psql):
        psql = shutil.which('psql') or psql

    def sql(text, db='postgres', check=True):
        return run([psql, '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1',
                    '-h', lay.pg_sockdir, '-p', str(port), '-U', 'postgres',
                    '-d', db, '-f', '-'], check=check, input=text.encode())

    def ready():
        return os.path.exists(os.path.join(
            lay.pg_sockdir, '.s.PGSQL.%d' % port)) and \
            sql('SELECT 1', check=False).returncode == 0

    try:
        wait_until(ready, proc, 60, 'pg', [pglog])
        u, p, d = cfg['user'], cfg['password'], cfg['database']
        sql("""
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '%(u)s') THEN
    CREATE ROLE "%(u)s" LOGIN CREATEDB PASSWORD '%(p)s';
  ELSE
    ALTER ROLE "%(u)s" LOGIN CREATEDB PASSWORD '%(p)s';
  END IF;
END $$;
SELECT 'CREATE DATABASE "%(d)s" OWNER "%(u)s"'
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '%(d)s')\\gexec
""" % dict(u=u, p=p, d=d))
    except Exception:
        kill_service(lay, 'pg', proc.pid, timeout=10)
        raise
    cfg['port'] = port
    cfg['initialized'] = True
    log('pg: ready on 127.0.0.1:%d (%.1fs)' % (port, time.monotonic() - t0))


def pg_env(lay, cfg):
    return {
        ENV_PREFIX + 'PG_URL':
            'postgresql+psycopg2://%s:%s@127.0.0.1:%d/%s' % (
                cfg['user'], cfg['password'], cfg['port'], cfg['database']),
        ENV_PREFIX + 'PG_HOST': '127.0.0.1',
        ENV_PREFIX + 'PG_PORT': str(cfg['port']),
        ENV_PREFIX + 'PG_USER': cfg['user'],
        ENV_PREFIX + 'PG_PASSWORD': cfg['password'],
        ENV_PREFIX + 'PG_DATABASE': cfg['database'],
        ENV_PREFIX + 'PG_SOCKET_DIR': lay.pg_sockdir,
    }


# --------------------------------------------------------------------------
# MariaDB

def _find_mysql_bins():
    def which(*names):
        for n in names:
            for d in (None, '/usr/sbin', '/usr/bin'):
                p = shutil.which(n) if d is None else os.path.join(d, n)
                if p and os.path.exists(p):
                    return p
        return None
    return (which('mariadbd', 'mysqld'),
            which('mariadb-install-db', 'mysql_install_db'),
            which('mariadb', 'mysql'))


def start_mysql(lay, st, apt):
    t0 = time.monotonic()
    server, installdb, client = _find_mysql_bins()
    if not (server and installdb and client):
        apt.install(['mariadb-server', 'mariadb-client'],
                    lay.logfile('apt.log'), lay.dir)
        server, installdb, client = _find_mysql_bins()
        if not (server and installdb and client):
            raise ServiceError('mysql: mariadb binaries not found after apt '
                               'install', [lay.logfile('apt.log')])
    mlog = lay.logfile('mariadb.log')
    cfg = st.setdefault('mysql', {})
    cfg.setdefault('user', DB_USER)
    cfg.setdefault('password', base64.b32encode(os.urandom(15)).decode()
                   .lower())
    cfg.setdefault('database', DB_NAME)
    os.makedirs(lay.mysql, exist_ok=True)
    tmpdir = os.path.join(lay.mysql, 'tmp')
    os.makedirs(tmpdir, exist_ok=True)
    os.makedirs(lay.sockdir, exist_ok=True)
    if not os.path.isdir(os.path.join(lay.mysql_data, 'mysql')):
        if os.path.exists(lay.mysql_data):
            shutil.rmtree(lay.mysql_data)
        log('mysql: mariadb-install-db')
        run([installdb, '--no-defaults', '--datadir=' + lay.mysql_data,
             '--user=root', '--auth-root-authentication-method=normal',
             '--skip-test-db', '--skip-name-resolve',
             '--innodb-log-file-size=48M',
             '--innodb-buffer-pool-size=64M'],
            lay.logfile('mariadb-install-db.log'), cwd=lay.mysql)
        cfg.pop('initialized', None)
        log('mysql: install-db done (%.1fs)' % (time.monotonic() - t0))
    port = pick_port(cfg.get('port'))
    with contextlib.suppress(OSError):
        os.unlink(lay.mysql_sock)
    cmd = [server, '--no-defaults',
           '--datadir=' + lay.mysql_data,
           '--port=%d' % port, '--bind-address=127.0.0.1',
           '--socket=' + lay.mysql_sock,
           '--pid-file=' + os.path.join(lay.mysql, 'mariadbd.pid'),
           '--tmpdir=' + tmpdir,
           '--log-error=' + mlog,
           '--user=root',
           '--skip-name-resolve',
           '--skip-log-bin',
           '--max-connections=200',
           '--character-set-server=utf8mb4',
           '--collation-server=utf8mb4_general_ci',
           '--innodb-flush-log-at-trx-commit=0',
           '--innodb-buffer-pool-size=128M',
           '--innodb-log-file-size=48M',
           '--innodb-doublewrite=0',
           '--innodb-use-native-aio=0',
           '--skip-external-locking',
           '--max-allowed-packet=64M']
    proc = spawn(cmd, mlog, cwd=lay.mysql)
    write_pid(lay, 'mysql', proc.pid)

    def sql(text, check=True):
        return run([client, '--no-defaults', '-S', lay.mysql_sock, '-u',
                    'root', '--batch', '--skip-column-names'],
                   check=check, input=text.encode())

    def ready():
        return os.path.exists(lay.mysql_sock) and \
            sql('SELECT 1', check=False).returncode == 0

    try:
        wait_until(ready, proc, 90, 'mysql', [mlog])
        u, p, d = cfg['user'], cfg['password'], cfg['database']
        sql("""
CREATE DATABASE IF NOT EXISTS `%(d)s` CHARACTER SET utf8mb4
  COLLATE utf8mb4_general_ci;
CREATE USER IF NOT EXISTS '%(u)s'@'%%' IDENTIFIED BY '%(p)s';
ALTER USER '%(u)s'@'%%' IDENTIFIED BY '%(p)s';
CREATE USER IF NOT EXISTS '%(u)s'@'localhost' IDENTIFIED BY '%(p)s';
ALTER USER '%(u)s'@'localhost' IDENTIFIED BY '%(p)s';
GRANT ALL PRIVILEGES ON *.* TO '%(u)s'@'%%' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON *.* TO '%(u)s'@'localhost' WITH GRANT OPTION;
FLUSH PRIVILEGES;
""" % dict(u=u, p=p, d=d))
        # anonymous accounts would shadow ours for some host patterns
        r = sql("SELECT CONCAT(\"'\", user, \"'@'\", host, \"'\") FROM "
                "mysql.user WHERE user = ''")
        anon = r.stdout.decode().split()
        if anon:
            sql('DROP USER %s;' % ', '.join(anon))
    except Exception:
        kill_service(lay, 'mysql', proc.pid, timeout=10)
        raise
    cfg['port'] = port
    cfg['initialized'] = True
    log('mysql: ready on 127.0.0.1:%d (%.1fs)' % (port,
                                                  time.monotonic() - t0))


def mysql_env(lay, cfg):
    return {
        ENV_PREFIX + 'MYSQL_URL':
            'mysql+pymysql://%s:%s@127.0.0.1:%d/%s?charset=utf8mb4' % (
                cfg['user'], cfg['password'], cfg['port'], cfg['database']),
        ENV_PREFIX + 'MYSQL_HOST': '127.0.0.1',
        ENV_PREFIX + 'MYSQL_PORT': str(cfg['port']),
        ENV_PREFIX + 'MYSQL_USER': cfg['user'],
        ENV_PREFIX + 'MYSQL_PASSWORD': cfg['password'],
        ENV_PREFIX + 'MYSQL_DATABASE': cfg['database'],
        ENV_PREFIX + 'MYSQL_SOCKET': lay.mysql_sock,
    }


# --------------------------------------------------------------------------
# Keystone

WSGI_MODULE = '''\
"""gunicorn entry point for keystone (written by tools/services/services.py).

keystone parses sys.argv with oslo.config: gunicorn's own arguments must not
reach it, so reset argv before importing keystone.
"""
import os
import sys

sys.argv = [sys.argv[0]]
os.environ["OS_KEYSTONE_CONFIG_FILES"] = %(conf)r

from keystone.server import wsgi as _ks_wsgi  # noqa: E402

application = _ks_wsgi.initialize_public_application()
'''

KS_INIT_MODULE = '''\
"""keystone-manage db_sync + bootstrap in one interpreter (saves one slow
keystone import).  Written by tools/services/services.py; exit code 3 means
keystone's internals changed: run the two keystone-manage commands instead.
"""
import sys

try:
    from keystone.cmd import cli
    from keystone.common.sql import upgrades
    _bootstrap = cli.BootStrap.main.__func__
    upgrades.offline_sync_database_to_version
except (ImportError, AttributeError) as e:
    print("combined db_sync+bootstrap unavailable: %s" % e)
    sys.exit(3)


@classmethod
def _main(cls):
    upgrades.offline_sync_database_to_version()
    print("db_sync done", flush=True)
    _bootstrap(cls)


cli.BootStrap.main = _main
cli.main(argv=["keystone-manage"] + sys.argv[1:])
'''

KEYSTONE_CONF = '''\
# written by tools/services/services.py -- regenerated on every start
[DEFAULT]
debug = false
use_stderr = true
public_endpoint = %(public)s

[database]
connection = sqlite:///%(db)s

[token]
provider = fernet
expiration = 14400

[fernet_tokens]
key_repository = %(fernet)s
max_active_keys = 3

[fernet_receipts]
key_repository = %(fernet)s

[credential]
provider = fernet
key_repository = %(cred)s

[cache]
enabled = true
backend = oslo_cache.dict
expiration_time = 600

[identity]
# bcrypt's minimum: keeps password authentication fast for the tests
password_hash_rounds = 4
# bcrypt's own limit (silences a warning logged on every authentication)
max_password_length = 72

[resource]
admin_project_name = admin
admin_project_domain_name = Default

[security_compliance]
change_password_upon_first_use = false

[oslo_messaging_notifications]
driver = noop
'''


def _venv_ok(venv):
    try:
        with open(os.path.join(venv, '.deploysvc-ok')) as f:
            if f.read().split() != KEYSTONE_PIP_SPEC:
                return False
    except OSError:
        return False
    return os.path.exists(os.path.join(venv, 'bin', 'python')) and \
        os.path.exists(os.path.join(venv, 'bin', 'gunicorn')) and \
        os.path.exists(os.path.join(venv, 'bin', 'keystone-manage'))


def ensure_keystone_venv(lay, apt):
    venv = lay.ks_venv
    if _venv_ok(venv):
        return venv
    t = time.monotonic()
    plog = lay.logfile('keystone-pip.log')
    py = sys.executable or shutil.which('python3')
    if subprocess.run([py, '-c', 'import ensurepip, venv'],
                      capture_output=True).returncode != 0:
        apt.install(['python3-venv'], lay.logfile('apt.log'), lay.dir)
    marker = os.path.join(venv, '.deploysvc-ok')
    with contextlib.suppress(OSError):
        os.unlink(marker)
    vpy = os.path.join(venv, 'bin', 'python')
    if not os.path.exists(vpy) or subprocess.run(
            [vpy, '-c', 'import pip'], capture_output=True).returncode != 0:
        if os.path.exists(venv):
            shutil.rmtree(venv)
        log('keystone: creating venv %s' % venv)
        run([py, '-m', 'venv', venv], plog)
    log('keystone: pip install %s (log: %s)' % (
        ' '.join(KEYSTONE_PIP_SPEC), plog))
    pip = os.path.join(venv, 'bin', 'pip')
    run([pip, 'install', '--disable-pip-version-check', '-q']
        + KEYSTONE_PIP_SPEC, plog, timeout=1800)
    with open(marker, 'w') as f:
        f.write(' '.join(KEYSTONE_PIP_SPEC) + '\n')
    log('keystone: venv ready (%.1fs)' % (time.monotonic() - t))
    return venv


def _fernet_repo(path, count=2):
    """Equivalent of keystone-manage fernet_setup/credential_setup."""
    if os.path.isdir(path) and os.path.exists(os.path.join(path, '0')):
        return
    os.makedirs(path, mode=0o700, exist_ok=True)
    os.chmod(path, 0o700)
    for i in range(count):
        fn = os.path.join(path, str(i))
        fd = os.open(fn, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, 'wb') as f:
            f.write(base64.urlsafe_b64encode(os.urandom(32)))


def start_keystone(lay, st, apt):
    t0 = time.monotonic()
    cfg = st.setdefault('keystone', {})
    pwds = cfg.setdefault('passwords', {})
    for key in IDENTITIES:
        pwds.setdefault(key, 'pw-' + base64.b32encode(os.urandom(10))
                        .decode().lower())
    venv = ensure_keystone_venv(lay, apt)
    t_venv = time.monotonic() - t0
    kslog = lay.logfile('keystone.log')
    mlog = lay.logfile('keystone-manage.log')
    os.makedirs(lay.ks, exist_ok=True)
    port = pick_port(cfg.get('port'))
    public = 'http://127.0.0.1:%d' % port
    url = public + '/v3'
    conf = os.path.join(lay.ks, 'keystone.conf')
    db = os.path.join(lay.ks, 'keystone.db')
    with open(conf, 'w') as f:
        f.write(KEYSTONE_CONF % dict(
            public=public, db=db, fernet=os.path.join(lay.ks, 'fernet-keys'),
            cred=os.path.join(lay.ks, 'credential-keys')))
    with open(os.path.join(lay.ks, 'keystone_wsgi.py'), 'w') as f:
        f.write(WSGI_MODULE % dict(conf=conf))
    _fernet_repo(os.path.join(lay.ks, 'fernet-keys'))
    _fernet_repo(os.path.join(lay.ks, 'credential-keys'))
    manage = [os.path.join(venv, 'bin', 'keystone-manage'), '--config-file',
              conf]
    fresh = not (cfg.get('bootstrapped') and os.path.exists(db))
    if fresh:
        cfg.pop('bootstrapped', None)
        cfg.pop('ids', None)
        with contextlib.suppress(OSError):
            os.unlink(db)
    env = dict(os.environ, OS_KEYSTONE_CONFIG_FILES=conf)
    env.pop('PYTHONPATH', None)
    cmd = [os.path.join(venv, 'bin', 'gunicorn'),
           '--bind', '127.0.0.1:%d' % port,
           # One request at a time: keystone writes users' last_active_at
           # on every password authentication, and concurrent writers on
           # its SQLite database fail with "database is locked" (a 500).
           '--workers', '1', '--worker-class', 'gthread', '--threads', '1',
           '--timeout', '120', '--graceful-timeout', '5',
           '--chdir', lay.ks, '--pythonpath', lay.ks,
           '--access-logfile', lay.logfile('keystone-access.log'),
           '--error-logfile', '-',
           'keystone_wsgi:application']
    proc = spawn(cmd, kslog, cwd=lay.ks, env=env)
    write_pid(lay, 'keystone', proc.pid)
    try:
        if fresh:
            # db_sync + bootstrap run while gunicorn is importing keystone
            bootstrap = ['bootstrap',
                         '--bootstrap-username', 'admin',
                         '--bootstrap-password', pwds['ADMIN'],
                         '--bootstrap-project-name', 'admin',
                         '--bootstrap-role-name', 'admin',
                         '--bootstrap-service-name', 'keystone',
                         '--bootstrap-region-id', REGION,
                         '--bootstrap-admin-url', url,
                         '--bootstrap-public-url', url,
                         '--bootstrap-internal-url', url]
            init = os.path.join(lay.ks, 'keystone_init.py')
            with open(init, 'w') as f:
                f.write(KS_INIT_MODULE)
            log('keystone: db_sync + bootstrap')
            r = run([os.path.join(venv, 'bin', 'python'), init,
                     '--config-file', conf] + bootstrap, mlog, check=False)
            if r.returncode == 3:
                log('keystone: db_sync (keystone-manage)')
                run(manage + ['db_sync'], mlog)
                log('keystone: bootstrap (keystone-manage)')
                run(manage + bootstrap, mlog)
            elif r.returncode != 0:
                raise ServiceError('keystone: db_sync/bootstrap failed (exit '
                                   '%d)' % r.returncode, [mlog])
            cfg['bootstrapped'] = True
            log('keystone: db_sync + bootstrap done (%.1fs)' % (
                time.monotonic() - t0))

        def ready():
            with urllib.request.urlopen(url, timeout=5) as r:
                return r.status == 200
        wait_until(ready, proc, 120, 'keystone', [kslog, mlog])
        t_up = time.monotonic() - t0
        log('keystone: answering on %s (%.1fs)' % (url, t_up))
        cfg['port'] = port
        cfg['ids'] = seed_keystone(url, pwds)
    except Exception:
        kill_service(lay, 'keystone', proc.pid, timeout=10)
        raise
    log('keystone: seeded, ready on %s (%.1fs; venv %.1fs)' % (
        url, time.monotonic() - t0, t_venv))


class KeystoneClient:
    def __init__(self, url, token=None):
        self.url = url.rstrip('/')
        self.token = token

    def req(self, method, path, body=None, ok=(200, 201, 202, 204),
            headers=None):
        data = json.dumps(body).encode() if body is not None else None
        rq = urllib.request.Request(self.url + path, data=data, method=method)
        rq.add_header('Accept', 'application/json')
        if data is not None:
            rq.add_header('Content-Type', 'application/json')
        if self.token:
            rq.add_header('X-Auth-Token', self.token)
        for k, v in (headers or {}).items():
            rq.add_header(k, v)
        try:
            with urllib.request.urlopen(rq, timeout=60) as r:
                status, hdrs, raw = r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            status, hdrs, raw = e.code, e.headers, e.read()
        if status not in ok:
            raise ServiceError('keystone: %s %s -> %d: %s' % (
                method, path, status, raw[:500].decode(errors='replace')))
        doc = json.loads(raw) if raw else {}
        return status, hdrs, doc

    def get(self, path):
        return self.req('GET', path)[2]

    def post(self, path, body):
        return self.req('POST', path, body)[2]


def keystone_token(url, user, password, project=None, user_domain='Default',
                   project_domain='Default', domain=None, system=False):
    """Password-authenticate; returns (token, token body)."""
    auth = {'identity': {'methods': ['password'], 'password': {'user': {
        'name': user, 'password': password,
        'domain': {'name': user_domain}}}}}
    if system:
        auth['scope'] = {'system': {'all': True}}
    elif project:
        auth['scope'] = {'project': {'name': project,
                                     'domain': {'name': project_domain}}}
    elif domain:
        auth['scope'] = {'domain': {'name': domain}}
    _, hdrs, doc = KeystoneClient(url).req('POST', '/auth/tokens',
                                           {'auth': auth}, ok=(201,))
    return hdrs['X-Subject-Token'], doc['token']


def _q(**kw):
    return '?' + urllib.parse.urlencode(kw)


def seed_keystone(url, pwds):
    """Idempotently create the test roles/projects/users; returns ids."""
    token, _ = keystone_token(url, 'admin', pwds['ADMIN'], project='admin')
    c = KeystoneClient(url, token)
    ids = {'domains': {}, 'projects': {}, 'users': {}, 'roles': {}}

    # roles + implications
    roles = {r['name']: r['id'] for r in c.get('/roles')['roles']}
    for name in ('admin', 'member', 'reader') + tuple(EXTRA_ROLES):
        if name not in roles:
            roles[name] = c.post('/roles', {'role': {'name': name}})['role'][
                'id']
    inf = c.get('/role_inferences')['role_inferences']
    implies = {}
    for i in inf:
        implies.setdefault(i['prior_role']['id'], set()).update(
            r['id'] for r in i['implies'])

    def closure(rid, seen=None):
        seen = seen if seen is not None else set()
        for x in implies.get(rid, ()):
            if x not in seen:
                seen.add(x)
                closure(x, seen)
        return seen
    for prior, implied in (('member', 'reader'), ('admin', 'member')):
        if roles[implied] not in closure(roles[prior]):
            log('keystone: adding implied role %s -> %s' % (prior, implied))
            c.req('PUT', '/roles/%s/implies/%s' % (roles[prior],
                                                   roles[implied]))
            implies.setdefault(roles[prior], set()).add(roles[implied])
    ids['roles'] = roles

    # domains
    doms = {'Default': 'default'}
    for name in ('heat_stack',):
        found = c.get('/domains' + _q(name=name))['domains']
        doms[name] = found[0]['id'] if found else c.post(
            '/domains', {'domain': {
                'name': name,
                'description': 'deploysvc stack users'}})['domain']['id']
    ids['domains'] = doms

    # projects
    projs = {}
    for key, spec in IDENTITIES.items():
        p = spec.get('project')
        if not p or (p, spec['project_domain']) in projs:
            continue
        dom = doms[spec['project_domain']]
        found = c.get('/projects' + _q(name=p, domain_id=dom))['projects']
        projs[(p, spec['project_domain'])] = found[0]['id'] if found else \
            c.post('/projects', {'project': {
                'name': p, 'domain_id': dom,
                'description': 'deploysvc tests'}})['project']['id']
    ids['projects'] = {'%s/%s' % k: v for k, v in projs.items()}

    # users + role assignments
    users = {}
    for key, spec in IDENTITIES.items():
        dom = doms[spec['domain']]
        pw = pwds[key]
        found = c.get('/users' + _q(name=spec['user'], domain_id=dom))['users']
        if found:
            uid = found[0]['id']
            try:
                keystone_token(url, spec['user'], pw,
                               user_domain=spec['domain'])
            except ServiceError:
                c.req('PATCH', '/users/' + uid, {'user': {
                    'password': pw, 'enabled': True}})
        else:
            uid = c.post('/users', {'user': {
                'name': spec['user'], 'domain_id': dom, 'password': pw,
                'enabled': True}})['user']['id']
        users[key] = uid
        if spec.get('project'):
            pid = projs[(spec['project'], spec['project_domain'])]
            for r in spec['roles']:
                c.req('PUT', '/projects/%s/users/%s/roles/%s' % (
                    pid, uid, roles[r]))
        if spec.get('domain_scope'):
            for r in spec['roles']:
                c.req('PUT', '/domains/%s/users/%s/roles/%s' % (
                    doms[spec['domain_scope']], uid, roles[r]))
    ids['users'] = users

    # catalog: keep the identity endpoints on the current port
    svcs = c.get('/services' + _q(type='identity'))['services']
    for s in svcs:
        for ep in c.get('/endpoints' + _q(service_id=s['id']))['endpoints']:
            if ep['url'] != url:
                c.req('PATCH', '/endpoints/' + ep['id'],
                      {'endpoint': {'url': url}})
    ids['orchestration_service'] = _ensure_orchestration_service(c)
    return ids


def _ensure_orchestration_service(c):
    svcs = [s for s in c.get('/services' + _q(type='orchestration'))[
        'services'] if s.get('name') == 'deploysvc']
    if svcs:
        return svcs[0]['id']
    return c.post('/services', {'service': {
        'type': 'orchestration', 'name': 'deploysvc', 'enabled': True,
        'description': 'deploysvc software configs/deployments'}})[
        'service']['id']


def keystone_env(lay, cfg):
    url = 'http://127.0.0.1:%d/v3' % cfg['port']
    ids = cfg['ids']
    env = {
        KS + 'URL': url,
        KS + 'ROOT_URL': 'http://127.0.0.1:%d' % cfg['port'],
        KS + 'REGION': REGION,
        KS + 'STACK_DOMAIN': 'heat_stack',
        KS + 'STACK_DOMAIN_ID': ids['domains']['heat_stack'],
        KS + 'ORCHESTRATION_SERVICE_ID': ids['orchestration_service'],
        KS + 'ORCHESTRATION_SERVICE_NAME': 'deploysvc',
        KS + 'CONFIG_FILE': os.path.join(lay.ks, 'keystone.conf'),
    }
    for r, rid in ids['roles'].items():
        env[KS + 'ROLE_%s_ID' % r.upper()] = rid
    for key, spec in IDENTITIES.items():
        p = KS + key + '_'
        env[p + 'USER'] = spec['user']
        env[p + 'USER_ID'] = ids['users'][key]
        env[p + 'PASSWORD'] = cfg['passwords'][key]
        env[p + 'USER_DOMAIN'] = spec['domain']
        env[p + 'USER_DOMAIN_ID'] = ids['domains'][spec['domain']]
        if spec.get('project'):
            env[p + 'PROJECT'] = spec['project']
            env[p + 'PROJECT_ID'] = ids['projects'][
                '%s/%s' % (spec['project'], spec['project_domain'])]
            env[p + 'PROJECT_DOMAIN'] = spec['project_domain']
            env[p + 'PROJECT_DOMAIN_ID'] = ids['domains'][
                spec['project_domain']]
        if spec.get('domain_scope'):
            env[p + 'DOMAIN'] = spec['domain_scope']
            env[p + 'DOMAIN_ID'] = ids['domains'][spec['domain_scope']]
    return env


# --------------------------------------------------------------------------
# orchestration endpoint

def load_env(services_dir=None):
    """The env written by the last start (or {} if none)."""
    return read_json(Layout(services_dir).env_json, {})


def register_endpoint(url, services_dir=None, env=None, region=REGION):
    """Point the 'deploysvc' orchestration endpoints at ``url``.

    (Re)creates the public/internal/admin endpoints in ``region``;
    idempotent.

    Keystone URL and admin credentials come from ``env`` (a dict), else the
    process environment if it has DEPLOYSVC_TEST_KEYSTONE_URL, else
    ``services_dir``/env.json.  Returns {interface: endpoint id}.
    """
    if env is None:
        env = os.environ if os.environ.get(KS + 'URL') else \
            load_env(services_dir)
    if not env.get(KS + 'URL'):
        raise ServiceError('keystone is not running (no %sURL)' % KS)
    ks_url = env[KS + 'URL']
    token, _ = keystone_token(ks_url, env[KS + 'ADMIN_USER'],
                              env[KS + 'ADMIN_PASSWORD'],
                              project=env[KS + 'ADMIN_PROJECT'])
    c = KeystoneClient(ks_url, token)
    sid = _ensure_orchestration_service(c)
    eps = c.get('/endpoints' + _q(service_id=sid))['endpoints']
    result = {}
    for iface in ('public', 'internal', 'admin'):
        keep = None
        for ep in eps:
            if ep['interface'] != iface:
                continue
            if ep.get('region_id', ep.get('region')) != region:
                continue
            if keep is None and ep['url'] == url and ep.get('enabled', True):
                keep = ep['id']
            else:
                c.req('DELETE', '/endpoints/' + ep['id'])
        if keep is None:
            keep = c.post('/endpoints', {'endpoint': {
                'service_id': sid, 'interface': iface, 'url': url,
                'region_id': region, 'enabled': True}})['endpoint']['id']
        result[iface] = keep
    return result


# --------------------------------------------------------------------------
# orchestration of the whole thing

STARTERS = {'pg': start_pg, 'mysql': start_mysql, 'keystone': start_keystone}
ENVS = {'pg': pg_env, 'mysql': mysql_env, 'keystone': keystone_env}
LOGS = {'pg': ['postgres.log'], 'mysql': ['mariadb.log',
                                          'mariadb-install-db.log'],
        'keystone': ['keystone.log', 'keystone-manage.log',
                     'keystone-pip.log']}


@contextlib.contextmanager
def dir_lock(lay):
    os.makedirs(lay.dir, exist_ok=True)
    with open(lay.lock, 'w') as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _write_env(lay, st):
    env = {ENV_PREFIX + 'SERVICES_DIR': lay.dir}
    running = []
    for svc in ALL_SERVICES:
        if service_pid(lay, svc) and st.get(svc, {}).get('port'):
            try:
                env.update(ENVS[svc](lay, st[svc]))
                running.append(svc)
            except KeyError:
                pass
    env[ENV_PREFIX + 'SERVICES'] = ','.join(running)
    write_json(lay.env_json, env)
    with open(lay.env_sh + '.tmp', 'w') as f:
        f.write('# written by tools/services/services.py start\n')
        for k in sorted(env):
            f.write('export %s=%s\n' % (k, shlex.quote(env[k])))
    os.chmod(lay.env_sh + '.tmp', 0o600)
    os.replace(lay.env_sh + '.tmp', lay.env_sh)
    return env


def parse_only(only):
    if not only:
        return list(ALL_SERVICES)
    out = []
    for n in only.replace(' ', '').split(','):
        if not n:
            continue
        if n not in ALIASES:
            raise SystemExit('unknown service %r (choose from %s)' % (
                n, ', '.join(ALL_SERVICES)))
        if ALIASES[n] not in out:
            out.append(ALIASES[n])
    return out


def start_services(services=None, services_dir=None):
    """Start (or reuse) the services; returns the env dict.

    Raises ServiceError on failure (after printing log tails).
    """
    services = list(services or ALL_SERVICES)
    lay = Layout(services_dir)
    if os.geteuid() != 0:
        raise ServiceError('services.py must run as root')
    t0 = time.monotonic()
    with dir_lock(lay):
        os.makedirs(lay.logs, exist_ok=True)
        os.makedirs(lay.run, exist_ok=True)
        st = read_json(lay.state, {})
        apt = Apt()
        todo = []
        for svc in services:
            pid = service_pid(lay, svc)
            if pid and st.get(svc, {}).get('port') and \
                    (svc != 'keystone' or st[svc].get('ids')):
                log('%s: already running (pid %d, port %d), reusing' % (
                    svc, pid, st[svc]['port']))
                continue
            if read_pid(lay, svc):
                # stale pid file or a half-dead service: clean it up first
                kill_service(lay, svc, timeout=15)
            todo.append(svc)
        errors = {}
        timings = {}

        def worker(svc):
            t = time.monotonic()
            try:
                STARTERS[svc](lay, st, apt)
            except BaseException as e:  # noqa
                errors[svc] = e
            timings[svc] = time.monotonic() - t
        threads = [threading.Thread(target=worker, args=(s,), name=s)
                   for s in todo]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        write_json(lay.state, st)
        env = _write_env(lay, st)
    for svc, secs in timings.items():
        log('timing: %s %.1fs%s' % (svc, secs, ' (FAILED)' if svc in errors
                                    else ''))
    log('timing: total %.1fs' % (time.monotonic() - t0))
    if errors:
        for svc, e in errors.items():
            sys.stderr.write('\n==== %s FAILED: %s\n' % (svc, e))
            if not isinstance(e, ServiceError):
                traceback.print_exception(type(e), e, e.__traceback__)
            logs = list(getattr(e, 'logs', []))
            for name in LOGS[svc] + ['apt.log']:
                p = lay.logfile(name)
                if p not in logs and os.path.exists(p):
                    logs.append(p)
            for p in logs:
                if p and os.path.exists(p):
                    sys.stderr.write('---- tail of %s\n%s\n' % (p, tail(p)))
        raise ServiceError('failed to start: %s' % ', '.join(sorted(errors)))
    return env


def stop_services(services_dir=None, purge=False):
    lay = Layout(services_dir)
    if not os.path.isdir(lay.dir):
        log('nothing to stop in %s' % lay.dir)
        return
    with dir_lock(lay):
        threads = []
        for svc in ALL_SERVICES:
            pid = read_pid(lay, svc)
            if not pid:
                continue
            if service_pid(lay, svc):
                log('%s: stopping pid %d' % (svc, pid))
            else:
                log('%s: pid %d is not running (stale pid file)' % (svc, pid))
            t = threading.Thread(target=kill_service, args=(lay, svc, pid))
            t.start()
            threads.append(t)
        for t in threads:
            t.join()
        for svc in ALL_SERVICES:
            if service_pid(lay, svc):
                raise ServiceError('%s still running' % svc)
        st = read_json(lay.state, {})
        _write_env(lay, st)
        if purge:
            for p in (lay.pg, lay.mysql, lay.ks, lay.sockdir, lay.logs,
                      lay.run, lay.state, lay.env_sh, lay.env_json):
                if os.path.isdir(p):
                    shutil.rmtree(p, ignore_errors=True)
                elif os.path.exists(p):
                    os.unlink(p)
            log('purged data in %s (keystone venv kept)' % lay.dir)
    log('stopped')


def status(services_dir=None):
    """{service: {'running': bool, 'pid': int|None, 'port': int|None}}"""
    lay = Layout(services_dir)
    st = read_json(lay.state, {})
    out = {}
    for svc in ALL_SERVICES:
        pid = service_pid(lay, svc)
        out[svc] = {'running': bool(pid), 'pid': pid or read_pid(lay, svc),
                    'port': st.get(svc, {}).get('port')}
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(
        description='Start/stop the backing services for deploysvc tests.')
    sub = ap.add_subparsers(dest='cmd', required=True)
    p = sub.add_parser('start', help='start (or reuse) services')
    p.add_argument('--only', help='comma list of: pg,mysql,keystone')
    p.add_argument('--dir', help='state directory (default ./.services)')
    p = sub.add_parser('stop', help='stop every service started in DIR')
    p.add_argument('--dir')
    p.add_argument('--purge', action='store_true',
                   help='also delete data, logs and state (not the venv)')
    p = sub.add_parser('status', help='show what is running')
    p.add_argument('--dir')
    p = sub.add_parser('env', help='print env.sh of DIR')
    p.add_argument('--dir')
    p = sub.add_parser('register-endpoint',
                       help='point the orchestration endpoints at URL')
    p.add_argument('url')
    p.add_argument('--dir')
    args = ap.parse_args(argv)
    d = os.path.abspath(args.dir) if args.dir else default_dir()
    try:
        if args.cmd == 'start':
            start_services(parse_only(args.only), d)
            with open(Layout(d).env_sh) as f:
                sys.stdout.write(f.read())
        elif args.cmd == 'stop':
            stop_services(d, purge=args.purge)
        elif args.cmd == 'status':
            res = status(d)
            for svc, s in res.items():
                print('%-9s %-8s pid=%s port=%s' % (
                    svc, 'running' if s['running'] else 'stopped',
                    s['pid'] or '-', s['port'] or '-'))
            return 0 if any(s['running'] for s in res.values()) else 3
        elif args.cmd == 'env':
            with open(Layout(d).env_sh) as f:
                sys.stdout.write(f.read())
        elif args.cmd == 'register-endpoint':
            env = load_env(d) if args.dir or not os.environ.get(KS + 'URL') \
                else None
            res = register_endpoint(args.url, d, env=env)
            for iface, eid in res.items():
                print('%s %s %s' % (iface, eid, args.url))
    except ServiceError as e:
        sys.stderr.write('services.py: error: %s\n' % e)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
