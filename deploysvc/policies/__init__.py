"""Policy defaults in code, one module per resource."""

import itertools

from deploysvc.policies import base
from deploysvc.policies import server_agents
from deploysvc.policies import software_configs
from deploysvc.policies import software_deployment_groups
from deploysvc.policies import software_deployments


def list_rules():
    return list(itertools.chain(
        base.list_rules(),
        software_configs.list_rules(),
        software_deployments.list_rules(),
        server_agents.list_rules(),
        software_deployment_groups.list_rules(),
    ))
