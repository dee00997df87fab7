"""A real OpenID Connect provider for the sign-in tests: tests/web/oidc/provider.mjs (the `oidc-provider`
npm package, installed by `npm ci`) run under node on a free port, and a person's way through it."""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import requests

from tests.worker.smtp import free_port

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).resolve().parent / "oidc" / "provider.mjs"
CLIENT_ID = "sfo-review-service"
CLIENT_SECRET = "a-client-secret-for-the-tests-only"
SERVICE = "http://sfo.test"  # SFO_BASE_URL in the tests
REDIRECT_URI = f"{SERVICE}/sign-in/oidc/callback"


@dataclass
class OidcProvider:
    issuer: str
    process: subprocess.Popen[str]

    def _post(self, path: str, body: dict[str, Any]) -> None:
        answer = requests.post(f"{self.issuer}{path}", data=json.dumps(body), timeout=10)
        assert answer.status_code == 204, answer.text

    def set_person(self, sub: str, **claims: Any) -> None:
        """The person who signs in at the provider next, with these claims."""
        self._post("/_test/account", {"sub": sub, "claims": claims})

    def tamper(self, **claims: Any) -> None:
        """Overwrite these claims in the ID tokens it issues from now on (re-signed with its own key)."""
        self._post("/_test/tamper", claims)

    def through_provider(self, url: str) -> str:
        """Follow the provider's redirects from its authorisation URL, as a browser with fresh cookies
        would, to the address it sends the person back to."""
        with requests.Session() as browser:
            for _ in range(10):
                answer = browser.get(url, allow_redirects=False, timeout=10)
                assert answer.status_code in (302, 303), f"{answer.status_code}: {answer.text[:300]}"
                url = urljoin(url, answer.headers["Location"])
                if url.startswith(SERVICE):
                    return url
        raise AssertionError("the provider never sent the person back")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def start_provider(redirect_uri: str = REDIRECT_URI) -> OidcProvider:
    node = shutil.which("node")
    assert node, "node is needed for the OpenID Connect provider of the sign-in tests"
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "PORT": str(port),
        "ISSUER": issuer,
        "CLIENT_ID": CLIENT_ID,
        "CLIENT_SECRET": CLIENT_SECRET,
        "REDIRECT_URI": redirect_uri,
    }
    process = subprocess.Popen(
        [node, str(SCRIPT)], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    assert process.stdout is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], 0.5)
        if ready:
            line = process.stdout.readline()
            if "listening" in line:
                return OidcProvider(issuer, process)
            if not line:
                break
    process.kill()
    raise AssertionError("the OpenID Connect provider did not start")
