"""Several API workers, many client threads: the server and the load.

``deploysvc-api`` with ``[api] workers = 4`` runs on a database of its own
(ServerDatabase), migrated from empty to head by ``deploysvc-manage db
sync``; Load sends the threads' requests and counts every status.  The
scenarios and the tests are in test_concurrency.py.
"""

import collections
import concurrent.futures
import json
import os
import subprocess
import threading

import fixtures
from oslo_utils import uuidutils
import testtools

from deploysvc.db import migration
from deploysvc.db import models
from deploysvc.tests.functional import base
from deploysvc.tests import utils

WORKERS = 4
THREADS = 16
QUOTA = 10              # configs and deployments per project
REQUEST_TIMEOUT = 60


def new_project():
    return uuidutils.generate_uuid(dashed=False)


class ServerDatabase(fixtures.Fixture):
    """A new database ``deploysvc_conc_<random>`` on ``admin_url``'s server.

    ``url`` names it; it is dropped on cleanup.
    """

    def __init__(self, admin_url):
        super().__init__()
        self._database = base._ServerDatabase(
            admin_url, 'deploysvc_conc_%s' % uuidutils.generate_uuid(
                dashed=False)[:12])
        self.name = self._database.name
        self.url = self._database.url

    def _setUp(self):
        self._database.create()
        self.addCleanup(self._database.drop)

    def tables(self):
        return base.schema_of(self.url)[0]

    def schema(self):
        """(table names, alembic revision) of the database."""
        return base.schema_of(self.url)


class Load(object):
    """Requests from many threads to the server, every status counted."""

    def __init__(self, server):
        self.server = server
        self.lock = threading.Lock()
        self.statuses = collections.Counter()
        self.failures = []

    def call(self, method, project, path, body=None):
        headers = {}
        data = None
        if body is not None:
            data = json.dumps(body).encode('utf-8')
            headers['Content-Type'] = 'application/json'
        response = self.server.request(method,
                                       '/v1/%s%s' % (project, path),
                                       body=data, headers=headers,
                                       timeout=REQUEST_TIMEOUT)
        decoded = response.body
        if decoded and response.status != 204:
            decoded = json.loads(decoded)
        with self.lock:
            self.statuses[response.status] += 1
            if response.status >= 500:
                self.failures.append((method, path, response.status,
                                      decoded))
        return base.Response(response.status, response.headers, decoded)

    @property
    def total(self):
        return sum(self.statuses.values())

    @property
    def server_errors(self):
        return sum(n for status, n in self.statuses.items() if status >= 500)


def concurrently(count, func):
    """Run ``func(i)`` for i < count in as many threads, started together.

    Returns the results in order; an exception of any call is raised.
    """
    barrier = threading.Barrier(count)

    def call(i):
        barrier.wait(timeout=REQUEST_TIMEOUT)
        return func(i)

    with concurrent.futures.ThreadPoolExecutor(count) as pool:
        futures = [pool.submit(call, i) for i in range(count)]
        return [future.result() for future in futures]


class ConcurrencyTestCase(utils.HttpHelpers, testtools.TestCase):
    """A multi-worker server on a new database; helpers of the scenarios."""

    WHERE = ('project',)

    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.Timeout(
            int(os.environ.get('OS_TEST_TIMEOUT', 160)), gentle=True))

    def start(self, env_name):
        admin_url = os.environ.get(env_name)
        if not admin_url:
            self.fail('%s is not set: this test needs that database server. '
                      'Start it with "tools/test-setup.sh start" and source '
                      '.services/env.sh, or run "tox -e all", which does '
                      'both.' % env_name)
        database = self.useFixture(ServerDatabase(admin_url))
        self.migrate(database)
        self.server = self.useFixture(base.ServerFixture(
            workers=WORKERS, project_id=new_project(),
            extra_conf=('[DEFAULT]\n'
                        'max_software_configs_per_tenant = %(quota)d\n'
                        'max_software_deployments_per_tenant = %(quota)d\n'
                        # Count the retries of oslo.db in the log.
                        'default_log_levels = oslo_db.api=DEBUG,'
                        'sqlalchemy=WARN,stevedore=WARN\n'
                        '[api]\n'
                        'sync_db_on_startup = false\n'
                        '[database]\n'
                        'connection = %(url)s\n'
                        % {'quota': QUOTA, 'url': database.url})))
        self.addOnException(self._attach_log)
        self.assertEqual(WORKERS, len(base.children(self.server.process.pid)))
        self.load = Load(self.server)

    def _attach_log(self, exc_info):
        self.addDetail('deploysvc-api-log', self.server.log_content())

    def migrate(self, database):
        """``deploysvc-manage db sync`` from an empty database to head."""
        self.assertEqual(set(), database.tables())
        state = self.useFixture(fixtures.TempDir()).path
        path = os.path.join(state, 'manage.conf')
        with open(path, 'w') as f:
            f.write('[DEFAULT]\nstate_path = %s\n[database]\n'
                    'connection = %s\n' % (state, database.url))
        result = subprocess.run(
            [base.script('deploysvc-manage'), '--config-file', path, 'db',
             'sync'], capture_output=True, text=True, timeout=120,
            cwd=state, env=base.clean_env(HOME=state),
            stdin=subprocess.DEVNULL)
        self.assertEqual(0, result.returncode,
                         'db sync: %s\n%s' % (result.stdout, result.stderr))
        tables, revision = database.schema()
        self.assertEqual(migration.head(), revision)
        self.assertEqual(set(models.Base.metadata.tables) |
                         {'alembic_version'}, tables)
        self.assertIn('Database is at revision %s.' % revision,
                      result.stdout)

    # -- helpers -------------------------------------------------------------

    def post_json(self, path, body, project):
        response = self.load.call('POST', project, path, body)
        self.assertEqual(200, response.status, response.body)
        return response.body

    def list_ids(self, project, collection):
        response = self.load.call('GET', project, '/' + collection)
        self.assertEqual(200, response.status, response.body)
        return [item['id'] for item in response.body[collection]]

    def assertError(self, response, status, error_type, message):
        self.assertEqual(status, response.status, response.body)
        self.assertEqual(error_type, response.body['error']['type'],
                         response.body)
        self.assertEqual(message, response.body['error']['message'])
