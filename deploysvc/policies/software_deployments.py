"""Policies of /v1/{tenant_id}/software_deployments."""

from oslo_policy import policy

from deploysvc.policies import base

POLICY_ROOT = 'software_deployments:%s'

INDEX = POLICY_ROOT % 'index'
CREATE = POLICY_ROOT % 'create'
SHOW = POLICY_ROOT % 'show'
SHOW_SECRETS = POLICY_ROOT % 'show_secrets'
UPDATE = POLICY_ROOT % 'update'
DELETE = POLICY_ROOT % 'delete'
METADATA = POLICY_ROOT % 'metadata'
SIGNAL = POLICY_ROOT % 'signal'
EVENTS = POLICY_ROOT % 'events'
CANCEL = POLICY_ROOT % 'cancel'

# A stack user (rule stack_user) of the URL's project: see
# doc/source/contributor/behaviour.rst, behaviour-visibility.
_READER_OR_STACK_USER = '(%s) or (%s)' % (base.PROJECT_READER,
                                          base.PROJECT_STACK_USER)

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
        check_str=_READER_OR_STACK_USER,
        scope_types=['project'],
        description='Show a software deployment. Stack users (rule '
                    'stack_user) may also show the deployments that name '
                    'their project as stack_user_project_id.',
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
        check_str=_READER_OR_STACK_USER,
        scope_types=['project'],
        description='Show the deployment metadata of a server. Also allowed '
                    'to stack users (rule stack_user), who see the '
                    'deployments that name their project as '
                    'stack_user_project_id.',
        operations=[{'path': '/v1/{tenant_id}/software_deployments/'
                             'metadata/{server_id}',
                     'method': 'GET'}]),
    policy.DocumentedRuleDefault(
        name=SIGNAL,
        check_str='(%s) or (%s)' % (base.PROJECT_MEMBER,
                                    base.PROJECT_STACK_USER),
        scope_types=['project'],
        description='Signal a deployment\'s outputs with a token, as its '
                    'agent does through its signal URL (Heat\'s signal '
                    'rules). Stack users (rule stack_user) may signal the '
                    'deployments that name their project as '
                    'stack_user_project_id.',
        operations=[{'path': _ITEM + '/signal', 'method': 'POST'}]),
    policy.DocumentedRuleDefault(
        name=EVENTS,
        check_str=base.PROJECT_READER,
        scope_types=['project'],
        description='List a deployment\'s history (status changes and '
                    'signals, with the bodies the agents sent).',
        operations=[{'path': _ITEM + '/events', 'method': 'GET'}]),
    policy.DocumentedRuleDefault(
        name=CANCEL,
        check_str=base.PROJECT_MEMBER,
        scope_types=['project'],
        description='Cancel an IN_PROGRESS deployment: it becomes FAILED '
                    'with reason code CANCELLED, and is no longer served '
                    'to its server\'s agent if the agent has not fetched '
                    'it yet.',
        operations=[{'path': _ITEM + '/cancel', 'method': 'POST'}]),
    policy.DocumentedRuleDefault(
        name=SHOW_SECRETS,
        check_str=base.RULE_DENY_EVERYBODY,
        scope_types=['project'],
        description='Show a software deployment with the values of its '
                    'secret inputs in plain text instead of '
                    '"******" (the show rule applies first). Denied to '
                    'everybody by default: only the server\'s own agent '
                    'URL serves them.',
        operations=[{'path': _ITEM, 'method': 'GET'}]),
]


def list_rules():
    return rules
