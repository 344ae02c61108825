"""The cached metadata JSON is what json.dumps of the whole list makes."""

import datetime
import types

import fixtures
from oslo_serialization import jsonutils
import testtools

from deploysvc.common import cache
from deploysvc.tests import base
from deploysvc.tests import utils
from deploysvc import views


class TestServerMetadataJson(base.TestCase):

    def setUp(self):
        super().setUp()
        self.useFixture(_FreshCache())
        self.loaded = []

    def load(self, ids):
        self.loaded.append(sorted(ids))
        return [self.configs[config_id] for config_id in ids
                if config_id in self.configs]

    def make_configs(self, *names):
        self.configs = {}
        for number, name in enumerate(names):
            row = types.SimpleNamespace(**utils.get_test_config(
                id='%036d' % number, name=name, project_id='p',
                config='echo "ü %d"\n' % number,
                inputs=[{'name': 'x', 'default': number}],
                options={'nested': {'list': [1, None, 'ü']}}))
            row.created_at = datetime.datetime(2026, 1, 2, 3, 4, 5)
            self.configs[row.id] = row
        return list(self.configs)

    def test_bytes_equal_a_whole_dump(self):
        ids = self.make_configs('b', 'a', None)
        order = [ids[2], ids[0], ids[0], ids[1]]
        expected = jsonutils.dump_as_bytes({'metadata': [
            views.config(self.configs[i]) for i in order]})
        self.assertEqual(expected, views.server_metadata_json(order,
                                                              self.load))
        # The second time nothing is loaded, and the bytes are the same.
        self.assertEqual(expected, views.server_metadata_json(order,
                                                              self.load))
        self.assertEqual([sorted(ids)], self.loaded)

    def test_empty(self):
        self.assertEqual(b'{"metadata": []}',
                         views.server_metadata_json([], self.load))
        self.assertEqual([], self.loaded)

    def test_config_gone_meanwhile_is_left_out(self):
        ids = self.make_configs('a', 'b')
        del self.configs[ids[0]]
        body = jsonutils.loads(views.server_metadata_json(ids, self.load))
        self.assertEqual([ids[1]], [c['id'] for c in body['metadata']])


class _FreshCache(fixtures.Fixture):

    def _setUp(self):
        self.useFixture(fixtures.MockPatchObject(
            views, '_CONFIG_JSON', cache.BytesCache(1024 * 1024)))


class TestChunks(testtools.TestCase):
    """views.list_chunks makes the bytes of one dumps, for any pages."""

    def test_chunks_match_dumps(self):
        for pages in ([], [[]], [[1]], [[1, 2], [], [3]], [['a'], ['b']]):
            items = [i for page in pages for i in page]
            self.assertEqual(
                jsonutils.dump_as_bytes({'k': items}),
                b''.join(views.list_chunks('k', iter(pages), lambda x: x)))


class TestTimes(testtools.TestCase):
    """Times are written as strftime('%Y-%m-%dT%H:%M:%SZ') writes them."""

    def test_times(self):
        utc = datetime.timezone.utc
        for value, text in (
                (datetime.datetime(2026, 12, 5, 8, 4, 24, 999999),
                 '2026-12-05T08:04:24Z'),
                (datetime.datetime(2026, 1, 2), '2026-01-02T00:00:00Z'),
                (datetime.datetime(9999, 12, 31, 23, 59, 59),
                 '9999-12-31T23:59:59Z'),
                (datetime.datetime(1000, 1, 1), '1000-01-01T00:00:00Z'),
                # strftime's own forms outside the database's naive times.
                (datetime.datetime(999, 1, 1),
                 datetime.datetime(999, 1, 1).strftime(
                     '%Y-%m-%dT%H:%M:%SZ')),
                (datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=utc),
                 '2026-01-02T03:04:05Z')):
            row = types.SimpleNamespace(id='i', name='n', group='g',
                                        created_at=value)
            self.assertEqual(
                text, views.config_summary(row)['creation_time'], value)
