"""Policies of /v1/{tenant_id}/software_deployment_groups."""

from oslo_policy import policy

from deploysvc.policies import base

POLICY_ROOT = 'software_deployment_groups:%s'

INDEX = POLICY_ROOT % 'index'
CREATE = POLICY_ROOT % 'create'
SHOW = POLICY_ROOT % 'show'
DELETE = POLICY_ROOT % 'delete'
CANCEL = POLICY_ROOT % 'cancel'
DEPLOYMENTS = POLICY_ROOT % 'deployments'
EVENTS = POLICY_ROOT % 'events'

_COLLECTION = '/v1/{tenant_id}/software_deployment_groups'
_ITEM = _COLLECTION + '/{group_id}'

rules = [
    policy.DocumentedRuleDefault(
        name=INDEX,
        check_str=base.PROJECT_READER,
        scope_types=['project'],
        description='List deployment groups (fleet rollouts).',
        operations=[{'path': _COLLECTION, 'method': 'GET'}]),
    policy.DocumentedRuleDefault(
        name=CREATE,
        check_str=base.PROJECT_MEMBER,
        scope_types=['project'],
        description='Create a deployment group: one deployment per server, '
                    'released in waves. Its deployments count against the '
                    'deployment quota.',
        operations=[{'path': _COLLECTION, 'method': 'POST'}]),
    policy.DocumentedRuleDefault(
        name=SHOW,
        check_str=base.PROJECT_READER,
        scope_types=['project'],
        description='Show a deployment group and its counts.',
        operations=[{'path': _ITEM, 'method': 'GET'}]),
    policy.DocumentedRuleDefault(
        name=DELETE,
        check_str=base.PROJECT_MEMBER,
        scope_types=['project'],
        description='Delete a deployment group and its deployments '
                    '(?force=true cancels those in progress first).',
        operations=[{'path': _ITEM, 'method': 'DELETE'}]),
    policy.DocumentedRuleDefault(
        name=CANCEL,
        check_str=base.PROJECT_MEMBER,
        scope_types=['project'],
        description='Cancel a deployment group: nothing more is released, '
                    'its deployments in progress are cancelled.',
        operations=[{'path': _ITEM + '/cancel', 'method': 'POST'}]),
    policy.DocumentedRuleDefault(
        name=DEPLOYMENTS,
        check_str=base.PROJECT_READER,
        scope_types=['project'],
        description='List the deployments of a deployment group.',
        operations=[{'path': _ITEM + '/deployments', 'method': 'GET'}]),
    policy.DocumentedRuleDefault(
        name=EVENTS,
        check_str=base.PROJECT_READER,
        scope_types=['project'],
        description='List the history of a deployment group (releases, '
                    'ends of its deployments, its status changes).',
        operations=[{'path': _ITEM + '/events', 'method': 'GET'}]),
]


def list_rules():
    return rules
