"""A web worker loads only what serving needs: the heavy libraries are imported where they are used
(issue 12 holds each worker to 100 MB). Checked in a fresh interpreter, as gunicorn starts one."""

from __future__ import annotations

import json
import subprocess
import sys

# What loads them: the `sfo` commands and tests (Alembic), single sign-on (Authlib and requests), the
# anonymisation check of a publication (rapidfuzz, nicknames), the lessons digest's charts and PDF, the OpenAPI
# document (apispec), an uploaded document's type check (filetype).
LOADED_WHERE_USED = (
    *("alembic", "flask_migrate", "authlib", "requests", "rapidfuzz", "matplotlib", "weasyprint"),
    *("apispec", "filetype", "nicknames"),
)


def test_building_the_app_loads_none_of_the_heavy_libraries(tmp_path):
    script = (
        "import json, sys\n"
        "from app import create_app\n"
        f"create_app({{'SQLALCHEMY_DATABASE_URI': 'sqlite:///{tmp_path / 'worker.sqlite3'}', 'SECRET_KEY': 'x'}})\n"
        "print(json.dumps(sorted({name.split('.')[0] for name in sys.modules})))\n"
    )
    answer = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120)
    loaded = set(json.loads(answer.stdout.strip().splitlines()[-1]))
    assert loaded & set(LOADED_WHERE_USED) == set()
