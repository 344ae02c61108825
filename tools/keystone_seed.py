"""Seed a fresh Keystone with the identities the functional tests use.

Run by tools/test-setup.sh with the Keystone venv's python (which has
python-keystoneclient), after ``keystone-manage bootstrap`` (user, project
and role ``admin``; roles member and reader, admin implying member
implying reader).  Prints ``DEPLOYSVC_TEST_KEYSTONE_*=value`` lines, read
by deploysvc/tests/functional/keystone_fixtures.py.

    python keystone_seed.py KEYSTONE_URL ADMIN_PASSWORD
"""

import secrets
import sys

from keystoneauth1.identity import v3
from keystoneauth1 import session
from keystoneclient.v3 import client

PREFIX = 'DEPLOYSVC_TEST_KEYSTONE_'
NO_ROLE = 'deploysvc_unknown_role'
# Identity -> (user, its domain, project, project's domain, roles).
IDENTITIES = {
    'ADMIN': ('admin', 'default', 'admin', 'default', ['admin']),
    'SERVICE': ('deploysvc', 'default', 'service', 'default',
                ['admin', 'service']),
    'DEMO_MEMBER': ('demo-member', 'default', 'demo', 'default', ['member']),
    'DEMO_READER': ('demo-reader', 'default', 'demo', 'default', ['reader']),
    # The admin role in a project that is not Keystone's admin project.
    'DEMO_ADMIN': ('demo-admin', 'default', 'demo', 'default', ['admin']),
    # A role deploysvc's policy does not know: a token with no role it
    # grants anything to (Keystone scopes no token without a role).
    'DEMO_NOROLE': ('demo-norole', 'default', 'demo', 'default',
                    [NO_ROLE]),
    'ALT_MEMBER': ('alt-member', 'default', 'alt', 'default', ['member']),
    # Heat's stack users live in a domain of their own.
    'STACK_AGENT': ('stack-agent', 'heat_stack', 'stack-user-project',
                    'heat_stack', ['heat_stack_user']),
    # An ordinary member of that project, who must see nothing of the
    # deployments that name it.
    'STACK_MEMBER': ('stack-member', 'heat_stack', 'stack-user-project',
                     'heat_stack', ['member']),
}


def main(url, admin_password):
    auth = v3.Password(auth_url=url, username='admin',
                       password=admin_password, user_domain_id='default',
                       project_name='admin', project_domain_id='default')
    keystone = client.Client(session=session.Session(auth=auth),
                             endpoint_override=url)
    roles = dict((role.name, role) for role in keystone.roles.list())
    for name in ('heat_stack_user', 'service', NO_ROLE):
        if name not in roles:  # recent bootstraps create "service"
            roles[name] = keystone.roles.create(name)
    domains = {'default': keystone.domains.get('default'),
               'heat_stack': keystone.domains.create('heat_stack')}
    projects = dict(((p.name, 'default'), p) for p in keystone.projects.list(
        domain='default'))
    env = {PREFIX + 'URL': url}
    for key, (user_name, user_domain, project_name, project_domain,
              role_names) in sorted(IDENTITIES.items()):
        project = projects.get((project_name, project_domain))
        if project is None:
            project = projects[project_name, project_domain] = (
                keystone.projects.create(project_name,
                                         domains[project_domain]))
        if key == 'ADMIN':
            password = admin_password
            user = keystone.users.list(name='admin', domain='default')[0]
        else:
            password = secrets.token_hex(12)
            user = keystone.users.create(user_name, domains[user_domain],
                                         password=password)
        for name in role_names:
            keystone.roles.grant(roles[name], user=user, project=project)
        env.update((PREFIX + key + '_' + field, value) for field, value in (
            ('USER', user_name), ('USER_ID', user.id),
            ('PASSWORD', password),
            ('USER_DOMAIN', domains[user_domain].name),
            ('PROJECT', project_name), ('PROJECT_ID', project.id),
            ('PROJECT_DOMAIN', domains[project_domain].name)))
    for name, value in sorted(env.items()):
        print('%s=%s' % (name, value))


if __name__ == '__main__':
    main(*sys.argv[1:])
