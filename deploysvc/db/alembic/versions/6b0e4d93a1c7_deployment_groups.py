"""Deployment groups: one config rolled out to many servers in waves.

Existing deployments belong to no group (null group columns).

Revision ID: 6b0e4d93a1c7
Revises: 2c6061541886
Create Date: 2026-12-05
"""

from alembic import op
from oslo_db.sqlalchemy import types as db_types
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

revision = '6b0e4d93a1c7'
down_revision = '2c6061541886'
branch_labels = None
depends_on = None


def _timestamp():
    return sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql')


def _text():
    return sa.Text().with_variant(mysql.MEDIUMTEXT(), 'mysql')


def upgrade():
    op.create_table(
        'software_deployment_group',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('project_id', sa.String(64), nullable=False),
        sa.Column('config_id', sa.String(36),
                  sa.ForeignKey('software_config.id', ondelete='RESTRICT',
                                name='fk_software_deployment_group_'
                                     'config_id'),
                  nullable=False),
        sa.Column('action', sa.String(255), nullable=True),
        sa.Column('input_values',
                  db_types.JsonEncodedType(mysql_as_long=True),
                  nullable=True),
        sa.Column('max_concurrency_spec', sa.String(16), nullable=False),
        sa.Column('max_concurrency', sa.Integer, nullable=False),
        sa.Column('max_errors_spec', sa.String(16), nullable=False),
        sa.Column('max_errors', sa.Integer, nullable=False),
        sa.Column('delivery_timeout', sa.Integer, nullable=True),
        sa.Column('timeout', sa.Integer, nullable=True),
        sa.Column('total', sa.Integer, nullable=False),
        sa.Column('released', sa.Integer, nullable=False),
        sa.Column('in_progress', sa.Integer, nullable=False),
        sa.Column('complete', sa.Integer, nullable=False),
        sa.Column('failed', sa.Integer, nullable=False),
        sa.Column('cancelled', sa.Integer, nullable=False),
        sa.Column('status', sa.String(32), nullable=False),
        sa.Column('status_reason', _text(), nullable=True),
        sa.Column('status_reason_code', sa.String(32), nullable=True),
        sa.Column('created_at', _timestamp(), nullable=False),
        sa.Column('updated_at', _timestamp(), nullable=True),
        mysql_engine='InnoDB', mysql_charset='utf8mb4')
    op.create_index('ix_software_deployment_group_project_created',
                    'software_deployment_group',
                    ['project_id', 'created_at', 'id'])
    op.create_index('ix_software_deployment_group_created',
                    'software_deployment_group', ['created_at', 'id'])
    op.create_table(
        'deployment_group_event',
        sa.Column('id', sa.Integer, primary_key=True, autoincrement=True),
        sa.Column('group_id', sa.String(36),
                  sa.ForeignKey('software_deployment_group.id',
                                ondelete='CASCADE',
                                name='fk_deployment_group_event_group_id'),
                  nullable=False),
        sa.Column('created_at', _timestamp(), nullable=False),
        sa.Column('kind', sa.String(32), nullable=False),
        sa.Column('actor', sa.String(255), nullable=True),
        sa.Column('deployment_id', sa.String(36), nullable=True),
        sa.Column('server_id', sa.String(36), nullable=True),
        sa.Column('status_from', sa.String(32), nullable=True),
        sa.Column('status_to', sa.String(32), nullable=True),
        sa.Column('reason', _text(), nullable=True),
        sa.Column('reason_code', sa.String(32), nullable=True),
        mysql_engine='InnoDB', mysql_charset='utf8mb4')
    op.create_index('ix_deployment_group_event_group',
                    'deployment_group_event', ['group_id', 'id'])
    for name, type_ in (('group_id', sa.String(36)),
                        ('group_ordinal', sa.Integer()),
                        ('group_state', sa.String(16))):
        op.add_column('software_deployment',
                      sa.Column(name, type_, nullable=True))
    op.create_index('ix_software_deployment_group_state',
                    'software_deployment',
                    ['group_id', 'group_state', 'group_ordinal'])
    op.create_index('ix_software_deployment_group_ordinal',
                    'software_deployment', ['group_id', 'group_ordinal'])
