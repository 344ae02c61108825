"""Idempotency keys: the stored answers of creates that may be replayed.

Revision ID: c81d5e3a7f02
Revises: c81d5e0a7f42
Create Date: 2026-12-04
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

revision = 'c81d5e3a7f02'
down_revision = 'c81d5e0a7f42'
branch_labels = None
depends_on = None


def _timestamp():
    return sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql')


def upgrade():
    op.create_table(
        'idempotency_key',
        sa.Column('project_id', sa.String(64), primary_key=True),
        sa.Column('key_hash', sa.String(64), primary_key=True),
        sa.Column('request_hash', sa.String(64), nullable=False),
        sa.Column('resource_id', sa.String(36), nullable=False),
        sa.Column('status', sa.Integer, nullable=False),
        sa.Column('body', sa.Text().with_variant(mysql.MEDIUMTEXT(), 'mysql'),
                  nullable=False),
        sa.Column('created_at', _timestamp(), nullable=False),
        sa.Column('expires_at', _timestamp(), nullable=False),
        mysql_engine='InnoDB', mysql_charset='utf8mb4')
    op.create_index('ix_idempotency_key_expires', 'idempotency_key',
                    ['expires_at'])
