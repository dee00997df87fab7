"""gunicorn settings, read from the working directory: the app built once before the workers fork, and
Prometheus's multiprocess bookkeeping.

Preloading: the master builds ``create_app()`` once and forks the workers from it, so the imported code
(SQLAlchemy, SpiffWorkflow, the app: most of a worker's memory) is one copy that the workers share,
page by page, until one of them writes to a page (copy-on-write). A worker's own memory is then what it
adds by serving (issue 12 holds each worker to 100 MB: ``bench/api_latency.py`` reports its PSS, RSS and
USS). The master opens no database connection and starts no thread while building the app; ``post_fork``
still drops any pooled connection a worker inherits, so that no two processes ever share one. Code
changes need a restart of the master: a HUP reloads the workers from the master's copy.

Metrics: with several workers, set PROMETHEUS_MULTIPROC_DIR to a directory of its own for this server:
each worker writes its request figures there and ``/metrics`` adds them up, whichever worker answers."""

import gc
import os
from pathlib import Path

preload_app = True


def on_starting(server):  # noqa: ARG001
    """Start from empty: figures of an earlier run would otherwise be counted again."""
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if path:
        Path(path).mkdir(parents=True, exist_ok=True)
        for old in Path(path).glob("*.db"):
            old.unlink()


def when_ready(server):  # noqa: ARG001
    """Once the master has built the app, before the first fork: keep the workers' garbage collectors off
    the master's objects (walking them would write to, and so copy, every page they are on; they live as
    long as the app anyway)."""
    gc.freeze()


def post_fork(server, worker):  # noqa: ARG001
    if server.cfg.preload_app:
        from app.extensions import forget_inherited_connections

        forget_inherited_connections(server.app.wsgi())


def child_exit(server, worker):  # noqa: ARG001
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
