"""The filters of api-paste.ini: optional ones only when configured."""

import re
import sys

from oslo_middleware import cors
from oslo_middleware import http_proxy_to_wsgi
from oslo_middleware import request_id as oslo_request_id
from osprofiler import web as profiler_web
import webob
import webtest

from deploysvc.api import app as api_app
from deploysvc.api import faults
from deploysvc.api.middleware import request_id
from deploysvc.tests import base as test_base
from deploysvc.tests.unit.api import base

ALLOWED = 'https://dashboard.example'
INBOUND_ID = 'req-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee'
REQUEST_ID = re.compile(r'^req-[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$')


class TestRequestId(test_base.TestCase):
    """What oslo.middleware's RequestId does, without WebOb."""

    def _call(self, headers=(), environ=None):
        seen = {}

        def inner(environ, start_response):
            seen.update(environ)
            start_response('201 Created', list(headers))
            return [b'body']
        req = webob.Request.blank('/x', environ=environ or {})
        response = req.get_response(request_id.RequestId(inner))
        return seen, response

    def test_new_id_in_environ_and_response(self):
        seen, response = self._call([('Content-Type', 'text/plain')])
        req_id = seen[oslo_request_id.ENV_REQUEST_ID]
        self.assertRegex(req_id, REQUEST_ID)
        self.assertEqual(req_id, response.headers['X-OpenStack-Request-ID'])
        self.assertEqual('201 Created', response.status)
        self.assertEqual(b'body', response.body)
        self.assertNotIn(oslo_request_id.GLOBAL_REQ_ID, seen)

    def test_global_id_kept_when_well_formed(self):
        seen, _ = self._call(environ={'HTTP_X_OPENSTACK_REQUEST_ID':
                                      INBOUND_ID})
        self.assertEqual(INBOUND_ID, seen[oslo_request_id.GLOBAL_REQ_ID])
        self.assertNotEqual(INBOUND_ID, seen[oslo_request_id.ENV_REQUEST_ID])
        seen, _ = self._call(environ={'HTTP_X_OPENSTACK_REQUEST_ID':
                                      'req-12345'})
        self.assertNotIn(oslo_request_id.GLOBAL_REQ_ID, seen)

    def test_application_header_wins(self):
        _, response = self._call([('X-OpenStack-Request-Id', 'mine')])
        self.assertEqual(['mine'], response.headers.getall(
            'X-OpenStack-Request-Id'))

    def test_exc_info_passed_on(self):
        def inner(environ, start_response):
            try:
                raise ValueError('late')
            except ValueError:
                start_response('500 Internal Server Error', [],
                               sys.exc_info())
            return [b'']

        def start_response(status, headers, exc_info=None):
            raise exc_info[1]
        self.assertRaises(ValueError, request_id.RequestId(inner),
                          webob.Request.blank('/').environ, start_response)


class PipelineTestCase(base.ApiTestCase):

    def load(self):
        self.app = webtest.TestApp(api_app.load_app())

    def filters(self, prefix):
        """The filters in front of the urlmap's ``prefix`` application."""
        # (The request metrics filter wraps the urlmap.)
        urlmap = self.app.app.application
        application = dict(urlmap.items())[(None, prefix)]
        chain = []
        while not isinstance(application, faults.FaultWrapper):
            chain.append(type(application))
            application = application.application
        return chain


class TestUnconfigured(PipelineTestCase):
    """No allowed origin, no proxy parsing: neither filter is there."""

    def test_filters(self):
        self.assertEqual([request_id.RequestId], self.filters(''))
        self.assertEqual([request_id.RequestId], self.filters('/agent'))

    def test_no_cors_headers(self):
        response = self.get('/software_configs', status=200,
                            headers=self.headers(Origin=ALLOWED))
        self.assertRegex(response.headers['x-openstack-request-id'],
                         REQUEST_ID)
        self.assertNotIn('Access-Control-Allow-Origin', response.headers)

    def test_options_of_an_unknown_url_is_not_found(self):
        # (oslo's CORS turned it into an empty 200.)
        response = self.request('OPTIONS', self.url('/nothing'))
        self.assertError(response, 404, 'HTTPNotFound')

    def test_proxy_headers_ignored(self):
        response = self.request('GET', '/', status=300, headers={
            'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'api.example'})
        self.assertEqual('http://localhost/v1/',
                         response.json['versions'][0]['links'][0]['href'])

    def test_request_id_on_api_and_agent(self):
        for response in (self.get('/software_configs', status=200),
                         self.app.get('/agent/v1/metadata/nope/nope',
                                      expect_errors=True),
                         self.request('GET', '/', status=300)):
            self.assertRegex(response.headers['x-openstack-request-id'],
                             REQUEST_ID)


class TestConfigured(PipelineTestCase):
    """Each option puts oslo.middleware's own filter in the API pipeline."""

    def setUp(self):
        super().setUp()
        self.config(allowed_origin=[ALLOWED], group='cors')
        self.config(enable_proxy_headers_parsing=True,
                    group='oslo_middleware')
        self.load()

    def test_filters(self):
        self.assertEqual([cors.CORS, http_proxy_to_wsgi.HTTPProxyToWSGI,
                          request_id.RequestId], self.filters(''))
        self.assertEqual([request_id.RequestId], self.filters('/agent'))

    def test_request_id_and_cors_headers(self):
        response = self.get('/software_configs', status=200,
                            headers=self.headers(Origin=ALLOWED))
        self.assertRegex(response.headers['x-openstack-request-id'],
                         REQUEST_ID)
        self.assertEqual(ALLOWED,
                         response.headers['Access-Control-Allow-Origin'])
        self.assertEqual('Origin', response.headers['Vary'])
        self.assertEqual('X-Auth-Token,X-Subject-Token,X-Service-Token,'
                         'X-OpenStack-Request-ID,ETag,Idempotent-Replayed',
                         response.headers['Access-Control-Expose-Headers'])
        self.assertEqual({'software_configs': []}, response.json)

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
        self.assertEqual('3600', response.headers['Access-Control-Max-Age'])

    def test_forwarded_proto(self):
        response = self.request('GET', '/', status=300, headers={
            'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'api.example',
            'X-Forwarded-Prefix': '/deploy'})
        self.assertEqual('https://api.example/deploy/v1/',
                         response.json['versions'][0]['links'][0]['href'])


class TestOneOfEach(PipelineTestCase):

    def test_cors_alone(self):
        self.config(allowed_origin=[ALLOWED], group='cors')
        self.load()
        self.assertEqual([cors.CORS, request_id.RequestId],
                         self.filters(''))

    def test_proxy_alone(self):
        self.config(enable_proxy_headers_parsing=True,
                    group='oslo_middleware')
        self.load()
        self.assertEqual([http_proxy_to_wsgi.HTTPProxyToWSGI,
                          request_id.RequestId], self.filters(''))

    def test_profiler_alone(self):
        # osprofiler's switch is process-wide: off again after the test.
        self.addCleanup(profiler_web.disable)
        self.config(enabled=True, hmac_keys='KEY', group='profiler')
        self.load()
        self.assertEqual([request_id.RequestId, profiler_web.WsgiMiddleware],
                         self.filters(''))
        self.assertEqual([request_id.RequestId], self.filters('/agent'))
        # A request without a trace header is served as usual.
        self.get('/software_configs', status=200)
