"""Initial schema: software configs, deployments, quota usage.

Revision ID: 7f3c1a2b9d10
Revises:
Create Date: 2026-11-27
"""

from alembic import op
from oslo_db.sqlalchemy import types as db_types
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

revision = '7f3c1a2b9d10'
down_revision = None
branch_labels = None
depends_on = None

_TABLE_ARGS = {'mysql_engine': 'InnoDB', 'mysql_charset': 'utf8mb4'}


def _timestamp():
    return sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql')


def _json():
    return db_types.JsonEncodedType(mysql_as_long=True)


def upgrade():
    op.create_table(
        'software_config',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('project_id', sa.String(64), nullable=False),
        sa.Column('created_at', _timestamp(), nullable=False),
        sa.Column('name', sa.String(255), nullable=True),
        sa.Column('group', sa.String(255), nullable=True),
        sa.Column('config', _json(), nullable=True),
        sa.Column('inputs', _json(), nullable=True),
        sa.Column('outputs', _json(), nullable=True),
        sa.Column('options', _json(), nullable=True),
        **_TABLE_ARGS)
    op.create_index('ix_software_config_project_created', 'software_config',
                    ['project_id', 'created_at', 'id'])
    op.create_index('ix_software_config_created', 'software_config',
                    ['created_at', 'id'])

    op.create_table(
        'software_deployment',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('project_id', sa.String(64), nullable=False),
        sa.Column('stack_user_project_id', sa.String(64), nullable=True),
        sa.Column('server_id', sa.String(36), nullable=False),
        sa.Column('config_id', sa.String(36),
                  sa.ForeignKey('software_config.id', ondelete='RESTRICT',
                                name='fk_software_deployment_config_id'),
                  nullable=False),
        sa.Column('input_values', _json(), nullable=True),
        sa.Column('output_values', _json(), nullable=True),
        sa.Column('action', sa.String(255), nullable=True),
        sa.Column('status', sa.String(255), nullable=True),
        sa.Column('status_reason',
                  sa.Text().with_variant(mysql.MEDIUMTEXT(), 'mysql'),
                  nullable=True),
        sa.Column('created_at', _timestamp(), nullable=False),
        sa.Column('updated_at', _timestamp(), nullable=True),
        **_TABLE_ARGS)
    op.create_index('ix_software_deployment_project_created',
                    'software_deployment',
                    ['project_id', 'created_at', 'id'])
    op.create_index('ix_software_deployment_server', 'software_deployment',
                    ['server_id', 'created_at'])
    op.create_index('ix_software_deployment_config', 'software_deployment',
                    ['config_id'])
    op.create_index('ix_software_deployment_stack_user_project',
                    'software_deployment', ['stack_user_project_id'])
    op.create_index('ix_software_deployment_created', 'software_deployment',
                    ['created_at', 'id'])

    op.create_table(
        'quota_usage',
        sa.Column('project_id', sa.String(64), primary_key=True),
        sa.Column('resource', sa.String(32), primary_key=True),
        sa.Column('in_use', sa.Integer, nullable=False),
        **_TABLE_ARGS)
