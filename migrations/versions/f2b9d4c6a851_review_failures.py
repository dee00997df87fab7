"""failures recorded in approved review reports (the lessons figures count them)

Revision ID: f2b9d4c6a851
Revises: e4a7c2f9d013
Create Date: 2026-11-30 13:30:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'f2b9d4c6a851'
down_revision = 'e4a7c2f9d013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('review_failure',
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('classification', sa.String(length=20), nullable=False),
    sa.Column('relevant_to_outcome', sa.Boolean(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('approved_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('instance_id', 'number')
    )
    op.create_index(op.f('ix_review_failure_classification'), 'review_failure', ['classification'], unique=False)
    op.create_index(op.f('ix_review_failure_approved_on'), 'review_failure', ['approved_on'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_review_failure_approved_on'), table_name='review_failure')
    op.drop_index(op.f('ix_review_failure_classification'), table_name='review_failure')
    op.drop_table('review_failure')
