"""The keystone pipeline against the real Keystone: the tests' shared case.

``deploysvc-api`` runs with ``auth_strategy = keystone`` (see
keystone_fixtures); every token comes from the Keystone that
tools/test-setup.sh started and tools/keystone_seed.py seeded:

=============  ======================  ===================================
identity       project                 roles (Keystone expands implied)
=============  ======================  ===================================
ADMIN          admin (the admin        admin: a cloud administrator
               project)
SERVICE        service                 admin, service: admin of a project
                                       that is not the admin project
DEMO_MEMBER    demo (the owner here)   member
DEMO_READER    demo                    reader
DEMO_ADMIN     demo                    admin: not a cloud administrator
DEMO_NOROLE    demo                    a role the policy does not know
ALT_MEMBER     alt                     member
STACK_AGENT    stack-user-project      heat_stack_user (an in-instance
               (domain heat_stack)     agent of Heat's stack user domain)
STACK_MEMBER   stack-user-project      member
=============  ======================  ===================================

Without ``DEPLOYSVC_TEST_KEYSTONE_URL`` every test fails, saying so.  The
tests are in test_keystone_*.py, one module a behaviour.
"""

import os

import fixtures
from oslo_utils import uuidutils
import testtools

from deploysvc.tests.functional import keystone_fixtures
from deploysvc.tests import utils

ELSEWHERE = 'no-such-project'
AUTH_MESSAGE = keystone_fixtures.AUTH_MESSAGE
TEMPLATE = {'heat_template_version': '2013-05-23',
            'resources': {'cfg': {'type': 'OS::Heat::SoftwareConfig',
                                  'properties': {'group': 'script',
                                                 'config': 'echo hi'}}}}
SCRIPT = '#!/bin/sh\necho hello\n'


def new_id():
    return uuidutils.generate_uuid()


class KeystoneTestCase(utils.HttpHelpers, testtools.TestCase):
    """One keystone-pipeline server per class, and a token per identity.

    When Keystone is not available the class starts nothing and every
    test fails with keystone_fixtures.MISSING.
    """

    server = None
    tokens = None
    problem = None
    WHERE = ('key',)
    config_defaults = {'config': SCRIPT}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.problem = keystone_fixtures.missing()
        if cls.problem:
            return
        cls.identities = dict((key, keystone_fixtures.Identity(key))
                              for key in keystone_fixtures.IDENTITIES)
        cls.tokens = dict((key, identity.token())
                          for key, identity in cls.identities.items())
        cls.server = keystone_fixtures.KeystoneServerFixture()
        cls.server.setUp()

    @classmethod
    def tearDownClass(cls):
        if cls.server is not None:
            cls.server.cleanUp()
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        if self.problem:
            self.fail(self.problem)
        self.useFixture(fixtures.Timeout(
            int(os.environ.get('OS_TEST_TIMEOUT', 160)), gentle=True))
        self.addOnException(self._attach_server_log)

    def _attach_server_log(self, exc_info):
        if self.server is not None:
            self.addDetail('deploysvc-api-log', self.server.log_content())

    def project(self, key):
        return self.identities[key].project_id

    def call(self, key, method, project, path, body=None, token=None):
        """``method /v1/<project><path>`` with the token of ``key``."""
        if token is None and key is not None:
            token = self.tokens[key]
        response = self.server.call(method, '/v1/%s%s' % (project, path),
                                    token=token, body=body)
        self.assertNotEqual(500, response.status, response.body)
        return response

    def ok(self, key, method, project, path, body=None, status=200):
        response = self.call(key, method, project, path, body)
        self.assertEqual(status, response.status, response.body)
        return response.body

    def post_json(self, path, body, key='DEMO_MEMBER'):
        """POST to the project of ``key`` with its token; asserts 200."""
        return self.ok(key, 'POST', self.project(key), path, body)

    def assertError(self, response, status, error_type, message):
        self.assertEqual(status, response.status, response.body)
        self.assertEqual(
            {'code': status, 'title': response.body.get('title'),
             'explanation': response.body.get('explanation'),
             'error': {'type': error_type, 'message': message,
                       'traceback': None}}, response.body)

    def assertUnauthorized(self, response):
        """keystonemiddleware's refusal, in Heat's error shape.

        See doc/source/contributor/behaviour.rst, behaviour-error-body.
        """
        self.assertEqual(401, response.status, response.body)
        self.assertEqual(
            'Keystone uri="%s"' % keystone_fixtures.keystone_url(),
            response.headers.get('WWW-Authenticate'))
        self.assertTrue(response.headers.get('Content-Type', '').startswith(
            'application/json'), response.headers)
        self.assertEqual(
            {'code': 401, 'title': 'Unauthorized',
             'explanation': response.body.get('explanation'),
             'error': {'type': 'HTTPUnauthorized', 'message': AUTH_MESSAGE,
                       'traceback': None}}, response.body)
