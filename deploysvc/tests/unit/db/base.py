"""What the database tests share: a fixed clock, contexts, raw access."""

import datetime

from oslo_utils import fixture as utils_fixture
import sqlalchemy as sa

from deploysvc.db import engine as db_engine
from deploysvc.db import models
from deploysvc.tests import base

NOW = datetime.datetime(2015, 1, 31, 15, 12, 36, 123456)
STACK_USER_PROJECT = 'c024bfada67845ddb17d2b0c0be8cd79'
THIRD_PROJECT = 'f0e1d2c3b4a5968778695a4b3c2d1e0f'


def usage(resource, project_id=base.PROJECT):
    """The quota counter of ``project_id`` (None: no row)."""
    qu = models.QuotaUsage
    return db_engine.read(lambda w: w.execute(sa.select(qu.in_use).where(
        qu.project_id == project_id,
        qu.resource == resource)).scalar_one_or_none())


def write(statement):
    """Run one statement in a write transaction of its own."""
    return db_engine.write(lambda w: w.execute(statement))


class DbTestCase(base.TestCase):

    def setUp(self):
        super().setUp()
        self.clock = self.useFixture(utils_fixture.TimeFixture(NOW))
        self.other_context = self.make_context(base.OTHER_PROJECT)
        self.admin_context = self.make_context(roles=('admin', 'member'))

    def usage(self, resource, project_id=base.PROJECT):
        return usage(resource, project_id)

    def write(self, statement):
        return write(statement)
