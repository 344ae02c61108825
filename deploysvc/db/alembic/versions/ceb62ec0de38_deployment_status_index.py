"""An index for a project's deployment list filtered by status.

``GET /v1/{tenant}/software_deployments?status=IN_PROGRESS&limit=50``
walked ix_software_deployment_created at 1,000,000 rows and discarded
the rows of other statuses (1,250 read for 51 returned at 5 % in
progress); (project_id, status, created_at, id) serves the condition and
the order of the page, so it reads the 51 rows it returns.

Revision ID: ceb62ec0de38
Revises: 6b0e4d93a1c7
Create Date: 2026-12-05
"""

from alembic import op

revision = 'ceb62ec0de38'
down_revision = '6b0e4d93a1c7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_software_deployment_project_status',
                    'software_deployment',
                    ['project_id', 'status', 'created_at', 'id'])
