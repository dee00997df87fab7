"""failures recorded in approved review reports (the lessons figures count them); recommendations tracked after the review; the quarterly lessons digests

Revision ID: f2b9d4c6a851
Revises: f3b9d2c7a614
Create Date: 2026-11-30 13:30:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'f2b9d4c6a851'
down_revision = 'f3b9d2c7a614'
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
    with op.batch_alter_table('recommendation_record', schema=None) as batch_op:
        batch_op.add_column(sa.Column('provider_org', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('tracking_status', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('evidence', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('done_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('tracked_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('tracked_by', sa.String(length=80), nullable=True))
        batch_op.create_index(batch_op.f('ix_recommendation_record_provider_org'), ['provider_org'], unique=False)
    op.create_table('lessons_digest',
    sa.Column('period', sa.String(length=10), nullable=False),
    sa.Column('start', sa.Date(), nullable=False),
    sa.Column('end', sa.Date(), nullable=False),
    sa.Column('reviews', sa.Integer(), nullable=False),
    sa.Column('html', sa.Text(), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('period')
    )
    # existing rows: the provider of their case
    op.execute(
        "UPDATE recommendation_record SET provider_org = "
        "(SELECT provider_org FROM process_instance WHERE process_instance.id = recommendation_record.instance_id)"
    )


def downgrade():
    op.drop_table('lessons_digest')
    with op.batch_alter_table('recommendation_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recommendation_record_provider_org'))
        for column in ('tracked_by', 'tracked_on', 'done_on', 'evidence', 'tracking_status', 'provider_org'):
            batch_op.drop_column(column)
    op.drop_index(op.f('ix_review_failure_approved_on'), table_name='review_failure')
    op.drop_index(op.f('ix_review_failure_classification'), table_name='review_failure')
    op.drop_table('review_failure')
