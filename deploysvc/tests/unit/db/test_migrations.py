"""The alembic migrations produce exactly the models, on a fresh database.

The schema is built by ``deploysvc.db.migration.upgrade`` (what
``deploysvc-manage db sync`` runs) on an empty database patched into the DB
API's engine facade, instead of the fixture's ``create_all``: in-memory
SQLite, or a new database on the PostgreSQL or MariaDB server named by
``DEPLOYSVC_TEST_DB_URL`` (tools/run_tests.py runs these tests on both),
where column types, server defaults and constraints can really differ from
the models.
"""

import datetime

from oslo_db import exception as db_exc
from oslo_db.sqlalchemy import test_migrations
from oslotest import base as oslotest_base
import sqlalchemy as sa

from deploysvc.db import configs
from deploysvc.db import engine as db_engine
from deploysvc.db import migration
from deploysvc.db import models
from deploysvc import exception
from deploysvc.tests import base
from deploysvc.tests import fixtures as test_fixtures
from deploysvc.tests import utils


class MigrationTestCase(oslotest_base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.useFixture(test_fixtures.ConfFixture())
        self.useFixture(test_fixtures.PolicyFixture())
        self.database = self.useFixture(test_fixtures.EmptyDatabase())

    def tables(self):
        return sorted(sa.inspect(self.database.engine).get_table_names())


class TestModelsMigrationsSync(test_migrations.ModelsMigrationsSync,
                               MigrationTestCase):

    def db_sync(self, engine):
        self.assertIs(self.database.engine, engine)
        migration.upgrade()

    def get_engine(self):
        return self.database.engine

    def get_metadata(self):
        return models.Base.metadata


class TestMigration(MigrationTestCase):

    def test_fresh_database_has_no_version(self):
        self.assertIsNone(migration.version())
        self.assertEqual([], self.tables())

    def test_upgrade_reaches_head(self):
        migration.upgrade()
        head = migration.head()
        self.assertIsNotNone(head)
        self.assertEqual(head, migration.version())
        self.assertEqual(['agent_server', 'alembic_version',
                          'deployment_event', 'deployment_group_event',
                          'idempotency_key', 'quota_usage',
                          'software_config', 'software_deployment',
                          'software_deployment_group'],
                         self.tables())

    def test_upgrade_is_idempotent(self):
        migration.upgrade()
        context = base.TestCase.make_context()
        config = utils.create_test_config(context)
        migration.upgrade()
        self.assertEqual(migration.head(), migration.version())
        # The data survived the second run.
        self.assertEqual(config.id, configs.get(context, config.id).id)

    def test_stamp(self):
        migration.stamp()
        self.assertEqual(migration.head(), migration.version())

    def test_migrated_schema_restricts_config_delete(self):
        migration.upgrade()
        context = base.TestCase.make_context()
        config = utils.create_test_config(context)
        utils.create_test_deployment(context, config_id=config.id)
        sc = models.SoftwareConfig
        self.assertRaises(
            db_exc.DBReferenceError, db_engine.write,
            lambda w: w.execute(sa.delete(sc).where(sc.id == config.id)))
        self.assertRaises(exception.InvalidRestrictedAction,
                          configs.delete, context, config.id)

    def test_signal_runs_keep_the_run_of_existing_deployments(self):
        # behaviour-signal-runs: URLs handed out before stand for the run
        # each deployment is in at the upgrade; every server's metadata
        # revision moves.
        migration.upgrade('a4e2c9f01b37')
        now = datetime.datetime(2026, 12, 1)
        tables = dict((name, sa.table(name, *[sa.column(c) for c in cols]))
                      for name, cols in (
                          ('software_config', ('id', 'project_id',
                                               'created_at')),
                          ('software_deployment', (
                              'id', 'project_id', 'server_id', 'config_id',
                              'created_at', 'served_revision')),
                          ('agent_server', (
                              'project_id', 'server_id', 'credential_id',
                              'secret', 'revision', 'created_at',
                              'changed_at'))))
        db_engine.write(lambda w: [
            w.execute(tables['software_config'].insert().values(
                id='c', project_id='p', created_at=now)),
            w.execute(tables['software_deployment'].insert(), [
                dict(id='d%d' % n, project_id='p', server_id='s',
                     config_id='c', created_at=now, served_revision=n)
                for n in (0, 3)]),
            w.execute(tables['agent_server'].insert().values(
                project_id='p', server_id='s', credential_id='k',
                secret='x', revision=5, created_at=now, changed_at=now))])
        migration.upgrade()
        sd = models.SoftwareDeployment.__table__
        agent = models.AgentServer.__table__
        self.assertEqual([('d0', 0, 0), ('d3', 3, 3)], db_engine.read(
            lambda w: [tuple(row) for row in w.execute(sa.select(
                sd.c.id, sd.c.served_revision, sd.c.signal_legacy_run
            ).order_by(sd.c.id))]))
        revision, changed_at = db_engine.read(lambda w: tuple(w.execute(
            sa.select(agent.c.revision, agent.c.changed_at)).one()))
        self.assertEqual(6, revision)
        self.assertGreater(changed_at, now)
        # A deployment created since has no run for URLs without one.
        context = base.TestCase.make_context()
        created = utils.create_test_deployment(context)
        self.assertIsNone(created.signal_legacy_run)
