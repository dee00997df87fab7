"""gunicorn settings, read from the working directory: Prometheus's multiprocess bookkeeping.

With several workers, set PROMETHEUS_MULTIPROC_DIR to a directory of its own for this server: each
worker writes its request figures there and ``/metrics`` adds them up, whichever worker answers."""

import os
from pathlib import Path


def on_starting(server):  # noqa: ARG001
    """Start from empty: figures of an earlier run would otherwise be counted again."""
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if path:
        Path(path).mkdir(parents=True, exist_ok=True)
        for old in Path(path).glob("*.db"):
            old.unlink()


def child_exit(server, worker):  # noqa: ARG001
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
