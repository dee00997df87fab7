"""operations: worker passes for readiness, request ids carried to the worker, retention's reduction mark

Revision ID: f3b9d2e7a415
Revises: f2b9d4e7a615
"""
import sqlalchemy as sa
from alembic import op

revision = 'f3b9d2e7a415'
down_revision = "f2b9d4e7a615"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'worker_pass',
        sa.Column('worker', sa.String(length=120), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_pass_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_failure_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('worker'),
    )
    op.create_index(op.f('ix_worker_pass_last_pass_at'), 'worker_pass', ['last_pass_at'], unique=False)
    with op.batch_alter_table('outbox') as outbox:
        outbox.add_column(sa.Column('request_id', sa.String(length=64), nullable=True))
    with op.batch_alter_table('process_instance') as instance:
        instance.add_column(sa.Column('request_id', sa.String(length=64), nullable=True))
        instance.add_column(sa.Column('reduced_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('process_instance') as instance:
        instance.drop_column('reduced_at')
        instance.drop_column('request_id')
    with op.batch_alter_table('outbox') as outbox:
        outbox.drop_column('request_id')
    op.drop_index(op.f('ix_worker_pass_last_pass_at'), table_name='worker_pass')
    op.drop_table('worker_pass')
