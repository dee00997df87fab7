"""Every page each kind of user reaches, at the size ``api_latency.py`` left: rows read, statements, time.

Run after ``api_latency.py`` has filled the database (it gives the measured users a password first):

    python bench/pages_at_scale.py --database-url postgresql://postgres@127.0.0.1:5432/sfo_bench

Signed in as a reviewer, the SFO team, quality assurance, publication, a manager and a provider, it follows
the links from the start pages breadth first, in process (Flask test client), up to ``--pages`` pages each
and ``--each`` pages of a kind (paths with their numbers, references and ids taken out). It prints each kind
of page with the most rows its statements returned, its statements, and its median and worst time, most
rows first: a page whose rows grow with the cases reads them one by one where it could count them.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import time
from collections import defaultdict, deque
from typing import Any, NamedTuple

from api_latency import DEFAULT_URL, MANAGER, PUBLICATION, QA, TEAM, provider_of, reviewer_name
from profile_request import StatementLog, served_app
from sqlalchemy import update
from werkzeug.security import generate_password_hash

from app.extensions import db
from app.models import User

PASSWORD = "Pages-at-scale-1"  # set on the measured users of the benchmark database only
START_PAGES = ("/tasks", "/tasks?tab=completed", "/cases", "/monitoring", "/monitoring/cases", "/published")
MORE_START_PAGES = ("/monitoring/themes", "/lessons", "/process-models")
NOT_FOLLOWED = re.compile(r"^/(static|assets)/|sign-out|/sign-in|\.(csv|pdf|zip)\b|/download|/export")
LINK = re.compile(r'href="(/[^"#]*)"')


class Visit(NamedTuple):
    ms: float
    statements: int
    rows: int
    status: int
    user: str


def kind_of(path: str) -> str:
    """The path with what differs between cases, tasks and reports taken out."""
    path = re.sub(r"[0-9a-f]{8}-[0-9a-f-]{27,}", "<id>", path)
    path = re.sub(r"BENCH[-A-Z0-9]*|PROFILE-\d+", "<reference>", path)
    path = re.sub(r"/\d{4}-\d+", "/<slug>", path)
    path = re.sub(r"/\d+", "/<n>", path)
    return re.sub(r"=[^&]*", "=…", path)


def sign_in(client: Any, username: str) -> None:
    page = client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token, "no CSRF token on the sign-in page"
    answer = client.post("/sign-in", data={"csrf_token": token.group(1), "username": username, "password": PASSWORD})
    assert answer.status_code in (302, 303), f"{username} could not sign in ({answer.status_code})"


def browse(app: Any, log: StatementLog, username: str, pages: int, each: int) -> dict[str, list[Visit]]:
    client = app.test_client()
    sign_in(client, username)
    visits: dict[str, list[Visit]] = defaultdict(list)
    seen: set[str] = set()
    queue = deque([*START_PAGES, *MORE_START_PAGES])
    while queue and len(seen) < pages:
        path = queue.popleft()
        kind = kind_of(path)
        if path in seen or NOT_FOLLOWED.search(path) or len(visits[kind]) >= each:
            continue
        seen.add(path)
        log.reset()
        log.active = True
        started = time.perf_counter()
        response = client.get(path)
        body = response.get_data()
        elapsed = (time.perf_counter() - started) * 1000
        log.active = False
        visits[kind].append(Visit(elapsed, log.count, log.rows, response.status_code, username))
        if response.mimetype == "text/html":
            queue.extend(link.replace("&amp;", "&") for link in LINK.findall(body.decode()))
    return visits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--pages", type=int, default=150, help="pages each user visits at most")
    parser.add_argument("--each", type=int, default=3, help="pages of one kind each user visits at most")
    parser.add_argument("--top", type=int, default=40, help="kinds of page to print")
    args = parser.parse_args()
    app = served_app(args.database_url)
    users = [reviewer_name(0), TEAM, QA, PUBLICATION, MANAGER, provider_of("north-probation")]
    with app.app_context():
        password_hash = generate_password_hash(PASSWORD)
        db.session.execute(update(User).where(User.username.in_(users)).values(password_hash=password_hash))
        db.session.commit()
    log = StatementLog()
    log.attach(app)
    every: dict[str, list[Visit]] = defaultdict(list)
    for username in users:
        for kind, visits in browse(app, log, username, args.pages, args.each).items():
            every[kind].extend(visits)
    print(f"{sum(map(len, every.values()))} pages of {len(every)} kinds, as {', '.join(users)}")
    print(f"{'rows':>7} {'stmts':>5} {'p50 ms':>7} {'max ms':>7}  status  page")
    for kind, visits in sorted(every.items(), key=lambda item: -max(v.rows for v in item[1]))[: args.top]:
        statuses = ",".join(str(s) for s in sorted({v.status for v in visits}))
        print(
            f"{max(v.rows for v in visits):7} {max(v.statements for v in visits):5} "
            f"{statistics.median(v.ms for v in visits):7.1f} {max(v.ms for v in visits):7.1f}  {statuses:6}  {kind}"
        )


if __name__ == "__main__":
    main()
