"""Test fixtures: configuration, database, policy."""

import os

import fixtures
from oslo_config import fixture as config_fixture
from oslo_db.sqlalchemy import engines
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


# One database per test process on a real server (stestr runs workers in
# parallel): created once, emptied after every test.
_SERVER_ENGINE = None


def _server_engine(url):
    """Engine on a database of this process, created on first use."""
    global _SERVER_ENGINE
    if _SERVER_ENGINE is None:
        admin = engines.create_engine(url)
        name = 'deploysvc_w%d' % os.getpid()
        with admin.connect().execution_options(
                isolation_level='AUTOCOMMIT') as connection:
            connection.exec_driver_sql('DROP DATABASE IF EXISTS %s' % name)
            connection.exec_driver_sql('CREATE DATABASE %s' % name)
        admin.dispose()
        engine = engines.create_engine(
            sqlalchemy.engine.make_url(url).set(database=name)
            .render_as_string(hide_password=False))
        models.Base.metadata.create_all(engine)
        _SERVER_ENGINE = engine
    return _SERVER_ENGINE


class Database(fixtures.Fixture):
    """An empty schema per test.

    In-memory SQLite by default, or a SQLite file with ``threads=True``
    (threads cannot share an in-memory database); with
    ``DEPLOYSVC_TEST_DB_URL`` (a PostgreSQL or MariaDB URL whose user may
    create databases) every test process gets its own database on that
    server, which threads share too.
    """

    def __init__(self, threads=False):
        super().__init__()
        self.threads = threads

    def _setUp(self):
        db_engine.configure(conf.CONF)
        url = os.environ.get('DEPLOYSVC_TEST_DB_URL')
        if url:
            self.engine = _server_engine(url)
            self.addCleanup(self._empty)
        else:
            path = ''
            if self.threads:
                path = '/' + self.useFixture(fixtures.TempDir()).join(
                    'deploysvc.sqlite')
            self.engine = engines.create_engine('sqlite://' + path,
                                                sqlite_fk=True)
            models.Base.metadata.create_all(self.engine)
            self.addCleanup(self.engine.dispose)
        self.addCleanup(db_engine.context_manager.patch_engine(self.engine))
        self.addCleanup(db_engine.close_parked)

    def _empty(self):
        with self.engine.begin() as connection:
            for table in reversed(models.Base.metadata.sorted_tables):
                connection.execute(table.delete())


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
