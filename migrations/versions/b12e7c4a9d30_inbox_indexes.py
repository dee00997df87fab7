"""inbox: partial index of the ready tasks nobody holds, by lane and due date; held tasks by holder, state and due date

Revision ID: b12e7c4a9d30
Revises: a3c9e51f7b26
Create Date: 2026-11-30 17:10:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'b12e7c4a9d30'
down_revision = 'a3c9e51f7b26'
branch_labels = None
depends_on = None

READY_UNHELD = sa.text("state = 'ready' AND assignee IS NULL")


def upgrade():
    op.create_index(
        'ix_task_ready_unheld', 'task', ['lane', 'due_on'],
        postgresql_where=READY_UNHELD, sqlite_where=READY_UNHELD,
    )
    op.create_index('ix_task_held_due', 'task', ['assignee', 'state', 'due_on'])
    op.drop_index('ix_task_assignee_state', table_name='task')  # a prefix of the new one


def downgrade():
    op.create_index('ix_task_assignee_state', 'task', ['assignee', 'state'])
    op.drop_index('ix_task_held_due', table_name='task')
    op.drop_index('ix_task_ready_unheld', table_name='task')
