"""published reports: a summary written at publication, and the text a visitor searches (with a
full-text index on PostgreSQL)

Revision ID: d5e1a7c3b920
Revises: c7e4a9b2d315
Create Date: 2026-11-30 16:45:00

"""

import json

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "d5e1a7c3b920"
down_revision = "c7e4a9b2d315"
branch_labels = None
depends_on = None


def _search_text(title, content):
    """The same text the service writes with each new snapshot (publication.search_text_of)."""
    if isinstance(content, str):
        try:
            content = json.loads(content)
        except ValueError:
            content = {}
    content = content if isinstance(content, dict) else {}
    parts = [title or ""]
    parts += [str(s.get("text") or "") for s in content.get("sections") or [] if isinstance(s, dict)]
    for r in content.get("recommendations") or []:
        if isinstance(r, dict):
            parts += [str(r.get(k) or "") for k in ("text", "action", "owner", "progress")]
    parts.append(str(content.get("progress_summary") or ""))
    return "\n".join(p for p in parts if p)


def upgrade():
    with op.batch_alter_table("published_report", schema=None) as batch_op:
        batch_op.add_column(sa.Column("summary", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("search_text", sa.Text(), server_default="", nullable=False))
    connection = op.get_bind()
    table = sa.table(
        "published_report",
        sa.column("id", sa.Integer),
        sa.column("title", sa.String),
        sa.column("content", sa.JSON),
        sa.column("search_text", sa.Text),
    )
    rows = connection.execute(sa.select(table.c.id, table.c.title, table.c.content)).all()
    for row in rows:
        connection.execute(
            table.update().where(table.c.id == row.id).values(search_text=_search_text(row.title, row.content))
        )
    if connection.dialect.name == "postgresql":
        op.add_column("published_report", sa.Column("search_vector", postgresql.TSVECTOR(), nullable=True))
        op.execute("UPDATE published_report SET search_vector = to_tsvector('english', search_text)")
        op.execute("CREATE INDEX ix_published_report_search ON published_report USING gin (search_vector)")
    else:
        with op.batch_alter_table("published_report", schema=None) as batch_op:
            batch_op.add_column(sa.Column("search_vector", sa.Text(), nullable=True))


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_published_report_search")
    with op.batch_alter_table("published_report", schema=None) as batch_op:
        batch_op.drop_column("search_vector")
        batch_op.drop_column("search_text")
        batch_op.drop_column("summary")
