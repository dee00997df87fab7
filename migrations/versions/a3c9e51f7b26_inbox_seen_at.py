"""inbox: when each user last looked at their tasks, to count the tasks new since

Revision ID: a3c9e51f7b26
Revises: f2b9d4c6a851
Create Date: 2026-11-30 14:30:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'a3c9e51f7b26'
down_revision = 'f2b9d4c6a851'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('inbox_seen_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('inbox_seen_at')
