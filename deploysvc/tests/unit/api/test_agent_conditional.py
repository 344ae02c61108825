"""Agent loop API tests (issue 5): conditional GETs of the metadata URL.

ETag, Last-Modified and 304 (doc/source/contributor/behaviour.rst,
behaviour-agent-conditional), and the worker's document cache
(behaviour-cache-agent-documents).
"""

import calendar
import datetime
import time

import ddt
import fixtures

from deploysvc.common import cache as cache_module
from deploysvc.db import deployments
from deploysvc.tests.unit.api import agent_base

# The frozen clock's start (the "Last-Modified" tests).
T0 = datetime.datetime(2026, 3, 4, 5, 6, 7, 250000)


def http_date(when):
    return when.strftime('%a, %d %b %Y %H:%M:%S GMT')


class Clock(fixtures.Fixture):
    """A frozen clock for both time.time() and timeutils.utcnow()."""

    def __init__(self, start):
        super().__init__()
        self.now = start

    def _setUp(self):
        self.useFixture(fixtures.MockPatch(
            'oslo_utils.timeutils.utcnow',
            side_effect=lambda with_timezone=False: self.now))
        self.useFixture(fixtures.MockPatch(
            'time.time', side_effect=lambda: (
                calendar.timegm(self.now.utctimetuple())
                + self.now.microsecond / 1e6)))

    def advance(self, seconds):
        self.now += datetime.timedelta(seconds=seconds)


@ddt.ddt
class TestConditionalGet(agent_base.AgentTestCase):

    def setUp(self):
        super().setUp()
        # A frozen clock, past the second of the change: Last-Modified is
        # announced and stays the same in every response of the test.
        clock = self.useFixture(Clock(T0))
        self.create_deployment()
        self.md_url = self.rotate()
        clock.advance(1)
        self.full = self.poll(self.md_url)
        self.assertEqual('Wed, 04 Mar 2026 05:06:07 GMT',
                         self.full.headers['Last-Modified'])
        self.etag = self.full.headers['ETag']

    @ddt.data('GET', 'HEAD')
    def test_if_none_match(self, method):
        response = self.poll(self.md_url, status=304, method=method,
                             **{'If-None-Match': self.etag})
        self.assertEqual(b'', response.body)
        self.assertEqual(self.etag, response.headers['ETag'])
        self.assertEqual('no-cache', response.headers['Cache-Control'])
        self.assertEqual(self.full.headers['Last-Modified'],
                         response.headers['Last-Modified'])

    @ddt.data('"0123456789abcdef0123456789abcdef"', 'garbage', '""')
    def test_if_none_match_other(self, value):
        response = self.poll(self.md_url, status=200,
                             **{'If-None-Match': value})
        self.assertEqual(self.full.body, response.body)
        self.assertEqual(self.etag, response.headers['ETag'])

    def test_if_none_match_list(self):
        value = '"0123456789abcdef0123456789abcdef", %s' % self.etag
        response = self.poll(self.md_url, status=304,
                             **{'If-None-Match': value})
        self.assertEqual(b'', response.body)

    def test_if_none_match_weak_comparison(self):
        # RFC 9110 13.1.2: If-None-Match compares weakly.
        response = self.poll(self.md_url, status=304,
                             **{'If-None-Match': 'W/' + self.etag})
        self.assertEqual(b'', response.body)

    @ddt.data('GET', 'HEAD')
    def test_if_none_match_star(self, method):
        # RFC 9110 13.1.2: "*" is false when a representation exists.
        response = self.poll(self.md_url, status=304, method=method,
                             **{'If-None-Match': '*'})
        self.assertEqual(b'', response.body)
        self.assertEqual(self.etag, response.headers['ETag'])

    def test_if_none_match_wins_over_if_modified_since(self):
        # A date far in the future would match; the failing tag decides.
        response = self.poll(self.md_url, status=200, **{
            'If-None-Match': '"0123456789abcdef0123456789abcdef"',
            'If-Modified-Since': 'Fri, 01 Jan 2100 00:00:00 GMT'})
        self.assertEqual(self.full.body, response.body)

    def test_head(self):
        response = self.poll(self.md_url, method='HEAD')
        self.assertEqual(b'', response.body)
        for header in ('ETag', 'Content-Type', 'Cache-Control'):
            self.assertEqual(self.full.headers[header],
                             response.headers[header], header)
        self.assertEqual(self.full.headers['Last-Modified'],
                         response.headers['Last-Modified'])
        self.assertEqual(str(len(self.full.body)),
                         response.headers['Content-Length'])

    def test_head_wrong_mac(self):
        credential_id, mac = agent_base.path_of(self.md_url).split('/')[-2:]
        response = self.poll(
            self.md_url[:-len(mac)] + agent_base.other_mac(mac),
            status=404, method='HEAD')
        self.assertEqual(b'', response.body)


class TestLastModified(agent_base.AgentTestCase):
    """Last-Modified: withheld until the second of the last change is over.

    It has whole seconds only; a frozen clock, no sleeps.
    """

    def setUp(self):
        super().setUp()
        self.clock = self.useFixture(Clock(T0))

    def _since(self, when, status, method='GET'):
        return self.poll(self.md_url, status=status, method=method,
                         **{'If-Modified-Since': http_date(when)})

    def test_withheld_during_the_second_of_the_change(self):
        self.md_url = self.rotate()
        self.clock.advance(0.7)
        response = self.poll(self.md_url)
        self.assertNotIn('Last-Modified', response.headers)
        # Without Last-Modified a date is not honoured.
        self._since(T0, 200)
        self._since(T0 + datetime.timedelta(days=1), 200)

    def test_announced_then_honoured(self):
        self.md_url = self.rotate()
        self.clock.advance(0.75)
        response = self.poll(self.md_url)
        self.assertEqual('Wed, 04 Mar 2026 05:06:07 GMT',
                         response.headers['Last-Modified'])
        not_modified = self._since(T0, 304)
        self.assertEqual(b'', not_modified.body)
        self.assertEqual(response.headers['ETag'],
                         not_modified.headers['ETag'])
        self.assertEqual(response.headers['Last-Modified'],
                         not_modified.headers['Last-Modified'])
        self._since(T0 + datetime.timedelta(hours=1), 304)
        self._since(T0, 304, method='HEAD')

    def test_older_date_is_modified(self):
        self.md_url = self.rotate()
        self.clock.advance(1)
        response = self._since(T0 - datetime.timedelta(seconds=1), 200)
        self.assertEqual(self.poll(self.md_url).body, response.body)

    def test_a_change_is_never_hidden(self):
        self.md_url = self.rotate()
        self.clock.advance(1)
        seen = self.poll(self.md_url)
        last_modified = seen.headers['Last-Modified']
        # A change in the very next second after the date was announced.
        self.clock.advance(0.1)
        self.create_deployment()
        response = self.poll(self.md_url,
                             **{'If-Modified-Since': last_modified})
        self.assertNotIn('Last-Modified', response.headers)
        self.assertNotEqual(seen.body, response.body)
        self.clock.advance(1)
        response = self.poll(self.md_url,
                             **{'If-Modified-Since': last_modified})
        self.assertEqual('Wed, 04 Mar 2026 05:06:08 GMT',
                         response.headers['Last-Modified'])
        self._since(T0 + datetime.timedelta(seconds=1), 304)

    def test_unchanged_keeps_its_date(self):
        deployment = self.create_deployment()
        self.md_url = self.rotate()
        self.clock.advance(5)
        self.update_deployment(deployment['id'], {'status': 'FAILED'})
        response = self.poll(self.md_url)
        self.assertEqual('Wed, 04 Mar 2026 05:06:07 GMT',
                         response.headers['Last-Modified'])

    def test_invalid_date_is_ignored(self):
        self.md_url = self.rotate()
        self.clock.advance(2)
        response = self.poll(self.md_url, status=200,
                             **{'If-Modified-Since': 'yesterday'})
        self.assertIn('deployments', response.json)

    def test_dates_are_utc_whatever_the_local_zone(self):
        # Five hours west of UTC (POSIX TZ syntax: no tz database needed).
        self.addCleanup(time.tzset)
        self.useFixture(fixtures.EnvironmentVariable('TZ', 'XST+05'))
        time.tzset()
        self.md_url = self.rotate()
        self.clock.advance(1)
        response = self.poll(self.md_url)
        self.assertEqual('Wed, 04 Mar 2026 05:06:07 GMT',
                         response.headers.get('Last-Modified'))
        self._since(T0, 304)
        self._since(T0 - datetime.timedelta(seconds=1), 200)


class TestDocumentCache(agent_base.AgentTestCase):
    """Unchanged polls are served from the worker's document cache."""

    def test_unchanged_poll_reads_no_deployments(self):
        self.create_deployment()
        url = self.rotate()
        first = self.poll(url)
        served = self.useFixture(fixtures.MockPatchObject(
            deployments, 'served',
            side_effect=AssertionError('document should be cached')))
        for method in ('GET', 'HEAD'):
            again = self.poll(url, method=method)
            self.assertEqual(first.headers['ETag'], again.headers['ETag'])
        self.assertEqual(first.body, self.poll(url).body)
        self.assertEqual(0, served.mock.call_count)

    def test_change_is_served_at_once(self):
        deployment = self.create_deployment()
        url = self.rotate()
        before = self.item(url, deployment['id'])
        self.update_deployment(deployment['id'],
                               {'input_values': {'foo': 'changed'}})
        after = self.item(url, deployment['id'])
        self.assertNotEqual(before['id'], after['id'])
        self.assertEqual('changed', self.value(after, 'foo'))

    def test_budget_drops_least_recently_used(self):
        cache = cache_module.BytesCache(10)
        cache.put('"a"', b'12345')
        cache.put('"b"', b'1234')
        self.assertEqual(b'12345', cache.get('"a"'))   # a is now recent
        cache.put('"c"', b'123')                        # 12 > 10: drop b
        self.assertIsNone(cache.get('"b"'))
        self.assertEqual(b'12345', cache.get('"a"'))
        self.assertEqual(b'123', cache.get('"c"'))
        self.assertEqual(8, cache.size)
        cache.put('"d"', b'x' * 11)                     # over the budget
        self.assertIsNone(cache.get('"d"'))
