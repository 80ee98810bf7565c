import socket
import subprocess
import time

import pytest

from redisbank import config, connection, runtime
from redisbank.errors import InvalidInput, MissingModules, RedisUnavailable
from tests.conftest import free_port


def test_connect_checks_the_modules_of_the_test_server(r):
    names = {module["name"] for module in r.module_list()}
    assert {"ReJSON", "search", "timeseries"} <= names
    assert r.ping() is True


def test_a_server_without_modules_is_named_with_the_fix(tmp_path):
    found = runtime.locate(config.runtime_dir())
    port = free_port()
    env = {"LD_LIBRARY_PATH": str(found.library_path or "")}
    plain = subprocess.Popen(
        [str(found.server), "--port", str(port), "--bind", "127.0.0.1",
         "--save", "", "--dir", str(tmp_path)],
        env=env, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 5
        while True:
            try:
                connection.connect(f"redis://127.0.0.1:{port}/0")
            except RedisUnavailable:
                assert time.monotonic() < deadline, "the plain server never came up"
                time.sleep(0.05)
                continue
            except MissingModules as error:
                assert error.missing == ["JSON", "Search", "TimeSeries"]
                assert "docker compose" in str(error)
                assert "unset REDIS_URL" in str(error)
                break
            pytest.fail("connecting to a server without modules succeeded")
    finally:
        plain.terminate()
        plain.wait()


def test_a_dead_server_is_a_quick_clear_error():
    url = f"redis://127.0.0.1:{free_port()}/0"
    started = time.monotonic()
    with pytest.raises(RedisUnavailable) as caught:
        connection.connect(url)
    assert time.monotonic() - started < 2
    assert caught.value.url == url
    assert "cannot reach Redis at" in str(caught.value)
    assert "REDIS_URL" in str(caught.value)


def test_a_url_that_is_not_redis_is_refused():
    with pytest.raises(RedisUnavailable, match="redis://"):
        connection.connect("http://127.0.0.1:6379")


def test_passwords_are_redacted_from_urls():
    assert (
        connection.redact("redis://alice:s3cret@db.example:6379/0")
        == "redis://alice:***@db.example:6379/0"
    )
    assert connection.redact("redis://127.0.0.1:6379") == "redis://127.0.0.1:6379"


def test_redis_url_with_a_user_and_password_authenticates(r):
    r.acl_setuser(
        "teller",
        enabled=True,
        passwords=["+counter-pass"],
        commands=["+@all"],
        keys=["*"],
    )
    try:
        port = r.connection_pool.connection_kwargs["port"]
        client = connection.connect(f"redis://teller:counter-pass@127.0.0.1:{port}/0")
        assert client.acl_whoami() == "teller"
        with pytest.raises(RedisUnavailable, match="authentication failed"):
            connection.connect(f"redis://teller:wrong@127.0.0.1:{port}/0")
    finally:
        r.acl_deluser("teller")
        connection.connect()  # point the models back at the default client


def test_a_user_barred_from_a_module_is_told_so(r):
    r.acl_setuser(
        "clerk",
        enabled=True,
        passwords=["+clerk-pass"],
        commands=["+@all", "-ts.queryindex"],
        keys=["*"],
    )
    port = r.connection_pool.connection_kwargs["port"]
    try:
        with pytest.raises(RedisUnavailable, match="may not run TS.QUERYINDEX"):
            connection.connect(f"redis://clerk:clerk-pass@127.0.0.1:{port}/0")
    finally:
        r.acl_deluser("clerk")
        connection.connect()


def test_a_server_that_never_answers_times_out_in_about_a_second():
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    url = f"redis://127.0.0.1:{silent.getsockname()[1]}/0"
    try:
        started = time.monotonic()
        with pytest.raises(RedisUnavailable, match="timed out"):
            connection.connect(url)
        assert time.monotonic() - started < 2
    finally:
        silent.close()


@pytest.mark.parametrize(
    "url, reason",
    [
        ("redis://127.0.0.1:99999/0", "not a valid URL"),
        ("redis://127.0.0.1:{port}/99", "DB index is out of range"),
    ],
)
def test_malformed_urls_are_named(r, url, reason):
    port = r.connection_pool.connection_kwargs["port"]
    with pytest.raises(RedisUnavailable, match=reason):
        connection.connect(url.format(port=port))
    connection.connect()


def test_a_bad_embedded_port_is_refused(monkeypatch):
    monkeypatch.delenv("REDIS_URL")
    monkeypatch.setenv("REDISBANK_PORT", "abc")
    with pytest.raises(InvalidInput, match="REDISBANK_PORT='abc' is not a port"):
        connection.connect()
