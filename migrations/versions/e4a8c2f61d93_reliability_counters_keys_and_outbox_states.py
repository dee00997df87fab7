"""reliability: race-free publication numbers, idempotency keys, the outbox's sending state

Revision ID: e4a8c2f61d93
Revises: b7e2c4d91f08
"""
import sqlalchemy as sa
from alembic import op

revision = 'e4a8c2f61d93'
down_revision = 'b7e2c4d91f08'
branch_labels = None
depends_on = None


def upgrade():
    # Filled on first use from the reports already published, so no data migration is needed.
    op.create_table(
        'publication_counter',
        sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('last_number', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('year'),
    )
    op.create_table(
        'idempotency_key',
        sa.Column('username', sa.String(length=80), nullable=False),
        sa.Column('key', sa.String(length=255), nullable=False),
        sa.Column('fingerprint', sa.String(length=64), nullable=False),
        sa.Column('response_status', sa.Integer(), nullable=True),
        sa.Column('response_body', sa.Text(), nullable=True),
        sa.Column('location', sa.String(length=500), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('username', 'key'),
    )
    op.create_index(op.f('ix_idempotency_key_expires_at'), 'idempotency_key', ['expires_at'], unique=False)
    with op.batch_alter_table('outbox') as outbox:
        outbox.add_column(sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('outbox') as outbox:
        outbox.drop_column('claimed_at')
    op.drop_index(op.f('ix_idempotency_key_expires_at'), table_name='idempotency_key')
    op.drop_table('idempotency_key')
    op.drop_table('publication_counter')
