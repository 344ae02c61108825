"""API tests: the real paste pipeline (noauth) through webtest."""

import json

import webtest

from deploysvc.api import app
from deploysvc.tests import base
from deploysvc.tests import utils


class ApiTestCase(utils.HttpHelpers, base.TestCase):
    """Requests go through every middleware and the real policy."""

    project_id = base.PROJECT
    WHERE = ('project_id',)

    def setUp(self):
        super().setUp()
        self.app = webtest.TestApp(app.load_app())

    def headers(self, project_id=None, roles='member,reader', user_id=None,
                **extra):
        project_id = project_id or self.project_id
        headers = {'X-Project-Id': project_id,
                   'X-User-Id': user_id or 'user-' + project_id[:8],
                   'X-Roles': roles}
        headers.update(extra)
        return headers

    def url(self, path, project_id=None):
        return '/v1/%s%s' % (project_id or self.project_id, path)

    def request(self, method, path, body=None, status=None, headers=None,
                project_id=None, **kw):
        """One request; asserts ``status`` and that no 500 ever happens."""
        if headers is None:
            headers = self.headers(project_id=project_id)
        kw.setdefault('expect_errors', True)
        if body is not None:
            if not isinstance(body, bytes):
                body = json.dumps(body).encode()
            kw.setdefault('content_type', 'application/json')
            kw['body'] = body
        response = self.app.request(path, method=method, headers=headers,
                                    **kw)
        self.assertLess(response.status_int, 500, response.text)
        if status is not None:
            self.assertEqual(status, response.status_int, response.text)
        return response

    def get(self, path, **kw):
        return self.request('GET', self.url(path, kw.get('project_id')),
                            **kw)

    def post(self, path, body, **kw):
        return self.request('POST', self.url(path, kw.get('project_id')),
                            body=body, **kw)

    def put(self, path, body, **kw):
        return self.request('PUT', self.url(path, kw.get('project_id')),
                            body=body, **kw)

    def delete(self, path, **kw):
        return self.request('DELETE', self.url(path, kw.get('project_id')),
                            **kw)

    def post_json(self, path, body, project_id=None):
        """POST as a member of ``project_id``; asserts 200, returns JSON."""
        return self.post(path, body, status=200, project_id=project_id).json

    def assertError(self, response, status, error_type, message=None):
        """Heat's error body: code/title/explanation/error{type,message}."""
        self.assertEqual(status, response.status_int, response.text)
        self.assertEqual('application/json', response.content_type)
        body = response.json
        self.assertEqual(status, body['code'])
        self.assertIn('title', body)
        self.assertIn('explanation', body)
        self.assertEqual(error_type, body['error']['type'])
        self.assertIsNone(body['error']['traceback'])
        self.assertTrue(body['error']['message'])
        if message is not None:
            self.assertEqual(message, body['error']['message'])
        return body
