"""Test fixtures: configuration, database, policy."""

import os

import fixtures
from oslo_config import fixture as config_fixture
from oslo_db.sqlalchemy import engines

from deploysvc import conf
from deploysvc.conf import opts
from deploysvc.db import api as db_api
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


class Database(fixtures.Fixture):
    """A fresh schema per test, on SQLite (or DEPLOYSVC_TEST_DB_URL)."""

    def _setUp(self):
        db_api.configure(conf.CONF)
        url = os.environ.get('DEPLOYSVC_TEST_DB_URL') or 'sqlite://'
        self.engine = engines.create_engine(url, sqlite_fk=True)
        models.Base.metadata.create_all(self.engine)
        self.addCleanup(self._drop)
        self.addCleanup(db_api.context_manager.patch_engine(self.engine))

    def _drop(self):
        if self.engine.url.drivername != 'sqlite':
            models.Base.metadata.drop_all(self.engine)
        self.engine.dispose()


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
