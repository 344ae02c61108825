"""Who may do what: the personas and the seeded data of the RBAC tests.

Identities are sent the way keystonemiddleware leaves them for the service
(``X-User-Id``, ``X-Project-Id``, ``X-Roles``) with Keystone's default role
implication (admin > member > reader) already expanded.  ``X-Is-Admin-Project``
is not sent (it defaults to true), so every ``admin`` is a cloud admin unless
a persona says otherwise.  The tests are in test_rbac_*.py.
"""

from deploysvc.agent import tokens
from deploysvc.db import agents
from deploysvc.db import deployment_groups
from deploysvc import exception
from deploysvc.tests import base
from deploysvc.tests.unit.api import base as api_base
from deploysvc.tests import utils

OWNER = base.PROJECT
OTHER = base.OTHER_PROJECT
ADMIN_PROJECT = 'f00dfacef00dfacef00dfacef00dface'
STACK_PROJECT = '5ac05ac05ac05ac05ac05ac05ac05ac0'
ELSEWHERE = 'no-such-project'
SERVER = '9d1f2bd6-0a34-4f62-9e52-6a1e0c2c1b11'
UNSHARED_SERVER = '0e2b7cb4-5b1a-4d4e-8a37-e01c7de3c9f2'
GROUP_SERVER = '5b3c6d1e-7f80-4a91-b2c3-d4e5f6a7b8c9'
# name: (project, X-Roles, extra headers)
PERSONAS = {
    'reader': (OWNER, 'reader', {}),
    'member': (OWNER, 'member,reader', {}),
    'admin': (OWNER, 'admin,member,reader', {}),
    'owner_admin': (OWNER, 'admin,member,reader',
                    {'X-Is-Admin-Project': 'False'}),
    'cloud_admin': (ADMIN_PROJECT, 'admin,member,reader', {}),
    # The admin role in a project that is not Keystone's admin project.
    'scoped_admin': (OTHER, 'admin,member,reader',
                     {'X-Is-Admin-Project': 'False'}),
    'other_member': (OTHER, 'member,reader', {}),
    # Heat's in-instance agent user, in the deployment's stack user project.
    'stack_user': (STACK_PROJECT, 'heat_stack_user', {}),
    # Regular users of the stack user project.
    'stack_member': (STACK_PROJECT, 'member,reader', {}),
    'stack_reader': (STACK_PROJECT, 'reader', {}),
    'no_roles': (OWNER, '', {}),
}
TEMPLATE = {'heat_template_version': '2013-05-23',
            'resources': {'cfg': {'type': 'OS::Heat::SoftwareConfig',
                                  'properties': {'group': 'script',
                                                 'config': 'echo hi'}}}}


class SeededTestCase(api_base.ApiTestCase):
    """A config used by two deployments, and an unused one, in OWNER.

    The deployment on SERVER names STACK_PROJECT as its stack user project;
    the one on UNSHARED_SERVER names none.  SERVER has agent URLs.  A
    deployment group of one server (GROUP_SERVER) uses the config too.
    """

    def setUp(self):
        super().setUp()
        owner = self.make_context(OWNER)
        config = utils.create_test_config(owner, name='used')
        self.config_id = config.id
        self.spare_id = utils.create_test_config(owner, name='spare').id
        self.deployment_id = utils.create_test_deployment(
            owner, config_id=config.id, server_id=SERVER,
            stack_user_project_id=STACK_PROJECT).id
        self.unshared_id = utils.create_test_deployment(
            owner, config_id=config.id, server_id=UNSHARED_SERVER).id
        secret = tokens.new_secret()
        self.credential_id = agents.rotate(
            owner, SERVER, secret, tokens.hasher(secret)).credential_id
        self.group_id = deployment_groups.create(
            owner, {'config_id': config.id, 'max_concurrency': 1,
                    'max_errors': 0}, [(GROUP_SERVER, None)]).id
        self.group_child_id = deployment_groups.children(
            owner, self.group_id)[0].id

    def owner_credential(self):
        """The credential id of SERVER's agent URLs now, or None."""
        try:
            return agents.get(self.make_context(OWNER), SERVER).credential_id
        except exception.AgentNotFound:
            return None

    def persona_headers(self, persona):
        project, roles, extra = PERSONAS[persona]
        return self.headers(project_id=project, roles=roles,
                            user_id='%s-user' % persona, **extra)

    def fill(self, text):
        return text.format(config_id=self.config_id, spare_id=self.spare_id,
                           deployment_id=self.deployment_id,
                           group_id=self.group_id)

    def call(self, route, persona, url_project):
        body = route['body']
        if body is not None:
            body = dict((k, self.fill(v) if isinstance(v, str) else v)
                        for k, v in body.items())
        return self.request(route['method'],
                            self.url(self.fill(route['path']), url_project),
                            body=body, headers=self.persona_headers(persona))
