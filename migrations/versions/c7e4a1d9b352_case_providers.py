"""the providers that supervised a case (a transfer between organisations names several): access and case lists read it

Revision ID: c7e4a1d9b352
Revises: d5e1a7c3b920
Create Date: 2026-11-30 16:40:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'c7e4a1d9b352'
down_revision = 'd5e1a7c3b920'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('case_provider',
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('organisation', sa.String(length=120), nullable=False),
    sa.Column('is_primary', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('instance_id', 'organisation')
    )
    op.create_index(op.f('ix_case_provider_organisation'), 'case_provider', ['organisation'], unique=False)
    # Every case so far has the one provider that notified it.
    op.execute(
        "INSERT INTO case_provider (instance_id, organisation, is_primary) "
        "SELECT id, provider_org, TRUE FROM process_instance WHERE provider_org IS NOT NULL AND provider_org <> ''"
    )


def downgrade():
    op.drop_index(op.f('ix_case_provider_organisation'), table_name='case_provider')
    op.drop_table('case_provider')
