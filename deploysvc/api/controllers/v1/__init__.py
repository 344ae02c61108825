"""Version 1: everything lives under /v1/{tenant_id}/ (Heat's prefix).

``ROUTES`` is the whole API below the project on one screen: a URL's
segments after /v1/{tenant_id}/ and the controller serving them, ``'*'``
standing for an id.  It is the only router (``RootController.route`` asks
``route``); each controller (a ``util.Controller``) answers the methods it
has handlers for (``@util.handles``) and 405 with ``Allow`` to the others.
"""

import webob.exc

from deploysvc.api.controllers.v1 import server_agents
from deploysvc.api.controllers.v1 import software_configs
from deploysvc.api.controllers.v1 import software_deployment_groups
from deploysvc.api.controllers.v1 import software_deployments
from deploysvc.api.controllers.v1 import validate
from deploysvc import exception

ROUTES = {
    ('software_configs',): software_configs.ConfigsController,
    ('software_configs', '*'): software_configs.ConfigController,
    ('software_deployments',): software_deployments.DeploymentsController,
    ('software_deployments', '*'): software_deployments.DeploymentController,
    ('software_deployments', '*', 'events'):
        software_deployments.EventsController,
    ('software_deployments', '*', 'signal'):
        software_deployments.SignalController,
    ('software_deployments', '*', 'cancel'):
        software_deployments.CancelController,
    # GET .../metadata with no server: Heat shows the deployment "metadata".
    ('software_deployments', 'metadata'):
        software_deployments.MetadataController,
    ('software_deployments', 'metadata', '*'):
        software_deployments.ServerMetadataController,
    ('validate',): validate.ValidateController,
    ('server_agents', '*'): server_agents.ServerAgentController,
    # Fleet rollouts (doc/source/user/deployment-groups.rst).
    ('software_deployment_groups',):
        software_deployment_groups.GroupsController,
    ('software_deployment_groups', '*'):
        software_deployment_groups.GroupController,
    ('software_deployment_groups', '*', 'cancel'):
        software_deployment_groups.GroupCancelController,
    ('software_deployment_groups', '*', 'deployments'):
        software_deployment_groups.GroupDeploymentsController,
    ('software_deployment_groups', '*', 'events'):
        software_deployment_groups.GroupEventsController,
}


def _tree(routes):
    """ROUTES as nested dicts: word or '*' -> subtree; None -> controller."""
    tree = {}
    for shape, controller in routes.items():
        node = tree
        for word in shape:
            node = node.setdefault(word, {})
        node[None] = controller
    return tree


_TREE = _tree(ROUTES)


def _match(node, segments, ids):
    """The controller and ids of ``segments``, else None.

    A fixed word wins over an id at the same place (so .../metadata/x is
    a server's metadata, not the events of deployment "metadata"); a
    segment starting with "_" is never a word.
    """
    if not segments:
        controller = node.get(None)
        return (controller, ids) if controller is not None else None
    segment, rest = segments[0], segments[1:]
    child = node.get(segment)
    if child is not None and not segment.startswith('_'):
        found = _match(child, rest, ids)
        if found is not None:
            return found
    child = node.get('*')
    if child is not None:
        return _match(child, rest, ids + (segment,))
    return None


def match(segments):
    """The controller and ids of the segments after /v1/{tenant_id}/.

    None when no route matches.  The router's rules, for anyone who needs
    to know which route a path is (the metrics' route labels).
    """
    return _match(_TREE, tuple(segments), ())


def _check_tenant(context, tenant_id):
    """A non-admin caller must use its own project (else 403).

    For administrators the URL's project is ignored: they act in their
    token's project and see every project's objects (Heat).
    """
    if not context.is_admin and tenant_id != context.project_id:
        raise exception.TenantForbidden()


def route(segments, context):
    """The handler of the URL whose segments after /v1/ are ``segments``.

    An empty segment (a trailing slash, "//") matches nothing: Heat's
    routes are exact.  A URL of another project is refused (403) before it
    is known to be wrong, as in Heat, unless it ends with a slash or has a
    segment starting with "_" outside an id.
    """
    if len(segments) > 1 and all(segments):
        found = match(segments[1:])
        if found is not None:
            _check_tenant(context, segments[0])
            controller, ids = found
            return (controller(*ids) if ids else controller()).index
    if segments and segments[-1] and not any(
            segment.startswith('_') for segment in segments):
        _check_tenant(context, segments[0])
    raise webob.exc.HTTPNotFound()
