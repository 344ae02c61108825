"""Alembic environment: online migrations on the configured engine."""

from alembic import context

from deploysvc.db import models


def run_migrations_online():
    connectable = context.config.attributes.get('connection')
    if connectable is None:
        raise RuntimeError('deploysvc migrations run through '
                           '"deploysvc-manage db sync", which passes the '
                           'connection; offline mode is not supported.')
    context.configure(connection=connectable,
                      target_metadata=models.Base.metadata,
                      render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError('Offline migrations are not supported.')
run_migrations_online()
