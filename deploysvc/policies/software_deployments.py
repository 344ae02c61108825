"""Policies of /v1/{tenant_id}/software_deployments."""

from oslo_policy import policy

from deploysvc.policies import base

POLICY_ROOT = 'software_deployments:%s'

INDEX = POLICY_ROOT % 'index'
CREATE = POLICY_ROOT % 'create'
SHOW = POLICY_ROOT % 'show'
UPDATE = POLICY_ROOT % 'update'
DELETE = POLICY_ROOT % 'delete'
METADATA = POLICY_ROOT % 'metadata'

_COLLECTION = '/v1/{tenant_id}/software_deployments'
_ITEM = '/v1/{tenant_id}/software_deployments/{deployment_id}'

rules = [
    policy.DocumentedRuleDefault(
        name=INDEX,
        check_str=base.PROJECT_READER,
        scope_types=['project'],
        description='List software deployments.',
        operations=[{'path': _COLLECTION, 'method': 'GET'}]),
    policy.DocumentedRuleDefault(
        name=CREATE,
        check_str=base.PROJECT_MEMBER,
        scope_types=['project'],
        description='Create a software deployment.',
        operations=[{'path': _COLLECTION, 'method': 'POST'}]),
    policy.DocumentedRuleDefault(
        name=SHOW,
        check_str=base.PROJECT_READER,
        scope_types=['project'],
        description='Show a software deployment.',
        operations=[{'path': _ITEM, 'method': 'GET'}]),
    policy.DocumentedRuleDefault(
        name=UPDATE,
        check_str=base.PROJECT_MEMBER,
        scope_types=['project'],
        description='Update a software deployment (status, outputs, '
                    'config).',
        operations=[{'path': _ITEM, 'method': 'PUT'}]),
    policy.DocumentedRuleDefault(
        name=DELETE,
        check_str=base.PROJECT_MEMBER,
        scope_types=['project'],
        description='Delete a software deployment.',
        operations=[{'path': _ITEM, 'method': 'DELETE'}]),
    policy.DocumentedRuleDefault(
        name=METADATA,
        check_str='(%s) or (%s)' % (base.PROJECT_READER,
                                    base.PROJECT_STACK_USER),
        scope_types=['project'],
        description='Show the deployment metadata of a server. Also allowed '
                    'to Heat stack users (role heat_stack_user) of the '
                    'project named by a deployment\'s '
                    'stack_user_project_id.',
        operations=[{'path': '/v1/{tenant_id}/software_deployments/'
                             'metadata/{server_id}',
                     'method': 'GET'}]),
]


def list_rules():
    return rules
