"""Failed sign-ins are throttled per account-and-address and per address, in a store shared by every
server process (the database, or Redis), so that one attacker cannot lock a colleague out."""

from __future__ import annotations

import importlib
import os
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
from flask import Flask

from app import create_app
from app.services.throttle import sign_in_throttle
from app.services.users import user_for_password
from tests.conftest import PASSWORD, make_user
from tests.web.conftest import Browser

REDIS_URL = os.environ.get("SFO_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def attempt(app: Flask, username: str, password: str, address: str = "203.0.113.5", **headers: str) -> int:
    """One sign-in from ``address`` through a fresh client; returns the status."""
    browser = Browser(app.test_client())
    browser.client.environ_base["REMOTE_ADDR"] = address
    browser.get("/sign-in")
    browser._fresh_request()
    response = browser.client.post(
        "/sign-in", data={"username": username, "password": password, "csrf_token": browser.token}, headers=headers
    )
    return response.status_code


def account_limit(app: Flask) -> int:
    return int(app.config["SFO_SIGN_IN_ACCOUNT_LIMIT"].split()[0])


def test_an_attacker_cannot_lock_the_owner_out_from_another_address(app):
    victim = make_user("sfo-team")
    for _ in range(account_limit(app) * 3):
        attempt(app, victim.username, "guess", address="198.51.100.66")
    assert attempt(app, victim.username, PASSWORD, address="198.51.100.66") == 429  # the attacker's address
    assert attempt(app, victim.username, PASSWORD, address="203.0.113.5") == 302  # the owner at their desk


def test_failures_for_one_account_do_not_lock_a_colleague_at_the_same_address(app):
    careless, colleague = make_user("sfo-team"), make_user("sfo-team")
    for _ in range(account_limit(app)):
        assert (
            attempt(app, careless.username, "wrong password") == 200
        )  # the sign-in page again, with the error summary
    assert attempt(app, careless.username, PASSWORD) == 429
    assert attempt(app, colleague.username, PASSWORD) == 302


def test_an_address_spraying_many_accounts_is_throttled(app):
    per_address = int(app.config["SFO_SIGN_IN_ADDRESS_LIMIT"].split()[0])
    user = make_user("sfo-team")
    for number in range(per_address):
        attempt(app, f"guess{number}", "password1234", address="198.51.100.7")
    assert attempt(app, user.username, PASSWORD, address="198.51.100.7") == 429
    assert attempt(app, user.username, PASSWORD, address="198.51.100.8") == 302


def test_the_lockout_ends_with_its_window_and_says_when(app, clock):
    user = make_user("sfo-team")
    for _ in range(account_limit(app)):
        attempt(app, user.username, "wrong password")
    browser = Browser(app.test_client())
    browser.client.environ_base["REMOTE_ADDR"] = "203.0.113.5"
    browser.get("/sign-in")
    response = browser.client.post(
        "/sign-in", data={"username": user.username.upper(), "password": PASSWORD, "csrf_token": browser.token}
    )
    assert response.status_code == 429 and int(response.headers["Retry-After"]) <= 15 * 60
    assert b"Wait 15 minutes" in response.get_data()
    clock.advance(minutes=15)
    assert attempt(app, user.username, PASSWORD) == 302


def test_the_counts_keep_neither_the_typed_username_nor_the_address(app):
    """A password typed into the username box, or a person's name, is not kept in the clear: the counts are
    keyed by a keyed hash, so the same username and address still meet the same count."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import RateLimitCounter

    typed = "Correct-Horse-Battery-Staple"
    for _ in range(account_limit(app)):
        attempt(app, typed, "guess", address="198.51.100.23")
    assert attempt(app, typed.lower(), "guess", address="198.51.100.23") == 429
    keys = " ".join(db.session.scalars(select(RateLimitCounter.key)))
    assert keys and typed.lower() not in keys.lower() and "198.51.100.23" not in keys


def test_successful_sign_ins_are_not_counted(app):
    user = make_user("sfo-team")
    for _ in range(account_limit(app) * 2):
        assert attempt(app, user.username, PASSWORD) == 302


def test_forwarded_for_is_ignored_without_trusted_proxies(app):
    user = make_user("sfo-team")
    for number in range(account_limit(app)):
        attempt(app, user.username, "wrong", **{"X-Forwarded-For": f"192.0.2.{number}"})
    # every attempt came from the same socket address, whatever the header claimed
    assert attempt(app, user.username, PASSWORD, **{"X-Forwarded-For": "192.0.2.200"}) == 429


@pytest.fixture
def second_app(base_app: Flask) -> Flask:
    """Another server process on the same database (as a second gunicorn worker would be)."""
    return create_app({**_overrides(base_app)}, clock=base_app.extensions["sfo.runtime"].clock)


def _overrides(app: Flask, **extra: object) -> dict[str, object]:
    keys = ("TESTING", "SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "SFO_PASSWORD_HASH_METHOD", "SFO_RATELIMIT_STORAGE_URL")
    return {**{key: app.config[key] for key in keys}, **extra}


def test_two_server_processes_share_the_count(app, second_app):
    user = make_user("sfo-team")
    limit = account_limit(app)
    for number in range(limit):
        serving = app if number % 2 else second_app
        with serving.app_context():
            assert attempt(serving, user.username, "wrong") == 200
    with second_app.app_context():
        assert attempt(second_app, user.username, PASSWORD) == 429
    assert attempt(app, user.username, PASSWORD) == 429


def test_trusted_proxies_name_the_client(base_app):
    proxied = create_app(_overrides(base_app, SFO_TRUSTED_PROXIES=1), clock=base_app.extensions["sfo.runtime"].clock)
    with proxied.app_context():
        user = make_user("sfo-team")
        try:
            for _ in range(account_limit(proxied)):
                attempt(proxied, user.username, "wrong", address="10.0.0.2", **{"X-Forwarded-For": "198.51.100.9"})
            assert (
                attempt(proxied, user.username, PASSWORD, address="10.0.0.2", **{"X-Forwarded-For": "198.51.100.9"})
                == 429
            )
            # the same proxy, another client behind it
            assert (
                attempt(proxied, user.username, PASSWORD, address="10.0.0.2", **{"X-Forwarded-For": "203.0.113.77"})
                == 302
            )
        finally:
            sign_in_throttle().reset()
            from tests.conftest import _empty_tables

            _empty_tables()


def _redis_or_skip() -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {REDIS_URL} (set SFO_TEST_REDIS_URL)")


def test_two_server_processes_share_the_count_in_redis(base_app, app):
    _redis_or_skip()
    clock = base_app.extensions["sfo.runtime"].clock
    prefix = f"sfo-test-{uuid.uuid4().hex}"
    settings = _overrides(base_app, SFO_RATELIMIT_STORAGE_URL=REDIS_URL, SFO_RATELIMIT_KEY_PREFIX=prefix)
    first, second = (create_app(settings, clock=clock) for _ in range(2))
    user = make_user("sfo-team")
    try:
        for number in range(account_limit(first)):
            serving = first if number % 2 else second
            with serving.app_context():
                attempt(serving, user.username, "wrong")
        with second.app_context():
            assert attempt(second, user.username, PASSWORD) == 429
            assert attempt(second, user.username, PASSWORD, address="203.0.113.99") == 302
        with first.app_context():
            assert attempt(first, user.username, PASSWORD) == 429
        keys = " ".join(key.decode() for key in redis.Redis.from_url(REDIS_URL).scan_iter(f"{prefix}*"))
        assert keys and user.username not in keys and "203.0.113.5" not in keys
    finally:
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"{prefix}*"):
            client.delete(key)


def test_the_redis_key_prefix_is_set_by_the_environment(monkeypatch):
    """Two services sharing one Redis keep their sign-in counts apart only if each can be given a prefix."""
    from app.config import load_config

    assert load_config()["SFO_RATELIMIT_KEY_PREFIX"] == "sfo"
    monkeypatch.setenv("SFO_RATELIMIT_KEY_PREFIX", "sfo-training")
    assert load_config()["SFO_RATELIMIT_KEY_PREFIX"] == "sfo-training"


@pytest.mark.parametrize("storage", ["database", "memory://", "redis"])
def test_concurrent_wrong_passwords_never_exceed_the_limit(base_app, app, monkeypatch, storage):
    """Several workers taking wrong passwords at the same moment: the attempt is claimed before the password
    is checked, so no more than the limit of passwords are ever tried, however the attempts interleave."""
    settings = {}
    if storage == "redis":
        _redis_or_skip()
        settings = {"SFO_RATELIMIT_STORAGE_URL": REDIS_URL, "SFO_RATELIMIT_KEY_PREFIX": f"sfo-test-{uuid.uuid4().hex}"}
    elif storage != "database":
        settings = {"SFO_RATELIMIT_STORAGE_URL": storage}
    serving = create_app(_overrides(base_app, **settings), clock=base_app.extensions["sfo.runtime"].clock)
    username = make_user("sfo-team").username
    tried = []
    slow_check = user_for_password

    def check_slowly(username: str, password: str) -> object:
        tried.append(username)
        time.sleep(0.3)  # every other attempt reaches the throttle while this one is checking
        return slow_check(username, password)

    monkeypatch.setattr(importlib.import_module("app.web.auth"), "user_for_password", check_slowly)
    attempts = account_limit(serving) * 2
    start = threading.Barrier(attempts)

    def one_attempt(_: int) -> int:
        start.wait()
        with serving.app_context():
            return attempt(serving, username, "wrong")

    try:
        with ThreadPoolExecutor(attempts) as pool:
            statuses = list(pool.map(one_attempt, range(attempts)))
        assert len(tried) <= account_limit(serving)
        assert statuses.count(200) == len(tried) and statuses.count(429) == attempts - len(tried)
    finally:
        with serving.app_context():
            sign_in_throttle().reset()
