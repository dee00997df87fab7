"""The quarterly lessons digest at 1,000 closed cases: time to produce it (query, HTML, PDF) and its size.

python bench/lessons_digest.py [--cases 1000] [--runs 3] [--database-url sqlite:///...]

The cases are written straight into a scratch database (SQLite in a temporary folder unless a URL is
given): each closed, with good practice and lessons of about 600 characters, two themes, three failures
and two recommendations, all tagged in one quarter. Prints the median and maximum production time and
the sizes of the HTML and the PDF.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask import render_template  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from app import create_app  # noqa: E402
from app.clock import FrozenClock  # noqa: E402
from app.extensions import attach_migrations, db  # noqa: E402
from app.models import ProcessInstance, RecommendationRecord, ReviewFailure, ReviewTheme  # noqa: E402
from app.services.definitions import deploy_files, read_library  # noqa: E402
from app.services.digests import render_digest  # noqa: E402
from app.services.lessons import DEFAULT_THEMES, lessons_digest  # noqa: E402

QUARTER = ("2027-Q1", dt.date(2027, 1, 1), dt.date(2027, 3, 31))
NOW = dt.datetime(2027, 4, 1, 6, tzinfo=dt.UTC)
TEXT = (
    "The practitioner recognised the change in risk after the arrest and asked for a recall the same day. "
    "Managers reviewed the case at each change of circumstance, and the police shared call-outs promptly. "
) * 3
KINDS = ("systemic", "organisational", "individual")


def load(cases: int) -> None:
    definition = deploy_files(read_library(ROOT / "bpmn", ROOT / "forms"), "bench").definition
    themes = [code for code, _ in DEFAULT_THEMES]
    for n in range(cases):
        day = QUARTER[1] + dt.timedelta(days=n % 90)
        row = ProcessInstance(
            definition_id=definition.id,
            process_key="sfo_review",
            business_key=f"SFO-BENCH-{n:05d}",
            status="completed",
            stage="closure",
            outcome="Closed unpublished",
            provider_org=f"provider-{n % 12}",
            state="{}",
            data={"good_practice": TEXT, "lessons_for_dissemination": TEXT},
            created_by="bench",
            created_at=NOW,
            updated_at=NOW,
        )
        db.session.add(row)
        db.session.flush()
        for code in (themes[n % len(themes)], themes[(n + 3) % len(themes)]):
            db.session.add(ReviewTheme(instance_id=row.id, theme_code=code, tagged_on=day))
        for number in range(1, 4):
            db.session.add(
                ReviewFailure(
                    instance_id=row.id,
                    number=number,
                    classification=KINDS[(n + number) % 3],
                    relevant_to_outcome=number == 1,
                    description=TEXT[:200],
                    approved_on=day,
                )
            )
        for number, addressee in ((1, "probation_provider"), (2, "hmpps")):
            db.session.add(
                RecommendationRecord(
                    instance_id=row.id,
                    number=number,
                    addressee=addressee,
                    level="local",
                    text=TEXT[:150],
                    themes=[],
                    response="accept",
                    target_date=day + dt.timedelta(days=120),
                    sent_on=day,
                    provider_org=row.provider_org,
                )
            )
    db.session.commit()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{folder}/digest.sqlite3"
        app = create_app(
            {"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url}, clock=FrozenClock(NOW)
        )
        attach_migrations(app)
        with app.app_context():
            db.drop_all()
            upgrade()
            load(args.cases)
            times, html, pdf, reviews = [], "", b"", 0
            for _ in range(args.runs + 1):  # the first run also imports WeasyPrint: not counted
                started = time.perf_counter()
                html, pdf, reviews = render_digest(*QUARTER, NOW.date())
                times.append(time.perf_counter() - started)
            times = times[1:]
            print(f"digest of {reviews} reviews: median {statistics.median(times):.2f} s, max {max(times):.2f} s")
            started = time.perf_counter()
            digest = lessons_digest(QUARTER[1], QUARTER[2], NOW.date())
            queried = time.perf_counter()
            render_template("lessons/digest_document.html", digest=digest, period=QUARTER[0], produced_on=NOW.date())
            rendered = time.perf_counter()
            print(f"figures {queried - started:.2f} s, HTML {rendered - queried:.2f} s; the rest is the PDF")
            print(f"HTML {len(html.encode()) / 1024:.0f} KiB, PDF {len(pdf) / 1024:.0f} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
