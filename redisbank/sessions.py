"""The session store: JSON documents in Redis, keyed by a hash of the token.

The client holds a random token of 256 bits; Redis holds the session under the
SHA-256 of that token, so a key listing or a dump of the database reveals no
token that could be replayed. Every change is one Lua script (they are in
redisbank.session_scripts), so it is atomic on the server:

- the key's expiry is the session's idle deadline: the nearer of the last
  request plus the idle timeout and the absolute limit. Loading checks both
  limits and moves the deadline, in one round trip; the key never outlives the
  absolute limit, however often it is read. A read that would move the
  deadline by less than the touch resolution (a second, or a hundredth of the
  idle timeout if that is shorter) leaves it, so a burst of requests writes
  nothing. The last-seen time that listings show is rewritten at most once a
  minute (or a tenth of the idle timeout): it is for people, not for the limits;
- updating changes only the fields it names, and does nothing to a session
  that was deleted or has run out, so a late request cannot bring one back;
- rotating writes the session under a new token and deletes the old key in the
  same step;
- each user has an index of sessions, a sorted set of key digests scored by
  each session's absolute limit. Every login, rotation, logout and listing
  drops the sessions that have gone, and the index expires with the user's
  last live session.

A session that is unknown, expired or undecodable is no session: load returns
None and says why on the `redisbank.security` logger, without the token. The
scripts name the user's index from the stored username, which only a single
Redis server allows (a cluster wants every key declared); redisbank runs on one.
"""

import hashlib
import json
import logging
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
import redis

from redisbank import config
from redisbank import session_scripts as scripts
from redisbank.errors import InvalidInput, RedisUnavailable

log = logging.getLogger("redisbank.security")

_KEY_PREFIX = config.SESSION_KEY.format(digest="")
_INDEX_PREFIX = config.SESSION_INDEX_KEY.format(username="")
_PERMISSIONS = frozenset(config.PERMISSIONS)
_TIME_FIELDS = ("created_ms", "last_seen_ms", "idle_timeout_ms", "expires_at_ms")
# Stored times beyond the last moment a datetime holds are not ours.
_LATEST_MS = int(datetime(9999, 12, 31, tzinfo=UTC).timestamp() * 1000)


def digest_of(token: str) -> str:
    """Return the SHA-256 of token, in hex: the part of the key Redis sees."""
    return hashlib.sha256(token.encode()).hexdigest()


def session_key(token: str) -> str:
    """Return the Redis key of the session that token opens."""
    return config.SESSION_KEY.format(digest=digest_of(token))


def index_key(username: str) -> str:
    """Return the Redis key of the index of username's sessions."""
    return config.SESSION_INDEX_KEY.format(username=username)


def handle_of(digest: str) -> str:
    """Return the public name of a session: safe to show, useless to log in with."""
    derived = hashlib.sha256(b"redisbank.session-handle:" + digest.encode())
    return derived.hexdigest()[: config.SESSION_HANDLE_CHARS]


@dataclass(frozen=True)
class Session:
    """A live session: the token the client keeps and the data Redis keeps."""

    token: str
    data: dict[str, Any]

    @property
    def digest(self) -> str:
        return digest_of(self.token)

    @property
    def key(self) -> str:
        return config.SESSION_KEY.format(digest=self.digest)

    @property
    def handle(self) -> str:
        return handle_of(self.digest)

    @property
    def username(self) -> str:
        return self.data["username"]

    @property
    def permissions(self) -> list[str]:
        return list(self.data.get("permissions", []))


@dataclass(frozen=True)
class SessionSummary:
    """What a user may see of one of their sessions: never its token."""

    handle: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    client: str


class SessionStore:
    """Sessions in Redis with a sliding idle timeout and an absolute lifetime.

    Both limits are checked by the server at every read, against the clock
    given here (seconds since the epoch; tests pass their own). Every method
    raises RedisUnavailable within about a second when Redis does not answer,
    and works again once it does.
    """

    def __init__(
        self,
        client: redis.Redis,
        *,
        idle_timeout_s: float = config.SESSION_IDLE_TIMEOUT_S,
        absolute_timeout_s: float = config.SESSION_ABSOLUTE_TIMEOUT_S,
        clock: Callable[[], float] = time.time,
    ):
        if not 0 < idle_timeout_s <= absolute_timeout_s:
            raise InvalidInput(
                f"the idle timeout ({idle_timeout_s} s) must be positive and at most "
                f"the absolute timeout ({absolute_timeout_s} s)"
            )
        self.client = client
        self.idle_timeout_ms = round(idle_timeout_s * 1000)
        self.absolute_timeout_ms = round(absolute_timeout_s * 1000)
        self.touch_resolution_ms = min(
            round(config.SESSION_TOUCH_RESOLUTION_S * 1000), self.idle_timeout_ms // 100
        )
        self.last_seen_resolution_ms = min(
            round(config.SESSION_LAST_SEEN_RESOLUTION_S * 1000),
            self.idle_timeout_ms // 10,
        )
        self.clock = clock
        self._create = client.register_script(scripts.CREATE)
        self._load = client.register_script(scripts.LOAD)
        self._update = client.register_script(scripts.UPDATE)
        self._rotate = client.register_script(scripts.ROTATE)
        self._destroy = client.register_script(scripts.DESTROY)
        self._list = client.register_script(scripts.LIST)
        self._destroy_all = client.register_script(scripts.DESTROY_ALL)

    def create(
        self,
        username: str,
        profile: dict[str, Any],
        permissions: list[str],
        client_label: str = "",
        *,
        replacing: Session | None = None,
    ) -> Session:
        """Open a new session for username under a fresh token and return it.

        With replacing (the session the request arrived with, at a login), that
        session is deleted in the same step: its token stops working at once.
        """
        token, document = self._new_document(username, profile, permissions)
        document["client"] = client_label[: config.SESSION_CLIENT_MAX_CHARS]
        if replacing is not None:
            changes = ["replace", json.dumps(document)]
            self._move(replacing, token, changes, username=username)
            return Session(token, document)

        with self._talking():
            self._create(
                keys=[session_key(token), index_key(username)],
                args=[
                    json.dumps(document),
                    self._deadline(document),
                    document["created_ms"],
                    digest_of(token),
                    document["expires_at_ms"],
                    _KEY_PREFIX,
                ],
            )
        return Session(token, document)

    def load(self, token: str) -> Session | None:
        """Return the session token opens and mark it seen; None if there is none.

        One round trip. An expired session is deleted as it is found; an
        undecodable one is deleted too. Neither, nor an unknown token, creates
        any key.
        """
        now = self._now_ms()
        digest = digest_of(token)
        with self._talking():
            reply = self._evalsha(
                self._load,
                _KEY_PREFIX + digest,
                now,
                _INDEX_PREFIX,
                digest,
                self.touch_resolution_ms,
                self.last_seen_resolution_ms,
            )
        status = _text(reply[0])
        if status != "ok":
            self._report(status, digest)
            return None

        document = self._decoded(reply[1], digest, None)
        if document is None:
            return None
        document["last_seen_ms"] = int(reply[2])
        return Session(token, document)

    def is_live(self, session: Session) -> bool:
        """Tell whether session is still live, without marking it seen.

        For background requests, such as the dashboard's live feed: an open page
        must not keep a session alive past its idle timeout by itself.
        """
        with self._talking():
            deadline = self.client.pexpiretime(session.key)
        return self._now_ms() < deadline  # -2 when the key has gone

    def update(self, session: Session, **fields: Any) -> bool:
        """Set the named fields of a live session, leaving every other field alone.

        Returns False, and writes nothing, if the session was deleted (a logout)
        or has run out meanwhile. Fields are those in SESSION_MUTABLE_FIELDS.
        """
        unknown = set(fields) - set(config.SESSION_MUTABLE_FIELDS)
        if unknown:
            raise InvalidInput(f"sessions have no writable field {sorted(unknown)}")
        args: list[Any] = [self._now_ms()]
        for name, value in fields.items():
            args += [f"$.{name}", json.dumps(value)]
        with self._talking():
            return bool(self._update(keys=[session.key], args=args))

    def rotate(
        self, session: Session, *, permissions: list[str] | None = None
    ) -> Session | None:
        """Move session to a fresh token, optionally with new permissions.

        The stored session moves as it is in Redis, fields written by other
        requests included, and the old token stops working in the same step.
        It keeps its creation time and so its absolute limit. Returns None, and
        creates nothing, if the session has already gone or run out.
        """
        token = secrets.token_urlsafe(config.SESSION_TOKEN_BYTES)
        changes = ["copy", "$.handle", json.dumps(handle_of(digest_of(token)))]
        if permissions is not None:
            changes += ["$.permissions", json.dumps(_checked_permissions(permissions))]
        moved = self._move(session, token, changes, username=session.username)
        if not moved:
            return None
        document = self._decoded(moved, digest_of(token), session.username)
        return Session(token, document) if document is not None else None

    def _move(
        self, old: Session, token: str, changes: list[str], *, username: str
    ) -> str | None:
        with self._talking():
            return self._rotate(
                keys=[
                    old.key,
                    session_key(token),
                    index_key(old.username),
                    index_key(username),
                ],
                args=[
                    self._now_ms(),
                    old.digest,
                    digest_of(token),
                    _KEY_PREFIX,
                    *changes,
                ],
            )

    def destroy(self, session: Session) -> bool:
        """End session at once; return False if it had already gone."""
        return self.destroy_key(session.digest, session.username)

    def destroy_key(self, digest: str, username: str | None) -> bool:
        """Delete the session stored under digest and drop it from its index."""
        index = index_key(username) if username else _INDEX_PREFIX
        with self._talking():
            return bool(
                self._destroy(
                    keys=[_KEY_PREFIX + digest, index],
                    args=[digest, self._now_ms(), _KEY_PREFIX],
                )
            )

    def sessions_of(self, username: str) -> list[SessionSummary]:
        """Return username's live sessions, oldest first."""
        summaries = []
        for digest, document in self._live(username):
            summaries.append(
                SessionSummary(
                    handle=handle_of(digest),
                    created_at=_moment(document["created_ms"]),
                    last_seen_at=_moment(document["last_seen_ms"]),
                    expires_at=_moment(document["expires_at_ms"]),
                    client=document.get("client", ""),
                )
            )
        return sorted(summaries, key=lambda summary: summary.created_at)

    def revoke(self, username: str, handle: str) -> bool:
        """End the session of username's that handle names; False if none does."""
        if not handle.isascii():  # compare_digest refuses other text
            return False
        for digest, _ in self._live(username):
            if secrets.compare_digest(handle_of(digest), handle):
                return self.destroy_key(digest, username)
        return False

    def revoke_all(self, username: str) -> int:
        """End every session of username's; return how many there were."""
        with self._talking():
            return int(
                self._destroy_all(
                    keys=[index_key(username)], args=[_KEY_PREFIX, username]
                )
            )

    def _evalsha(self, script, key: str, *args: Any) -> Any:
        # Every request loads its session: calling EVALSHA directly saves the
        # dozen microseconds that redis-py's Script wrapper adds to each call
        # (bench/sessions.py), about an eighth of a round trip.
        try:
            return self.client.evalsha(script.sha, 1, key, *args)
        except redis.exceptions.NoScriptError:
            return script(keys=[key], args=args)

    def _live(self, username: str) -> Iterator[tuple[str, dict[str, Any]]]:
        now = self._now_ms()  # one moment for the script's pruning and the check below
        with self._talking():
            reply = self._list(keys=[index_key(username)], args=[now, _KEY_PREFIX])
        for digest, raw in zip(reply[::2], reply[1::2], strict=True):
            document = self._decoded(raw, _text(digest), username)
            if document is None or document["username"] != username:
                continue
            if document["expires_at_ms"] <= now:  # past its absolute limit
                self.destroy_key(_text(digest), username)
                continue
            yield _text(digest), document

    def _decoded(
        self, raw: str | None, digest: str, username: str | None
    ) -> dict[str, Any] | None:
        """Return the session raw holds; None, deleting it, if it is not one.

        raw is None when the key holds something other than a JSON document.
        """
        try:
            # Every request loads its session, and orjson decodes one in a fifth
            # of the time the json module takes (1.3 against 6.1 µs here).
            document = orjson.loads(raw)
            _check_shape(document)
        except (ValueError, TypeError, KeyError):
            log.warning("undecodable session %s discarded", handle_of(digest))
            self.destroy_key(digest, username)
            return None
        return document

    def _new_document(
        self, username: str, profile: dict[str, Any], permissions: list[str]
    ) -> tuple[str, dict[str, Any]]:
        token = secrets.token_urlsafe(config.SESSION_TOKEN_BYTES)
        now = self._now_ms()
        document = {
            "username": username,
            "profile": {
                field: profile.get(field)
                for field in ("name", "date_of_birth", "email")
            },
            "permissions": _checked_permissions(permissions),
            "recent_transactions": [],
            "balance": None,
            "handle": handle_of(digest_of(token)),
            "created_ms": now,
            "last_seen_ms": now,
            "idle_timeout_ms": self.idle_timeout_ms,
            "expires_at_ms": now + self.absolute_timeout_ms,
        }
        return token, document

    def _deadline(self, document: dict[str, Any]) -> int:
        return min(
            document["last_seen_ms"] + document["idle_timeout_ms"],
            document["expires_at_ms"],
        )

    def _now_ms(self) -> int:
        return int(self.clock() * 1000)

    def _report(self, status: str, digest: str) -> None:
        # The handle names the session in the log without letting anyone use it.
        if status == "expired":
            log.warning("expired session %s presented", handle_of(digest))
        elif status == "corrupt":
            log.warning("undecodable session %s discarded", handle_of(digest))
        else:
            log.warning("unknown session presented")

    @contextmanager
    def _talking(self) -> Iterator[None]:
        try:
            yield
        except (redis.ConnectionError, redis.TimeoutError) as error:
            raise RedisUnavailable(
                _address(self.client),
                str(error) or type(error).__name__,
                "the session store retries by itself once Redis is back",
            ) from error


def _checked_permissions(permissions: list[str]) -> list[str]:
    unknown = [p for p in permissions if p not in config.PERMISSIONS]
    if unknown:
        raise InvalidInput(f"unknown permissions {unknown}: use {config.PERMISSIONS}")
    return list(permissions)


def _check_shape(document: Any) -> None:
    """Raise TypeError, KeyError or ValueError unless document is a session."""
    if not isinstance(document, dict) or not isinstance(document["profile"], dict):
        raise TypeError("a session is a JSON object with a profile")
    if not isinstance(document["username"], str):
        raise TypeError("a session names its user")
    permissions = document["permissions"]
    if not isinstance(permissions, list) or not set(permissions) <= _PERMISSIONS:
        raise TypeError(f"permissions are a list of {config.PERMISSIONS}")
    for field in _TIME_FIELDS:
        value = document[field]
        if type(value) is not int or not 0 <= value <= _LATEST_MS:
            raise ValueError(f"{field} is not a moment in milliseconds")
    if not isinstance(document.get("client", ""), str):
        raise TypeError("the client label is text")


def _moment(epoch_ms: int) -> datetime:
    return datetime.fromtimestamp(epoch_ms / 1000, tz=UTC)


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _address(client: redis.Redis) -> str:
    kwargs = client.connection_pool.connection_kwargs
    return f"redis://{kwargs.get('host', '?')}:{kwargs.get('port', '?')}"
