"""reliability: race-free publication numbers

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


def downgrade():
    op.drop_table('publication_counter')
