"""Deadlines, delivery and reason codes of deployments; agents' last poll.

Existing deployments get no deadline (null timeouts): only those created
or given a new run after the upgrade have one.

Revision ID: d2a7f9c41e85
Revises: c81d5e3a7f02
Create Date: 2026-12-04
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

revision = 'd2a7f9c41e85'
down_revision = 'c81d5e3a7f02'
branch_labels = None
depends_on = None


def _timestamp():
    return sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql')


def upgrade():
    for name, type_ in (('status_reason_code', sa.String(32)),
                        ('delivery_timeout', sa.Integer()),
                        ('timeout', sa.Integer()),
                        ('run_started_at', _timestamp()),
                        ('delivered_at', _timestamp()),
                        ('deadline_at', _timestamp())):
        op.add_column('software_deployment',
                      sa.Column(name, type_, nullable=True))
    op.create_index('ix_software_deployment_deadline',
                    'software_deployment', ['deadline_at'])
    op.add_column('agent_server',
                  sa.Column('last_seen_at', _timestamp(), nullable=True))
    op.add_column('agent_server',
                  sa.Column('delivery_pending', sa.Boolean, nullable=False,
                            server_default=sa.false()))
    op.add_column('deployment_event',
                  sa.Column('reason_code', sa.String(32), nullable=True))
