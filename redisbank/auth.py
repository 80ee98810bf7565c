"""Customers and their passwords, and logging in.

Passwords are stored only as argon2id hashes (argon2-cffi's defaults, the
RFC 9106 low-memory profile). An unknown username is checked against a dummy
hash, so it costs as long as a wrong password and the two cannot be told apart;
both raise the same LoginFailed. Failed logins are throttled (see throttle.py)
before any password is checked.
"""

import logging
import os
from functools import cache
from typing import Any

import redis
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from redisbank import config
from redisbank.errors import InvalidInput, LoginFailed
from redisbank.sessions import Session, SessionStore
from redisbank.throttle import LoginThrottle

log = logging.getLogger("redisbank.security")

_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    return _hasher.hash("no user has this password")


def warm_up() -> None:
    """Compute the dummy hash now, so the first unknown user is not the slow one."""
    _dummy_hash()


def user_key(username: str) -> str:
    return config.USER_KEY.format(username=username)


def create_user(
    client: redis.Redis,
    username: str,
    password: str,
    profile: dict[str, Any],
    permissions: list[str] | None = None,
) -> None:
    """Store a customer with the argon2id hash of password, replacing any before.

    permissions default to the profile's, else to ["user"].
    """
    if not _plausible(username):
        raise InvalidInput(f"usernames are letters and digits, not {username!r}")
    if len(password) < 8:
        raise InvalidInput("a password needs at least 8 characters")
    granted = permissions or profile.get("permissions") or ["user"]
    unknown = [p for p in granted if p not in config.PERMISSIONS]
    if unknown:
        raise InvalidInput(f"unknown permissions {unknown}: use {config.PERMISSIONS}")
    record = {
        **profile,
        "username": username,
        "permissions": list(granted),
        "password_hash": _hasher.hash(password),
    }
    client.json().set(user_key(username), "$", record)


def demo_password() -> str:
    """Return the demo customer's password: the environment's, else the default."""
    return os.environ.get(config.ENV_DEMO_PASSWORD) or config.DEMO_PASSWORD


def ensure_demo_user(client: redis.Redis) -> None:
    """Make sure `bob` exists and that the configured demo password opens it."""
    record = client.json().get(user_key(config.DEMO_USERNAME))
    if record and _matches(record["password_hash"], demo_password()):
        return
    create_user(client, config.DEMO_USERNAME, demo_password(), config.DEMO_PROFILE)


def authenticate(client: redis.Redis, username: str, password: str) -> dict[str, Any]:
    """Return the customer's record, hash left out; LoginFailed if it is not theirs."""
    record = client.json().get(user_key(username)) if _plausible(username) else None
    if not record:
        _matches(_dummy_hash(), password)  # spend the same time as a real check
        log.warning("login failed: unknown user")
        raise LoginFailed(username)
    if not _matches(record["password_hash"], password):
        log.warning("login failed for %s: wrong password", username)
        raise LoginFailed(username)

    if _hasher.check_needs_rehash(record["password_hash"]):
        new_hash = _hasher.hash(password)
        client.json().set(user_key(username), "$.password_hash", new_hash)
    return {k: v for k, v in record.items() if k != "password_hash"}


def login(
    store: SessionStore,
    throttle: LoginThrottle,
    username: str,
    password: str,
    *,
    address: str,
    client_label: str = "",
    replacing: Session | None = None,
) -> Session:
    """Check the password, then open a session under a fresh token.

    The session starts with the least privilege, `user`; step_up grants the
    rest of the customer's permissions. A session the request arrived with
    (replacing) ends in the same step, so an id known before login is useless
    after it. A failed login raises LoginFailed, a locked-out one
    LoginThrottled; neither writes a session.
    """
    record = _verified(store.client, throttle, username, password, address)
    log.info("login succeeded for %s", username)
    return store.create(username, record, ["user"], client_label, replacing=replacing)


def step_up(
    store: SessionStore,
    throttle: LoginThrottle,
    session: Session,
    password: str,
    *,
    address: str,
) -> Session | None:
    """Grant the session every permission its customer has, under a new token.

    The password is asked for again. Returns None if the session ended
    meanwhile (a logout elsewhere): it is not brought back.
    """
    record = _verified(store.client, throttle, session.username, password, address)
    log.info("step-up for %s to %s", session.username, record["permissions"])
    return store.rotate(session, permissions=record["permissions"])


def _verified(
    client: redis.Redis,
    throttle: LoginThrottle,
    username: str,
    password: str,
    address: str,
) -> dict[str, Any]:
    throttle.check(username, address)
    try:
        record = authenticate(client, username, password)
    except LoginFailed:
        throttle.record_failure(username, address)
        raise
    throttle.forget(username)
    return record


def _plausible(username: str) -> bool:
    return 0 < len(username) <= config.USERNAME_MAX_CHARS and username.isalnum()


def _matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
