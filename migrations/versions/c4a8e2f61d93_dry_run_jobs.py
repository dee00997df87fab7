"""dry run jobs: checks and dry runs run by the worker in child processes, with their progress and result

Revision ID: c4a8e2f61d93
Revises: e4a8c2f61d93
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = 'c4a8e2f61d93'
down_revision = 'e4a8c2f61d93'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
ACTIVE = sa.text("status IN ('queued', 'running')")


def upgrade():
    op.create_table(
        'dry_run_job',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('purpose', sa.String(length=10), nullable=False),
        sa.Column('process_key', sa.String(length=120), nullable=True),
        sa.Column('files', JSON, nullable=False),
        sa.Column('checksum', sa.String(length=64), nullable=False),
        sa.Column('requested_by', sa.String(length=80), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('states', sa.Integer(), nullable=False),
        sa.Column('paths', sa.Integer(), nullable=False),
        sa.Column('result', JSON, nullable=True),
        sa.Column('definition_id', sa.Integer(), nullable=True),
        sa.Column('outcome', sa.Text(), nullable=True),
        sa.Column('runner', sa.String(length=120), nullable=True),
        sa.Column('child_pid', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('progress_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['definition_id'], ['process_definition.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_dry_run_job_process_key', 'dry_run_job', ['process_key'])
    op.create_index('ix_dry_run_job_status', 'dry_run_job', ['status', 'id'])
    op.create_index(
        'uq_dry_run_job_active_files', 'dry_run_job', ['purpose', 'checksum'], unique=True,
        postgresql_where=ACTIVE, sqlite_where=ACTIVE,
    )


def downgrade():
    op.drop_table('dry_run_job')
