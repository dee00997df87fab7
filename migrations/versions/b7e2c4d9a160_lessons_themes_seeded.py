"""lessons themes seeded: the managed list of themes starts with the default themes

Before, the list was seeded the first time a page read it, inside that page's transaction: a read-only page
then wrote (and on SQLite held the database's write lock to its end), and two first readers at once
inserted the same themes.

Revision ID: b7e2c4d9a160
Revises: a9c4e7d2b516
Create Date: 2026-12-03 08:10:00

"""

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = "b7e2c4d9a160"
down_revision = "a9c4e7d2b516"
branch_labels = None
depends_on = None

SEEDED = (
    ("risk_assessment", "Assessment of risk of serious harm"),
    ("risk_management", "Risk management planning"),
    ("sentence_planning", "Sentence planning and delivery"),
    ("enforcement_and_recall", "Enforcement and recall"),
    ("domestic_abuse", "Domestic abuse"),
    ("child_safeguarding", "Safeguarding children"),
    ("adult_safeguarding", "Safeguarding adults"),
    ("information_sharing", "Information sharing with partners"),
    ("mappa", "MAPPA management"),
    ("management_oversight", "Management oversight"),
    ("workload_and_staffing", "Workload and staffing"),
    ("mental_health", "Mental health"),
    ("substance_misuse", "Substance misuse"),
    ("accommodation", "Accommodation"),
    ("diversity_and_needs", "Responding to diversity and individual needs"),
)

THEME = sa.table(
    "theme",
    sa.column("code", sa.String),
    sa.column("title", sa.String),
    sa.column("active", sa.Boolean),
    sa.column("position", sa.Integer),
)


def upgrade():
    if op.get_bind().execute(sa.text("SELECT 1 FROM theme LIMIT 1")).first() is None:
        op.bulk_insert(
            THEME, [{"code": c, "title": t, "active": True, "position": n} for n, (c, t) in enumerate(SEEDED)]
        )


def downgrade():
    """Take out the seeded themes no review is tagged with and no manager has changed."""
    for position, (code, title) in enumerate(SEEDED):
        op.get_bind().execute(
            sa.text(
                "DELETE FROM theme WHERE code = :code AND title = :title AND active AND position = :position "
                "AND NOT EXISTS (SELECT 1 FROM review_theme WHERE theme_code = :code)"
            ),
            {"code": code, "title": title, "position": position},
        )
