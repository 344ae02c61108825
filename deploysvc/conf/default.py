"""Options of the [DEFAULT] group."""

import os

from oslo_config import cfg


def _quota_opt(noun):
    return cfg.IntOpt(
        'max_software_%s_per_tenant' % noun,
        default=4096,
        min=-1,
        help='Maximum number of software %s a project may own; -1 means '
             'unlimited. Administrators are exempt. The limit is enforced '
             'atomically, also under concurrent creates. Raise it for '
             'projects that legitimately keep more (e.g. large '
             'TripleO-style deployments); lower it to protect the '
             'database from runaway clients.' % noun)


opts = [
    cfg.StrOpt('auth_strategy',
               default='keystone',
               choices=[('keystone', 'Validate tokens with Keystone '
                         '(keystonemiddleware auth_token); use this in '
                         'every real deployment.'),
                        ('noauth', 'Trust X-User-Id, X-Project-Id and '
                         'X-Roles headers (or act as a member of the URL '
                         'project). For development and tests only; '
                         'policy is still enforced.')],
               help='How API requests are authenticated. Selects the '
                    'paste pipeline "deploysvc-<auth_strategy>". Keep '
                    'keystone in production; "deploysvc-status upgrade '
                    'check" reports noauth as a failure.'),
    cfg.IntOpt('max_json_body_size',
               default=1048576,
               min=1,
               help='Largest request body, in bytes, that the API accepts. '
                    'Larger bodies are rejected with 400 '
                    'RequestLimitExceeded (as Heat does). Raise it only if '
                    'your software configs are bigger than 1 MiB.'),
    _quota_opt('configs'),
    _quota_opt('deployments'),
    cfg.IntOpt('idempotency_key_expiry',
               default=86400,
               min=1,
               help='Seconds an answer to a create sent with an '
                    'Idempotency-Key header is kept: a replay of the '
                    'request with the same key within this time gets the '
                    'same answer and creates nothing. A day covers a '
                    'client retrying across a restart or an outage; the '
                    'stored answers cost about the size of the created '
                    'resources while they are kept.'),
    cfg.StrOpt('state_path',
               default=os.path.join(os.path.expanduser('~'), '.local',
                                    'state', 'deploysvc'),
               sample_default='$HOME/.local/state/deploysvc',
               help='Directory for the service\'s local state; the default '
                    'SQLite database lives here. Change it when the '
                    'service runs as a system user, e.g. to '
                    '/var/lib/deploysvc.'),
]


def register_opts(conf):
    conf.register_opts(opts)


def list_opts():
    return {'DEFAULT': opts}
