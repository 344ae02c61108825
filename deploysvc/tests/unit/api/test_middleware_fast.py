"""deploysvc.api.middleware.fast answers exactly as oslo.middleware does.

Every request of a matrix goes through each oslo filter and through its
``fast`` subclass around the same small WSGI application; status, headers,
body, the closing of the application's iterable, any exception and the
environ the application saw must be the same.
"""

import re
import sys
from unittest import mock

import ddt
import fixtures
from oslo_context import context
from oslo_middleware import base as oslo_base
from oslo_middleware import cors
from oslo_middleware import http_proxy_to_wsgi
from oslo_middleware import request_id
import webob
import webob.exc
import webtest

from deploysvc.api import app as api_app
from deploysvc.api import faults
from deploysvc.api import middleware
from deploysvc.api.middleware import fast
from deploysvc import conf
from deploysvc.tests import base as test_base
from deploysvc.tests.unit.api import base

ALLOWED = 'https://dashboard.example'
REQ_ID = 'req-11111111-2222-3333-4444-555555555555'
INBOUND_ID = 'req-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee'
REQUEST_ID = re.compile(r'^req-[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$')
# webob's spare ``req.response`` that oslo's wsgify leaves in the environ
# (see the fast module's docstring).
WEBOB_ADHOC = 'webob.adhoc_attrs'

# name -> (method, headers, body)
REQUESTS = {
    'get': ('GET', {}, None),
    'head': ('HEAD', {}, None),
    'post': ('POST', {'Content-Type': 'application/json'}, b'{"a": 1}'),
    # Its (seekable) body was read before the filters: webob rewinds it.
    'post-read-before': ('POST', {}, b'{"b": 2}'),
    'origin-allowed': ('GET', {'Origin': ALLOWED}, None),
    'origin-other': ('GET', {'Origin': 'https://evil.example'}, None),
    'origin-empty': ('GET', {'Origin': ''}, None),
    'preflight': ('OPTIONS', {
        'Origin': ALLOWED, 'Access-Control-Request-Method': 'PUT',
        'Access-Control-Request-Headers': 'X-Auth-Token, Content-Type'},
        None),
    'preflight-bad-method': ('OPTIONS', {
        'Origin': ALLOWED, 'Access-Control-Request-Method': 'PATCH'}, None),
    'preflight-bad-header': ('OPTIONS', {
        'Origin': ALLOWED, 'Access-Control-Request-Method': 'GET',
        'Access-Control-Request-Headers': 'X-Secret'}, None),
    'preflight-other-origin': ('OPTIONS', {
        'Origin': 'https://evil.example',
        'Access-Control-Request-Method': 'GET'}, None),
    'options-no-origin': ('OPTIONS', {}, None),
    'x-forwarded-proto': ('GET', {'X-Forwarded-Proto': 'https'}, None),
    'x-forwarded-proto-empty': ('GET', {'X-Forwarded-Proto': ''}, None),
    'forwarded': ('GET', {
        'Forwarded': 'for=192.0.2.60;proto=https;host=api.example, '
                     'for=198.51.100.17'}, None),
    'x-forwarded-host-for': ('GET', {
        'X-Forwarded-Host': 'api.example:8443',
        'X-Forwarded-For': '192.0.2.43'}, None),
    'x-forwarded-prefix': ('GET', {'X-Forwarded-Prefix': '/deploy'}, None),
    'request-id-valid': ('GET', {'X-OpenStack-Request-ID': INBOUND_ID},
                         None),
    'request-id-invalid': ('GET', {'X-OpenStack-Request-ID': 'req-12345'},
                           None),
    'everything': ('PUT', {
        'Origin': ALLOWED, 'X-Forwarded-Proto': 'https',
        'X-Forwarded-Prefix': '/deploy',
        'X-OpenStack-Request-ID': INBOUND_ID}, b'{}'),
}

JSON = ('Content-Type', 'application/json')


class Body(object):
    """An application's iterable that must be closed."""

    def __init__(self, chunks, log):
        self.chunks = chunks
        self.log = log

    def __iter__(self):
        return iter(self.chunks)

    def close(self):
        self.log.append('closed')


def small_app(mode, seen, log):
    """The application behind the filters; ``seen`` gets its environ."""

    def app(environ, start_response):
        seen.update(environ)
        log.append(environ['wsgi.input'].read())
        if mode == 'ok':
            start_response('200 OK', [JSON, ('Content-Length', '2')])
            return [b'{}']
        if mode == 'vary':
            start_response('200 OK', [JSON, ('Vary', 'Accept')])
            return [b'{}']
        if mode == 'location':
            start_response('201 Created', [('Location', 'items/1')])
            return [b'']
        if mode == 'not-found':
            start_response('404 Not Found', [JSON])
            return [b'{"code": 404}']
        if mode == 'no-content':
            start_response('204 No Content', [('Allow', 'GET,POST')])
            return []
        if mode == 'own-headers':
            start_response('200 OK', [
                ('X-OpenStack-Request-Id', 'req-from-app'),
                ('Access-Control-Allow-Origin', 'https://app.example')])
            return [b'mine']
        if mode == 'closing':
            start_response('200 OK', [JSON])
            return Body([b'{"a"', b': 1}'], log)
        if mode == 'write':
            write = start_response('200 OK', [('Content-Type', 'text/plain')])
            write(b'written ')
            return Body([b'returned'], log)
        if mode == 'late-start':
            def generate():
                start_response('202 Accepted', [JSON])
                yield b'{"late": true}'
            return generate()
        if mode == 'raise':
            raise RuntimeError('boom')
        if mode == 'http-exception':
            raise webob.exc.HTTPConflict('taken')
        if mode == 'exc-info':
            try:
                raise ValueError('bad')
            except ValueError:
                start_response('500 Internal Server Error', [JSON],
                               sys.exc_info())
            return [b'{}']
        raise AssertionError(mode)

    return app


APP_MODES = ('ok', 'vary', 'location', 'not-found', 'no-content',
             'own-headers', 'closing', 'write', 'late-start', 'raise',
             'http-exception', 'exc-info')


class OsloCompatRequestId(request_id.RequestId):
    compat_headers = ['x-compute-request-id']


class FastCompatRequestId(fast.RequestId):
    compat_headers = ['x-compute-request-id']


def _oslo_pipeline(application):
    application = request_id.RequestId.factory({})(application)
    application = http_proxy_to_wsgi.HTTPProxyToWSGI.factory({})(application)
    return cors.CORS(application, conf.CONF)


def _fast_pipeline(application):
    application = fast.RequestId.factory({})(application)
    application = fast.HTTPProxyToWSGI.factory({})(application)
    return middleware.cors_factory({})(application)


# name -> (oslo filter, fast filter): callables wrapping an application.
FILTERS = {
    'cors': (lambda a: cors.CORS(a, conf.CONF),
             lambda a: middleware.cors_factory({})(a)),
    'http_proxy_to_wsgi': (
        http_proxy_to_wsgi.HTTPProxyToWSGI.factory({'here': '/etc'}),
        fast.HTTPProxyToWSGI.factory({'here': '/etc'})),
    'request_id': (request_id.RequestId.factory({}),
                   fast.RequestId.factory({})),
    'request_id_compat': (OsloCompatRequestId.factory({}),
                          FastCompatRequestId.factory({})),
    'pipeline': (_oslo_pipeline, _fast_pipeline),
}


def serve(wrap, mode, name):
    """What a WSGI server makes of one request through ``wrap(app)``."""
    method, headers, body = REQUESTS[name]
    environ = webob.Request.blank('/v1/things?x=1', method=method,
                                  headers=headers, body=body).environ
    environ['SCRIPT_NAME'] = ''
    if name == 'post-read-before':
        environ['wsgi.input'].read()
    seen = {}
    log = []
    outcome = {}

    def start_response(status, headerlist, exc_info=None):
        outcome['status'] = status
        outcome['headers'] = sorted(headerlist)
        return chunks.append

    chunks = []
    try:
        result = wrap(small_app(mode, seen, log))(environ, start_response)
        try:
            chunks.extend(result)
        finally:
            if hasattr(result, 'close'):
                result.close()
    except Exception as exc:
        outcome['raised'] = (type(exc), str(exc))
    outcome['body'] = b''.join(chunks)
    outcome['log'] = log
    outcome['keys'] = sorted(set(seen) - {WEBOB_ADHOC})
    outcome['environ'] = {key: value for key, value in seen.items()
                          if isinstance(value, (str, bool, tuple))}
    return outcome, seen


@ddt.ddt
class TestEquivalence(test_base.TestCase):

    def setUp(self):
        super().setUp()
        # Registered as the filters' constructors do, to configure them.
        conf.CONF.register_opts(cors.OPTS, 'cors')
        conf.CONF.register_opts(http_proxy_to_wsgi.OPTS, 'oslo_middleware')
        self.config(allowed_origin=[ALLOWED], group='cors')
        self.useFixture(fixtures.MockPatchObject(
            context, 'generate_request_id', return_value=REQ_ID))

    @ddt.idata((filter_name, parsing) for filter_name in sorted(FILTERS)
               for parsing in (False, True))
    @ddt.unpack
    def test_same_answers(self, filter_name, parsing):
        self.config(enable_proxy_headers_parsing=parsing,
                    group='oslo_middleware')
        oslo_filter, fast_filter = FILTERS[filter_name]
        for name in sorted(REQUESTS):
            for mode in APP_MODES:
                with self.subTest(request=name, app=mode):
                    expected, oslo_seen = serve(oslo_filter, mode, name)
                    actual, fast_seen = serve(fast_filter, mode, name)
                    self.assertEqual(expected, actual)
                    for seen in oslo_seen, fast_seen:
                        self.assertLessEqual(
                            set(seen.get(WEBOB_ADHOC, ())), {'response'})

    def test_matrix_exercises_every_filter(self):
        """The matrix above compares answers that do differ by request."""
        self.config(enable_proxy_headers_parsing=True,
                    group='oslo_middleware')
        oslo_filter = FILTERS['pipeline'][0]
        plain, _ = serve(oslo_filter, 'vary', 'get')
        self.assertEqual('200 OK', plain['status'])
        self.assertEqual(sorted([JSON, ('Vary', 'Accept'),
                                 ('x-openstack-request-id', REQ_ID)]),
                         plain['headers'])
        both, _ = serve(oslo_filter, 'vary', 'everything')
        headers = dict(both['headers'])
        self.assertEqual(ALLOWED, headers['Access-Control-Allow-Origin'])
        self.assertEqual('Accept,Origin', headers['Vary'])
        self.assertEqual('https', both['environ']['wsgi.url_scheme'])
        self.assertEqual('/deploy', both['environ']['SCRIPT_NAME'])
        self.assertEqual(INBOUND_ID,
                         both['environ']['openstack.global_request_id'])
        self.assertEqual(REQ_ID, both['environ']['openstack.request_id'])
        preflight, _ = serve(oslo_filter, 'not-found', 'options-no-origin')
        self.assertEqual('200 OK', preflight['status'])
        self.assertEqual(b'', preflight['body'])
        closing, _ = serve(oslo_filter, 'closing', 'head')
        self.assertEqual((b'', [b'', 'closed']),
                         (closing['body'], closing['log']))
        located, _ = serve(oslo_filter, 'location', 'get')
        self.assertIn(('Location', 'http://localhost/v1/items/1'),
                      located['headers'])
        raised, _ = serve(oslo_filter, 'exc-info', 'get')
        self.assertEqual((ValueError, 'bad'), raised['raised'])
        conflict, _ = serve(oslo_filter, 'http-exception', 'get')
        self.assertEqual('409 Conflict', conflict['status'])

    @ddt.data(('get', 0, 0), ('origin-allowed', 1, 1),
              ('options-no-origin', 1, 1), ('x-forwarded-proto', 0, 1))
    @ddt.unpack
    def test_oslo_runs_only_when_needed(self, name, cors_calls, fast_calls):
        """getfullargspec: per oslo ConfigurableMiddleware call."""
        self.config(enable_proxy_headers_parsing=True,
                    group='oslo_middleware')
        argspec = mock.Mock(wraps=oslo_base.getfullargspec)
        self.useFixture(fixtures.MockPatchObject(
            oslo_base, 'getfullargspec', argspec))
        serve(FILTERS['cors'][1], 'ok', name)
        self.assertEqual(cors_calls, argspec.call_count)
        argspec.reset_mock()
        serve(FILTERS['pipeline'][1], 'ok', name)
        self.assertEqual(fast_calls, argspec.call_count)
        argspec.reset_mock()
        serve(FILTERS['pipeline'][0], 'ok', name)
        self.assertEqual(2, argspec.call_count)

    def test_proxy_headers_ignored_when_parsing_disabled(self):
        argspec = mock.Mock(wraps=oslo_base.getfullargspec)
        self.useFixture(fixtures.MockPatchObject(
            oslo_base, 'getfullargspec', argspec))
        _, seen = serve(FILTERS['http_proxy_to_wsgi'][1], 'ok',
                        'x-forwarded-proto')
        self.assertEqual('http', seen['wsgi.url_scheme'])
        self.assertEqual(0, argspec.call_count)


class TestPipeline(base.ApiTestCase):
    """The API and agent pipelines of api-paste.ini use the fast filters."""

    def setUp(self):
        super().setUp()
        self.config(allowed_origin=[ALLOWED], group='cors')
        self.app = webtest.TestApp(api_app.load_app())

    def _filters(self, prefix):
        """The filters in front of the urlmap's ``prefix`` application."""
        application = dict(self.app.app.items())[(None, prefix)]
        chain = []
        while not isinstance(application, faults.FaultWrapper):
            chain.append(type(application))
            application = application.application
        return chain

    def test_filters(self):
        self.assertEqual([fast.CORS, fast.HTTPProxyToWSGI, fast.RequestId],
                         self._filters(''))
        self.assertEqual([fast.RequestId], self._filters('/agent'))

    def test_request_id_and_cors_headers(self):
        response = self.get('/software_configs', status=200,
                            headers=self.headers(Origin=ALLOWED))
        self.assertRegex(response.headers['x-openstack-request-id'],
                         REQUEST_ID)
        self.assertEqual(ALLOWED,
                         response.headers['Access-Control-Allow-Origin'])
        self.assertEqual('true',
                         response.headers['Access-Control-Allow-Credentials'])
        self.assertEqual('Origin', response.headers['Vary'])
        self.assertEqual('X-Auth-Token,X-Subject-Token,X-Service-Token,'
                         'X-OpenStack-Request-ID',
                         response.headers['Access-Control-Expose-Headers'])
        self.assertEqual({'software_configs': []}, response.json)

    def test_no_cors_headers_without_origin(self):
        response = self.get('/software_configs', status=200)
        self.assertRegex(response.headers['x-openstack-request-id'],
                         REQUEST_ID)
        self.assertNotIn('Access-Control-Allow-Origin', response.headers)
        self.assertNotIn('Vary', response.headers)

    def test_preflight(self):
        response = self.request(
            'OPTIONS', self.url('/software_configs'), headers={
                'Origin': ALLOWED,
                'Access-Control-Request-Method': 'POST',
                'Access-Control-Request-Headers': 'X-Auth-Token'},
            status=204)
        self.assertEqual(ALLOWED,
                         response.headers['Access-Control-Allow-Origin'])
        self.assertEqual('POST',
                         response.headers['Access-Control-Allow-Methods'])
        self.assertEqual('X-Auth-Token',
                         response.headers['Access-Control-Allow-Headers'])
        self.assertEqual('3600', response.headers['Access-Control-Max-Age'])
        self.assertRegex(response.headers['x-openstack-request-id'],
                         REQUEST_ID)

    def test_agent_request_id(self):
        response = self.app.get('/agent/v1/metadata/nope/nope',
                                expect_errors=True)
        self.assertEqual(404, response.status_int)
        self.assertRegex(response.headers['x-openstack-request-id'],
                         REQUEST_ID)

    def test_forwarded_proto_when_enabled(self):
        self.config(enable_proxy_headers_parsing=True,
                    group='oslo_middleware')
        response = self.request('GET', '/', status=300, headers={
            'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'api.example',
            'X-Forwarded-Prefix': '/deploy'})
        self.assertEqual('https://api.example/deploy/v1/',
                         response.json['versions'][0]['links'][0]['href'])
