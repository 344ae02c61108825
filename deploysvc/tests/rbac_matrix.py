"""The expected RBAC outcomes: one table for the noauth and Keystone suites.

Each persona, calling with a URL that names its own project (``OWN``), the
owner's (``AT_OWNER``) or a project that does not exist (``AT_ELSEWHERE``),
gets one outcome per route of ``ROUTE_NAMES``.  A 2xx outcome also says
whether the objects seeded in the owner's project are visible.
"""

OK = 'ok'                   # success status of the route, objects visible
BLIND = 'blind'             # success status, seeded objects not visible
NOT_FOUND = 'not_found'     # 404 NotFound (another project's object)
TENANT = 'tenant'           # 403 HTTPForbidden (URL project is not ours)
DENIED = 'denied'           # 403 Forbidden naming the route's rule
DENIED_INDEX = 'denied:software_configs:index'   # naming another rule

OWN = 'own'
AT_OWNER = 'owner'
AT_ELSEWHERE = 'elsewhere'

ROUTE_NAMES = (
    'configs_index', 'configs_global_index', 'configs_create',
    'configs_show', 'configs_delete', 'deployments_index',
    'deployments_create', 'deployments_show', 'deployments_update',
    'deployments_delete', 'metadata', 'metadata_unshared', 'validate',
    'deployments_events', 'deployments_signal', 'agents_show',
    'agents_rotate', 'agents_delete', 'deployments_cancel',
    'groups_index', 'groups_create', 'groups_show', 'groups_deployments',
    'groups_events', 'groups_cancel', 'groups_delete')

# Deployment groups: readers read, members change; stack users nothing.
_GROUPS_OK = (OK,) * 7
_GROUPS_READ = (OK, DENIED, OK, OK, OK, DENIED, DENIED)
_GROUPS_FOREIGN = (BLIND,) + (NOT_FOUND,) * 6
_GROUPS_DENIED = (DENIED,) * 7
_GROUPS_STACK_READER = (BLIND, DENIED, NOT_FOUND, NOT_FOUND, NOT_FOUND,
                        DENIED, DENIED)

_ALL_OK = (OK, DENIED, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK,
           OK, OK, OK, OK, OK, OK) + _GROUPS_OK
_ALL_TENANT = (TENANT,) * len(ROUTE_NAMES)
# A project that the seeded objects do not belong to, whatever its roles
# there (members of the stack user project included: naming a project as
# stack_user_project_id shows its members nothing).  Rotating a server's
# agent URLs makes a credential of the caller's own project.
_FOREIGN = (BLIND, DENIED, OK, NOT_FOUND, NOT_FOUND, BLIND, NOT_FOUND,
            NOT_FOUND, NOT_FOUND, NOT_FOUND, BLIND, BLIND, OK,
            NOT_FOUND, NOT_FOUND, NOT_FOUND, BLIND, NOT_FOUND, NOT_FOUND
            ) + _GROUPS_FOREIGN
# Cloud administrators see every project's objects, but a server's agent
# credential is always of the caller's own project.
_CLOUD_ADMIN = _ALL_OK[:15] + (NOT_FOUND, BLIND, NOT_FOUND, OK) + _GROUPS_OK

# (persona, URL project) -> one outcome per route, in ROUTE_NAMES order.
MATRIX = {
    ('reader', OWN): (OK, DENIED, DENIED, OK, DENIED, OK, DENIED, OK,
                      DENIED, DENIED, OK, OK, DENIED,
                      OK, DENIED, DENIED, DENIED, DENIED, DENIED
                      ) + _GROUPS_READ,
    ('member', OWN): _ALL_OK,
    ('admin', OWN): _ALL_OK,
    ('admin', AT_ELSEWHERE): _ALL_OK,
    # The admin role in the owner project, which is not the admin project.
    ('owner_admin', OWN): _ALL_OK,
    ('owner_admin', AT_ELSEWHERE): _ALL_TENANT,
    ('cloud_admin', OWN): _CLOUD_ADMIN,
    ('cloud_admin', AT_OWNER): _CLOUD_ADMIN,
    ('cloud_admin', AT_ELSEWHERE): _CLOUD_ADMIN,
    ('scoped_admin', OWN): _FOREIGN,
    ('scoped_admin', AT_OWNER): _ALL_TENANT,
    ('other_member', OWN): _FOREIGN,
    ('other_member', AT_OWNER): _ALL_TENANT,
    ('other_member', AT_ELSEWHERE): _ALL_TENANT,
    # Heat's in-instance user, in the project the deployment names: it
    # reads the deployment, its config and its server's metadata, and
    # signals it; nothing else (behaviour-visibility).
    ('stack_user', OWN): (DENIED, DENIED_INDEX, DENIED, OK, DENIED,
                          DENIED, DENIED, OK, DENIED, DENIED, OK, BLIND,
                          DENIED, DENIED, OK, DENIED, DENIED, DENIED,
                          DENIED) + _GROUPS_DENIED,
    ('stack_user', AT_OWNER): _ALL_TENANT,
    ('stack_member', OWN): _FOREIGN,
    ('stack_reader', OWN): (BLIND, DENIED, DENIED, NOT_FOUND, DENIED,
                            BLIND, DENIED, NOT_FOUND, DENIED, DENIED,
                            BLIND, BLIND, DENIED, NOT_FOUND, DENIED,
                            DENIED, DENIED, DENIED, DENIED
                            ) + _GROUPS_STACK_READER,
    ('no_roles', OWN): (DENIED, DENIED_INDEX) + (DENIED,) * (
        len(ROUTE_NAMES) - 2),
}


def rows(personas):
    """(persona, where, route, outcome) of the given personas."""
    return [(persona, where, route, outcome)
            for (persona, where), outcomes in sorted(MATRIX.items())
            if persona in personas
            for route, outcome in zip(ROUTE_NAMES, outcomes)]


def expected_error(outcome, rule):
    """``(status, error type, message)`` of a refused outcome, else None.

    ``rule`` is the route's policy rule (a DENIED outcome may name
    another); a NOT_FOUND message names the object, so it is None here.
    """
    if outcome == TENANT:
        return 403, 'HTTPForbidden', 'Access was denied to this resource.'
    if outcome.startswith(DENIED):
        return (403, 'Forbidden', 'You are not authorized to use %s.'
                % (outcome.partition(':')[2] or rule))
    if outcome == NOT_FOUND:
        return 404, 'NotFound', None
    return None
