"""Sessions over real HTTP: regeneration, expiry, races, revocation, outages."""

import logging
import os
import signal
import threading
import time
from pathlib import Path

import httpx
import pytest

from redisbank import connection, ledger
from redisbank.cookies import TokenSigner
from tests.conftest import TEST_SECRET
from tests.helpers import FakeClock, bearer, log_in, transaction


@pytest.fixture
def http(r, serve_api):
    with httpx.Client(base_url=serve_api(r), timeout=5) as client:
        yield client


def session_keys(r):
    return r.keys("redisBank:session:*")


def test_login_regenerates_the_id_and_the_old_one_dies_at_once(r, http):
    first = log_in(http).json()["token"]
    second = log_in(http).json()["token"]  # the jar sends the first cookie along
    assert second != first
    assert http.get("/api/session").status_code == 200
    stale = httpx.get(f"{http.base_url}/api/session", headers=bearer(first))
    assert stale.status_code == 401
    assert len(session_keys(r)) == 1
    assert r.zcard("redisBank:user-sessions:bob") == 1


def test_an_idle_session_expires_on_the_server(r, serve_api):
    url = serve_api(r, idle_timeout_s=1, absolute_timeout_s=30)
    with httpx.Client(base_url=url) as http:
        log_in(http)
        for _ in range(3):  # each request slides the idle timeout
            time.sleep(0.4)
            assert http.get("/api/session").status_code == 200
        time.sleep(1.2)
        assert http.get("/api/session").status_code == 401
    assert session_keys(r) == []
    assert r.exists("redisBank:user-sessions:bob") == 0


def test_a_session_replayed_every_second_dies_at_its_absolute_limit(
    r, serve_api, caplog
):
    clock = FakeClock()
    url = serve_api(r, idle_timeout_s=5, absolute_timeout_s=30, clock=clock)
    with httpx.Client(base_url=url) as http:
        token = log_in(http).json()["token"]
        key = session_keys(r)[0]
        absolute_ms = r.json().get(key)["expires_at_ms"]
        answers = []
        with caplog.at_level(logging.WARNING, logger="redisbank.security"):
            for _ in range(40):
                clock.advance(1)
                reply = httpx.get(f"{url}/api/session", headers=bearer(token))
                answers.append(reply.status_code)
                if reply.status_code == 200:
                    assert r.pexpiretime(key) <= absolute_ms
    assert answers == [200] * 29 + [401] * 11
    assert "expired session" in caplog.text
    assert session_keys(r) == []


def test_the_redis_ttl_never_reaches_past_the_absolute_limit(r, serve_api):
    url = serve_api(r, idle_timeout_s=2, absolute_timeout_s=3)
    with httpx.Client(base_url=url) as http:
        log_in(http)
        key = session_keys(r)[0]
        absolute_ms = r.json().get(key)["expires_at_ms"]
        for _ in range(4):
            time.sleep(0.5)
            assert http.get("/api/session").status_code == 200
            assert 0 < r.pexpiretime(key) <= absolute_ms
        time.sleep(max(0, absolute_ms / 1000 - time.time()) + 0.1)
        assert r.exists(key) == 0  # Redis dropped it at the absolute limit
        assert http.get("/api/session").status_code == 401


def test_two_concurrent_requests_keep_both_fields_100_times_out_of_100(r, serve_api):
    def slow_balance(client):
        time.sleep(0.005)  # widen the window in which the two requests overlap
        return ledger.balance_text(client)

    url = serve_api(r, balance_reader=slow_balance)
    ledger.prepare(r)
    ledger.post(r, transaction("Tesco", -100))
    with httpx.Client(base_url=url) as http:
        log_in(http)
        key = session_keys(r)[0]
        for round_ in range(100):
            r.json().set(key, "$.balance", None)
            r.json().set(key, "$.recent_transactions", [])
            ledger.post(r, transaction("Tesco", -100, minute=round_ + 1))
            start = threading.Barrier(2)
            replies = {}

            def call(route, start=start, replies=replies):
                start.wait()
                replies[route] = http.get(route)

            callers = [
                threading.Thread(target=call, args=(route,))
                for route in ("/transaction/balance", "/transaction/transactions")
            ]
            for caller in callers:
                caller.start()
            for caller in callers:
                caller.join()

            stored = r.json().get(key)
            assert (
                stored["balance"] == replies["/transaction/balance"].json()["balance"]
            )
            assert (
                stored["recent_transactions"]
                == replies["/transaction/transactions"].json()
            )
            assert len(stored["recent_transactions"]) == min(round_ + 2, 10)


def test_a_request_finishing_after_logout_does_not_revive_the_session(r, serve_api):
    reading = threading.Event()

    def slow_balance(client):
        balance = ledger.balance_text(client)
        reading.set()
        time.sleep(0.5)
        return balance

    url = serve_api(r, balance_reader=slow_balance)
    with httpx.Client(base_url=url) as http:
        token = log_in(http).json()["token"]
        slow = {}
        request = threading.Thread(
            target=lambda: slow.update(
                reply=httpx.get(f"{url}/transaction/balance", headers=bearer(token))
            )
        )
        request.start()
        assert reading.wait(5)
        assert http.post("/logout").json() == {"logged_out": True}
        request.join()

    assert slow["reply"].json()["stored_in_session"] is False
    assert session_keys(r) == []
    assert r.exists("redisBank:user-sessions:bob") == 0
    again = httpx.get(f"{url}/api/session", headers=bearer(token))
    assert again.status_code == 401


def test_a_thousand_requests_without_a_cookie_create_no_keys(r, http):
    log_in(http)
    http.cookies.clear()
    before = sorted(r.keys("*"))
    forged = TokenSigner(TEST_SECRET).sign("A" * 43)  # genuine signature, no session
    for number in range(1000):
        route = ("/api/session", "/transaction/balance", "/logout")[number % 3]
        method = http.post if route == "/logout" else http.get
        assert method(route).status_code in (200, 401)
        if number % 100 == 0:
            assert http.get(route, headers=bearer(forged)).status_code in (401, 405)
    assert sorted(r.keys("*")) == before


def test_a_cookie_with_one_byte_flipped_is_401_and_a_warning(r, http, caplog):
    value = log_in(http).json()["token"]
    keys_before = sorted(r.keys("*"))
    for position in (3, len(value) - 8):
        flipped = "x" if value[position] != "x" else "y"
        tampered = value[:position] + flipped + value[position + 1 :]
        with (
            httpx.Client(base_url=http.base_url) as attacker,
            caplog.at_level(logging.WARNING, logger="redisbank.security"),
        ):
            attacker.cookies.set("redisbank_session", tampered)
            reply = attacker.get("/transaction/balance")
        assert reply.status_code == 401
        assert 'redisbank_session=""' in reply.headers["set-cookie"]  # cleared
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [w.getMessage() for w in warnings] == [
        "tampered or malformed session credential from 127.0.0.1"
    ] * 2
    assert sorted(r.keys("*")) == keys_before
    assert http.get("/api/session").status_code == 200  # the genuine one still works


@pytest.mark.parametrize(
    "value", ["garbage", "a.b.c", "x" * 4000, ".", "A" * 43, "Bearer-ish value"]
)
def test_a_malformed_cookie_is_no_session_a_warning_and_no_key(r, http, value, caplog):
    log_in(http)
    keys_before = sorted(r.keys("*"))
    with (
        httpx.Client(base_url=http.base_url) as stranger,
        caplog.at_level(logging.WARNING, logger="redisbank.security"),
    ):
        stranger.cookies.set("redisbank_session", value)
        session_reply = stranger.get("/api/session")
        login_reply = stranger.post(
            "/perform_login", data={"username": "bob", "password": "redisbank-demo"}
        )
    assert session_reply.status_code == 401
    assert login_reply.status_code == 200  # a fresh anonymous state: login works
    assert "tampered or malformed session credential" in caplog.text
    assert len(sorted(r.keys("*"))) == len(keys_before) + 1  # the new session only


def test_undecodable_stored_data_is_no_session(r, http, caplog):
    log_in(http)
    key = session_keys(r)[0]
    r.delete(key)
    r.set(key, "not a JSON document")
    with caplog.at_level(logging.WARNING, logger="redisbank.security"):
        assert http.get("/api/session").status_code == 401
    assert "undecodable session" in caplog.text
    assert r.exists(key) == 0


def test_sessions_are_listed_and_revoked_by_handle(r, http):
    log_in(http)
    with httpx.Client(base_url=http.base_url, headers={"User-Agent": "phone"}) as p:
        phone_token = log_in(p).json()["token"]

    listed = http.get("/api/sessions")
    assert [(s["client"], s["current"]) for s in listed.json()] == [
        ("python-httpx/" + httpx.__version__, True),
        ("phone", False),
    ]
    assert phone_token.split(".")[0] not in listed.text
    assert {"handle", "created", "last_seen", "client"} <= set(listed.json()[1])

    phone_handle = listed.json()[1]["handle"]
    assert http.delete(f"/api/sessions/{phone_handle}").status_code == 200
    gone = httpx.get(f"{http.base_url}/api/session", headers=bearer(phone_token))
    assert gone.status_code == 401
    assert http.delete(f"/api/sessions/{phone_handle}").status_code == 404
    assert len(http.get("/api/sessions").json()) == 1


def test_logout_everywhere_ends_every_session_and_the_index(r, http):
    tokens = [log_in(httpx.Client(base_url=http.base_url)).json()["token"]]
    tokens.append(log_in(http).json()["token"])
    reply = http.delete("/api/sessions")
    assert reply.json() == {"revoked": 2}
    assert all(
        httpx.get(f"{http.base_url}/api/session", headers=bearer(t)).status_code == 401
        for t in tokens
    )
    assert session_keys(r) == []
    assert r.exists("redisBank:user-sessions:bob") == 0


def test_redis_down_is_a_quick_503_and_the_api_recovers_by_itself(
    embedded_factory, serve_api, tmp_path: Path
):
    server = embedded_factory(tmp_path / "redis")
    server.start()
    client = connection.connect(server.url)
    url = serve_api(client)
    with httpx.Client(base_url=url, timeout=10) as http:
        log_in(http)
        server.stop()
        for route in ("/api/session", "/transaction/balance"):
            started = time.monotonic()
            down = http.get(route)
            assert time.monotonic() - started < 1.5
            assert down.status_code == 503
            assert down.json()["error"] == "RedisUnavailable"
        login = http.post(
            "/perform_login", data={"username": "bob", "password": "redisbank-demo"}
        )
        assert login.status_code == 503

        server.start()
        assert http.get("/api/session").status_code == 200
        assert http.get("/transaction/balance").json()["stored_in_session"] is True
    connection.close_all()


def test_a_hung_redis_is_a_503_after_one_socket_timeout(
    embedded_factory, serve_api, tmp_path: Path
):
    server = embedded_factory(tmp_path / "redis")
    server.start()
    url = serve_api(connection.connect(server.url))
    with httpx.Client(base_url=url, timeout=10) as http:
        log_in(http)
        os.kill(server.pid(), signal.SIGSTOP)  # the process is there but silent
        try:
            started = time.monotonic()
            hung = http.get("/api/session")
            elapsed = time.monotonic() - started
        finally:
            os.kill(server.pid(), signal.SIGCONT)
        assert hung.status_code == 503
        assert 0.9 < elapsed < 1.6  # one socket timeout of 1 s, no retries
        assert http.get("/api/session").status_code == 200
    connection.close_all()
