"""single sign-on accounts and GOV.UK Notify deliveries

Revision ID: f2b9d4e7a615
Revises: e4a7c2f9d013
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = 'f2b9d4e7a615'
down_revision = 'e4a7c2f9d013'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade():
    with op.batch_alter_table('user_account') as users:
        users.add_column(sa.Column('sso_issuer', sa.String(length=255), nullable=True))
        users.add_column(sa.Column('sso_subject', sa.String(length=255), nullable=True))
        users.add_column(sa.Column('sso_removed_at', sa.DateTime(timezone=True), nullable=True))
        users.create_unique_constraint('uq_user_account_sso', ['sso_issuer', 'sso_subject'])
    with op.batch_alter_table('outbox') as outbox:
        outbox.add_column(sa.Column('channel', sa.String(length=10), nullable=True))
        outbox.add_column(sa.Column('personalisation', JSON, nullable=True))
    op.create_table(
        'outbox_delivery',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('outbox_id', sa.Integer(), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('notify_id', sa.String(length=36), nullable=True),
        sa.Column('status', sa.String(length=30), nullable=False),
        sa.Column('detail', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('checked_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['outbox_id'], ['outbox.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('notify_id'),
        sa.UniqueConstraint('outbox_id', 'email'),
    )
    op.create_index(op.f('ix_outbox_delivery_outbox_id'), 'outbox_delivery', ['outbox_id'], unique=False)
    op.create_index(op.f('ix_outbox_delivery_status'), 'outbox_delivery', ['status'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_outbox_delivery_status'), table_name='outbox_delivery')
    op.drop_index(op.f('ix_outbox_delivery_outbox_id'), table_name='outbox_delivery')
    op.drop_table('outbox_delivery')
    with op.batch_alter_table('outbox') as outbox:
        outbox.drop_column('personalisation')
        outbox.drop_column('channel')
    with op.batch_alter_table('user_account') as users:
        users.drop_constraint('uq_user_account_sso', type_='unique')
        users.drop_column('sso_removed_at')
        users.drop_column('sso_subject')
        users.drop_column('sso_issuer')
