"""Version 1: everything lives under /v1/{tenant_id}/ (Heat's prefix)."""

import functools

import pecan

from deploysvc.api.controllers.v1 import server_agents
from deploysvc.api.controllers.v1 import software_configs
from deploysvc.api.controllers.v1 import software_deployments
from deploysvc.api.controllers.v1 import validate
from deploysvc import exception


class TenantController(object):
    software_configs = software_configs.ConfigsController()
    software_deployments = software_deployments.DeploymentsController()
    validate = validate.ValidateController()
    server_agents = server_agents.ServerAgentsController()


_TENANT = TenantController()

# The URLs below /v1/{tenant_id}/ and the controller serving each; '*' is an
# id: any segment that names nothing on the controller before it, or starts
# with "_" (so
# .../metadata/{server_id} wins over .../{deployment_id}/events, as in the
# object walk).  Any other path, trailing slashes and errors included, is
# left to Pecan's walk of the same controllers (Controller._lookup below).
ROUTES = {
    ('software_configs',): _TENANT.software_configs,
    ('software_configs', '*'): software_configs.ConfigController,
    ('software_deployments',): _TENANT.software_deployments,
    ('software_deployments', '*'): software_deployments.DeploymentController,
    ('software_deployments', '*', 'events'):
        software_deployments.EventsController,
    ('software_deployments', 'metadata', '*'):
        software_deployments.ServerMetadataController,
    ('validate',): _TENANT.validate,
    ('server_agents', '*'): server_agents.ServerAgentController,
}


def _compile(routes):
    """shape -> (position of the id, the controller it must not name, make)"""
    table = {}
    for shape, target in routes.items():
        if '*' in shape:
            at = shape.index('*')
            parent = functools.reduce(getattr, shape[:at], _TENANT)
            table[shape] = (at, parent, target)
        else:
            table[shape] = (None, None, target)
    return table


_TABLE = _compile(ROUTES)


def private(segment):
    """No URL word starts with "_": such a segment is always an id.

    (It may name a Python attribute of the controller, such as Pecan's
    ``_lookup`` hook or ``__class__``, which Pecan's walk would take for
    the handler, and fail with a 500.)
    """
    return segment.startswith('_')


def _is_id(parent, segment):
    return private(segment) or getattr(parent, segment, None) is None


def _match(segments):
    """The controller for a known shape of ``segments``, else None."""
    entry = _TABLE.get(segments)
    if entry is not None and entry[0] is None:
        return entry[2]
    for at, segment in enumerate(segments):
        entry = _TABLE.get(segments[:at] + ('*',) + segments[at + 1:])
        if entry is not None and _is_id(entry[1], segment):
            return entry[2](segment)
    return None


def _check_tenant(context, tenant_id):
    """A non-admin caller must use its own project (else 403)."""
    if not context.is_admin and tenant_id != context.project_id:
        raise exception.TenantForbidden()


def route(segments, context):
    """``(handler, ())`` for a known URL below /v1/, else None.

    ``segments`` are the path segments after the version.  The project in
    the URL is checked as ``Controller._lookup`` does.
    """
    segments = tuple(segments)
    if len(segments) < 2 or not all(segments):
        return None
    tenant_id = segments[0]
    if getattr(_V1, tenant_id, None) is not None:
        return None
    controller = _match(segments[1:])
    if controller is None:
        return None
    _check_tenant(context, tenant_id)
    return controller.index, ()


class Controller(object):

    @pecan.expose()
    def _lookup(self, tenant_id, *remainder):
        """Check the URL's project against the caller's, as Heat does.

        A non-admin caller must use its own project (else 403
        HTTPForbidden).  For administrators the URL's project is ignored:
        they act in their token's project and see every project's objects.
        """
        _check_tenant(pecan.request.context, tenant_id)
        if remainder:
            return _TENANT, remainder


_V1 = Controller()
