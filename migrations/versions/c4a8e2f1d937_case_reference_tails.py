"""case reference tails: the anonymisation check reads only the cases whose reference may be in the text

Each check of a publication read every other case's reference (50,000 rows at 50,000 cases, 400 ms of a
completion). A case now keeps the last characters of its reference's keys as the check reads them, and a
check reads the cases whose tails the checked text holds. The tails are worked out in Python (the check's
folding of look-alike letters cannot be done in SQL), in batches; a case left without them is read by every
check, as before, so none is missed.

Revision ID: c4a8e2f1d937
Revises: b7e2c4d9a160
Create Date: 2026-12-03 17:10:00

"""

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = "c4a8e2f1d937"
down_revision = "b7e2c4d9a160"
branch_labels = None
depends_on = None

BATCH = 1000
CASES = sa.table(
    "process_instance",
    sa.column("id", sa.Integer),
    sa.column("business_key", sa.String),
    sa.column("reference_tail", sa.String),
    sa.column("reference_tail_unpadded", sa.String),
)


def upgrade():
    with op.batch_alter_table("process_instance", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reference_tail", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("reference_tail_unpadded", sa.String(length=8), nullable=True))
        batch_op.create_index(batch_op.f("ix_process_instance_reference_tail"), ["reference_tail"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_process_instance_reference_tail_unpadded"), ["reference_tail_unpadded"], unique=False
        )
    from app.services.anonymisation import reference_tails  # the service's own reading of a reference

    connection = op.get_bind()
    after = 0
    while True:
        rows = connection.execute(
            sa.select(CASES.c.id, CASES.c.business_key).where(CASES.c.id > after).order_by(CASES.c.id).limit(BATCH)
        ).all()
        if not rows:
            break
        tails = [(row.id, *reference_tails(row.business_key)) for row in rows]
        connection.execute(
            CASES.update()
            .where(CASES.c.id == sa.bindparam("case_id"))
            .values(reference_tail=sa.bindparam("tail"), reference_tail_unpadded=sa.bindparam("unpadded")),
            [{"case_id": case_id, "tail": tail, "unpadded": unpadded} for case_id, tail, unpadded in tails],
        )
        after = rows[-1].id


def downgrade():
    with op.batch_alter_table("process_instance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_process_instance_reference_tail_unpadded"))
        batch_op.drop_index(batch_op.f("ix_process_instance_reference_tail"))
        batch_op.drop_column("reference_tail_unpadded")
        batch_op.drop_column("reference_tail")
