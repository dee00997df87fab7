"""The quarterly lessons digest (issue 15): produced by the worker when a quarter has ended (frozen
clock), once; HTML and PDF; listed for every signed-in person; announced by notification."""

from __future__ import annotations

import datetime as dt
import io
import threading

from pypdf import PdfReader
from sqlalchemy import select

from app.extensions import db
from app.models import LessonsDigest, OutboxMessage
from app.services import digests
from app.services.digests import last_ended_quarter
from app.worker import run_once
from tests.sfo_case import SfoCase

FAILURES = [{"description": "No home visit", "classification": "individual", "relevant_to_outcome": True}]


def _reviewed_and_tagged(people, definition, reference):
    """A case whose report names failures and good practice, closed with its themes tagged in March 2027."""
    case = SfoCase(people, definition, reference=reference)
    case.to_stage("drafting")
    case.do("draft_report", failures=FAILURES, good_practice="Swift recall after the warning signs.")
    case.do("quality_assure_report", qa_decision="approve")
    case.do("record_provider_response")
    case.court_outcome("acquitted")
    case.do("tag_themes", themes=["mappa"], lessons_for_dissemination="Share police call-outs the same day.")


def test_last_ended_quarter():
    assert last_ended_quarter(dt.date(2027, 4, 1)) == ("2027-Q1", dt.date(2027, 1, 1), dt.date(2027, 3, 31))
    assert last_ended_quarter(dt.date(2027, 1, 15)) == ("2026-Q4", dt.date(2026, 10, 1), dt.date(2026, 12, 31))


def test_the_worker_produces_the_digest_once_the_quarter_has_ended(app, sfo_definition, people, clock, signed_in):
    _reviewed_and_tagged(people, sfo_definition, "SFO-DIG-1")

    run_once(app)  # March 2027: the quarter has not ended, and no review was tagged in the one before
    assert db.session.scalars(select(LessonsDigest)).all() == []
    assert "No digest has been produced yet" in signed_in(people.reviewer).get("/lessons-digests").text
    clock.set(dt.datetime(2027, 4, 1, 6, tzinfo=dt.UTC))
    run_once(app)
    run_once(app)  # once only
    digest = db.session.get(LessonsDigest, "2027-Q1")
    assert digest is not None and digest.reviews == 1
    assert "Swift recall after the warning signs." in digest.html and "Share police call-outs" in digest.html
    assert "MAPPA management: 1 review" in digest.html and "SFO-DIG-1" not in digest.html  # no case named
    assert digest.html.split('data-class="individual"')[1].split("</tr>")[0].count(">1<") == 3
    assert digest.pdf.startswith(b"%PDF")
    text = "".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(digest.pdf)).pages)
    assert "Good practice" in text and "Swift recall" in text
    announced = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "lessons-digest")).all()
    assert {m.recipient for m in announced if "January to March 2027" in m.subject} == {
        "group:sfo-team",
        "group:reviewer",
        "group:quality-assurer",
        "group:publication",
        "group:manager",
    }
    provider = signed_in(people.provider)
    page = provider.get("/lessons-digests")
    assert "1 January 2027 to 31 March 2027" in page.text
    pdf = provider.client.get("/lessons-digests/2027-Q1.pdf")
    assert (
        pdf.status_code == 200 and pdf.data.startswith(b"%PDF") and "attachment" in pdf.headers["Content-Disposition"]
    )
    assert provider.client.get("/lessons-digests/2030-Q1.pdf").status_code == 404


def test_a_review_s_own_words_that_name_someone_are_withheld_from_the_digest(app, sfo_definition, people, clock):
    """Lessons and good practice are the review's words, not anonymised, and the digest goes to every
    provider: a passage in which the anonymisation check finds the person is left out."""
    case = SfoCase(people, sfo_definition, reference="SFO-DIG-2", person_name="Daniel Okafor")
    case.to_stage("drafting")
    case.do("draft_report", failures=FAILURES, good_practice="Mr Okafor's officer recalled him within hours.")
    case.do("quality_assure_report", qa_decision="approve")
    case.do("record_provider_response")
    case.court_outcome("acquitted")
    case.do("tag_themes", themes=["mappa"], lessons_for_dissemination="Share police call-outs the same day.")
    clock.set(dt.datetime(2027, 4, 1, 6, tzinfo=dt.UTC))
    run_once(app)
    digest = db.session.get(LessonsDigest, "2027-Q1")
    assert digest is not None and "Okafor" not in digest.html
    assert "Withheld from this digest" in digest.html and "Share police call-outs the same day." in digest.html


def test_the_pdf_is_made_with_no_transaction_open(app, sfo_definition, people, clock, monkeypatch):
    """Making the PDF takes about a minute at 1,000 reviews: a transaction left open meanwhile is ended by the
    database (idle in transaction past SFO_DB_IDLE_IN_TRANSACTION_SESSION_TIMEOUT_MS), and the digest with it,
    every pass. The reads end first, and the worker keeps its claim on the quarter outside any transaction."""
    from weasyprint import HTML

    _reviewed_and_tagged(people, sfo_definition, "SFO-DIG-4")
    clock.set(dt.datetime(2027, 4, 1, 6, tzinfo=dt.UTC))
    in_transaction = []
    write_pdf = HTML.write_pdf

    def write_noting(document, *args, **kwargs):  # type: ignore[no-untyped-def]
        in_transaction.append(db.session().in_transaction())
        return write_pdf(document, *args, **kwargs)

    monkeypatch.setattr(HTML, "write_pdf", write_noting)
    db.session.commit()

    assert digests.produce_due_digest() is not None

    assert in_transaction == [False]
    db.session.expire_all()
    assert db.session.get(LessonsDigest, "2027-Q1").pdf.startswith(b"%PDF")


def test_two_workers_produce_a_quarter_s_digest_once_and_neither_pass_fails(
    app, postgresql, sfo_definition, people, clock, monkeypatch
):
    _reviewed_and_tagged(people, sfo_definition, "SFO-DIG-3")
    clock.set(dt.datetime(2027, 4, 1, 6, tzinfo=dt.UTC))
    rendering, second_done = threading.Event(), threading.Event()
    original = digests.render_digest

    def render_while_the_other_tries(*args):
        rendering.set()
        assert second_done.wait(15)  # the other worker's pass ends while this one is rendering
        return original(*args)

    monkeypatch.setattr(digests, "render_digest", render_while_the_other_tries)
    results: dict[str, object] = {}

    def first() -> None:
        with app.app_context():
            results["first"] = digests.produce_due_digest() is not None

    def second() -> None:
        assert rendering.wait(15)
        with app.app_context():
            results["second"] = digests.produce_due_digest()
        second_done.set()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert results == {"first": True, "second": None}
    db.session.expire_all()
    assert [d.period for d in db.session.scalars(select(LessonsDigest))] == ["2027-Q1"]


def test_a_name_known_only_from_the_redaction_log_is_withheld_from_the_digest(app, sfo_definition, people, clock):
    """The redaction log records names removed from the report that the case data does not hold (a
    neighbour, a witness); the published report is checked against it, and so must the digest be."""
    from tests.services.test_publication import clean_pack, convicted_case, publish

    case = convicted_case(people, sfo_definition)
    log = [*clean_pack()["redaction_log"], {"category": "victim", "original": "Ann Teale", "replacement": "Ms E"}]
    publish(case, people, clean_pack(redaction_log=log))
    case.do("tag_themes", themes=["mappa"], lessons_for_dissemination="Ms Teale's calls were not passed on.")
    clock.set(dt.datetime(2027, 4, 1, 6, tzinfo=dt.UTC))
    run_once(app)
    digest = db.session.get(LessonsDigest, "2027-Q1")
    assert digest is not None and "Teale" not in digest.html
    assert "Withheld from this digest" in digest.html


def test_a_review_s_own_words_that_name_a_case_are_withheld_from_the_digest(app, sfo_definition, people, clock):
    """The digest names no case, its own or another's: every provider reads it."""
    SfoCase(people, sfo_definition, reference="NPS-N-2026-0042")
    case = SfoCase(people, sfo_definition, reference="SFO-DIG-3")
    case.to_stage("drafting")
    case.do("draft_report", failures=FAILURES, good_practice="As in nps n 2026 0042, the officer recalled him.")
    case.do("quality_assure_report", qa_decision="approve")
    case.do("record_provider_response")
    case.court_outcome("acquitted")
    case.do("tag_themes", themes=["mappa"], lessons_for_dissemination="Case SFO-DIG-3 shows why call-outs matter.")
    clock.set(dt.datetime(2027, 4, 1, 6, tzinfo=dt.UTC))
    run_once(app)
    digest = db.session.get(LessonsDigest, "2027-Q1")
    assert digest is not None and "SFO-DIG-3" not in digest.html and "0042" not in digest.html
    assert digest.html.count("Withheld from this digest") == 2
