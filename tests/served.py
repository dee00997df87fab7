"""The service served for real by ``sfo run`` (gunicorn with its embedded worker) in a process of its own,
against the test database, and a person's HTTP session with it (cookies, CSRF, multipart uploads)."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, Request, build_opener

from tests.conftest import PASSWORD

SFO = Path(sys.executable).with_name("sfo")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def sfo_run(database_url: str, log: Path, **settings: str) -> Iterator[str]:
    """``sfo run`` on a free port with the given ``SFO_*`` settings; its base URL. The server, its worker
    and every process they start share a new process group, which is ended on the way out."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "SFO_ENV": "development", **settings}
    with log.open("wb") as output:
        server = subprocess.Popen(
            [str(SFO), "run", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_until_up(base, server, log)
            yield base
        finally:
            _stop(server)


def _wait_until_up(base: str, server: subprocess.Popen[bytes], log: Path) -> None:
    visitor = Visitor(base)
    for _ in range(300):
        if server.poll() is not None:
            raise AssertionError(f"sfo run exited with {server.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if visitor.get("/healthz", timeout=1)[0] == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"sfo run did not answer /healthz:\n{log.read_text()[-3000:]}")


def _stop(server: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        pass
    except ProcessLookupError:
        return
    with suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGKILL)  # anything of the group still running
    server.wait(timeout=10)


class Visitor:
    """One person's session: cookies kept, CSRF tokens read from the last page seen."""

    def __init__(self, base: str):
        self.base = base
        self.opener = build_opener(HTTPCookieProcessor(CookieJar()))
        self.token = ""

    def open(
        self, path: str, data: bytes | None = None, headers: dict[str, str] | None = None, timeout: float = 30
    ) -> tuple[int, str]:
        request = Request(self.base + path, data=data, headers=headers or {})
        try:
            with self.opener.open(request, timeout=timeout) as response:
                return response.status, response.read().decode()
        except HTTPError as error:
            return error.code, error.read().decode()

    def get(self, path: str, timeout: float = 30) -> tuple[int, str]:
        status, body = self.open(path, timeout=timeout)
        self._remember_token(body)
        return status, body

    def post(self, path: str, fields: dict[str, str], timeout: float = 30) -> tuple[int, str]:
        data = urlencode({**fields, "csrf_token": self.token}).encode()
        status, body = self.open(path, data, {"Content-Type": "application/x-www-form-urlencoded"}, timeout)
        self._remember_token(body)
        return status, body

    def upload(self, path: str, files: dict[str, bytes], timeout: float = 30) -> tuple[int, str]:
        boundary = uuid.uuid4().hex
        parts = [_part(boundary, 'name="csrf_token"', self.token.encode())]
        parts += [_part(boundary, f'name="files"; filename="{name}"', content) for name, content in files.items()]
        data = b"".join(parts) + f"--{boundary}--\r\n".encode()
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        status, body = self.open(path, data, headers, timeout)
        self._remember_token(body)
        return status, body

    def sign_in(self, username: str) -> Visitor:
        self.get("/sign-in")
        status, body = self.post("/sign-in", {"username": username, "password": PASSWORD})
        assert status == 200 and "Sign out" in body, body[:2000]
        return self

    def _remember_token(self, body: str) -> None:
        match = re.search(r'name="csrf_token" value="([^"]+)"', body)
        if match:
            self.token = match.group(1)


def _part(boundary: str, disposition: str, content: bytes) -> bytes:
    head = f"--{boundary}\r\nContent-Disposition: form-data; {disposition}\r\n\r\n".encode()
    return head + content + b"\r\n"


def timed(call: Any) -> tuple[float, Any]:
    """(seconds taken, result) of ``call``; a call that timed out took for ever and gave None."""
    began = time.monotonic()
    try:
        result = call()
    except OSError:  # timed out (or refused): it did not answer
        return float("inf"), None
    return time.monotonic() - began, result
