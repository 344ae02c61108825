"""Personas and base rules, with Heat's names."""

from oslo_policy import policy

PROJECT_READER = 'role:reader and project_id:%(project_id)s'
PROJECT_MEMBER = 'role:member and project_id:%(project_id)s'
PROJECT_STACK_USER = 'rule:stack_user and project_id:%(project_id)s'

RULE_CONTEXT_IS_ADMIN = 'rule:context_is_admin'
RULE_DENY_EVERYBODY = 'rule:deny_everybody'

rules = [
    policy.RuleDefault(
        name='context_is_admin',
        check_str='role:admin and is_admin_project:True',
        description='Who is a cloud administrator: sees and manages the '
                    'configs and deployments of every project, and is '
                    'exempt from quotas. Set Keystone\'s admin project '
                    '([resource] admin_project_name) so that only admins '
                    'of that project qualify.'),
    policy.RuleDefault(
        name='project_admin',
        check_str='role:admin',
        description='Any user holding the admin role.'),
    policy.RuleDefault(
        name='stack_user',
        check_str='role:heat_stack_user',
        description='Who is an in-instance agent user (Heat\'s stack user, '
                    'in a project Heat made for the stack). Such a caller '
                    'may also read the deployments that name its project '
                    'as stack_user_project_id, their configs and their '
                    'server\'s metadata, and signal them; nobody else '
                    'sees another project\'s deployments through that '
                    'field.'),
    policy.RuleDefault(
        name='deny_stack_user',
        check_str='not role:heat_stack_user',
        description='Anyone but the in-instance agent users of Heat\'s '
                    'stack-user domain.'),
    policy.RuleDefault(
        name='deny_everybody',
        check_str='!',
        description='Nobody.'),
    policy.RuleDefault(
        name='allow_everybody',
        check_str='',
        description='Everybody.'),
]


def list_rules():
    return rules
