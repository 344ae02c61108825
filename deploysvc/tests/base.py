"""Base test case."""

from oslotest import base

from deploysvc import context
from deploysvc.tests import fixtures

PROJECT = 'c9b7e4d1f0a24b0c9a6a1e5d3f2b7c80'
OTHER_PROJECT = 'a1b2c3d4e5f60718293a4b5c6d7e8f90'


class TestCase(base.BaseTestCase):

    # True for tests that use the database from several threads.
    database_threads = False

    def setUp(self):
        super().setUp()
        self.conf_fixture = self.useFixture(fixtures.ConfFixture())
        self.policy = self.useFixture(fixtures.PolicyFixture())
        self.db = self.useFixture(
            fixtures.Database(threads=self.database_threads))
        self.context = self.make_context()

    def config(self, **kw):
        self.conf_fixture.config(**kw)

    @staticmethod
    def make_context(project_id=PROJECT, roles=('member', 'reader'),
                     **kwargs):
        return context.RequestContext(project_id=project_id,
                                      user_id='user-' + project_id[:8],
                                      roles=list(roles), **kwargs)
