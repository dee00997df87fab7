"""gunicorn builds the app once in its master and forks the workers from it (gunicorn.conf.py): each
worker must still talk to the database over connections of its own, also a worker that replaces one
that died."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.request import urlopen

from sqlalchemy import text

from app.extensions import db, forget_inherited_connections
from tests.conftest import ROOT
from tests.served import free_port

GUNICORN = str(Path(sys.executable).with_name("gunicorn"))


def _connection_identity() -> str:
    """Which database connection the pool hands out: the server process's id on PostgreSQL, the DBAPI
    connection object on SQLite."""
    with db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            return str(connection.scalar(text("SELECT pg_backend_pid()")))
        return str(id(connection.connection.dbapi_connection))


def test_a_forked_process_opens_its_own_connections_and_leaves_the_parents_open(app):
    db.session.remove()
    db.engine.dispose()  # earlier tests may have left several connections in the pool, handed out in turn
    parent = _connection_identity()  # one connection now waits in the pool, and the child inherits it
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report which connection it gets, then leave at once
        code = 1
        try:
            os.close(read)
            forget_inherited_connections(app)
            os.write(write, f"{db.engine.pool.checkedin()} {_connection_identity()}".encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    with os.fdopen(read) as answer:
        inherited_in_pool, child = answer.read().split()
    assert os.waitpid(pid, 0)[1] == 0
    assert inherited_in_pool == "0"
    assert child != parent
    assert _connection_identity() == parent  # the parent's connection was neither closed nor taken


def _ready(base: str) -> int:
    with urlopen(f"{base}/readyz", timeout=10) as answer:
        return answer.status


def _workers(master: int) -> list[int]:
    return [int(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split()]


def test_preloaded_workers_and_their_replacements_serve_from_the_database(app, tmp_path):
    db.session.commit()
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"].replace("postgresql+psycopg://", "postgresql://"),
        "SFO_ENV": "development",
        "SFO_READY_WORKER_SECONDS": "0",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prometheus"),
    }
    command = [GUNICORN, "--workers", "2", "--worker-class", "gthread", "--threads", "2"]
    command += ["--bind", f"127.0.0.1:{port}", "app:create_app()"]
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as output:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until(lambda: len(_workers(server.pid)) == 2 and _ready(base) == 200, server, log)
        assert [_ready(base) for _ in range(20)] == [200] * 20  # /readyz reads the database
        first, second = _workers(server.pid)
        os.kill(first, signal.SIGKILL)
        _wait_until(lambda: first not in _workers(server.pid) and len(_workers(server.pid)) == 2, server, log)
        assert [_ready(base) for _ in range(20)] == [200] * 20
        assert second in _workers(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert "Traceback" not in log.read_text(), log.read_text()[-3000:]


def _wait_until(condition, server: subprocess.Popen[bytes], log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert server.poll() is None, log.read_text()[-3000:]
        try:
            if condition():
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"gunicorn did not get there within {seconds:.0f} s: {log.read_text()[-3000:]}")
