"""Policy defaults in code, policy files, and the oslopolicy-* tools."""

import os
import subprocess
import sys

import ddt
import fixtures
from oslo_config import cfg
from oslo_policy import policy as oslo_policy
import yaml

from deploysvc import context
from deploysvc import exception
from deploysvc import policies
from deploysvc.policies import base as base_policies
from deploysvc import policy
from deploysvc.tests import base
from deploysvc.tests.unit.api import base as api_base
from deploysvc.tests import utils

# The console scripts installed beside the interpreter running the tests.
BIN = os.path.dirname(sys.executable)

READER = 'role:reader and project_id:%(project_id)s'
MEMBER = 'role:member and project_id:%(project_id)s'
STACK_USER = 'rule:stack_user and project_id:%(project_id)s'
# Heat's reader rules, which deploysvc opens to stack users (for what an
# in-instance agent reads; behaviour-visibility).
READER_OR_STACK_USER = '(%s) or (%s)' % (READER, STACK_USER)

# Heat's rules for this API and their default check strings (see
# doc/source/contributor/behaviour.rst, behaviour-policy), plus Heat's rule
# for POST /validate (stacks.py).
HEAT_RULES = {
    'software_configs:global_index': 'rule:deny_everybody',
    'software_configs:index': READER,
    'software_configs:show': READER_OR_STACK_USER,
    'software_configs:create': MEMBER,
    'software_configs:delete': MEMBER,
    'software_deployments:index': READER,
    'software_deployments:show': READER_OR_STACK_USER,
    'software_deployments:create': MEMBER,
    'software_deployments:update': MEMBER,
    'software_deployments:delete': MEMBER,
    'software_deployments:metadata': READER_OR_STACK_USER,
    'stacks:validate_template': MEMBER,
    # deploysvc's own calls under Heat's prefix.
    'software_deployments:signal': '(%s) or (%s)' % (MEMBER, STACK_USER),
    'software_deployments:events': READER,
    'software_deployments:cancel': MEMBER,
    'software_configs:show_secrets': 'rule:deny_everybody',
    'software_deployments:show_secrets': 'rule:deny_everybody',
}

BASE_RULES = {
    'context_is_admin': 'role:admin and is_admin_project:True',
    'project_admin': 'role:admin',
    'stack_user': 'role:heat_stack_user',
    'deny_stack_user': 'not role:heat_stack_user',
    'deny_everybody': '!',
    'allow_everybody': '',
}


def _rules():
    return dict((rule.name, rule) for rule in policies.list_rules())


def _run(*args, **kwargs):
    """Run one of the console scripts of the virtualenv, bounded."""
    return subprocess.run([os.path.join(BIN, args[0])] + list(args[1:]),
                          capture_output=True, text=True, timeout=120,
                          **kwargs)


@ddt.ddt
class TestRuleDefaults(base.TestCase):

    def test_names_are_unique(self):
        names = [rule.name for rule in policies.list_rules()]
        self.assertEqual(len(names), len(set(names)))

    def test_heat_names(self):
        names = set(_rules())
        self.assertTrue(set(HEAT_RULES).issubset(names),
                        set(HEAT_RULES) - names)
        heat_scopes = ('software_configs:', 'software_deployments:')
        self.assertEqual(
            set(n for n in HEAT_RULES if n.startswith(heat_scopes)),
            set(n for n in names if n.startswith(heat_scopes)))

    @ddt.data(*sorted(HEAT_RULES.items()))
    @ddt.unpack
    def test_heat_default(self, name, check_str):
        self.assertEqual(check_str, _rules()[name].check_str)

    @ddt.data(*sorted(BASE_RULES.items()))
    @ddt.unpack
    def test_base_rule(self, name, check_str):
        rule = _rules()[name]
        self.assertEqual(check_str, rule.check_str)
        self.assertTrue(rule.description)

    def test_base_personas(self):
        self.assertEqual(set(BASE_RULES),
                         set(r.name for r in base_policies.list_rules()))
        self.assertEqual(READER, base_policies.PROJECT_READER)
        self.assertEqual(MEMBER, base_policies.PROJECT_MEMBER)

    def test_api_rules_are_documented(self):
        api_rules = [rule for rule in policies.list_rules()
                     if rule.name not in BASE_RULES]
        self.assertGreaterEqual(len(api_rules), len(HEAT_RULES))
        for rule in api_rules:
            self.assertIsInstance(rule, oslo_policy.DocumentedRuleDefault,
                                  rule.name)
            self.assertEqual(['project'], rule.scope_types, rule.name)
            self.assertTrue(rule.description.strip(), rule.name)
            self.assertTrue(rule.operations, rule.name)
            for operation in rule.operations:
                self.assertIn(operation['method'],
                              ('GET', 'POST', 'PUT', 'DELETE'), rule.name)
                self.assertTrue(operation['path'].startswith(
                    '/v1/{tenant_id}/'), rule.name)

    def test_check_strings_parse(self):
        for rule in policies.list_rules():
            self.assertIsNotNone(oslo_policy._parser.parse_rule(
                rule.check_str), rule.name)
        self.assertTrue(policy.init().check_rules(raise_on_violation=True))

    def test_registered_in_the_enforcer(self):
        self.assertEqual(set(_rules()), set(policy.init().registered_rules))


@ddt.ddt
class TestEnforce(base.TestCase):
    """The defaults against personas, through RequestContext.can()."""

    @ddt.data(
        # rule, roles, allowed
        ('software_configs:index', ['reader'], True),
        ('software_configs:create', ['reader'], False),
        ('software_configs:create', ['member', 'reader'], True),
        ('software_configs:global_index', ['admin', 'member', 'reader'],
         False),
        ('software_deployments:update', ['reader'], False),
        ('software_deployments:metadata', ['heat_stack_user'], True),
        ('software_deployments:show', ['heat_stack_user'], True),
        ('software_deployments:signal', ['heat_stack_user'], True),
        ('software_deployments:signal', ['reader'], False),
        ('software_deployments:update', ['heat_stack_user'], False),
        ('software_deployments:delete', ['heat_stack_user'], False),
        ('software_deployments:index', ['heat_stack_user'], False),
        ('software_deployments:events', ['heat_stack_user'], False),
        ('software_configs:show', ['heat_stack_user'], True),
        ('software_configs:index', ['heat_stack_user'], False),
        ('software_deployments:index', [], False),
        ('stacks:validate_template', ['reader'], False),
        ('stacks:validate_template', ['member'], True),
    )
    @ddt.unpack
    def test_persona(self, rule, roles, allowed):
        context = self.make_context(roles=roles)
        if allowed:
            self.assertTrue(context.can(rule))
        else:
            error = self.assertRaises(exception.Forbidden,
                                      context.can, rule)
            self.assertEqual('You are not authorized to use %s.' % rule,
                             error.message)
            self.assertEqual(403, error.code)

    def test_project_must_match_target(self):
        context = self.make_context(roles=['member', 'reader'])
        self.assertRaises(exception.Forbidden, context.can,
                          'software_configs:show',
                          {'project_id': base.OTHER_PROJECT})
        self.assertTrue(context.can('software_configs:show',
                                    {'project_id': base.PROJECT}))

    def test_system_scope_is_refused(self):
        system = context.RequestContext(user_id='cloud-admin',
                                        roles=['admin', 'member', 'reader'],
                                        system_scope='all')
        error = self.assertRaises(exception.Forbidden, system.can,
                                  'software_configs:index', {})
        self.assertEqual('You are not authorized to use '
                         'software_configs:index.', error.message)

    def test_unknown_rule_is_refused(self):
        # An action nobody registered must never be allowed silently.
        self.assertRaises(oslo_policy.PolicyNotRegistered,
                          self.make_context().can, 'software_configs:nope')


class PolicyFile(fixtures.Fixture):
    """A policy.yaml in a temporary directory, used from a fresh enforcer."""

    def __init__(self, test, rules):
        self.test = test
        self.rules = rules

    def _setUp(self):
        tmp = self.useFixture(fixtures.TempDir()).path
        self.path = os.path.join(tmp, 'policy.yaml')
        with open(self.path, 'w') as f:
            yaml.safe_dump(self.rules, f)
        self.test.config(policy_file=self.path, group='oslo_policy')
        policy.reset()
        self.addCleanup(policy.reset)


class TestPolicyFile(api_base.ApiTestCase):
    """Operators' policy files override the defaults in code."""

    def test_reader_may_create_when_the_file_says_so(self):
        reader = self.headers(roles='reader')
        self.assertError(self.post('/software_configs', {'name': 'a'},
                                   headers=reader),
                         403, 'Forbidden',
                         'You are not authorized to use '
                         'software_configs:create.')
        self.useFixture(PolicyFile(self, {
            'software_configs:create': READER}))
        created = self.post('/software_configs', {'name': 'a'},
                            headers=reader, status=200)
        self.assertEqual('a', created.json['software_config']['name'])

    def test_member_denied_when_the_file_says_so(self):
        config = utils.create_test_config(self.context)
        self.get('/software_configs/' + config.id, status=200)
        self.useFixture(PolicyFile(self, {
            'software_configs:show': '!',
            'software_configs:index': 'rule:deny_stack_user'}))
        self.assertError(self.get('/software_configs/' + config.id),
                         403, 'Forbidden',
                         'You are not authorized to use '
                         'software_configs:show.')
        # Rules the file does not name keep their defaults.
        self.delete('/software_configs/' + config.id, status=204)
        # The deprecated-style rule of the file applies: the project
        # check is gone, the stack user check stays.
        self.get('/software_configs', status=200,
                 headers=self.headers(roles='anything'))
        self.assertError(
            self.get('/software_configs',
                     headers=self.headers(roles='heat_stack_user')),
            403, 'Forbidden',
            'You are not authorized to use software_configs:index.')

    def test_context_is_admin_from_the_file(self):
        config = utils.create_test_config(self.context)
        other = self.headers(project_id=base.OTHER_PROJECT,
                             roles='operator,member,reader')
        self.assertError(self.get('/software_configs/' + config.id,
                                  headers=other), 403, 'HTTPForbidden')
        self.useFixture(PolicyFile(self, {
            'context_is_admin': 'role:operator'}))
        shown = self.get('/software_configs/' + config.id, headers=other,
                         status=200).json['software_config']
        self.assertEqual(base.PROJECT, shown['project'])

    def test_global_index_allowed_by_the_file(self):
        mine = utils.create_test_config(self.context)
        theirs = utils.create_test_config(
            self.make_context(base.OTHER_PROJECT))
        path = '/software_configs?global_tenant=true'
        self.assertError(self.get(path), 403, 'Forbidden',
                         'You are not authorized to use '
                         'software_configs:global_index.')
        self.useFixture(PolicyFile(self, {
            'software_configs:global_index': 'role:member'}))
        listed = self.get(path, status=200).json['software_configs']
        self.assertEqual({mine.id: base.PROJECT,
                          theirs.id: base.OTHER_PROJECT},
                         dict((c['id'], c['project']) for c in listed))
        # Without global_tenant the member still sees its own only.
        own = self.get('/software_configs', status=200).json
        self.assertEqual([mine.id],
                         [c['id'] for c in own['software_configs']])


class TestGetEnforcer(base.TestCase):
    """The entry point of the oslo.policy command line tools."""

    def test_returns_the_enforcer_with_every_rule(self):
        enforcer = policy.get_enforcer()
        self.assertIsInstance(enforcer, oslo_policy.Enforcer)
        self.assertEqual(set(_rules()), set(enforcer.registered_rules))
        self.assertIs(cfg.CONF, enforcer.conf)

    def test_honours_the_configured_policy_file(self):
        self.useFixture(PolicyFile(self, {'software_configs:create': '!'}))
        enforcer = policy.get_enforcer()
        enforcer.load_rules()
        self.assertEqual('!', str(enforcer.rules['software_configs:create']))
        self.assertEqual(
            'rule:deny_everybody',
            str(enforcer.rules['software_configs:global_index']))


class TestPolicyCommands(base.TestCase):
    """The oslopolicy-* console scripts load deploysvc's entry points."""

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.policy_file = os.path.join(self.tmp, 'policy.yaml')
        self.conf_file = os.path.join(self.tmp, 'deploysvc.conf')
        with open(self.conf_file, 'w') as f:
            f.write('[oslo_policy]\npolicy_file = %s\n' % self.policy_file)

    def write_policy(self, rules):
        with open(self.policy_file, 'w') as f:
            yaml.safe_dump(rules, f)

    def test_sample_generator(self):
        result = _run('oslopolicy-sample-generator', '--namespace',
                      'deploysvc')
        self.assertEqual(0, result.returncode, result.stderr)
        for name, check_str in list(HEAT_RULES.items()) + list(
                BASE_RULES.items()):
            self.assertIn('#"%s": "%s"' % (name, check_str), result.stdout)
        self.assertIn('# POST  /v1/{tenant_id}/software_deployments',
                      result.stdout)
        self.assertIn('# Intended scope(s): project', result.stdout)

    def test_policy_generator_merges_the_file(self):
        self.write_policy({'software_configs:create': 'role:reader'})
        result = _run('oslopolicy-policy-generator', '--namespace',
                      'deploysvc', '--config-file', self.conf_file)
        self.assertEqual(0, result.returncode, result.stderr)
        effective = yaml.safe_load(result.stdout)
        self.assertEqual('role:reader', effective['software_configs:create'])
        self.assertEqual(MEMBER, effective['software_configs:delete'])
        self.assertEqual(set(_rules()), set(effective))

    def test_list_redundant(self):
        self.write_policy({'software_configs:create': MEMBER,
                           'software_configs:delete': 'role:admin'})
        result = _run('oslopolicy-list-redundant', '--namespace',
                      'deploysvc', '--config-file', self.conf_file)
        self.assertEqual(0, result.returncode, result.stderr)
        self.assertIn('software_configs:create', result.stdout)
        self.assertNotIn('software_configs:delete', result.stdout)

    def test_validator(self):
        self.write_policy({'software_configs:create': 'role:reader'})
        result = _run('oslopolicy-validator', '--namespace', 'deploysvc',
                      '--config-file', self.conf_file)
        self.assertEqual(0, result.returncode,
                         result.stdout + result.stderr)
        self.write_policy({'software_config:create': 'role:reader'})
        result = _run('oslopolicy-validator', '--namespace', 'deploysvc',
                      '--config-file', self.conf_file)
        self.assertEqual(1, result.returncode, result.stdout)
        self.assertIn('Unknown rule found in policy file: '
                      'software_config:create', result.stdout)

    def test_checker(self):
        generated = _run('oslopolicy-policy-generator', '--namespace',
                         'deploysvc')
        self.assertEqual(0, generated.returncode, generated.stderr)
        self.write_policy(yaml.safe_load(generated.stdout))
        access = os.path.join(self.tmp, 'access.json')
        with open(access, 'w') as f:
            f.write('{"token": {"roles": [{"name": "reader"}], '
                    '"project": {"id": "%s"}, "user": {"id": "u"}}}'
                    % base.PROJECT)
        result = _run('oslopolicy-checker', '--policy', self.policy_file,
                      '--access', access)
        self.assertEqual(0, result.returncode, result.stderr)
        verdicts = dict(reversed(line.split(': ', 1))
                        for line in result.stdout.splitlines())
        self.assertEqual(set(n for n in _rules() if ':' in n),
                         set(verdicts))
        for name, check_str in HEAT_RULES.items():
            expected = 'passed' if check_str.startswith(('role:reader',
                                                         '(role:reader')
                                                        ) else 'failed'
            self.assertEqual(expected, verdicts[name], name)
