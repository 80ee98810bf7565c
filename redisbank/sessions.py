"""Sessions kept in Redis as JSON documents that expire by themselves.

The client holds a random token; Redis holds the session under the SHA-256 of
that token, so a key listing or a dump of the database reveals no token that
could be replayed. Every field can be changed on its own with a JSON path, so
two writers touching different fields do not overwrite each other.
"""

import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Any

import redis

from redisbank import config


@dataclass(frozen=True)
class Session:
    """A live session: the token the client keeps and the data Redis keeps."""

    token: str
    key: str
    data: dict[str, Any]


def session_key(token: str) -> str:
    """Return the Redis key of the session that token opens."""
    digest = hashlib.sha256(token.encode()).hexdigest()
    return config.SESSION_KEY.format(digest=digest)


def create(
    client: redis.Redis, data: dict[str, Any], ttl: int = config.SESSION_TTL_S
) -> Session:
    """Store a new session holding data, expiring in ttl seconds; return it."""
    token = secrets.token_urlsafe(config.SESSION_TOKEN_BYTES)
    key = session_key(token)
    document = {**data, "created_at": time.time(), "expires_in_s": ttl}

    pipe = client.pipeline(transaction=True)
    pipe.json().set(key, "$", document)
    pipe.expire(key, ttl)
    pipe.execute()
    return Session(token, key, document)


def load(client: redis.Redis, token: str) -> Session | None:
    """Return the session token opens, or None if it is unknown or expired."""
    key = session_key(token)
    document = client.json().get(key)
    if not isinstance(document, dict):
        return None
    return Session(token, key, document)


def set_field(client: redis.Redis, token: str, field: str, value: Any) -> bool:
    """Set one top-level field of a live session; return False if it is gone.

    JSON.SET on a path changes only that field and keeps the key's TTL. On a key
    that has expired or been deleted it writes nothing (a new document can only
    be made at the root), so a late request cannot bring a session back.
    """
    if not field.isidentifier():
        raise ValueError(f"session field names are identifiers, not {field!r}")
    try:
        return bool(client.json().set(session_key(token), f"$.{field}", value))
    except redis.ResponseError:
        return False


def destroy(client: redis.Redis, token: str) -> bool:
    """End a session at once; return False if there was none."""
    return bool(client.delete(session_key(token)))
