"""groups as data: the group table (seeded with the six SFO groups) and the lane names mapped to groups

Revision ID: f3b9d2c7a614
Revises: f3b9d2e7a415
Create Date: 2026-11-30 13:40:00

"""
import datetime as dt

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'f3b9d2c7a614'
down_revision = 'f3b9d2e7a415'
branch_labels = None
depends_on = None

SEEDED = (
    ("provider", "Provider"),
    ("sfo-team", "SFO team"),
    ("reviewer", "Reviewer"),
    ("quality-assurer", "Quality assurance"),
    ("publication", "Publication team"),
    ("manager", "Manager"),
)


def upgrade():
    group = op.create_table('group',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('created_by', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('group_lane_name',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('group_id', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['group.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('name')
    )
    with op.batch_alter_table('group_lane_name', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_group_lane_name_group_id'), ['group_id'], unique=False)
    created = dt.datetime.now(dt.timezone.utc)
    op.bulk_insert(group, [{"id": i, "title": t, "created_by": "system", "created_at": created} for i, t in SEEDED])


def downgrade():
    with op.batch_alter_table('group_lane_name', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_group_lane_name_group_id'))
    op.drop_table('group_lane_name')
    op.drop_table('group')
