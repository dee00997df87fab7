"""Configuration from ``SFO_*`` environment variables and ``DATABASE_URL``."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE = PROJECT_ROOT / "instance" / "sfo.sqlite3"
DB_TIMEOUTS = {  # milliseconds; each is read from SFO_DB_<NAME>_MS
    "statement_timeout": 30_000,
    "lock_timeout": 10_000,
    "idle_in_transaction_session_timeout": 60_000,
    "busy_timeout": 30_000,  # SQLite
}


def database_url(raw: str | None) -> str:
    """Accept plain ``postgresql://`` URLs and pick the psycopg 3 driver for them."""
    if not raw:
        DEFAULT_SQLITE.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{DEFAULT_SQLITE}"
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix) :]
    return raw


def _flag(value: str | None, default: bool = False) -> bool:
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def load_config(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    env = os.environ
    environment = env.get("SFO_ENV", "development")
    secret = env.get("SFO_SECRET_KEY")
    if not secret:
        if environment == "production":
            raise RuntimeError("SFO_SECRET_KEY must be set when SFO_ENV=production")
        secret = secrets.token_hex(32)
    url = database_url(env.get("DATABASE_URL"))
    timeouts = {name: int(env.get(f"SFO_DB_{name.upper()}_MS", default)) for name, default in DB_TIMEOUTS.items()}
    config: dict[str, Any] = {
        "SFO_ENV": environment,
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": url,
        "SQLALCHEMY_ENGINE_OPTIONS": _engine_options(url, timeouts),
        "MAX_CONTENT_LENGTH": int(env.get("SFO_MAX_REQUEST_BYTES", str(5 * 1024 * 1024))),
        # Documents added to a case: the largest accepted (the upload form alone may exceed
        # SFO_MAX_REQUEST_BYTES by this much), and where their bytes go (unset: in the database).
        "SFO_ATTACHMENT_MAX_BYTES": int(env.get("SFO_ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024))),
        "SFO_ATTACHMENT_DIR": env.get("SFO_ATTACHMENT_DIR") or None,
        "SFO_BPMN_DIR": env.get("SFO_BPMN_DIR", str(PROJECT_ROOT / "bpmn")),
        "SFO_FORMS_DIR": env.get("SFO_FORMS_DIR", str(PROJECT_ROOT / "forms")),
        "SFO_WORKER_INTERVAL": float(env.get("SFO_WORKER_INTERVAL", "30")),
        # Dry runs (checks before deploy) run in child processes of the worker, with these limits each.
        "SFO_DRY_RUN_CONCURRENCY": int(env.get("SFO_DRY_RUN_CONCURRENCY", "2")),
        "SFO_DRY_RUN_CPU_SECONDS": int(env.get("SFO_DRY_RUN_CPU_SECONDS", "60")),
        "SFO_DRY_RUN_MEMORY_MB": int(env.get("SFO_DRY_RUN_MEMORY_MB", "1024")),
        "SFO_DRY_RUN_TIMEOUT_SECONDS": float(env.get("SFO_DRY_RUN_TIMEOUT_SECONDS", "300")),
        "SFO_DRY_RUN_POLL_SECONDS": float(env.get("SFO_DRY_RUN_POLL_SECONDS", "1")),
        "SFO_API_DEPLOY_WAIT_SECONDS": float(env.get("SFO_API_DEPLOY_WAIT_SECONDS", "30")),
        # Metrics, logs and health (README "Metrics, logs and health"); no metrics token, no /metrics.
        "SFO_METRICS_TOKEN": env.get("SFO_METRICS_TOKEN") or None,
        "SFO_LOG_FORMAT": env.get("SFO_LOG_FORMAT", "json"),
        "SFO_READY_WORKER_SECONDS": float(env.get("SFO_READY_WORKER_SECONDS", "300")),
        # Records retention (README "Records: export and retention"); no years, no policy.
        "SFO_RETENTION_YEARS": env.get("SFO_RETENTION_YEARS") or None,  # checked by `sfo retention`
        "SFO_RETENTION_ACTION": env.get("SFO_RETENTION_ACTION", "reduce"),
        "SFO_SMTP_HOST": env.get("SFO_SMTP_HOST"),
        "SFO_SMTP_PORT": int(env.get("SFO_SMTP_PORT", "25")),
        "SFO_MAIL_FROM": env.get("SFO_MAIL_FROM", "sfo-reviews@localhost"),
        "SFO_BASE_URL": env.get("SFO_BASE_URL", "http://127.0.0.1:5000"),
        # What one engine step (and the diagram code it runs) may use; see README "Security".
        "SFO_STEP_CPU_SECONDS": float(env.get("SFO_STEP_CPU_SECONDS", "5")),
        "SFO_STEP_MEMORY_MB": int(env.get("SFO_STEP_MEMORY_MB", "256")),
        # An address-space ceiling for each process (0: none); production sets one by default.
        "SFO_PROCESS_MEMORY_MB": int(env.get("SFO_PROCESS_MEMORY_MB", "2048" if environment == "production" else "0")),
        # werkzeug's scrypt by default; tests use a cheaper method to stay fast.
        "SFO_PASSWORD_HASH_METHOD": "scrypt",
        "SFO_TOKEN_DAYS": float(env.get("SFO_TOKEN_DAYS", "90")),
        "SFO_TRUSTED_PROXIES": int(env.get("SFO_TRUSTED_PROXIES", "0")),
        "SFO_RATELIMIT_STORAGE_URL": rate_limit_storage(env),
        # Keeps two services' counters apart when they share one Redis.
        "SFO_RATELIMIT_KEY_PREFIX": env.get("SFO_RATELIMIT_KEY_PREFIX", "sfo"),
        # Failed sign-ins allowed per window: per account from one address, and per address over all accounts.
        "SFO_SIGN_IN_ACCOUNT_LIMIT": env.get("SFO_SIGN_IN_ACCOUNT_LIMIT", "5 per 15 minutes"),
        "SFO_SIGN_IN_ADDRESS_LIMIT": env.get("SFO_SIGN_IN_ADDRESS_LIMIT", "30 per 15 minutes"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _flag(env.get("SFO_SECURE_COOKIES"), environment == "production"),
        **single_sign_on(env),
        **gov_notify(env),
    }
    config.update(overrides or {})
    if overrides and "SQLALCHEMY_DATABASE_URI" in overrides:
        # An overridden database (tests, tools) needs the driver and engine options of that database.
        config["SQLALCHEMY_DATABASE_URI"] = url = database_url(config["SQLALCHEMY_DATABASE_URI"])
        if "SQLALCHEMY_ENGINE_OPTIONS" not in overrides:
            config["SQLALCHEMY_ENGINE_OPTIONS"] = _engine_options(url, timeouts)
    return config


def rate_limit_storage(env: Any) -> str:
    """Redis when configured (shared by every process), else the service's own database (always shared)."""
    return str(env.get("SFO_RATELIMIT_STORAGE_URL") or env.get("SFO_REDIS_URL") or DATABASE_STORAGE)


DATABASE_STORAGE = "sfo-database://"


def _engine_options(url: str, timeouts: dict[str, int]) -> dict[str, Any]:
    if url.startswith("sqlite"):
        # Several threads (web and embedded worker) share one file; wait (this long) rather than fail on locks.
        return {"connect_args": {"timeout": timeouts["busy_timeout"] / 1000}, "hide_parameters": True}
    # No statement, lock wait or forgotten transaction may hold a connection (and a case's row) for long.
    settings = " ".join(
        f"-c {name}={timeouts[name]}"
        for name in ("statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout")
    )
    # hide_parameters: a database error's message (logged) never quotes the case data it was writing.
    return {
        "pool_pre_ping": True,
        "pool_size": 5,
        "max_overflow": 5,
        "connect_args": {"options": settings},
        "hide_parameters": True,
    }


def single_sign_on(env: Any) -> dict[str, Any]:
    """Staff sign-in through the organisation's OpenID Connect provider (README "Single sign-on")."""
    raw_map = env.get("SFO_OIDC_GROUP_MAP") or "{}"
    try:
        group_map = json.loads(raw_map)
    except ValueError:
        raise RuntimeError("SFO_OIDC_GROUP_MAP must be a JSON object (see the README)") from None
    if not isinstance(group_map, dict):
        raise RuntimeError("SFO_OIDC_GROUP_MAP must be a JSON object (see the README)")
    return {
        "SFO_OIDC_ISSUER": (env.get("SFO_OIDC_ISSUER") or "").rstrip("/"),
        "SFO_OIDC_CLIENT_ID": env.get("SFO_OIDC_CLIENT_ID", ""),
        "SFO_OIDC_CLIENT_SECRET": env.get("SFO_OIDC_CLIENT_SECRET", ""),
        "SFO_OIDC_NAME": env.get("SFO_OIDC_NAME", "your organisation's account"),
        "SFO_OIDC_SCOPES": env.get("SFO_OIDC_SCOPES", "openid email profile"),
        "SFO_OIDC_GROUPS_CLAIM": env.get("SFO_OIDC_GROUPS_CLAIM", "groups"),
        "SFO_OIDC_GROUP_MAP": group_map,
    }


NOTIFY_TEMPLATE_PREFIX = "SFO_NOTIFY_TEMPLATE_"


def gov_notify(env: Any) -> dict[str, Any]:
    """GOV.UK Notify as the email channel (README "GOV.UK Notify"): one template id per notification kind,
    from ``SFO_NOTIFY_TEMPLATE_<KIND>`` (``SFO_NOTIFY_TEMPLATE_NOT_ELIGIBLE`` for the kind ``not_eligible``)."""
    templates = {
        name.removeprefix(NOTIFY_TEMPLATE_PREFIX).lower(): value.strip()
        for name, value in env.items()
        if name.startswith(NOTIFY_TEMPLATE_PREFIX) and value.strip()
    }
    return {
        "SFO_NOTIFY_API_KEY": env.get("SFO_NOTIFY_API_KEY", ""),
        "SFO_NOTIFY_BASE_URL": env.get("SFO_NOTIFY_BASE_URL", "https://api.notifications.service.gov.uk"),
        "SFO_NOTIFY_TEMPLATES": templates,
        # How often the worker asks Notify again about an email it has not heard the end of.
        "SFO_NOTIFY_POLL_SECONDS": float(env.get("SFO_NOTIFY_POLL_SECONDS", "60")),
    }
