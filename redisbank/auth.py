"""Customers and their passwords, and logging in.

Passwords are stored only as argon2id hashes (argon2-cffi's defaults, the
RFC 9106 low-memory profile). An unknown username is checked against a dummy
hash, so it costs as long as a wrong password and the two cannot be told apart.
"""

import logging
import os
from functools import cache
from typing import Any

import redis
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from redisbank import config, sessions
from redisbank.errors import InvalidInput, LoginFailed
from redisbank.sessions import Session

log = logging.getLogger("redisbank.security")

_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    return _hasher.hash("no user has this password")


def user_key(username: str) -> str:
    return config.USER_KEY.format(username=username)


def create_user(
    client: redis.Redis, username: str, password: str, profile: dict[str, Any]
) -> None:
    """Store a customer with the argon2id hash of password, replacing any before."""
    if not username or not username.isalnum():
        raise InvalidInput(f"usernames are letters and digits, not {username!r}")
    if len(password) < 8:
        raise InvalidInput("a password needs at least 8 characters")
    record = {**profile, "username": username, "password_hash": _hasher.hash(password)}
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
    """Return the customer's profile if password is theirs; raise LoginFailed if not."""
    record = client.json().get(user_key(username)) if username.isalnum() else None
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


def login(client: redis.Redis, username: str, password: str) -> Session:
    """Check the password, then open a session holding the customer's profile.

    A failed login raises LoginFailed and writes nothing to Redis.
    """
    profile = authenticate(client, username, password)
    log.info("login succeeded for %s", username)
    return sessions.create(client, {"username": username, "profile": profile})


def _matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
