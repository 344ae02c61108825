"""deploysvc-status upgrade check: each check passes, and fails when due."""

import json
import os
import subprocess
import sys
from unittest import mock

from cryptography import fernet
import ddt
import fixtures
from oslo_db.sqlalchemy import engines
from oslo_upgradecheck import upgradecheck
import sqlalchemy as sa

from deploysvc.agent import tokens
from deploysvc.cmd import manage
from deploysvc.cmd import status
from deploysvc.db import agents
from deploysvc.db import engine as db_engine
from deploysvc.db import migration
from deploysvc.db import models
from deploysvc.tests import base

Code = upgradecheck.Code


class _Checks(base.TestCase):

    def setUp(self):
        super().setUp()
        self.checks = status.Checks()
        self.tmp = self.useFixture(fixtures.TempDir()).path

    def use_engine(self, engine):
        """Let the schema tools use ``engine`` (not the test schema)."""
        self.addCleanup(engine.dispose)
        self.useFixture(fixtures.MockPatchObject(db_engine, 'get_engine',
                                                 return_value=engine))

    def empty_database(self):
        self.use_engine(engines.create_engine('sqlite://', sqlite_fk=True))


class TestSchemaCheck(_Checks):

    def test_at_head(self):
        self.empty_database()
        migration.upgrade('head')
        result = self.checks._check_schema()
        self.assertEqual(Code.SUCCESS, result.code)
        self.assertEqual('Schema at revision %s (the latest).'
                         % migration.head(), result.details)

    def test_empty_database(self):
        self.empty_database()
        result = self.checks._check_schema()
        self.assertEqual(Code.FAILURE, result.code)
        self.assertEqual('The database has no deploysvc schema. Run '
                         '"deploysvc-manage db sync" (once, from one node).',
                         result.details)

    def test_older_revision(self):
        self.empty_database()
        migration.upgrade('head')
        current = migration.head()
        # This release knows one revision only: pretend a newer one ships.
        with mock.patch.object(migration, 'head', return_value='0a1b2c3d4e5f'):
            result = self.checks._check_schema()
        self.assertEqual(Code.FAILURE, result.code)
        self.assertEqual('Schema at revision %s; this release needs '
                         '0a1b2c3d4e5f. Run "deploysvc-manage db sync" '
                         '(once, from one node).' % current, result.details)

    def test_revision_of_a_newer_release(self):
        self.empty_database()
        migration.upgrade('head')
        with db_engine.get_engine().begin() as connection:
            connection.execute(sa.text(
                "UPDATE alembic_version SET version_num = 'fe00fe00fe00'"))
        result = self.checks._check_schema()
        self.assertEqual(Code.FAILURE, result.code)
        self.assertIn('Schema at revision fe00fe00fe00, which this release '
                      'does not know', result.details)

    def test_database_unreachable(self):
        missing = os.path.join(self.tmp, 'no-such-dir', 'x.sqlite')
        self.use_engine(sa.create_engine('sqlite:///' + missing))
        result = self.checks._check_schema()
        self.assertEqual(Code.FAILURE, result.code)
        self.assertIn('Cannot read the schema revision of the database',
                      result.details)
        self.assertIn('unable to open database file', result.details)


@ddt.ddt
class TestPolicyCheck(_Checks):

    def policy_file(self, content, name='policy.yaml'):
        path = os.path.join(self.tmp, name)
        with open(path, 'w') as f:
            f.write(content)
        self.config(policy_file=path, group='oslo_policy')
        return path

    def test_no_policy_file(self):
        self.config(policy_file='deploysvc-test-absent-policy.yaml',
                    group='oslo_policy')
        result = self.checks._check_policy()
        self.assertEqual(Code.SUCCESS, result.code)
        self.assertEqual('No policy file (deploysvc-test-absent-policy.yaml):'
                         ' the defaults in code apply.', result.details)

    def test_named_policy_file_missing(self):
        path = os.path.join(self.tmp, 'missing.yaml')
        self.config(policy_file=path, group='oslo_policy')
        result = self.checks._check_policy()
        self.assertEqual(Code.FAILURE, result.code)
        self.assertEqual('[oslo_policy] policy_file %s does not exist: its '
                         'overrides are not applied.' % path, result.details)

    def test_valid_overrides_and_alias(self):
        path = self.policy_file(
            '"admin_only": "role:admin"\n'
            '"software_configs:delete": "rule:admin_only"\n'
            '"software_deployments:update": "role:member and '
            'project_id:%(project_id)s"\n')
        result = self.checks._check_policy()
        self.assertEqual(Code.SUCCESS, result.code, result.details)
        self.assertEqual('Policy file %s overrides 3 rule(s), all valid.'
                         % path, result.details)

    @ddt.data(
        ('"software_configs:create": [\n', 'is not valid'),
        ('- role:admin\n', 'must be a mapping of rule names'),
        ('"software_config:create": "role:admin"\n',
         'not rules of deploysvc, so they have no effect (misspelt or '
         'removed?): software_config:create'),
        ('"software_configs:create": "rule:no_such_rule"\n',
         'software_configs:create'),
        ('"a": "rule:b"\n"b": "rule:a"\n'
         '"software_configs:create": "rule:a"\n',
         'software_configs:create'),
        ('"software_configs:create": "role:admin and or"\n',
         'check strings that cannot be parsed (they deny everybody): '
         'software_configs:create'),
    )
    @ddt.unpack
    def test_invalid_policy_file(self, content, message):
        path = self.policy_file(content)
        result = self.checks._check_policy()
        self.assertEqual(Code.FAILURE, result.code)
        self.assertIn('Policy file %s' % path, result.details)
        self.assertIn(message, result.details)

    def test_json_policy_file(self):
        self.policy_file('{"software_configs:create": "role:admin"}',
                         name='policy.json')
        result = status.common_checks.check_policy_json(
            self.checks, status.CONF)
        self.assertEqual(Code.FAILURE, result.code)
        self.assertIn('JSON-formatted', result.details)


class TestAuthCheck(_Checks):

    def test_noauth_is_a_failure(self):
        self.config(auth_strategy='noauth')
        result = self.checks._check_auth()
        self.assertEqual(Code.FAILURE, result.code)
        self.assertIn('auth_strategy is noauth', result.details)

    def test_keystone_without_credentials(self):
        self.config(auth_strategy='keystone')
        result = self.checks._check_auth()
        self.assertEqual(Code.FAILURE, result.code)
        self.assertIn('[keystone_authtoken] auth_type is not set',
                      result.details)

    def test_keystone_with_credentials(self):
        self.config(auth_strategy='keystone')
        status.ks_loading.register_auth_conf_options(status.CONF,
                                                     'keystone_authtoken')
        self.config(auth_type='password', group='keystone_authtoken')
        result = self.checks._check_auth()
        self.assertEqual(Code.SUCCESS, result.code, result.details)
        self.assertEqual('Tokens are validated by Keystone (auth_type '
                         'password in [keystone_authtoken]).',
                         result.details)

    def test_keystone_credentials_in_auth_section(self):
        self.config(auth_strategy='keystone')
        for group in ('keystone_authtoken', 'service_user'):
            status.ks_loading.register_auth_conf_options(status.CONF, group)
        self.config(auth_section='service_user', group='keystone_authtoken')
        self.config(auth_type='password', group='service_user')
        result = self.checks._check_auth()
        self.assertEqual(Code.SUCCESS, result.code, result.details)
        self.assertIn('[service_user]', result.details)


class TestCommand(base.TestCase):
    """The console script end to end, in a child process."""

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path

    def write_config(self, **sections):
        path = os.path.join(self.tmp, 'deploysvc.conf')
        with open(path, 'w') as f:
            for section, options in sections.items():
                f.write('[%s]\n' % section)
                for key, value in options.items():
                    f.write('%s = %s\n' % (key, value))
        return path

    def run_command(self, module, *args):
        process = subprocess.run(
            [sys.executable, '-m', module] + list(args), cwd=self.tmp,
            capture_output=True, text=True, timeout=120)
        return process.returncode, process.stdout, process.stderr

    def test_ready_installation(self):
        config = self.write_config(
            DEFAULT={'auth_strategy': 'keystone', 'state_path': self.tmp},
            keystone_authtoken={'auth_type': 'password'})
        code, out, err = self.run_command('deploysvc.cmd.manage',
                                          '--config-file', config,
                                          'db', 'sync')
        self.assertEqual(0, code, err)
        code, out, err = self.run_command('deploysvc.cmd.status',
                                          '--config-file', config,
                                          'upgrade', 'check', '--json')
        self.assertEqual(0, code, out + err)
        report = json.loads(out)
        self.assertEqual(
            [('Database schema', Code.SUCCESS),
             ('Policy file', Code.SUCCESS),
             ('Policy File JSON to YAML Migration', Code.SUCCESS),
             ('Authentication', Code.SUCCESS),
             ('Secrets at rest', Code.SUCCESS)],
            [(c['check'], c['result']) for c in report['checks']])

    def test_unready_installation_reports_every_check(self):
        config = self.write_config(
            DEFAULT={'auth_strategy': 'noauth', 'state_path': self.tmp})
        code, out, err = self.run_command('deploysvc.cmd.status',
                                          '--config-file', config,
                                          'upgrade', 'check')
        self.assertEqual(2, code, out + err)
        for check in ('Database schema', 'Policy file', 'Authentication'):
            self.assertIn('Check: %s' % check, out)
        self.assertEqual(2, out.count('Result: Failure'), out)
        self.assertIn('no deploysvc schema', out)
        self.assertIn('auth_strategy is noauth', out)


class TestSecretsCheck(_Checks):
    """Secrets at rest: (keys when stored, keys at check) -> result."""

    KEY, OTHER = (fernet.Fernet.generate_key().decode() for _ in range(2))

    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.MockPatchObject(
            migration, 'version', return_value=migration.head()))

    def store_agent(self, keys):
        self.config(encryption_keys=keys, group='crypto')
        secret = tokens.new_secret()
        agents.rotate(self.context, 'server', secret, tokens.hasher(secret))

    CASES = (
        # (keys of the stored secret or None, keys at check, code, text)
        (None, [], Code.SUCCESS, 'encryption_keys is not set'),
        ([KEY], [KEY], Code.SUCCESS, '1 encrypted secret(s), all readable'),
        ([KEY], [OTHER, KEY], Code.SUCCESS, 'all readable'),
        ([KEY], [], Code.FAILURE, 'the service will not start'),
        ([KEY], [OTHER], Code.FAILURE, '1 of 1 encrypted secret(s) cannot'),
        ([], [KEY], Code.WARNING, 'secrets reencrypt'),
        (None, ['bad'], Code.FAILURE, 'key 1 of 1 is not a Fernet key'),
    )

    def test_cases(self):
        for stored, keys, code, text in self.CASES:
            with self.subTest(stored=stored, keys=keys):
                db_engine.write(lambda w: w.execute(
                    sa.delete(models.AgentServer)))
                if stored is not None:
                    self.store_agent(stored)
                self.config(encryption_keys=keys, group='crypto')
                result = self.checks._check_secrets()
                self.assertEqual(code, result.code, result.details)
                self.assertIn(text, result.details)

    def test_reencrypt_command_without_keys_exits_2(self):
        self.config(encryption_keys=[], group='crypto')
        stderr = self.useFixture(fixtures.StringStream('stderr')).stream
        self.useFixture(fixtures.MonkeyPatch('sys.stderr', stderr))
        self.assertEqual(2, manage._reencrypt())
