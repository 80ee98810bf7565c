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
    return redis.Redis.from_url(
        url,
        decode_responses=True,
        socket_timeout=config.SOCKET_TIMEOUT_S,
        socket_connect_timeout=config.CONNECT_TIMEOUT_S,
        health_check_interval=30,
        # Two quick retries ride out a dropped connection; more would turn a
        # dead server into a wait of several seconds. A timeout is not retried:
        # a server that hangs is an error after one socket timeout, not three.
        retry=Retry(
            ExponentialBackoff(cap=0.1, base=0.02),
            2,
            supported_errors=(redis.ConnectionError,),
        ),
    )


def check_server(client: redis.Redis, url: str, hint: str = "") -> None:
    """Raise RedisUnavailable or MissingModules unless the server is usable."""
    shown = redact(url)
    try:
        loaded = {module["name"] for module in client.module_list()}
    except redis.AuthenticationError as error:
        raise RedisUnavailable(
            shown, f"authentication failed: {error}", hint
        ) from error
    except redis.ConnectionError as error:
        raise RedisUnavailable(
            shown, str(error) or "connection refused", hint
        ) from error
    except redis.TimeoutError as error:
        raise RedisUnavailable(shown, "timed out", hint) from error

    missing = [
        label for name, label in config.REQUIRED_MODULES.items() if name not in loaded
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
