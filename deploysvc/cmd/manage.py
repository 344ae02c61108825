"""deploysvc-manage db sync | version | stamp REVISION; secrets reencrypt"""

import sys

from oslo_config import cfg

from deploysvc.api import app
from deploysvc.db import engine as db_engine
from deploysvc.db import migration
from deploysvc.db import secrets
from deploysvc import exception

CONF = cfg.CONF


def _sync():
    app.sync_db()
    print('Database is at revision %s.' % migration.version())


def _version():
    current = migration.version()
    print(current or 'None (empty database)')
    return 0 if current == migration.head() else 1


def _stamp():
    migration.stamp(CONF.command.revision)


def _reencrypt():
    try:
        written = secrets.reencrypt()
    except (exception.EncryptionKeysInvalid,
            exception.SecretsUnreadable) as e:
        print('Nothing re-encrypted: %s' % e, file=sys.stderr)
        return 2
    for name in ('software config inputs', 'software deployment inputs',
                 'agent secrets'):
        print('%s: %d encrypted under the first key.'
              % (name.capitalize(), written[name]))
    return 0


def _add_commands(subparsers):
    db = subparsers.add_parser('db', help='Database schema management.')
    db_commands = db.add_subparsers(dest='db_command')
    db_commands.required = True
    sync = db_commands.add_parser(
        'sync', help='Create the schema or upgrade it to the latest '
                     'revision (safe to run again).')
    sync.set_defaults(func=_sync)
    version = db_commands.add_parser(
        'version', help='Print the schema revision; exit 1 unless it is '
                        'the latest.')
    version.set_defaults(func=_version)
    stamp = db_commands.add_parser(
        'stamp', help='Mark the database as being at REVISION without '
                      'running migrations.')
    stamp.add_argument('revision', nargs='?', default='head')
    stamp.set_defaults(func=_stamp)
    keys = subparsers.add_parser(
        'secrets', help='Secrets at rest ([crypto] encryption_keys).')
    keys_commands = keys.add_subparsers(dest='secrets_command')
    keys_commands.required = True
    reencrypt = keys_commands.add_parser(
        'reencrypt', help='Encrypt every stored secret under the first key '
                          'of [crypto] encryption_keys (and the agent '
                          'secrets still in plain text); safe to run again '
                          'and while the service runs. Run it after putting '
                          'a new key first, before removing the old one.')
    reencrypt.set_defaults(func=_reencrypt)


command_opt = cfg.SubCommandOpt('command', title='Commands',
                                handler=_add_commands,
                                help='Available commands')


def main(argv=None):
    CONF.register_cli_opt(command_opt)
    app.prepare_service(sys.argv[1:] if argv is None else argv)
    db_engine.configure(CONF)
    return CONF.command.func() or 0


if __name__ == '__main__':
    sys.exit(main())
