"""an index of completed tasks by the person who completed them, newest first: the inbox's "Completed by me"

Revision ID: e6b1d4a7c259
Revises: d8f3a2b61c47
Create Date: 2026-12-02 02:00:00

Every inbox page counts each tab, "Completed by me" included, and nothing indexed ``completed_by``: the count
read the whole task table (21 ms of a 38 ms page at 10,000 cases and 72,000 task rows, and growing with them).
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'e6b1d4a7c259'
down_revision = 'd8f3a2b61c47'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_task_completed_by', 'task', ['completed_by', 'state', 'completed_at'])


def downgrade():
    op.drop_index('ix_task_completed_by', table_name='task')
