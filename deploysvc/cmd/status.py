"""deploysvc-status upgrade check: is this installation ready to serve?

Run it after installing new code and before (re)starting the API::

    deploysvc-status --config-file /etc/deploysvc/deploysvc.conf upgrade check

Each check reports Success, Warning or Failure with what to do; the exit
code is the worst result (0 success, 1 warning, 2 failure, 255 error).
"""

import os
import re
import sys

from alembic import config as alembic_config
from alembic import script as alembic_script
from keystoneauth1 import loading as ks_loading
from oslo_db import exception as db_exc
from oslo_policy import policy as oslo_policy
from oslo_upgradecheck import common_checks
from oslo_upgradecheck import upgradecheck
import sqlalchemy.exc

from deploysvc import conf
from deploysvc.conf import opts
from deploysvc.db import engine as db_engine
from deploysvc.db import migration
from deploysvc.db import secrets
from deploysvc import exception
from deploysvc import policies

CONF = conf.CONF

Code = upgradecheck.Code
Result = upgradecheck.Result

_AUTHTOKEN = 'keystone_authtoken'
_SYNC_HINT = 'Run "deploysvc-manage db sync" (once, from one node).'
_RULE_REFERENCE = re.compile(r'rule:([^\s()]+)')


def _known_revisions():
    """Every schema revision this code ships (oldest to newest)."""
    config = alembic_config.Config()
    config.set_main_option(
        'script_location',
        os.path.join(os.path.dirname(migration.__file__), 'alembic'))
    script = alembic_script.ScriptDirectory.from_config(config)
    return set(rev.revision for rev in script.walk_revisions())


def _read_policy_file(path):
    """The rules of a policy file: {name: check string}; ValueError if bad."""
    with open(path) as f:
        data = f.read()
    rules = oslo_policy.parse_file_contents(data)
    if not isinstance(rules, dict) or not all(
            isinstance(name, str) and isinstance(check, str)
            for name, check in rules.items()):
        raise ValueError('it must be a mapping of rule names to check '
                         'strings')
    return rules


class Checks(upgradecheck.UpgradeCommands):
    """The checks of ``deploysvc-status upgrade check``."""

    def _check_schema(self):
        """The database is reachable and its schema is at the latest."""
        try:
            db_engine.configure(CONF)
            current = migration.version()
        except (db_exc.DBError, sqlalchemy.exc.SQLAlchemyError) as e:
            return Result(Code.FAILURE,
                          'Cannot read the schema revision of the database '
                          'in [database] connection: %s' % e)
        head = migration.head()
        if current is None:
            return Result(Code.FAILURE,
                          'The database has no deploysvc schema. '
                          + _SYNC_HINT)
        if current == head:
            return Result(Code.SUCCESS,
                          'Schema at revision %s (the latest).' % current)
        if current in _known_revisions():
            return Result(Code.FAILURE,
                          'Schema at revision %s; this release needs %s. %s'
                          % (current, head, _SYNC_HINT))
        return Result(Code.FAILURE,
                      'Schema at revision %s, which this release does not '
                      'know (it needs %s): the database was upgraded by a '
                      'newer release of deploysvc. Upgrade this node too.'
                      % (current, head))

    def _check_policy(self):
        """The policy file parses and only overrides rules that exist."""
        name = CONF.oslo_policy.policy_file
        path = CONF.find_file(name)
        if not path:
            if os.path.isabs(name):
                return Result(Code.FAILURE,
                              '[oslo_policy] policy_file %s does not exist: '
                              'its overrides are not applied.' % name)
            return Result(Code.SUCCESS,
                          'No policy file (%s): the defaults in code '
                          'apply.' % name)
        try:
            rules = _read_policy_file(path)
        except (OSError, ValueError) as e:
            return Result(Code.FAILURE,
                          'Policy file %s is not valid: %s' % (path, e))
        enforcer = oslo_policy.Enforcer(CONF, policy_file=path)
        enforcer.register_defaults(policies.list_rules())
        enforcer.load_rules(force_reload=True)
        problems = []
        referenced = set()
        for check_str in rules.values():
            referenced.update(_RULE_REFERENCE.findall(check_str))
        unknown = sorted(set(rules) - set(enforcer.registered_rules)
                         - referenced)
        if unknown:
            problems.append('not rules of deploysvc, so they have no effect '
                            '(misspelt or removed?): %s' % ', '.join(unknown))
        unparsable = sorted(
            rule for rule, check_str in rules.items()
            if check_str.strip() != '!' and str(enforcer.rules[rule]) == '!')
        if unparsable:
            problems.append('check strings that cannot be parsed (they deny '
                            'everybody): %s' % ', '.join(unparsable))
        try:
            enforcer.check_rules(raise_on_violation=True)
        except oslo_policy.InvalidDefinitionError as e:
            problems.append(str(e))
        if problems:
            return Result(Code.FAILURE, 'Policy file %s: %s' % (
                path, '; '.join(problems)))
        return Result(Code.SUCCESS,
                      'Policy file %s overrides %d rule(s), all valid.'
                      % (path, len(rules)))

    def _check_auth(self):
        """Tokens are validated by Keystone (noauth is for development)."""
        if CONF.auth_strategy == 'noauth':
            return Result(
                Code.FAILURE,
                '[DEFAULT] auth_strategy is noauth: anybody who can reach '
                'the API acts as any user of any project by sending '
                'X-Project-Id and X-Roles headers. Use it only on a '
                'development machine; everywhere else set auth_strategy = '
                'keystone and configure [keystone_authtoken].')
        # keystonemiddleware reads its service credentials from
        # [keystone_authtoken], or from the group named by auth_section.
        ks_loading.register_auth_conf_options(CONF, _AUTHTOKEN)
        group = CONF[_AUTHTOKEN].auth_section or _AUTHTOKEN
        ks_loading.register_auth_conf_options(CONF, group)
        auth_type = CONF[group].auth_type
        if not auth_type:
            return Result(
                Code.FAILURE,
                '[%s] auth_type is not set: keystonemiddleware has no '
                'service credentials, so it cannot validate tokens and '
                'every API request fails. Give it the service user\'s '
                'credentials (auth_type = password, auth_url, username, '
                'password, ...).' % group)
        return Result(Code.SUCCESS,
                      'Tokens are validated by Keystone (auth_type %s in '
                      '[%s]).' % (auth_type, group))

    def _check_secrets(self):
        """Every stored secret decrypts with [crypto] encryption_keys."""
        try:
            db_engine.configure(CONF)
            if migration.version() != migration.head():
                return Result(Code.SUCCESS,
                              'Not checked until the schema is at the '
                              'latest revision (see "Database schema").')
            counts = secrets.survey()
        except exception.EncryptionKeysInvalid as e:
            return Result(Code.FAILURE, str(e))
        except (db_exc.DBError, sqlalchemy.exc.SQLAlchemyError) as e:
            return Result(Code.FAILURE,
                          'Cannot read the stored secrets: %s' % e)
        if counts['unreadable']:
            if not secrets.configured():
                return Result(
                    Code.FAILURE,
                    'The database holds %d encrypted secret(s) but '
                    '[crypto] encryption_keys is not set: the service will '
                    'not start. Configure the keys they were encrypted '
                    'with.' % counts['unreadable'])
            return Result(
                Code.FAILURE,
                '%d of %d encrypted secret(s) cannot be decrypted with any '
                'key of [crypto] encryption_keys: restore the key they '
                'were encrypted with (keep old keys after the first until '
                '"deploysvc-manage secrets reencrypt" has run).'
                % (counts['unreadable'], counts['sealed']))
        if counts['plain_agents'] and secrets.configured():
            return Result(
                Code.WARNING,
                '%d agent secret(s) are stored in plain text: run '
                '"deploysvc-manage secrets reencrypt" to encrypt them.'
                % counts['plain_agents'])
        if not secrets.configured():
            return Result(
                Code.SUCCESS,
                '[crypto] encryption_keys is not set: secret inputs are '
                'refused and agent secrets are stored in plain text.')
        return Result(Code.SUCCESS,
                      '%d encrypted secret(s), all readable with [crypto] '
                      'encryption_keys.' % counts['sealed'])

    _upgrade_checks = (
        ('Database schema', _check_schema),
        ('Policy file', _check_policy),
        ('Policy File JSON to YAML Migration',
         (common_checks.check_policy_json, {'conf': CONF})),
        ('Authentication', _check_auth),
        ('Secrets at rest', _check_secrets),
    )


def main(argv=None):
    opts.set_lib_defaults()
    return upgradecheck.main(CONF, project='deploysvc',
                             upgrade_command=Checks(),
                             argv=sys.argv[1:] if argv is None else argv)


if __name__ == '__main__':
    sys.exit(main())
