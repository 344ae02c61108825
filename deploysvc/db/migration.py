"""Schema management on alembic: upgrade, version, stamp."""

import os

from alembic import command as alembic_command
from alembic import config as alembic_config
from alembic import migration as alembic_migration
from alembic import script as alembic_script

from deploysvc.db import engine

_SCRIPT_LOCATION = os.path.join(os.path.dirname(__file__), 'alembic')


def _config(connection):
    cfg = alembic_config.Config()
    cfg.set_main_option('script_location', _SCRIPT_LOCATION)
    cfg.attributes['connection'] = connection
    return cfg


def _run(func, *args):
    bind = engine.get_engine()
    with bind.begin() as connection:
        return func(_config(connection), *args)


def upgrade(revision='head'):
    """Create the schema or bring it up to ``revision``."""
    _run(alembic_command.upgrade, revision)


def stamp(revision='head'):
    _run(alembic_command.stamp, revision)


def version():
    """The schema revision of the database, or None when it is empty."""
    bind = engine.get_engine()
    with bind.connect() as connection:
        return alembic_migration.MigrationContext.configure(
            connection).get_current_revision()


def head():
    """The newest revision this code knows."""
    return alembic_script.ScriptDirectory.from_config(
        _config(None)).get_current_head()
