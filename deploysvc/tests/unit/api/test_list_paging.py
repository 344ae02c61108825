"""Whole lists and cut pages of configs and deployments.

No ``limit``: every row the caller may see, streamed page by page when
longer than one page (``util.STREAM_PAGE``).  A ``limit`` (capped at
``[api] max_limit``) that cuts the list: a ``next`` link in the body
(``<key>_links``) and in a ``Link`` header, which openstacksdk follows.
See doc/source/contributor/behaviour.rst, behaviour-list-cap and
behaviour-paging.
"""

import datetime
import urllib.parse

import ddt
from oslo_serialization import jsonutils
from oslo_utils import uuidutils
import webob

from deploysvc.api.controllers import util
from deploysvc.db import engine
from deploysvc.db import models
from deploysvc.tests import base as test_base
from deploysvc.tests.unit.api import deployments_base

CONFIGS = 'software_configs'
DEPLOYMENTS = 'software_deployments'
PAGE = util.STREAM_PAGE
MAX_LIMIT = 7
STATUSES = ('COMPLETE', 'FAILED', 'IN_PROGRESS')
ACTIONS = ('CREATE', 'UPDATE', 'DELETE', 'SUSPEND')


@ddt.ddt
class ListTestCase(deployments_base.DeploymentTestCase):

    def setUp(self):
        super().setUp()
        # Low, so that a few rows are more than a page (thousands are not
        # needed to pass the cap).
        self.config(max_limit=MAX_LIMIT, group='api')

    def seed(self, key, count, context=None, **kw):
        """``count`` rows in bulk (ids random, one creation time apart).

        Deployments vary server, status and action, and every third one
        was updated, so that every sort key has ties and nulls.
        """
        context = context or self.context
        start = deployments_base.NOW - datetime.timedelta(days=1)
        rows = []
        for n in range(count):
            created = start + datetime.timedelta(seconds=n // 3)
            values = dict(id=uuidutils.generate_uuid(),
                          project_id=context.project_id, created_at=created)
            if key == CONFIGS:
                values.update(name='c%d' % n, group='script', config='x',
                              inputs=[], outputs=[], options={})
                row = models.Config(**dict(dict.fromkeys(
                    models.Config._fields), **values))
            else:
                values.update(
                    server_id='server-%d' % (n % 5), config_id=self.sc.id,
                    input_values={'n': n}, action=ACTIONS[n % 4],
                    status=STATUSES[n % 3], status_reason='r%d' % n,
                    updated_at=(created + datetime.timedelta(seconds=n % 7)
                                if n % 3 == 0 else None),
                    served_revision=0)
                values.update(kw)
                row = models.Deployment(**dict(dict.fromkeys(
                    models.Deployment._fields), **values))
            rows.append(row)
        table = (models.SoftwareConfig if key == CONFIGS
                 else models.SoftwareDeployment).__table__
        if rows:
            engine.write(lambda w: w.execute(
                table.insert(), [row._asdict() for row in rows]))
        return rows

    def path(self, key, query=''):
        return '/%s%s' % (key, query)

    def fetch(self, key, query='', **kw):
        response = self.get(self.path(key, query), status=200, **kw)
        self.assertEqual('application/json', response.content_type)
        return response

    def ids(self, response, key):
        return [item['id'] for item in response.json[key]]

    def next_link(self, response, key):
        """The next href of the body, checked against the Link header."""
        links = response.json.get(key + '_links')
        header = response.headers.get('Link')
        if links is None:
            self.assertIsNone(header)
            return None
        self.assertEqual(1, len(links))
        self.assertEqual(['rel', 'href'], list(links[0]))
        self.assertEqual('next', links[0]['rel'])
        href = links[0]['href']
        self.assertEqual('<%s>; rel="next"' % href, header)
        self.assertEqual([key, key + '_links'], list(response.json))
        return href

    def follow(self, key, query, between=None, **kw):
        """Every page from ``query`` on, following next links: the ids."""
        seen = []
        response = self.fetch(key, query, **kw)
        for _ in range(1000):
            seen.extend(self.ids(response, key))
            href = self.next_link(response, key)
            if href is None:
                return seen
            if between is not None:
                between(seen)
            url = urllib.parse.urlsplit(href)
            self.assertEqual('http://localhost', '%s://%s' % url[:2])
            response = self.request('GET', '%s?%s' % (url.path, url.query),
                                    status=200, **kw)
        self.fail('no end')

    def expected_configs(self, rows):
        rows = list(rows) + [self.sc]
        return [r.id for r in sorted(rows, key=lambda r: (r.created_at, r.id),
                                     reverse=True)]

    @staticmethod
    def expected_deployments(rows, column='created_at', reverse=False):
        def key(row):
            value = getattr(row, column)
            # Null is the smallest value.
            return (value is not None, value or '', row.id)
        return [r.id for r in sorted(rows, key=key, reverse=reverse)]


@ddt.ddt
class TestWholeList(ListTestCase):

    @ddt.data(0, MAX_LIMIT + 1, PAGE - 1, PAGE, 2 * PAGE + 3)
    def test_configs_all_beyond_max_limit(self, count):
        expected = self.expected_configs(self.seed(CONFIGS, count))
        response = self.fetch(CONFIGS)
        self.assertEqual(expected, self.ids(response, CONFIGS))
        self.assertEqual([CONFIGS], list(response.json))
        self.assertIsNone(response.headers.get('Link'))

    @ddt.data(0, MAX_LIMIT + 1, PAGE, PAGE + 1, 2 * PAGE + 3)
    def test_deployments_all_beyond_max_limit(self, count):
        expected = self.expected_deployments(self.seed(DEPLOYMENTS, count))
        response = self.fetch(DEPLOYMENTS)
        self.assertEqual(expected, self.ids(response, DEPLOYMENTS))
        self.assertEqual([DEPLOYMENTS], list(response.json))
        self.assertIsNone(response.headers.get('Link'))

    @ddt.unpack
    @ddt.data(('?server_id=server-1', 'created_at', False),
              ('?sort_key=status&sort_dir=desc', 'status', True),
              ('?sort_key=updated_time&marker={3}', 'updated_at', False),
              ('?status=FAILED&sort_key=id', 'id', False))
    def test_deployments_whole_with_query(self, query, column, reverse):
        rows = self.seed(DEPLOYMENTS, PAGE + 40)
        params = urllib.parse.parse_qs(query[1:])
        for name in ('server_id', 'status'):
            if name in params:
                rows = [r for r in rows if getattr(r, name) == params[name][0]]
        expected = self.expected_deployments(rows, column, reverse)
        if '{3}' in query:
            query = query.replace('{3}', expected[3])
            expected = expected[4:]
        self.assertEqual(expected,
                         self.ids(self.fetch(DEPLOYMENTS, query), DEPLOYMENTS))

    @ddt.data((CONFIGS, 3), (CONFIGS, 2 * PAGE + 1),
              (DEPLOYMENTS, 3), (DEPLOYMENTS, 2 * PAGE + 1))
    @ddt.unpack
    def test_body_is_the_unstreamed_shape(self, key, count):
        self.seed(key, count)
        headers = self.headers(roles=deployments_base.ADMIN_ROLES)
        response = self.fetch(key, headers=headers)
        items = response.json[key]
        self.assertIn('project', items[0])
        # Byte for byte what one json.dumps of the whole list makes.
        self.assertEqual(jsonutils.dump_as_bytes({key: items}),
                         response.body)
        # One page: one body with its length; more: streamed in chunks
        # of a page, with no length (webtest adds one once it has read).
        status, headers, chunks = self.call(key, headers)
        self.assertEqual(response.body, b''.join(chunks))
        self.assertEqual(len(items) <= PAGE, 'Content-Length' in headers)
        self.assertEqual('application/json', headers['Content-Type'])

    def call(self, key, headers=None):
        """Start the request to the application: status, headers, chunks."""
        request = webob.Request.blank(self.url(self.path(key)),
                                      headers=headers or self.headers())
        status, headers, chunks = request.call_application(self.app.app)
        return status, dict(headers), iter(chunks)

    @ddt.data(CONFIGS, DEPLOYMENTS)
    def test_rows_deleted_while_streaming(self, key):
        rows = self.seed(key, 3 * PAGE)
        expected = (self.expected_configs(rows) if key == CONFIGS
                    else self.expected_deployments(rows))
        status, _, chunks = self.call(key)
        self.assertEqual('200 OK', status)
        received = [next(chunks), next(chunks)]
        # While the first page is sent: its last row (where the next page
        # starts), a row sent and a row not read yet go; the rest comes,
        # each row once.
        gone = {expected[PAGE - 1], expected[0], expected[PAGE + 5]}
        for row_id in gone:
            self.delete(self.path(key, '/' + row_id), status=204)
        received.extend(chunks)
        items = jsonutils.loads(b''.join(received))[key]
        self.assertEqual(
            [i for i in expected if i not in gone or expected.index(i) < PAGE],
            [item['id'] for item in items])

    def test_pieces_are_small(self):
        # However long the list, no piece is over STREAM_PIECE bytes (what
        # Pecan's tee keeps of them stays bounded).
        self.seed(DEPLOYMENTS, 2 * PAGE + 3)
        _, _, chunks = self.call(DEPLOYMENTS)
        chunks = list(chunks)
        self.assertEqual(b'{"software_deployments": [', chunks[0])
        self.assertEqual(b']}', chunks[-1])
        self.assertEqual([], [len(chunk) for chunk in chunks
                              if len(chunk) > util.STREAM_PIECE])
        self.assertGreater(len(chunks), 5)
        self.assertEqual(2 * PAGE + 3, len(jsonutils.loads(
            b''.join(chunks))[DEPLOYMENTS]))

    @ddt.data(CONFIGS, DEPLOYMENTS)
    def test_visibility(self, key):
        mine = self.seed(key, PAGE + 2)
        theirs = self.seed(key, PAGE + 3, context=self.other_context)
        mine_ids = {r.id for r in mine} | ({self.sc.id} if key == CONFIGS
                                           else set())
        theirs_ids = {r.id for r in theirs}
        own = self.ids(self.fetch(key), key)
        self.assertEqual(mine_ids, set(own))
        self.assertEqual(len(own), len(set(own)))
        everything = self.ids(self.fetch(key, headers=self.admin_headers()),
                              key)
        self.assertLessEqual(mine_ids | theirs_ids, set(everything))
        self.assertEqual(len(everything), len(set(everything)))

    def test_stack_user_project_lists_none_naming_it(self):
        # behaviour-visibility: a list is of the caller's project only.
        self.seed(DEPLOYMENTS, PAGE + 1,
                  stack_user_project_id=deployments_base.STACK_USER_PROJECT)
        own = self.seed(DEPLOYMENTS, 2, context=self.make_context(
            deployments_base.STACK_USER_PROJECT))
        reader = self.as_project(deployments_base.STACK_USER_PROJECT,
                                 roles='reader')
        self.assertEqual(self.expected_deployments(own), self.ids(
            self.fetch(DEPLOYMENTS, **reader), DEPLOYMENTS))


@ddt.ddt
class TestCutPages(ListTestCase):

    @ddt.unpack
    @ddt.data(
        # rows, query, items on the page, next link's limit or None
        (8, '?limit=3', 3, 3),
        (8, '?limit=7', 7, 7),
        (7, '?limit=7', 7, None),
        (6, '?limit=7', 6, None),
        (8, '?limit=1000', MAX_LIMIT, MAX_LIMIT),
        (7, '?limit=1000', MAX_LIMIT, None),
        (8, '?limit=0', 0, None),
        (1, '?limit=3', 1, None),
    )
    def test_page_and_link(self, count, query, size, link_limit):
        for key in (CONFIGS, DEPLOYMENTS):
            rows = self.seed(key, count - 1 if key == CONFIGS else count)
            expected = (self.expected_configs(rows) if key == CONFIGS
                        else self.expected_deployments(rows))
            response = self.fetch(key, query)
            self.assertEqual(expected[:size], self.ids(response, key))
            href = self.next_link(response, key)
            if link_limit is None:
                self.assertIsNone(href)
                self.assertEqual([key], list(response.json))
            else:
                self.assertEqual(
                    'http://localhost/v1/%s/%s?marker=%s&limit=%d' % (
                        self.project_id, key, expected[size - 1],
                        link_limit), href)

    def test_link_keeps_the_query(self):
        rows = self.seed(DEPLOYMENTS, 20)
        expected = self.expected_deployments(
            [r for r in rows if r.server_id == 'server-1'], 'status')
        response = self.fetch(
            DEPLOYMENTS, '?server_id=server-1&limit=2&sort_key=status'
                         '&marker=&sort_dir=asc')
        self.assertEqual(expected[:2], self.ids(response, DEPLOYMENTS))
        self.assertEqual(
            'http://localhost/v1/%s/software_deployments?server_id=server-1'
            '&sort_key=status&sort_dir=asc&marker=%s&limit=2' % (
                self.project_id, expected[1]),
            self.next_link(response, DEPLOYMENTS))

    @ddt.data('', '?limit=3', '?limit=50', '?limit=3&sort_key=id',
              '?limit=4&sort_key=status&sort_dir=desc',
              '?limit=2&sort_key=action', '?limit=3&sort_key=server_id',
              '?limit=5&sort_key=updated_time',
              '?limit=3&sort_key=updated_at&sort_dir=desc',
              '?limit=3&sort_key=config_id&sort_dir=desc',
              '?limit=2&status=COMPLETE&sort_key=creation_time')
    def test_following_links_gives_every_deployment_once(self, query):
        rows = self.seed(DEPLOYMENTS, 31)
        params = urllib.parse.parse_qs(query[1:])
        if 'status' in params:
            rows = [r for r in rows if r.status == params['status'][0]]
        whole = self.ids(self.fetch(DEPLOYMENTS, query.replace(
            'limit=', 'x=')), DEPLOYMENTS)
        self.assertEqual(len(rows), len(whole))
        self.assertEqual(sorted(r.id for r in rows), sorted(whole))
        self.assertEqual(whole, self.follow(DEPLOYMENTS, query))

    @ddt.data('?limit=3', '?limit=1000', '?limit=4&global_tenant=false')
    def test_following_links_gives_every_config_once(self, query):
        expected = self.expected_configs(self.seed(CONFIGS, 30))
        self.assertEqual(expected, self.follow(CONFIGS, query))

    @ddt.data((CONFIGS, '?limit=4'), (DEPLOYMENTS, '?limit=4'),
              (DEPLOYMENTS, '?limit=4&sort_key=status&sort_dir=desc'))
    @ddt.unpack
    def test_rows_deleted_between_pages(self, key, query):
        self.seed(key, 30)
        expected = self.ids(self.fetch(key, query.replace('limit=', 'x=')),
                            key)
        gone = set()

        def between(seen):
            # A row already seen and one still to come (not the marker,
            # which would restart a config list and end a deployment list
            # with 400, as Heat's markers do).
            after = expected.index(seen[-1]) + 2
            for row_id in (seen[0], expected[min(after, len(expected) - 1)]):
                if row_id not in gone:
                    self.delete(self.path(key, '/' + row_id), status=204)
                    gone.add(row_id)
        seen = self.follow(key, query, between)
        self.assertEqual(len(seen), len(set(seen)))
        self.assertEqual([i for i in expected if i in seen], seen)
        self.assertEqual(set(expected) - gone, set(seen) - gone)
        self.assertEqual(set(expected), set(seen) | gone)

    def test_deleted_marker_of_a_deployment_page_is_400(self):
        rows = self.seed(DEPLOYMENTS, 5)
        href = self.next_link(self.fetch(DEPLOYMENTS, '?limit=2'),
                              DEPLOYMENTS)
        self.delete('/software_deployments/' + self.expected_deployments(
            rows)[1], status=204)
        url = urllib.parse.urlsplit(href)
        self.assertError(
            self.request('GET', '%s?%s' % (url.path, url.query)), 400,
            'HTTPBadRequest')

    def test_visibility_of_pages(self):
        mine = self.seed(DEPLOYMENTS, 9)
        theirs = self.seed(DEPLOYMENTS, 8, context=self.other_context)
        named = self.seed(
            DEPLOYMENTS, 5, context=self.other_context,
            stack_user_project_id=deployments_base.STACK_USER_PROJECT)
        self.assertEqual(self.expected_deployments(mine),
                         self.follow(DEPLOYMENTS, '?limit=2'))
        self.assertEqual(
            self.expected_deployments(mine + theirs + named),
            self.follow(DEPLOYMENTS, '?limit=4',
                        headers=self.admin_headers()))
        self.assertEqual(
            [], self.follow(DEPLOYMENTS, '?limit=2', **self.as_project(
                deployments_base.STACK_USER_PROJECT, roles='reader')))
        self.assertEqual(
            self.expected_deployments(theirs + named),
            self.follow(DEPLOYMENTS, '?limit=2',
                        **self.as_project(test_base.OTHER_PROJECT)))
        their_configs = self.seed(CONFIGS, 6, context=self.other_context)
        self.assertEqual(
            [c.id for c in sorted(their_configs,
                                  key=lambda r: (r.created_at, r.id),
                                  reverse=True)],
            self.follow(CONFIGS, '?limit=4',
                        **self.as_project(test_base.OTHER_PROJECT)))

    def test_global_tenant_pages_keep_global_tenant(self):
        self.policy.set_rules({'software_configs:global_index': ''})
        mine = self.seed(CONFIGS, 4)
        theirs = self.seed(CONFIGS, 5, context=self.other_context)
        everything = self.expected_configs(mine + theirs)
        response = self.fetch(CONFIGS, '?global_tenant=true&limit=3')
        self.assertIn('global_tenant=true&marker=',
                      self.next_link(response, CONFIGS))
        self.assertEqual(everything,
                         self.follow(CONFIGS, '?global_tenant=true&limit=3'))
