"""``sfo run``: gunicorn serving the app in one process, with the worker in a background thread."""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication

from . import create_app
from .worker import start_embedded_worker


class _EmbeddedServer(BaseApplication):
    def __init__(self, options: dict[str, Any]):
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        app = create_app()
        start_embedded_worker(app)
        return app


def serve(host: str, port: int, threads: int) -> None:
    # One worker process so SQLite has a single writer process; threads serve requests concurrently.
    _EmbeddedServer(
        {
            "bind": f"{host}:{port}",
            "workers": 1,
            "threads": threads,
            "worker_class": "gthread",
            # No gunicorn access log: the app logs each request as a JSON line with its request id.
            "timeout": 60,
        }
    ).run()
