"""case attachments: documents added to a case, their bytes in the database or a configured directory

Revision ID: c7e4a9b2d315
Revises: b12e7c4a9d30
Create Date: 2026-11-30 16:45:00

"""
import os

from alembic import context, op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'c7e4a9b2d315'
down_revision = 'b12e7c4a9d30'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'case_attachment',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=False),
        sa.Column('filename', sa.String(length=255), nullable=False),
        sa.Column('content_type', sa.String(length=100), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('uploaded_by', sa.String(length=80), nullable=False),
        sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('storage', sa.String(length=10), nullable=False),
        sa.Column('stored_name', sa.String(length=64), nullable=True),
        sa.Column('content', sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('case_attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_attachment_instance_id'), ['instance_id'], unique=False)


def _refuse_to_drop_documents():
    """A downgrade past this revision drops every document added to a case. Refuse while any is kept,
    unless forced (``sfo db downgrade --force``, ``-x force=1`` for ``flask db downgrade``, or
    SFO_FORCE_DOWNGRADE=1): back the database (and SFO_ATTACHMENT_DIR) up first."""
    forced = context.get_x_argument(as_dictionary=True).get('force') or os.environ.get('SFO_FORCE_DOWNGRADE')
    if str(forced).lower() in ('1', 'true', 'yes'):
        return
    if op.get_bind().execute(sa.text('SELECT 1 FROM case_attachment LIMIT 1')).first():
        raise RuntimeError(
            "Refusing to downgrade: it would delete the documents added to cases. Back up the database, then run "
            "the downgrade again with --force if you really mean to lose them."
        )


def downgrade():
    _refuse_to_drop_documents()
    with op.batch_alter_table('case_attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_attachment_instance_id'))
    op.drop_table('case_attachment')
