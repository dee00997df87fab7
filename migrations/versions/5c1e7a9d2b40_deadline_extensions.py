"""deadline extensions, and an index for counting ready tasks

Revision ID: 5c1e7a9d2b40
Revises: 31703089a416
Create Date: 2026-11-26 10:15:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '5c1e7a9d2b40'
down_revision = '31703089a416'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('deadline_extension',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.String(length=36), nullable=False),
    sa.Column('bpmn_id', sa.String(length=120), nullable=False),
    sa.Column('stage', sa.String(length=40), nullable=True),
    sa.Column('due_variable', sa.String(length=120), nullable=False),
    sa.Column('previous_due', sa.Date(), nullable=True),
    sa.Column('new_due', sa.Date(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('approved_by', sa.String(length=80), nullable=False),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('deadline_extension', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deadline_extension_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_deadline_extension_approved_at'), ['approved_at'], unique=False)
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.create_index('ix_task_state_due_on', ['state', 'due_on'], unique=False)


def downgrade():
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_index('ix_task_state_due_on')
    with op.batch_alter_table('deadline_extension', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deadline_extension_approved_at'))
        batch_op.drop_index(batch_op.f('ix_deadline_extension_instance_id'))
    op.drop_table('deadline_extension')
