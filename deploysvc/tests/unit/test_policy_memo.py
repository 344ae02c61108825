"""Policy decisions are memoised per identity, for the enforcer's interval."""

from unittest import mock

import fixtures

from deploysvc import context
from deploysvc import exception
from deploysvc import policy
from deploysvc.tests import base

ENVIRON = {
    'HTTP_X_USER_ID': 'u-1',
    'HTTP_X_PROJECT_ID': base.PROJECT,
    'HTTP_X_ROLES': 'member,reader',
    'openstack.request_id': 'req-7b9c6c3e-9f39-4a4b-8d3b-6d3c0a2a1f00',
}


class TestIdentity(base.TestCase):

    def test_every_policy_value_is_in_the_key(self):
        # The key holds exactly what to_policy_values() gives (a new value
        # in oslo.context must be added to policy._identity).
        ctx = context.RequestContext(
            user_id='u', user_domain_id='ud', system_scope='all',
            domain_id='d', project_id='p', project_domain_id='pd',
            roles=['r1', 'r2'], is_admin_project=False,
            service_user_id='su', service_user_domain_id='sud',
            service_project_id='sp', service_project_domain_id='spd',
            service_roles=['s1'], is_admin=False)
        values = ctx.to_policy_values()
        self.assertEqual(tuple(tuple(v) if isinstance(v, list) else v
                               for v in values.values()),
                         policy._identity(ctx)[1:])

    def test_every_value_counts(self):
        ctx = self.make_context()
        key = policy._identity(ctx)
        for name in ctx.to_policy_values():
            other = self.make_context()
            value = getattr(other, name)
            setattr(other, name, ['x'] if isinstance(value, list) else 'x')
            self.assertNotEqual(key, policy._identity(other), name)
        self.assertEqual(key, policy._identity(self.make_context()))

    def test_context_with_its_own_policy_values(self):
        class Context(context.RequestContext):
            def to_policy_values(self):
                values = super().to_policy_values()
                values['flavour'] = 'x'
                return values

        ctx = Context(user_id='u', project_id='p', roles=['a'],
                      is_admin=False)
        key = policy._identity(ctx)
        self.assertIn(('flavour', 'x'), key)
        self.assertIn(('roles', ('a',)), key)


class TestDecisionMemo(base.TestCase):

    def setUp(self):
        super().setUp()
        enforcer = policy.init()
        self.authorize = self.useFixture(fixtures.MockPatchObject(
            enforcer, 'authorize', wraps=enforcer.authorize)).mock

    def checks(self, rule):
        return [c for c in self.authorize.call_args_list if c[0][0] == rule]

    def test_admin_decided_once_per_identity(self):
        for _ in range(3):
            self.assertFalse(context.RequestContext.from_environ(
                ENVIRON).is_admin)
        self.assertEqual(1, len(self.checks('context_is_admin')))
        admin = dict(ENVIRON, HTTP_X_ROLES='admin')
        for _ in range(2):
            self.assertTrue(context.RequestContext.from_environ(
                admin).is_admin)
        self.assertEqual(2, len(self.checks('context_is_admin')))

    def test_rule_decided_once_per_identity_and_target(self):
        for _ in range(3):
            context.RequestContext.from_environ(ENVIRON).can(
                'software_configs:show')
        self.assertEqual(1, len(self.checks('software_configs:show')))
        ctx = context.RequestContext.from_environ(ENVIRON)
        self.assertRaises(exception.Forbidden, ctx.can,
                          'software_configs:show',
                          {'project_id': base.OTHER_PROJECT})
        self.assertEqual(2, len(self.checks('software_configs:show')))

    def test_new_rules_drop_the_memo(self):
        operator = dict(ENVIRON, HTTP_X_ROLES='operator')
        self.assertFalse(context.RequestContext.from_environ(
            operator).is_admin)
        self.policy.set_rules({'context_is_admin': 'role:operator'})
        self.assertTrue(context.RequestContext.from_environ(
            operator).is_admin)

    def test_file_check_drops_the_memo(self):
        ctx = context.RequestContext.from_environ(ENVIRON)
        ctx.can('software_configs:show')
        enforcer = policy.init()
        with mock.patch('time.monotonic',
                        return_value=enforcer._checked_at + 0.5):
            ctx.can('software_configs:show')
            self.assertEqual(1, len(self.checks('software_configs:show')))
        with mock.patch('time.monotonic',
                        return_value=enforcer._checked_at + 1.0):
            ctx.can('software_configs:show')
        self.assertEqual(2, len(self.checks('software_configs:show')))
