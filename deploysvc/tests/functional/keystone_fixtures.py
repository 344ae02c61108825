"""deploysvc-api behind keystonemiddleware, against the real Keystone.

The Keystone is the one ``tools/test-setup.sh`` starts and
``tools/keystone_seed.py`` seeds (``tools/run_tests.py`` exports their
``DEPLOYSVC_TEST_KEYSTONE_*`` variables to the functional suite).
Without ``DEPLOYSVC_TEST_KEYSTONE_URL`` the tests that need it fail with
``MISSING`` as their message: they never skip.

``KeystoneServerFixture`` is ``base.ServerFixture`` with
``[DEFAULT] auth_strategy = keystone`` and a ``[keystone_authtoken]``
section: password auth as the seeded SERVICE identity, no token cache
(``token_cache_time = -1``, so a revoked token is refused at once), no
memcached, region RegionOne.  It checks that the pipeline really asks for a
token before any test runs.  ``register_endpoint()`` points the catalog's
``orchestration`` endpoints at the server; the catalog is shared by every
test process, so hold ``catalog_lock()`` while anything relies on it.
"""

import contextlib
import fcntl
import json
import os
import tempfile

from keystoneauth1.identity import v3
from keystoneauth1 import session as ks_session
import requests
from requests import structures

from deploysvc.tests.functional import base

PREFIX = 'DEPLOYSVC_TEST_KEYSTONE_'
URL = PREFIX + 'URL'
REGION = 'RegionOne'
IDENTITIES = ('ADMIN', 'SERVICE', 'DEMO_MEMBER', 'DEMO_READER',
              'DEMO_ADMIN', 'DEMO_NOROLE', 'ALT_MEMBER', 'STACK_AGENT',
              'STACK_MEMBER')

MISSING = ('%s is not set: these tests need the real Keystone. Start it '
           'with "tools/test-setup.sh start keystone" and source '
           '.services/env.sh, or run "tox -e all", which does both.' % URL)

AUTH_MESSAGE = 'The request you have made requires authentication.'


def missing():
    """MISSING when Keystone is not available, else None."""
    return None if os.environ.get(URL) else MISSING


def keystone_url():
    return os.environ[URL]


class Identity(object):
    """One seeded identity: ``ADMIN``, ``DEMO_MEMBER``, ``STACK_AGENT``..."""

    def __init__(self, key):
        self.key = key
        prefix = PREFIX + key + '_'
        try:
            self.user = os.environ[prefix + 'USER']
            self.user_id = os.environ[prefix + 'USER_ID']
            self.password = os.environ[prefix + 'PASSWORD']
            self.user_domain = os.environ[prefix + 'USER_DOMAIN']
            self.project = os.environ[prefix + 'PROJECT']
            self.project_id = os.environ[prefix + 'PROJECT_ID']
            self.project_domain = os.environ[prefix + 'PROJECT_DOMAIN']
        except KeyError as e:
            raise RuntimeError('%s is missing from the environment (%s)'
                               % (e, MISSING))

    def session(self):
        """A keystoneauth1 session authenticated by password."""
        auth = v3.Password(auth_url=keystone_url(), username=self.user,
                           password=self.password,
                           user_domain_name=self.user_domain,
                           project_name=self.project,
                           project_domain_name=self.project_domain)
        return ks_session.Session(auth=auth)

    def token(self):
        """A new project-scoped token."""
        return self.session().get_token()

    def os_environ(self):
        """``OS_*`` variables of openstackclient's password auth."""
        return {
            'OS_AUTH_TYPE': 'password',
            'OS_AUTH_URL': keystone_url(),
            'OS_IDENTITY_API_VERSION': '3',
            'OS_USERNAME': self.user,
            'OS_PASSWORD': self.password,
            'OS_USER_DOMAIN_NAME': self.user_domain,
            'OS_PROJECT_NAME': self.project,
            'OS_PROJECT_DOMAIN_NAME': self.project_domain,
            'OS_REGION_NAME': REGION,
            'OS_INTERFACE': 'public',
        }


def revoke(token):
    """Revoke ``token`` in Keystone (as its admin)."""
    admin_token = Identity('ADMIN').token()
    response = requests.delete(
        keystone_url() + '/auth/tokens', timeout=30,
        headers={'X-Auth-Token': admin_token, 'X-Subject-Token': token})
    if response.status_code != 204:
        raise RuntimeError('Keystone did not revoke the token: %s %s'
                           % (response.status_code, response.text))


def register_endpoint(url):
    """Point the catalog's ``orchestration`` endpoints at ``url``.

    Those of other regions go too: a client that names no region finds
    this server only.  Hold ``catalog_lock()`` meanwhile.
    """
    register('orchestration', url, other_regions=True)


def register(service_type, url, region=REGION, other_regions=False):
    """The ``service_type`` endpoints of ``region`` are ``url`` only.

    Creates the region and the service when they are missing; every
    public/internal/admin endpoint of the service in the region (in every
    region with ``other_regions``) is replaced by one on ``url``.
    """
    admin = Identity('ADMIN').session()
    base_url = keystone_url()

    def call(method, path, body=None, **params):
        response = admin.request(base_url + path, method, json=body,
                                 params=params, raise_exc=True)
        return response.json() if response.content else None

    if region not in [r['id'] for r in call('GET', '/regions')['regions']]:
        call('POST', '/regions', {'region': {'id': region}})
    services = call('GET', '/services', type=service_type)['services']
    if services:
        service_id = services[0]['id']
    else:
        service_id = call('POST', '/services', {'service': {
            'type': service_type, 'name': 'deploysvc',
            'description': 'Software configs and deployments'}})[
            'service']['id']
    for endpoint in call('GET', '/endpoints',
                         service_id=service_id)['endpoints']:
        if other_regions or endpoint['region_id'] == region:
            call('DELETE', '/endpoints/' + endpoint['id'])
    for interface in ('public', 'internal', 'admin'):
        call('POST', '/endpoints', {'endpoint': {
            'service_id': service_id, 'interface': interface, 'url': url,
            'region_id': region}})


def hold_catalog(test):
    """``catalog_lock()`` for the rest of ``test`` (released at clean-up)."""
    stack = contextlib.ExitStack()
    stack.enter_context(catalog_lock())
    test.addCleanup(stack.close)


@contextlib.contextmanager
def catalog_lock():
    """Exclusive use of the catalog's orchestration endpoints.

    The endpoints are global to the Keystone, and stestr runs several test
    processes, each with its own server: whoever registers its server and
    then relies on the catalog holds this lock meanwhile.
    """
    directory = (os.environ.get('DEPLOYSVC_TEST_SERVICES_DIR') or
                 tempfile.gettempdir())
    path = os.path.join(directory, 'deploysvc-catalog.lock')
    with open(path, 'a') as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


class KeystoneServerFixture(base.ServerFixture):
    """``deploysvc-api`` with the keystone pipeline on the test Keystone.

    ``project_id`` (hence ``endpoint``) is the DEMO project's.  The
    configuration is ``base.ConfFileFixture``'s plus a second ``[DEFAULT]``
    section (oslo.config takes the last value of an option, so it replaces
    ``auth_strategy = noauth``) and ``[keystone_authtoken]``.
    """

    def __init__(self, workers=2, extra_conf=''):
        problem = missing()
        if problem:
            raise RuntimeError(problem)
        self.service = Identity('SERVICE')
        super().__init__(workers=workers,
                         project_id=Identity('DEMO_MEMBER').project_id,
                         extra_conf=self.keystone_conf() + extra_conf)

    def keystone_conf(self):
        return ('[DEFAULT]\n'
                'auth_strategy = keystone\n'
                '[keystone_authtoken]\n'
                'www_authenticate_uri = %(url)s\n'
                'auth_url = %(url)s\n'
                'auth_type = password\n'
                'username = %(user)s\n'
                'password = %(password)s\n'
                'user_domain_name = %(user_domain)s\n'
                'project_name = %(project)s\n'
                'project_domain_name = %(project_domain)s\n'
                'region_name = %(region)s\n'
                'token_cache_time = -1\n'
                'http_connect_timeout = 30\n'
                % {'url': keystone_url(), 'user': self.service.user,
                   'password': self.service.password,
                   'user_domain': self.service.user_domain,
                   'project': self.service.project,
                   'project_domain': self.service.project_domain,
                   'region': REGION})

    def _setUp(self):
        super()._setUp()
        # A wrong or ignored configuration would silently serve noauth.
        response = self.request('GET',
                                '/v1/%s/software_configs' % self.project_id)
        if response.status != 401:
            raise RuntimeError('the keystone pipeline did not ask for a '
                               'token (%s %s):\n%s' % (
                                   response.status, response.body,
                                   self.log()))

    @property
    def catalog_url(self):
        """The endpoint as the catalog holds it (Heat's form)."""
        return '%s/v1/%%(tenant_id)s' % self.url

    def register_endpoint(self):
        """Point the catalog's orchestration endpoints at this server.

        Hold ``catalog_lock()`` around this and every use of the catalog.
        """
        register_endpoint(self.catalog_url)

    def call(self, method, path, token=None, body=None, headers=None):
        """One request with ``token``; the body decoded when it is JSON."""
        all_headers = dict(headers or {})
        if token is not None:
            all_headers['X-Auth-Token'] = token
        data = None
        if body is not None:
            data = json.dumps(body).encode('utf-8')
            all_headers['Content-Type'] = 'application/json'
        response = self.request(method, path, body=data,
                                headers=all_headers, timeout=60)
        received = structures.CaseInsensitiveDict(response.headers)
        decoded = response.body
        if received.get('Content-Type', '').startswith(
                'application/json') and decoded:
            decoded = json.loads(decoded)
        return base.Response(response.status, received, decoded)
