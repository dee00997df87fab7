"""process drafts: a process owner's work in progress, one per process

Revision ID: b7e2c4d91f08
Revises: 8d3f6b2a1c57
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = 'b7e2c4d91f08'
down_revision = '8d3f6b2a1c57'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'process_draft',
        sa.Column('key', sa.String(length=120), nullable=False),
        sa.Column('files', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
        sa.Column('base_version', sa.Integer(), nullable=True),
        sa.Column('updated_by', sa.String(length=80), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('key'),
    )


def downgrade():
    op.drop_table('process_draft')
