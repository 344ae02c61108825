"""Policies of /v1/{tenant_id}/software_configs (and /validate)."""

from oslo_policy import policy

from deploysvc.policies import base

POLICY_ROOT = 'software_configs:%s'

GLOBAL_INDEX = POLICY_ROOT % 'global_index'
INDEX = POLICY_ROOT % 'index'
CREATE = POLICY_ROOT % 'create'
SHOW = POLICY_ROOT % 'show'
SHOW_SECRETS = POLICY_ROOT % 'show_secrets'
DELETE = POLICY_ROOT % 'delete'
VALIDATE = 'stacks:validate_template'

_COLLECTION = '/v1/{tenant_id}/software_configs'
_ITEM = '/v1/{tenant_id}/software_configs/{config_id}'

rules = [
    policy.DocumentedRuleDefault(
        name=GLOBAL_INDEX,
        check_str=base.RULE_DENY_EVERYBODY,
        scope_types=['project'],
        description='List the software configs of every project '
                    '(global_tenant=true). Denied to everybody by default; '
                    'administrators already see every project without it.',
        operations=[{'path': _COLLECTION + '?global_tenant=true',
                     'method': 'GET'}]),
    policy.DocumentedRuleDefault(
        name=INDEX,
        check_str=base.PROJECT_READER,
        scope_types=['project'],
        description='List the software configs of a project.',
        operations=[{'path': _COLLECTION, 'method': 'GET'}]),
    policy.DocumentedRuleDefault(
        name=CREATE,
        check_str=base.PROJECT_MEMBER,
        scope_types=['project'],
        description='Create a software config.',
        operations=[{'path': _COLLECTION, 'method': 'POST'}]),
    policy.DocumentedRuleDefault(
        name=SHOW,
        check_str='(%s) or (%s)' % (base.PROJECT_READER,
                                    base.PROJECT_STACK_USER),
        scope_types=['project'],
        description='Show a software config. Stack users (rule stack_user) '
                    'may also show the configs of the deployments that name '
                    'their project as stack_user_project_id.',
        operations=[{'path': _ITEM, 'method': 'GET'}]),
    policy.DocumentedRuleDefault(
        name=DELETE,
        check_str=base.PROJECT_MEMBER,
        scope_types=['project'],
        description='Delete a software config that no deployment uses.',
        operations=[{'path': _ITEM, 'method': 'DELETE'}]),
    policy.DocumentedRuleDefault(
        name=VALIDATE,
        check_str=base.PROJECT_MEMBER,
        scope_types=['project'],
        description='Validate a template made only of '
                    'OS::Heat::SoftwareConfig resources (the first call of '
                    '"openstack software config create"). Same name as '
                    'Heat\'s rule so existing policy files keep working.',
        operations=[{'path': '/v1/{tenant_id}/validate', 'method': 'POST'}]),
    policy.DocumentedRuleDefault(
        name=SHOW_SECRETS,
        check_str=base.RULE_DENY_EVERYBODY,
        scope_types=['project'],
        description='Show a software config with the defaults and values '
                    'of its secret inputs in plain text instead of '
                    '"******" (the show rule applies first). Denied to '
                    'everybody by default: only the server\'s own agent '
                    'URL serves them.',
        operations=[{'path': _ITEM, 'method': 'GET'}]),
]


def list_rules():
    return rules
