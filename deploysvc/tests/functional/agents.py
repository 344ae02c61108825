"""The real, unmodified in-instance agents, for the agent-loop tests.

``prepare()`` builds, once per test process and cached across runs, what a
Heat-managed server runs:

* a virtualenv of its own holding ``os-collect-config`` from PyPI (its own
  venv, not the test env: it drags in heatclient, keystoneclient,
  zaqarclient and lxml, none of which deploysvc needs), plus ``requests``
  and ``PyYAML``, which the heat-agents scripts import;
* three scripts of the ``heat-agents`` sdist from PyPI, byte for byte:
  ``55-heat-config`` (os-refresh-config's step that runs the hooks),
  ``heat-config-notify`` (sends the hook's result to ``deploy_signal_id``)
  and ``hook-script.py`` (the ``script`` group's hook).  Their shebang is
  ``/usr/bin/env python3``; the agent's PATH starts with the venv's bin, so
  the venv's interpreter, which has their imports, runs them.

The cache is ``$DEPLOYSVC_TEST_CACHE/agents`` or ``<repo>/.services/agents``.
A file lock makes concurrent test processes build it once; ``ready.json``
is written last, so a half-built cache is rebuilt.

``AgentFixture`` is one server's agent: every path the agents use lives in
a temporary directory (``HEAT_SHELL_CONFIG``, ``HEAT_CONFIG_DEPLOYED``,
``HEAT_CONFIG_HOOKS``, ``HEAT_CONFIG_NOTIFY``, ``HEAT_SCRIPT_WORKING``,
``HEAT_SCRIPT_OUTPUTS``, os-collect-config's cache directories).  Its
``run()`` is one poll::

    os-collect-config --one-time --request-metadata-url URL \\
        --cachedir DIR --command refresh.sh request

with the ``request`` collector named explicitly (the default list contains
the EC2 metadata address, which must never be contacted).  ``refresh.sh``
does what os-apply-config and os-refresh-config do on a server: it writes
the ``deployments`` key of the collected metadata into
``$HEAT_SHELL_CONFIG`` and runs ``55-heat-config``.
"""

import collections
import fcntl
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.parse
import urllib.request

import fixtures
from testtools import content

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
OCC_SPEC = os.environ.get('DEPLOYSVC_TEST_OCC_SPEC',
                          'os-collect-config>=14,<15')
HEAT_AGENTS_SPEC = os.environ.get('DEPLOYSVC_TEST_HEAT_AGENTS_SPEC',
                                  'heat-agents>=13,<14')
# Members of the heat-agents sdist -> file names in the cache.
SCRIPTS = {
    'heat-config/os-refresh-config/configure.d/55-heat-config':
        '55-heat-config',
    'heat-config/bin/heat-config-notify': 'heat-config-notify',
    # heat-config-script's install step installs it as hooks/script.
    'heat-config-script/install.d/hook-script.py': os.path.join('hooks',
                                                                'script'),
}
VENV_TIMEOUT = 300
PIP_TIMEOUT = 900
# One poll: startup, hooks and the signal take about a second; the upper
# bound leaves room for heat-config-notify's own retries on a 5xx.
RUN_TIMEOUT = 120
LOOPBACK = ('127.0.0.1', 'localhost', '::1')

Agents = collections.namedtuple(
    'Agents', ['directory', 'bin_dir', 'os_collect_config', 'heat_config',
               'notify', 'hooks_dir', 'versions', 'prepare_seconds'])
AgentRun = collections.namedtuple('AgentRun',
                                  ['returncode', 'output', 'command_runs'])

_AGENTS = None

# What os-apply-config (the heat-config template renders {{deployments}}
# into /var/run/heat-config/heat-config) and os-refresh-config (runs
# configure.d/55-heat-config) do, in one command for os-collect-config.
REFRESH = '''#!/bin/sh
set -e
echo "$OS_CONFIG_FILES" >> "$DEPLOYSVC_AGENT_RUNS"
python3 - <<'EOF'
import json
import os

merged = {}
for path in os.environ['OS_CONFIG_FILES'].split(':'):
    if path:
        with open(path) as f:
            merged.update(json.load(f))
with open(os.environ['HEAT_SHELL_CONFIG'], 'w') as f:
    json.dump(merged.get('deployments', []), f)
EOF
exec "$DEPLOYSVC_AGENT_HEAT_CONFIG"
'''


def cache_dir():
    base = os.environ.get('DEPLOYSVC_TEST_CACHE')
    if base:
        return os.path.join(base, 'agents')
    return os.path.join(ROOT, '.services', 'agents')


def _check_call(cmd, timeout, **kwargs):
    """Run cmd bounded by timeout; its output is in the error on failure."""
    result = subprocess.run(cmd, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            timeout=timeout, **kwargs)
    if result.returncode:
        raise RuntimeError('%s exited with %d:\n%s' % (
            ' '.join(cmd), result.returncode,
            result.stdout.decode('utf-8', 'replace')))
    return result.stdout.decode('utf-8', 'replace')


def _pip_env():
    env = dict(os.environ)
    env.pop('PYTHONPATH', None)
    env.pop('VIRTUAL_ENV', None)
    env['PIP_DISABLE_PIP_VERSION_CHECK'] = '1'
    return env


def _build(directory):
    """Build the venv and extract the scripts into directory."""
    venv = os.path.join(directory, 'venv')
    bin_dir = os.path.join(venv, 'bin')
    # The test env's pip drives the agents' venv (pip --python): no
    # ensurepip run, which costs 10 s on this disk.
    pip = [sys.executable, '-m', 'pip', '--python',
           os.path.join(bin_dir, 'python3')]
    env = _pip_env()
    _check_call([sys.executable, '-m', 'venv', '--without-pip', venv],
                VENV_TIMEOUT, env=env)
    # setuptools and wheel let the sdist download below build its metadata
    # without an isolated build environment (4 s instead of 13-37 s).
    _check_call(pip + ['install', '--quiet', '--no-compile', OCC_SPEC,
                       'requests', 'PyYAML', 'setuptools', 'wheel'],
                PIP_TIMEOUT, env=env)
    with tempfile.TemporaryDirectory(dir=directory) as download:
        _check_call(pip + ['download', '--quiet', '--no-deps',
                           '--no-binary', ':all:', '--no-build-isolation',
                           '--dest', download, HEAT_AGENTS_SPEC],
                    PIP_TIMEOUT, env=env)
        sdists = glob.glob(os.path.join(download, 'heat_agents-*.tar.gz'))
        if len(sdists) != 1:
            raise RuntimeError('pip download gave %s' % os.listdir(download))
        heat_agents = _extract(sdists[0], directory)
    occ = json.loads(_check_call(pip + ['list', '--format', 'json'],
                                 PIP_TIMEOUT, env=env))
    versions = dict((p['name'], p['version']) for p in occ
                    if p['name'] in ('os-collect-config', 'requests',
                                     'PyYAML'))
    versions['heat-agents'] = heat_agents
    # What the scripts import must import with the interpreter that runs
    # them (heat-config-notify: requests and its urllib3 Retry;
    # 55-heat-config: yaml).
    _check_call([os.path.join(bin_dir, 'python3'), '-c',
                 'import requests.adapters, yaml; '
                 'from requests.packages.urllib3.util.retry import Retry'],
                VENV_TIMEOUT, env=env)
    return versions


def _extract(sdist, directory):
    """Copy SCRIPTS out of the sdist; returns the heat-agents version."""
    with tarfile.open(sdist) as tar:
        members = dict((m.name.split('/', 1)[1], m) for m in tar.getmembers()
                       if '/' in m.name)
        top = tar.getmembers()[0].name.split('/')[0]
        for member, name in SCRIPTS.items():
            if member not in members or not members[member].isfile():
                raise RuntimeError('%s has no %s' % (sdist, member))
            target = os.path.join(directory, name)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with tar.extractfile(members[member]) as src:
                with open(target, 'wb') as dst:
                    shutil.copyfileobj(src, dst)
            os.chmod(target, 0o755)
    return top.rsplit('-', 1)[1]


def _agents(directory, ready):
    bin_dir = os.path.join(directory, 'venv', 'bin')
    return Agents(directory=directory, bin_dir=bin_dir,
                  os_collect_config=os.path.join(bin_dir,
                                                 'os-collect-config'),
                  heat_config=os.path.join(directory, '55-heat-config'),
                  notify=os.path.join(directory, 'heat-config-notify'),
                  hooks_dir=os.path.join(directory, 'hooks'),
                  versions=ready['versions'],
                  prepare_seconds=ready['seconds'])


def prepare():
    """The prepared agents (built on first use, then cached)."""
    global _AGENTS
    if _AGENTS is not None:
        return _AGENTS
    directory = cache_dir()
    os.makedirs(directory, exist_ok=True)
    stamp = os.path.join(directory, 'ready.json')
    specs = [OCC_SPEC, HEAT_AGENTS_SPEC, sys.version_info[:2]]
    with open(os.path.join(directory, '.lock'), 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        ready = None
        if os.path.exists(stamp):
            with open(stamp) as f:
                ready = json.load(f)
            if (ready.get('specs') != json.loads(json.dumps(specs))
                    or not os.path.exists(_agents(directory, ready)
                                          .os_collect_config)):
                ready = None
        if ready is None:
            for stale in ('ready.json', 'venv', 'hooks', '55-heat-config',
                          'heat-config-notify'):
                path = os.path.join(directory, stale)
                if os.path.isdir(path):
                    shutil.rmtree(path)
                elif os.path.exists(path):
                    os.unlink(path)
            start = time.monotonic()
            versions = _build(directory)
            ready = {'specs': specs, 'versions': versions,
                     'seconds': round(time.monotonic() - start, 1)}
            with open(stamp + '.tmp', 'w') as f:
                json.dump(ready, f)
            os.rename(stamp + '.tmp', stamp)
    _AGENTS = _agents(directory, ready)
    return _AGENTS


def check_loopback(url):
    """Refuse any URL that would leave this machine."""
    host = urllib.parse.urlsplit(url).hostname
    if host not in LOOPBACK:
        raise AssertionError('refusing to let an agent contact %r' % url)


def signal_urls(document):
    """Every deploy_signal_id of a metadata document."""
    return [i.get('value') for item in document.get('deployments', [])
            for i in item.get('inputs', [])
            if i.get('name') == 'deploy_signal_id']


class AgentFixture(fixtures.Fixture):
    """The agents of one server, every path in a temporary directory."""

    def __init__(self, agents):
        super().__init__()
        self.agents = agents

    def _setUp(self):
        self.path = self.useFixture(fixtures.TempDir()).path

        def p(*names):
            return os.path.join(self.path, *names)

        self.cachedir = p('os-collect-config')
        self.deployed_dir = p('deployed')
        self.runs_log = p('refresh-runs.log')
        self.log_path = p('agent.log')
        self.refresh = p('refresh.sh')
        with open(self.refresh, 'w') as f:
            f.write(REFRESH)
        os.chmod(self.refresh, 0o755)
        # An empty configuration file and directory: nothing from /etc or
        # ~ is read.
        self.conf_file = p('os-collect-config.conf')
        open(self.conf_file, 'w').close()
        self.conf_dir = p('os-collect-config.conf.d')
        os.mkdir(self.conf_dir)
        open(self.runs_log, 'w').close()
        open(self.log_path, 'w').close()
        self.env = {
            'PATH': os.pathsep.join([self.agents.bin_dir, '/usr/local/bin',
                                     '/usr/bin', '/bin']),
            'HOME': self.path,
            'LANG': 'C.UTF-8',
            'TMPDIR': tempfile.gettempdir(),
            'NO_PROXY': '*',
            'HEAT_SHELL_CONFIG': p('heat-config'),
            'HEAT_CONFIG_DEPLOYED': self.deployed_dir,
            'HEAT_CONFIG_DEPLOYED_OLD': p('deployed-old'),
            'HEAT_CONFIG_HOOKS': self.agents.hooks_dir,
            'HEAT_CONFIG_NOTIFY': self.agents.notify,
            'HEAT_SCRIPT_WORKING': p('script-working'),
            'HEAT_SCRIPT_OUTPUTS': p('script-outputs'),
            'DEPLOYSVC_AGENT_RUNS': self.runs_log,
            'DEPLOYSVC_AGENT_HEAT_CONFIG': self.agents.heat_config,
        }
        self.addDetail('agent-log', content.Content(
            content.UTF8_TEXT, lambda: [self._read(self.log_path)]))

    @staticmethod
    def _read(path):
        with open(path, 'rb') as f:
            return f.read()

    def command_runs(self):
        """How often os-collect-config ran refresh.sh so far."""
        return len(self._read(self.runs_log).splitlines())

    def deployed(self):
        """{config id: the config 55-heat-config recorded as deployed}."""
        result = {}
        for path in glob.glob(os.path.join(self.deployed_dir, '*.json')):
            name = os.path.basename(path)[:-len('.json')]
            if not name.endswith('.notify'):
                with open(path) as f:
                    result[name] = json.load(f)
        return result

    def notified(self, config_id):
        """The signal data 55-heat-config handed to heat-config-notify."""
        path = os.path.join(self.deployed_dir, '%s.notify.json' % config_id)
        with open(path) as f:
            return json.load(f)

    def _guard(self, metadata_url):
        check_loopback(metadata_url)
        # What the agent will be told to contact must be local too.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(metadata_url, timeout=10) as r:
                document = json.loads(r.read())
        except OSError:
            return  # os-collect-config will find nothing either
        for url in signal_urls(document):
            check_loopback(url)

    def run(self, metadata_url, timeout=RUN_TIMEOUT):
        """One os-collect-config poll; returns an AgentRun."""
        self._guard(metadata_url)
        before = self.command_runs()
        cmd = [self.agents.os_collect_config,
               '--config-file', self.conf_file,
               '--config-dir', self.conf_dir,
               '--one-time',
               '--cachedir', self.cachedir,
               '--backup-cachedir', self.cachedir + '-backup',
               '--request-metadata-url', metadata_url,
               '--command', self.refresh,
               'request']
        with open(self.log_path, 'ab') as log:
            log.write(('\n$ %s\n' % ' '.join(cmd)).encode('utf-8'))
            log.flush()
            process = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                       stdout=log, stderr=subprocess.STDOUT,
                                       env=self.env, cwd=self.path,
                                       start_new_session=True)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=timeout)
                raise AssertionError(
                    'os-collect-config did not finish within %d s:\n%s'
                    % (timeout, self._read(self.log_path).decode(
                        'utf-8', 'replace')))
            finally:
                # Nothing it started may outlive the poll.
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        return AgentRun(process.returncode,
                        self._read(self.log_path).decode('utf-8', 'replace'),
                        self.command_runs() - before)
