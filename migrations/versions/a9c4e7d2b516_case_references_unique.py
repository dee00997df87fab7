"""a case reference names one case whatever its process: the reference's index is unique

Revision ID: a9c4e7d2b516
Revises: e6b1d4a7c259

Pages, messages and people name a case by its reference alone, and a start refuses one already taken in
any process; but only (process, reference) was unique, so two starts at the same moment in two processes
could both find the reference free and both make a case. The database now refuses the second.
"""

import sqlalchemy as sa
from alembic import op

revision = "a9c4e7d2b516"
down_revision = "e6b1d4a7c259"
branch_labels = None
depends_on = None


def upgrade():
    shared = (
        op.get_bind()
        .execute(sa.text("SELECT business_key FROM process_instance GROUP BY business_key HAVING count(*) > 1 LIMIT 5"))
        .scalars()
        .all()
    )
    if shared:
        raise RuntimeError(
            "Cases in different processes share a reference (" + ", ".join(shared) + "): give each case a "
            "reference of its own, then run the upgrade again."
        )
    op.drop_index("ix_process_instance_business_key", table_name="process_instance")
    op.create_index("ix_process_instance_business_key", "process_instance", ["business_key"], unique=True)


def downgrade():
    op.drop_index("ix_process_instance_business_key", table_name="process_instance")
    op.create_index("ix_process_instance_business_key", "process_instance", ["business_key"], unique=False)
