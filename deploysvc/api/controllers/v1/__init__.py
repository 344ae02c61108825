"""Version 1: everything lives under /v1/{tenant_id}/ (Heat's prefix)."""

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


class Controller(object):

    @pecan.expose()
    def _lookup(self, tenant_id, *remainder):
        """Check the URL's project against the caller's, as Heat does.

        A non-admin caller must use its own project (else 403
        HTTPForbidden).  For administrators the URL's project is ignored:
        they act in their token's project and see every project's objects.
        """
        context = pecan.request.context
        if not context.is_admin and tenant_id != context.project_id:
            raise exception.TenantForbidden()
        if remainder:
            return _TENANT, remainder
