"""A request that only read ends its transaction with COMMIT, so psycopg keeps the connection's prepared
statements (it forgets them all at a ROLLBACK); one that wrote, holds unsent changes or failed is rolled
back as before (app/read_only_requests.py).

Each request here runs in a thread of its own, as in production: it pushes its own app context, which ends
after the response (the tests' own app context would otherwise serve it, and never end)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import event, select, text

from app.extensions import db
from app.models import User
from app.services import instances
from tests.api.helpers import API
from tests.conftest import make_user
from tests.web.conftest import Browser


def _ends(call: Callable[[], Any]) -> list[str]:
    """The COMMITs and ROLLBACKs sent while ``call`` ran in a thread of its own."""
    ends: list[str] = []
    thread: dict[str, int] = {}

    def ended(name: str) -> Callable[[Any], None]:
        def note(connection: Any) -> None:
            if threading.get_ident() == thread.get("id"):
                ends.append(name)

        return note

    commit, rollback = ended("COMMIT"), ended("ROLLBACK")
    event.listen(db.engine, "commit", commit)
    event.listen(db.engine, "rollback", rollback)
    failures: list[BaseException] = []

    def run() -> None:
        thread["id"] = threading.get_ident()
        try:
            call()
        except BaseException as failure:  # noqa: BLE001 - reported to the test below
            failures.append(failure)

    try:
        worker = threading.Thread(target=run)
        worker.start()
        worker.join(60)
    finally:
        event.remove(db.engine, "commit", commit)
        event.remove(db.engine, "rollback", rollback)
    if failures:
        raise failures[0]
    return ends


def _display_name(username: str) -> str:
    db.session.expire_all()
    return db.session.scalar(select(User.display_name).where(User.username == username)) or ""


def test_a_request_that_only_reads_ends_with_commit(app, api, people, small_definition):
    case = api.start("small", "SFO-READ", {"provider_org": "north-probation"}, as_user=people.provider)
    api.get(f"/process-instances/{case['id']}", people.team)  # the token's first use is written down
    headers = api.headers(people.team)
    db.session.commit()  # the request's thread reads in a connection of its own
    answers = []

    ends = _ends(
        lambda: answers.append(app.test_client().get(f"{API}/process-instances/{case['id']}", headers=headers))
    )

    assert answers[0].status_code == 200, answers[0].get_data(as_text=True)
    assert ends == ["COMMIT"]


def test_a_transaction_that_wrote_without_committing_is_rolled_back(app, people):
    username = people.team.username
    db.session.commit()

    def write_and_leave() -> None:
        with app.app_context():
            db.session.execute(
                text("UPDATE user_account SET display_name = 'Written' WHERE username = :u"), {"u": username}
            )

    assert _ends(write_and_leave) == ["ROLLBACK"]
    assert _display_name(username) != "Written"


def test_changes_not_yet_sent_are_rolled_back_not_sent(app, people):
    username = people.team.username
    db.session.commit()

    def change_and_leave() -> None:
        with app.app_context():
            user = db.session.scalar(select(User).where(User.username == username))
            with db.session.no_autoflush:
                user.display_name = "Changed"

    assert _ends(change_and_leave) == ["ROLLBACK"]
    assert _display_name(username) != "Changed"


def test_a_request_that_failed_is_rolled_back(app, people):
    username = people.team.username
    db.session.commit()

    def read_then_fail() -> None:
        with pytest.raises(RuntimeError), app.app_context():
            db.session.scalar(select(User.id).where(User.username == username))
            raise RuntimeError("the request failed")

    assert _ends(read_then_fail) == ["ROLLBACK"]


def test_a_streamed_download_reads_what_the_request_loaded_after_its_commit(app, small_definition):
    """The case list's CSV is streamed: it runs after the view returned, so after the request's own
    transaction ended. Ending a read with COMMIT expired what the request had loaded (the signed-in manager),
    the session was then removed, and the stream failed on its first row in production: the download stopped
    after its header, with a DetachedInstanceError in the log. A read's COMMIT changed nothing, so it expires
    nothing now."""
    manager = make_user("manager")
    instances.start_case(make_user("provider"), small_definition.key, "SFO-CSV-1", {"provider_org": "north-probation"})
    browser = Browser(app.test_client()).sign_in(manager)
    db.session.commit()  # the request's thread reads in a connection of its own
    answers: list[str] = []

    _ends(lambda: answers.append(browser.client.get("/monitoring/cases.csv").get_data(as_text=True)))

    assert answers and "SFO-CSV-1" in answers[0], answers
