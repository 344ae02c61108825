"""Policies of /v1/{tenant_id}/server_agents/{server_id}: agent URLs."""

from oslo_policy import policy

from deploysvc.policies import base

POLICY_ROOT = 'server_agents:%s'

SHOW = POLICY_ROOT % 'show'
ROTATE = POLICY_ROOT % 'rotate'
DELETE = POLICY_ROOT % 'delete'

_ITEM = '/v1/{tenant_id}/server_agents/{server_id}'

rules = [
    policy.DocumentedRuleDefault(
        name=SHOW,
        check_str=base.PROJECT_MEMBER,
        scope_types=['project'],
        description='Show the capability URL a server\'s agent polls for '
                    'its metadata. It is a secret (whoever holds it can read '
                    'the deployments and signal results), so readers may '
                    'not see it by default.',
        operations=[{'path': _ITEM, 'method': 'GET'}]),
    policy.DocumentedRuleDefault(
        name=ROTATE,
        check_str=base.PROJECT_MEMBER,
        scope_types=['project'],
        description='Create or rotate a server\'s agent URLs; the previous '
                    'metadata and signal URLs stop working at once.',
        operations=[{'path': _ITEM, 'method': 'POST'}]),
    policy.DocumentedRuleDefault(
        name=DELETE,
        check_str=base.PROJECT_MEMBER,
        scope_types=['project'],
        description='Revoke a server\'s agent URLs.',
        operations=[{'path': _ITEM, 'method': 'DELETE'}]),
]


def list_rules():
    return rules
