"""Signal URLs bound to a deployment's run.

Signal URLs handed out before this revision name no run.  Each existing
deployment keeps accepting them for the run it is in now
(``signal_legacy_run``), and no later one; every server's metadata
revision moves, so agents and caches fetch the document again, now with
the new URLs (doc/source/contributor/behaviour.rst, behaviour-signal-runs).

Revision ID: c81d5e0a7f42
Revises: a4e2c9f01b37
Create Date: 2026-12-04
"""

import datetime

from alembic import op
import sqlalchemy as sa

revision = 'c81d5e0a7f42'
down_revision = 'a4e2c9f01b37'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('software_deployment',
                  sa.Column('signal_legacy_run', sa.Integer, nullable=True))
    deployments = sa.table('software_deployment',
                           sa.column('served_revision', sa.Integer),
                           sa.column('signal_legacy_run', sa.Integer))
    op.execute(deployments.update().values(
        signal_legacy_run=deployments.c.served_revision))
    agents = sa.table('agent_server', sa.column('revision', sa.Integer),
                      sa.column('changed_at', sa.DateTime))
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    op.execute(agents.update().values(revision=agents.c.revision + 1,
                                      changed_at=now))
