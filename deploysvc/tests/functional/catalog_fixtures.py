"""deploysvc in Keystone's catalog, and a clouds.yaml for its users.

``register()`` puts the test server's endpoints in the catalog under a
service type (``software-deployment``, deploysvc's own, or
``orchestration`` for a cloud without Heat) with Heat's URL form
``http://127.0.0.1:<port>/v1/%(tenant_id)s``, for the public, internal and
admin interfaces, as the install guide does.  The catalog is global to the
Keystone: hold ``keystone_fixtures.catalog_lock()`` meanwhile.
"""

import os

import yaml

from deploysvc.osc import plugin
from deploysvc.tests.functional import keystone_fixtures

OWN = plugin.SERVICE_TYPE
ORCHESTRATION = 'orchestration'
CLOUD = 'deploysvc-test'
# A region of deploysvc's own, for a cloud that also runs Heat.
REGION = 'DeploysvcRegion'


# The catalog's endpoints of a service type in a region.
register = keystone_fixtures.register


def write_clouds_yaml(directory, identity, **extra):
    """A clouds.yaml with password auth as ``identity``; its path.

    ``extra`` goes into the cloud's entry (``*_endpoint_override``...).
    """
    cloud = {
        'auth_type': 'password',
        'auth': {'auth_url': keystone_fixtures.keystone_url(),
                 'username': identity.user,
                 'password': identity.password,
                 'user_domain_name': identity.user_domain,
                 'project_name': identity.project,
                 'project_domain_name': identity.project_domain},
        'identity_api_version': 3,
        'region_name': keystone_fixtures.REGION,
        'interface': 'public',
    }
    cloud.update(extra)
    path = os.path.join(directory, 'clouds.yaml')
    with open(path, 'w') as f:
        yaml.safe_dump({'clouds': {CLOUD: cloud}}, f)
    return path


def write_dev_clouds_yaml(directory, endpoint):
    """The README's clouds.yaml for the development (noauth) server."""
    path = os.path.join(directory, 'clouds.yaml')
    with open(path, 'w') as f:
        yaml.safe_dump({'clouds': {CLOUD: {
            'auth_type': 'none', 'auth': {'endpoint': endpoint}}}}, f)
    return path
