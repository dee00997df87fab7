"""published reports, themes and the lessons projections

Revision ID: 8d3f6b2a1c57
Revises: 5c1e7a9d2b40
Create Date: 2026-11-26 10:30:00

"""
import os

from alembic import context, op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '8d3f6b2a1c57'
down_revision = '5c1e7a9d2b40'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade():
    op.create_table('published_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=40), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=250), nullable=False),
    sa.Column('published_on', sa.Date(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('offence_type', sa.String(length=80), nullable=False),
    sa.Column('offence_title', sa.String(length=200), nullable=False),
    sa.Column('content', JSON, nullable=False),
    sa.Column('themes', JSON, nullable=False),
    sa.Column('published_by', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('slug'),
    sa.UniqueConstraint('instance_id')
    )
    op.create_index(op.f('ix_published_report_published_on'), 'published_report', ['published_on'], unique=False)
    op.create_index(op.f('ix_published_report_year'), 'published_report', ['year'], unique=False)
    op.create_index(op.f('ix_published_report_offence_type'), 'published_report', ['offence_type'], unique=False)
    op.create_table('theme',
    sa.Column('code', sa.String(length=60), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('code')
    )
    op.create_table('review_theme',
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('theme_code', sa.String(length=60), nullable=False),
    sa.Column('tagged_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('instance_id', 'theme_code')
    )
    op.create_index(op.f('ix_review_theme_theme_code'), 'review_theme', ['theme_code'], unique=False)
    op.create_index(op.f('ix_review_theme_tagged_on'), 'review_theme', ['tagged_on'], unique=False)
    op.create_table('recommendation_record',
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('addressee', sa.String(length=60), nullable=False),
    sa.Column('level', sa.String(length=20), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('themes', JSON, nullable=False),
    sa.Column('response', sa.String(length=20), nullable=True),
    sa.Column('target_date', sa.Date(), nullable=True),
    sa.Column('progress', sa.String(length=20), nullable=True),
    sa.Column('sent_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('instance_id', 'number')
    )
    op.create_index(op.f('ix_recommendation_record_addressee'), 'recommendation_record', ['addressee'], unique=False)
    op.create_index(op.f('ix_recommendation_record_sent_on'), 'recommendation_record', ['sent_on'], unique=False)


# What going below this revision would throw away for good: refused while any of it holds a row.
RECORDS = {'published_report': 'published reports', 'theme': 'themes', 'review_theme': 'theme tags',
           'recommendation_record': 'recommendation records'}


def _refuse_to_drop_records():
    """A downgrade past this revision drops the published reports, themes and recommendation records.
    Refuse while they hold anything, unless forced (``sfo db downgrade --force``, ``-x force=1`` for
    ``flask db downgrade``, or SFO_FORCE_DOWNGRADE=1): back the database up first."""
    forced = context.get_x_argument(as_dictionary=True).get('force') or os.environ.get('SFO_FORCE_DOWNGRADE')
    if str(forced).lower() in ('1', 'true', 'yes'):
        return
    bind = op.get_bind()
    held = [noun for table, noun in RECORDS.items() if bind.execute(sa.text(f'SELECT 1 FROM {table} LIMIT 1')).first()]
    if held:
        raise RuntimeError(
            f"Refusing to downgrade: it would delete the {', '.join(held)}. Back up the database, then run the "
            "downgrade again with --force if you really mean to lose them."
        )


def downgrade():
    _refuse_to_drop_records()
    op.drop_index(op.f('ix_recommendation_record_sent_on'), table_name='recommendation_record')
    op.drop_index(op.f('ix_recommendation_record_addressee'), table_name='recommendation_record')
    op.drop_table('recommendation_record')
    op.drop_index(op.f('ix_review_theme_tagged_on'), table_name='review_theme')
    op.drop_index(op.f('ix_review_theme_theme_code'), table_name='review_theme')
    op.drop_table('review_theme')
    op.drop_table('theme')
    op.drop_index(op.f('ix_published_report_offence_type'), table_name='published_report')
    op.drop_index(op.f('ix_published_report_year'), table_name='published_report')
    op.drop_index(op.f('ix_published_report_published_on'), table_name='published_report')
    op.drop_table('published_report')
