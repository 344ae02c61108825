"""Agent loop: agent credentials, deployment history, served revisions.

Revision ID: a4e2c9f01b37
Revises: 7f3c1a2b9d10
Create Date: 2026-11-27
"""

from alembic import op
from oslo_db.sqlalchemy import types as db_types
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

revision = 'a4e2c9f01b37'
down_revision = '7f3c1a2b9d10'
branch_labels = None
depends_on = None

_TABLE_ARGS = {'mysql_engine': 'InnoDB', 'mysql_charset': 'utf8mb4'}


def _timestamp():
    return sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql')


def upgrade():
    op.add_column('software_deployment',
                  sa.Column('served_revision', sa.Integer, nullable=False,
                            server_default='0'))

    op.create_table(
        'agent_server',
        sa.Column('project_id', sa.String(64), primary_key=True),
        sa.Column('server_id', sa.String(36), primary_key=True),
        sa.Column('credential_id', sa.String(36), nullable=False),
        sa.Column('secret', sa.String(64), nullable=False),
        sa.Column('revision', sa.Integer, nullable=False),
        sa.Column('created_at', _timestamp(), nullable=False),
        sa.Column('changed_at', _timestamp(), nullable=False),
        sa.UniqueConstraint('credential_id',
                            name='uniq_agent_server0credential_id'),
        **_TABLE_ARGS)

    op.create_table(
        'deployment_event',
        sa.Column('id', sa.Integer, primary_key=True, autoincrement=True),
        sa.Column('deployment_id', sa.String(36),
                  sa.ForeignKey('software_deployment.id', ondelete='CASCADE',
                                name='fk_deployment_event_deployment_id'),
                  nullable=False),
        sa.Column('created_at', _timestamp(), nullable=False),
        sa.Column('source', sa.String(32), nullable=False),
        sa.Column('actor', sa.String(255), nullable=True),
        sa.Column('status_from', sa.String(255), nullable=True),
        sa.Column('status_to', sa.String(255), nullable=True),
        sa.Column('applied', sa.Boolean, nullable=False),
        sa.Column('reason',
                  sa.Text().with_variant(mysql.MEDIUMTEXT(), 'mysql'),
                  nullable=True),
        sa.Column('details', db_types.JsonEncodedType(mysql_as_long=True),
                  nullable=True),
        **_TABLE_ARGS)
    op.create_index('ix_deployment_event_deployment', 'deployment_event',
                    ['deployment_id', 'id'])
