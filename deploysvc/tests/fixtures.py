"""Test fixtures: configuration, database, policy."""

import os

import fixtures
from oslo_config import fixture as config_fixture
from oslo_db.sqlalchemy import provision
from oslo_db.sqlalchemy import test_fixtures
from oslo_utils import uuidutils
import sqlalchemy

from deploysvc import conf
from deploysvc.conf import opts
from deploysvc.db import engine as db_engine
from deploysvc.db import models
from deploysvc import policy


class ConfFixture(config_fixture.Config):
    """The global CONF with test defaults (noauth, in-memory SQLite)."""

    def __init__(self):
        super().__init__(conf.CONF)

    def setUp(self):
        super().setUp()
        opts.set_lib_defaults()
        self.conf([], project='deploysvc', default_config_files=[])
        self.config(auth_strategy='noauth')
        self.config(connection='sqlite://', group='database')


# The engine facade the DB API runs on: the one name to change if it moves.
CONTEXT_MANAGER = db_engine.context_manager


def server_url():
    """``DEPLOYSVC_TEST_DB_URL``: a PostgreSQL or MariaDB server, or None.

    A user of that URL may create databases; the database tests then run
    there instead of on SQLite (tools/run_tests.py does that for each).
    """
    return os.environ.get('DEPLOYSVC_TEST_DB_URL') or None


class _Provisioned(test_fixtures.SimpleDbFixture):
    """oslo.db's provisioning on ``url``, patched into the DB API's facade.

    ``per_test``: the database is released when the fixture is cleaned up
    (else it lives as long as the test process).
    """

    per_test = False

    def __init__(self, url, ident):
        self.url = sqlalchemy.engine.make_url(url)
        super().__init__(driver=self.url.get_backend_name(), ident=ident)

    def get_enginefacade(self):
        return CONTEXT_MANAGER

    def _generate_database_resource(self, _enginefacade):
        if self.driver == 'sqlite':
            return provision.DatabaseResource(
                'sqlite', _enginefacade, ad_hoc_url=self.url,
                provision_new_database=False)
        # oslo.db takes its servers from OS_TEST_DBAPI_ADMIN_CONNECTION,
        # read once at import; ours is DEPLOYSVC_TEST_DB_URL (shared with
        # the functional tests), registered here the way oslo.db would.
        provision.Backend.backends_by_database_type[self.driver] = (
            provision.Backend(self.driver, self.url))
        # A database of its own: stestr runs test processes in parallel.
        return provision.DatabaseResource(self.driver, _enginefacade,
                                          provision_new_database=True)

    def _setUp(self):
        db_engine.configure(conf.CONF)
        super()._setUp()
        # The facade now runs on the provisioned database.
        self.engine = CONTEXT_MANAGER.writer.get_engine()
        # Connections parked on this engine go before it does.
        self.addCleanup(db_engine.close_parked)
        if self.per_test:
            self.addCleanup(self._release)

    def _release(self):
        """Drop a server's database; SQLite's goes with its engine.

        Only the database resource is released: oslo.db's schema clean-up
        would drop the tables one by one first, which SQLite's foreign
        keys refuse and which the database's own drop makes pointless.
        """
        self.engine.dispose()
        for name, resource in self._get_resources():
            provisioned = self._dependency_resources.pop(name)
            if name.startswith('_db_'):
                resource.finishedWith(provisioned)


class _Schema(test_fixtures.GeneratesSchema, _Provisioned):
    """The models' schema (``create_all``)."""

    def generate_schema_create_all(self, engine):
        models.Base.metadata.create_all(engine)


class _SharedSchema(test_fixtures.DeletesFromSchema, _Schema):
    """The models' schema, created once per process, emptied per test."""

    def delete_from_schema(self, engine):
        with engine.begin() as connection:
            for table in reversed(models.Base.metadata.sorted_tables):
                connection.execute(table.delete())


class _SqliteFile(fixtures.Fixture):
    """The models' schema in a SQLite file of its own, per test."""

    def _setUp(self):
        path = self.useFixture(fixtures.TempDir()).join('deploysvc.sqlite')
        schema = _Schema('sqlite:///' + path, path)
        schema.per_test = True
        self.engine = self.useFixture(schema).engine


def Database(threads=False):
    """An empty schema of the models per test, in the DB API's facade.

    In-memory SQLite by default, or, with ``threads=True``, a SQLite file
    (threads cannot share an in-memory database); on the server named by
    ``DEPLOYSVC_TEST_DB_URL``, a database of this test process instead,
    which threads share too.  Shared schemas are built once per process
    and their rows deleted after each test.
    """
    url = server_url()
    if url:
        return _SharedSchema(url, 'server')
    if threads:
        return _SqliteFile()
    return _SharedSchema('sqlite://', 'memory')


class EmptyDatabase(_Provisioned):
    """A database without tables, per test (the migrations' tests).

    On ``DEPLOYSVC_TEST_DB_URL``'s server (a new database, dropped after
    the test) when set, else in-memory SQLite.
    """

    per_test = True

    def __init__(self):
        super().__init__(server_url() or 'sqlite://',
                         uuidutils.generate_uuid(dashed=False))


class PolicyFixture(fixtures.Fixture):
    """A fresh enforcer per test, optionally with overriding rules."""

    def _setUp(self):
        policy.reset()
        policy.init(conf.CONF)
        self.addCleanup(policy.reset)

    def set_rules(self, rules, overwrite=False):
        from oslo_policy import policy as oslo_policy
        policy.init().set_rules(oslo_policy.Rules.from_dict(rules),
                                overwrite=overwrite, use_conf=False)
