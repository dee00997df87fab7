"""Configuration from ``SFO_*`` environment variables and ``DATABASE_URL``."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE = PROJECT_ROOT / "instance" / "sfo.sqlite3"


def database_url(raw: str | None) -> str:
    """Accept plain ``postgresql://`` URLs and pick the psycopg 3 driver for them."""
    if not raw:
        DEFAULT_SQLITE.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{DEFAULT_SQLITE}"
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix):]
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
    config: dict[str, Any] = {
        "SFO_ENV": environment,
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": url,
        "SQLALCHEMY_ENGINE_OPTIONS": _engine_options(url),
        "MAX_CONTENT_LENGTH": int(env.get("SFO_MAX_REQUEST_BYTES", str(5 * 1024 * 1024))),
        "SFO_BPMN_DIR": env.get("SFO_BPMN_DIR", str(PROJECT_ROOT / "bpmn")),
        "SFO_FORMS_DIR": env.get("SFO_FORMS_DIR", str(PROJECT_ROOT / "forms")),
        "SFO_WORKER_INTERVAL": float(env.get("SFO_WORKER_INTERVAL", "30")),
        "SFO_SMTP_HOST": env.get("SFO_SMTP_HOST"),
        "SFO_SMTP_PORT": int(env.get("SFO_SMTP_PORT", "25")),
        "SFO_MAIL_FROM": env.get("SFO_MAIL_FROM", "sfo-reviews@localhost"),
        "SFO_BASE_URL": env.get("SFO_BASE_URL", "http://127.0.0.1:5000"),
        # werkzeug's scrypt by default; tests use a cheaper method to stay fast.
        "SFO_PASSWORD_HASH_METHOD": "scrypt",
        "SFO_TOKEN_DAYS": float(env.get("SFO_TOKEN_DAYS", "90")),
        "SFO_TRUSTED_PROXIES": int(env.get("SFO_TRUSTED_PROXIES", "0")),
        "RATELIMIT_STORAGE_URI": rate_limit_storage(env),
        # Failed sign-ins allowed per window: per account from one address, and per address over all accounts.
        "SFO_SIGN_IN_ACCOUNT_LIMIT": env.get("SFO_SIGN_IN_ACCOUNT_LIMIT", "5 per 15 minutes"),
        "SFO_SIGN_IN_ADDRESS_LIMIT": env.get("SFO_SIGN_IN_ADDRESS_LIMIT", "30 per 15 minutes"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _flag(env.get("SFO_SECURE_COOKIES"), environment == "production"),
    }
    config.update(overrides or {})
    if overrides and "SQLALCHEMY_DATABASE_URI" in overrides:
        # An overridden database (tests, tools) needs the driver and engine options of that database.
        config["SQLALCHEMY_DATABASE_URI"] = url = database_url(config["SQLALCHEMY_DATABASE_URI"])
        if "SQLALCHEMY_ENGINE_OPTIONS" not in overrides:
            config["SQLALCHEMY_ENGINE_OPTIONS"] = _engine_options(url)
    return config


def rate_limit_storage(env: Any) -> str:
    """Redis when configured (shared by every process), else the service's own database (always shared)."""
    return str(env.get("SFO_RATELIMIT_STORAGE_URL") or env.get("SFO_REDIS_URL") or DATABASE_STORAGE)


DATABASE_STORAGE = "sfo-database://"


def _engine_options(url: str) -> dict[str, Any]:
    if url.startswith("sqlite"):
        # Several threads (web and embedded worker) share one file; wait rather than fail on locks.
        return {"connect_args": {"timeout": 30}}
    return {"pool_pre_ping": True, "pool_size": 5, "max_overflow": 5}
