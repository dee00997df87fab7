"""Under gunicorn with several worker processes, a scrape answered by any of them counts the requests
that all of them served (prometheus-client's multiprocess mode, set up by gunicorn.conf.py); and the
served app logs each request as a JSON line with its request id."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from urllib.request import Request, urlopen

from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import ROOT
from tests.served import free_port

GUNICORN = os.path.join(os.path.dirname(sys.executable), "gunicorn")
TOKEN = "gunicorn-scrape-token"
REQUESTS = 30


def _healthz_count(base: str) -> float:
    request = Request(f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    with urlopen(request, timeout=10) as answer:
        text = answer.read().decode()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "sfo_http_request_duration_seconds_count" and sample.labels["route"] == "/healthz":
                return sample.value
    return 0


def _wait_until_up(base: str, server: subprocess.Popen) -> None:
    for _ in range(300):
        assert server.poll() is None, "gunicorn exited"
        try:
            with urlopen(f"{base}/readyz", timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("gunicorn did not answer")


def test_every_worker_process_sees_the_requests_of_all(app, tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SFO_ENV": "development",
        "SFO_METRICS_TOKEN": TOKEN,
        "SFO_READY_WORKER_SECONDS": "0",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prometheus"),
    }
    command = [GUNICORN, "--workers", "3", "--bind", f"127.0.0.1:{port}", "app:create_app()"]
    with (tmp_path / "gunicorn.log").open("wb") as log:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, server)
        for number in range(REQUESTS):
            request = Request(f"{base}/healthz", headers={"X-Request-Id": f"probe-{number}"})
            with urlopen(request, timeout=10) as answer:
                assert answer.status == 200 and answer.headers["X-Request-Id"] == f"probe-{number}"
        # Each scrape may be answered by any of the three workers: every one must count all 30.
        assert [_healthz_count(base) for _ in range(6)] == [REQUESTS] * 6
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert list((tmp_path / "prometheus").glob("histogram_*.db")), "the workers wrote no multiprocess files"
    logged = [json.loads(line) for line in (tmp_path / "gunicorn.log").read_text().splitlines() if line.startswith("{")]
    requests = {
        line["request_id"] for line in logged if line["logger"] == "app.requests" and line["route"] == "/healthz"
    }
    assert requests == {f"probe-{number}" for number in range(REQUESTS)}
