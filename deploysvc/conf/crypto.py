"""Options of the [crypto] group: the keys of secrets at rest."""

from oslo_config import cfg

GROUP = 'crypto'

opts = [
    cfg.ListOpt('encryption_keys',
                default=[],
                secret=True,
                help='Fernet keys (32 random bytes, URL-safe base64, as '
                     '"python3 -c \'from cryptography.fernet import Fernet; '
                     'print(Fernet.generate_key().decode())\'" makes them) '
                     'that encrypt what deploysvc keeps secret: the values '
                     'of secret inputs and the agents\' URL secrets. The '
                     'first key encrypts, every key decrypts. To rotate: '
                     'put a new key first, restart, run "deploysvc-manage '
                     'secrets reencrypt", then remove the old key. Unset, '
                     'secret inputs are refused (400) and agent secrets are '
                     'stored as before, in plain text. Keep these keys out '
                     'of the database\'s backups (e.g. in a file of their '
                     'own, read through oslo.config\'s --config-dir or a '
                     'castellan config source).'),
]


def register_opts(conf):
    conf.register_opts(opts, group=GROUP)


def list_opts():
    return {GROUP: opts}
