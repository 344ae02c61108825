"""Generated hostile requests on every route and method: never a 5xx.

hypothesis draws requests from what an attacker or a broken client sends:
every route of ``v1.ROUTES`` with ids of any text (NUL, lone surrogates,
``_``-words, very long ones), the agents' URLs, the root; every method;
bodies of every JSON type, objects with each known field of the wrong
type, strings with NUL and unpaired surrogates, huge and deeply nested
values, bytes that are not JSON; odd query values.  Each answer must be
below 500, and JSON (or empty, for 204, 304, HEAD and OPTIONS).

The examples are derandomized (the same ones on every run, so CI is
repeatable) and bounded in number.  The suite runs in the unit suite on
SQLite and again on PostgreSQL and MariaDB (tools/run_tests.py).  Framing
errors need a real server: deploysvc/tests/functional/test_framing.py.
"""

import json
import urllib.parse

import hypothesis
from hypothesis import strategies as st

from deploysvc.api.controllers import v1
from deploysvc.tests.unit.api import base
from deploysvc.tests import utils

# How many requests each test sends (see the module docstring).
EXAMPLES = 400
METHODS = ('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS')
# The fields of the bodies the API reads.
FIELDS = ('name', 'group', 'config', 'inputs', 'outputs', 'options',
          'server_id', 'config_id', 'input_values', 'output_values',
          'action', 'status', 'status_reason', 'stack_user_project_id',
          'template', 'deploy_status_code', 'deploy_stdout', 'servers',
          'max_concurrency', 'max_errors', 'timeout', 'delivery_timeout')

_SETTINGS = hypothesis.settings(
    max_examples=EXAMPLES, deadline=None, derandomize=True,
    database=None, suppress_health_check=list(hypothesis.HealthCheck))

# Text the database cannot store (NUL, unpaired surrogates: JSON and
# percent-encoding carry them) among text it can.
_HOSTILE = st.text(alphabet=st.sampled_from(['\x00', '\ud800', '\udfff',
                                             'a', '\u00e9', '\U0001f600']),
                   min_size=1, max_size=8)
# Text as clients can send it: any code point, the hostile kind, words
# of the API, long runs.
_TEXT = st.one_of(
    st.text(max_size=20), _HOSTILE,
    st.sampled_from(['', '_lookup', '__class__', 'index', 'metadata',
                     'events', '..', '%', 'a' * 5000]))
_SCALAR = st.one_of(st.none(), st.booleans(), st.integers(),
                    st.integers(min_value=2 ** 63, max_value=2 ** 70),
                    st.floats(allow_nan=False), _TEXT)
_JSON = st.recursive(
    _SCALAR, lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(_TEXT, st.sampled_from(FIELDS)),
                        children, max_size=4)),
    max_leaves=12)


def _nested(depth):
    return '[' * depth + ']' * depth


_BODY = st.one_of(
    st.none(),
    _JSON.map(lambda value: json.dumps(value).encode()),
    st.dictionaries(st.sampled_from(FIELDS), _JSON, max_size=6).map(
        lambda value: json.dumps(value).encode()),
    st.integers(min_value=50, max_value=3000).map(
        lambda depth: _nested(depth).encode()),
    st.binary(max_size=64),
    st.sampled_from([b'{', b'{"a": 1}{', b'\xff\xfe', b'{"a": NaN}',
                     b'{"name": "' + b'x' * 70000 + b'"}']))


def _segment(text):
    return urllib.parse.quote(text.encode('utf-8', 'surrogatepass'),
                              safe='')


def _route_path(shape, ids):
    ids = iter(ids)
    return '/'.join(_segment(next(ids)) if word == '*' else word
                    for word in shape)


@st.composite
def _paths(draw):
    kind = draw(st.sampled_from(['v1', 'agent', 'root']))
    if kind == 'v1':
        shape = draw(st.sampled_from(sorted(v1.ROUTES)))
        ids = draw(st.lists(_TEXT, min_size=3, max_size=3))
        tenant = draw(st.one_of(st.just(base.base.PROJECT), _TEXT))
        return '/v1/%s/%s' % (_segment(tenant), _route_path(shape, ids))
    if kind == 'agent':
        return '/agent/v1/%s/%s/%s' % (
            draw(st.sampled_from(['metadata', 'signal', 'x'])),
            _segment(draw(_TEXT)), _segment(draw(_TEXT)))
    return draw(st.sampled_from(['/', '/versions', '/v2', '/v1',
                                 '/healthcheck']))


_QUERY = st.dictionaries(
    st.sampled_from(['limit', 'marker', 'server_id', 'status', 'sort_key',
                     'sort_dir', 'global_tenant', 'action', 'config_id',
                     'force']),
    _TEXT, max_size=3)


# What replaces a field of an otherwise valid body.
_VALUE = st.one_of(_HOSTILE, _JSON,
                   st.integers(min_value=50, max_value=1500).map(
                       lambda depth: json.loads(_nested(depth))))


class TestFuzz(base.ApiTestCase):

    def check(self, method, path, query, body):
        if query:
            path += '?' + '&'.join(
                '%s=%s' % (key, _segment(value))
                for key, value in sorted(query.items()))
        headers = self.headers()
        if body is not None:
            headers['Content-Type'] = 'application/json'
        response = self.app.request(path, method=method, headers=headers,
                                    body=body or b'', expect_errors=True)
        answer = (method, path[:200], body and body[:200],
                  response.status, response.body[:300])
        self.assertLess(response.status_int, 500, answer)
        if (response.status_int in (204, 304) or method in ('HEAD',)
                or (method == 'OPTIONS' and not response.body)
                or path.startswith('/healthcheck')):
            # (oslo.middleware's healthcheck answers plain text, for load
            # balancers.)
            return
        self.assertEqual('application/json', response.content_type, answer)
        json.loads(response.body)

    @_SETTINGS
    @hypothesis.given(method=st.sampled_from(METHODS), path=_paths(),
                      query=_QUERY, body=_BODY)
    def test_any_request(self, method, path, query, body):
        self.check(method, path, query, body)

    @_SETTINGS
    @hypothesis.given(
        kind=st.sampled_from(['config', 'deployment', 'update', 'group']),
        changes=st.dictionaries(st.sampled_from(FIELDS), _VALUE,
                                min_size=1, max_size=2))
    def test_valid_bodies_with_a_hostile_field(self, kind, changes):
        # A body that would be accepted, but for one or two fields: the
        # values reach the database unless the API refuses them first.
        if kind == 'config':
            path, body = '/software_configs', utils.config_body()
        elif kind == 'group':
            path = '/software_deployment_groups'
            body = {'config_id': self.create_config()['id'],
                    'servers': ['s1', {'server_id': 's2'}],
                    'max_concurrency': '50%', 'max_errors': 1}
        else:
            config_id = self.create_config()['id']
            path = '/software_deployments'
            body = utils.deployment_body(config_id)
            if kind == 'update':
                path += '/' + self.create_deployment(config_id)['id']
        body.update(changes)
        self.check('PUT' if kind == 'update' else 'POST', self.url(path),
                   {}, json.dumps(body).encode())

    @_SETTINGS
    @hypothesis.given(shape=st.sampled_from(sorted(v1.ROUTES)),
                      ident=_HOSTILE, query=st.dictionaries(
                          st.sampled_from(['marker', 'server_id', 'limit']),
                          _HOSTILE, max_size=2))
    def test_hostile_ids_and_query_values(self, shape, ident, query):
        path = self.url('/' + _route_path(shape, [ident] * 3))
        self.check('GET', path, query, None)
        self.check('DELETE', path, {}, None)
