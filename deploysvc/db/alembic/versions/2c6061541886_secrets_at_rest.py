"""Secrets at rest: encrypted secret inputs, agent secrets and verifiers.

``sealed_inputs`` holds the encrypted values of secret inputs (configs'
defaults, deployments' values).  ``agent_server.secret`` widens to hold a
Fernet token; existing agent secrets stay in plain text here (a migration
has no keys): each is encrypted on its first use once keys are
configured, or by ``deploysvc-manage secrets reencrypt``.
``metadata_mac_hash`` is the SHA-256 of each server's metadata URL mac,
computed here for the existing credentials, so that a poll is checked
without the secret.

Revision ID: 2c6061541886
Revises: d2a7f9c41e85
Create Date: 2026-12-05
"""

import hashlib
import hmac

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

revision = '2c6061541886'
down_revision = 'd2a7f9c41e85'
branch_labels = None
depends_on = None


def _mac_hash(secret, credential_id):
    # The metadata mac of deploysvc.agent.tokens as of this revision.
    mac = hmac.new(secret.encode('ascii'),
                   ('metadata:%s' % credential_id).encode('utf-8'),
                   hashlib.sha256).hexdigest()
    return hashlib.sha256(mac.encode('ascii')).hexdigest()


def upgrade():
    text = sa.Text().with_variant(mysql.MEDIUMTEXT(), 'mysql')
    for table in ('software_config', 'software_deployment'):
        op.add_column(table, sa.Column('sealed_inputs', text,
                                       nullable=True))
    with op.batch_alter_table('agent_server') as batch:
        batch.alter_column('secret', type_=sa.String(255),
                           existing_type=sa.String(64),
                           existing_nullable=False)
        batch.add_column(sa.Column('metadata_mac_hash', sa.String(64),
                                   nullable=True))
    agent = sa.table('agent_server', sa.column('credential_id'),
                     sa.column('secret'), sa.column('metadata_mac_hash'))
    bind = op.get_bind()
    for credential_id, secret in bind.execute(
            sa.select(agent.c.credential_id, agent.c.secret)).all():
        bind.execute(agent.update().where(
            agent.c.credential_id == credential_id).values(
                metadata_mac_hash=_mac_hash(secret, credential_id)))
