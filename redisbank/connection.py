"""The connection to Redis: REDIS_URL when set, else the embedded Redis Stack.

Connecting checks that the server answers and loads the JSON, Search and
TimeSeries modules, so a wrong server is one clear error here rather than an
unknown-command error deep inside a query.
"""

import logging
import os

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

from redisbank import config, models
from redisbank.errors import MissingModules, RedisUnavailable
from redisbank.server import EmbeddedServer

log = logging.getLogger(__name__)

_clients: dict[str, redis.Redis] = {}


def configured_url() -> str | None:
    """Return REDIS_URL, or None when the embedded server is to be used."""
    return os.environ.get(config.ENV_REDIS_URL) or None


def connect(url: str | None = None, *, start: bool = True) -> redis.Redis:
    """Return a checked client for url, REDIS_URL, or the embedded server.

    With neither url nor REDIS_URL, the embedded Redis Stack is started if it is
    not running (unless start is False). Clients are cached per URL and checked
    again on every call. Replies are decoded to str; socket timeouts keep a dead
    server from hanging the caller.
    """
    url = url or configured_url()
    if url is None:
        server = EmbeddedServer.default()
        if start:
            server.start()
        url = server.url
        hint = "start it with `redisbank server start`"
    else:
        hint = "check that the server runs and REDIS_URL is right"

    # Checked on every call, cached or not: one round trip that turns a server
    # which died since the last call into a clear error here.
    client = _clients.get(url) or _make_client(url)
    check_server(client, url, hint)
    _clients[url] = client
    # redis-om would otherwise talk to REDIS_OM_URL or localhost:6379 on its own.
    models.bind(client)
    return client


def _make_client(url: str) -> redis.Redis:
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise RedisUnavailable(
            url,
            "not a redis:// or rediss:// URL",
            "set REDIS_URL like redis://host:6379",
        )
    try:
        return _client_from_url(url)
    except ValueError as error:
        reason = f"not a valid URL: {error}"
        raise RedisUnavailable(redact(url), reason, "fix REDIS_URL") from error


def _client_from_url(url: str) -> redis.Redis:
    return redis.Redis.from_url(
        url,
        decode_responses=True,
        socket_timeout=config.SOCKET_TIMEOUT_S,
        socket_connect_timeout=config.CONNECT_TIMEOUT_S,
        health_check_interval=30,
        # One quick retry rides out a dropped connection (a server restart). A
        # timeout is not retried: redis-py would retry the handshake and the
        # command each, turning one silent server into many seconds of waiting.
        retry=Retry(
            ExponentialBackoff(cap=0.1, base=0.02),
            retries=1,
            supported_errors=(redis.ConnectionError,),
        ),
    )


# One harmless command per module. Probing commands rather than reading MODULE
# LIST also works for users whose ACL forbids admin commands, as on managed Redis.
_MODULE_PROBES = {
    "JSON": ("JSON.TYPE", config.PREFIX + ":probe"),
    "Search": ("FT._LIST",),
    "TimeSeries": ("TS.QUERYINDEX", "kind=redisbank-probe"),
}


def check_server(client: redis.Redis, url: str, hint: str = "") -> None:
    """Raise RedisUnavailable or MissingModules unless the server is usable."""
    shown = redact(url)
    pipe = client.pipeline(transaction=False)
    for probe in _MODULE_PROBES.values():
        pipe.execute_command(*probe)
    try:
        replies = pipe.execute(raise_on_error=False)
    except redis.AuthenticationError as error:
        reason = f"authentication failed: {error}"
        raise RedisUnavailable(shown, reason, hint) from error
    except redis.ConnectionError as error:
        reason = str(error) or "connection refused"
        raise RedisUnavailable(shown, reason, hint) from error
    except redis.TimeoutError as error:
        raise RedisUnavailable(shown, "timed out", hint) from error
    except redis.ResponseError as error:  # refused at the handshake: a bad db number
        raise RedisUnavailable(shown, str(error), "check the URL's database") from error

    for (_, probe), reply in zip(_MODULE_PROBES.items(), replies, strict=True):
        if isinstance(reply, redis.exceptions.NoPermissionError):
            reason = f"this user may not run {probe[0]}"
            raise RedisUnavailable(shown, reason, "grant it with ACL SETUSER")
    missing = [
        module
        for module, reply in zip(_MODULE_PROBES, replies, strict=True)
        if isinstance(reply, redis.ResponseError)
    ]
    if missing:
        raise MissingModules(shown, missing)


def redact(url: str) -> str:
    """Return url with its password replaced, for messages and logs."""
    scheme, sep, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not at or ":" not in credentials:
        return url
    user = credentials.split(":", 1)[0]
    return f"{scheme}{sep}{user}:***@{host}"


def close_all() -> None:
    """Close every cached client (tests use it between servers)."""
    while _clients:
        _, client = _clients.popitem()
        client.close()
