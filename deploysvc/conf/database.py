"""Defaults for the oslo.db [database] group."""

from oslo_db import options as db_options

# ``$state_path`` is interpolated by oslo.config when the option is read.
DEFAULT_CONNECTION = 'sqlite:///$state_path/deploysvc.sqlite'


def register_opts(conf):
    db_options.set_defaults(conf, connection=DEFAULT_CONNECTION)


def list_opts():
    # oslo.db lists its own options under its own namespace.
    return {}
