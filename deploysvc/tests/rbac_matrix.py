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
    'deployments_delete', 'metadata', 'metadata_unshared', 'validate')

_ALL_OK = (OK, DENIED, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK, OK)
_ALL_TENANT = (TENANT,) * len(ROUTE_NAMES)
_FOREIGN = (BLIND, DENIED, OK, NOT_FOUND, NOT_FOUND, BLIND, NOT_FOUND,
            NOT_FOUND, NOT_FOUND, NOT_FOUND, BLIND, BLIND, OK)

# (persona, URL project) -> one outcome per route, in ROUTE_NAMES order.
MATRIX = {
    ('reader', OWN): (OK, DENIED, DENIED, OK, DENIED, OK, DENIED, OK,
                      DENIED, DENIED, OK, OK, DENIED),
    ('member', OWN): _ALL_OK,
    ('admin', OWN): _ALL_OK,
    ('admin', AT_ELSEWHERE): _ALL_OK,
    ('cloud_admin', OWN): _ALL_OK,
    ('cloud_admin', AT_OWNER): _ALL_OK,
    ('cloud_admin', AT_ELSEWHERE): _ALL_OK,
    ('scoped_admin', OWN): _FOREIGN,
    ('scoped_admin', AT_OWNER): _ALL_TENANT,
    ('other_member', OWN): _FOREIGN,
    ('other_member', AT_OWNER): _ALL_TENANT,
    ('other_member', AT_ELSEWHERE): _ALL_TENANT,
    ('stack_user', OWN): (DENIED, DENIED_INDEX, DENIED, DENIED, DENIED,
                          DENIED, DENIED, DENIED, DENIED, DENIED, OK, BLIND,
                          DENIED),
    ('stack_user', AT_OWNER): _ALL_TENANT,
    ('stack_member', OWN): (BLIND, DENIED, OK, NOT_FOUND, NOT_FOUND, OK,
                            NOT_FOUND, OK, OK, OK, OK, BLIND, OK),
    ('no_roles', OWN): (DENIED, DENIED_INDEX, DENIED, DENIED, DENIED, DENIED,
                        DENIED, DENIED, DENIED, DENIED, DENIED, DENIED,
                        DENIED),
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
