"""The API over real HTTP: logging in, cookies, roles, and the transaction routes."""

import logging
import os
import statistics
import subprocess
import sys
import time

import httpx
import pytest

from redisbank import api, auth, config, ledger, sessions
from redisbank.errors import InsecureConfiguration
from tests.helpers import bearer, log_in, transaction


@pytest.fixture
def http(r, serve_api):
    with httpx.Client(base_url=serve_api(r), timeout=5) as client:
        yield client


def test_login_sets_a_hardened_cookie_and_returns_a_bearer_token(r, http):
    response = log_in(http)
    cookie = response.headers["set-cookie"]
    token = response.json()["token"]
    assert cookie.startswith(f"redisbank_session={token};")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert "Domain" not in cookie and "Secure" not in cookie
    assert response.headers["cache-control"] == "no-store"
    assert response.json()["token_type"] == "bearer"

    # The token alone, without the cookie jar, opens the same session.
    with httpx.Client(base_url=http.base_url) as phone:
        mine = phone.get("/api/session", headers=bearer(token)).json()
    assert mine["handle"] == http.get("/api/session").json()["handle"]


def test_the_cookie_is_secure_when_served_over_https(http):
    # uvicorn trusts X-Forwarded-Proto from 127.0.0.1, as behind a local proxy.
    response = http.post(
        "/perform_login",
        data={"username": "bob", "password": config.DEMO_PASSWORD},
        headers={"X-Forwarded-Proto": "https"},
    )
    assert "; Secure" in response.headers["set-cookie"]


def test_login_takes_json_as_well_as_a_form(http):
    response = http.post(
        "/perform_login", json={"username": "bob", "password": config.DEMO_PASSWORD}
    )
    assert response.status_code == 200
    assert http.post("/perform_login", json=["bob"]).status_code == 400
    assert http.post("/perform_login", data={"username": "bob"}).status_code == 400


def test_redis_keeps_only_the_hash_of_the_token(r, http):
    token_value = log_in(http).json()["token"]
    token = token_value.split(".")[0]
    digest = sessions.digest_of(token)
    assert f"redisBank:session:{digest}" in r.keys("redisBank:session:*")
    everything = " ".join(
        str(r.dump(key)) + key for key in r.scan_iter()
    )  # every key's name and serialized value
    assert token not in everything


def test_the_session_holds_the_profile_permissions_and_expiry(http):
    log_in(http)
    session = http.get("/api/session").json()
    assert session["profile"] == {
        "name": "Bob Smith",
        "date_of_birth": "1985-04-12",
        "email": "bob@example.com",
    }
    assert session["permissions"] == ["user"]
    assert session["recent_transactions"] == [] and session["balance"] is None
    assert session["idle_timeout_s"] == config.SESSION_IDLE_TIMEOUT_S
    assert session["expires_at"] > session["created_at"]
    assert "password_hash" not in str(session) and "token" not in session


def test_the_demo_user_is_seeded_with_the_configured_password(r, http, monkeypatch):
    monkeypatch.setenv("REDISBANK_DEMO_PASSWORD", "configured-demo-pw")
    log_in(http, password="configured-demo-pw")
    record = r.json().get(auth.user_key("bob"))
    assert record["password_hash"].startswith("$argon2id$")
    assert "configured-demo-pw" not in str(record)


def test_unknown_user_and_wrong_password_look_the_same(r, http):
    log_in(http)  # seeds bob
    durations = {"mallory": [], "bob": []}
    replies = set()
    for _ in range(5):
        for username in durations:
            started = time.perf_counter()
            response = http.post(
                "/perform_login", data={"username": username, "password": "guess-1234"}
            )
            durations[username].append(time.perf_counter() - started)
            replies.add((response.status_code, response.text))
    assert replies == {
        (401, '{"error":"LoginFailed","detail":"unknown username or wrong password"}')
    }
    ratio = statistics.median(durations["mallory"]) / statistics.median(
        durations["bob"]
    )
    assert 0.5 < ratio < 2  # skipping the hash would make it about 0.05


def test_failed_logins_are_throttled_per_user_and_per_address(r, serve_api):
    url = serve_api(r, max_failures_per_user=3, max_failures_per_address=5)
    with httpx.Client(base_url=url) as http:
        log_in(http)
        for _ in range(3):
            wrong = http.post(
                "/perform_login", data={"username": "bob", "password": "wrong-pass"}
            )
            assert wrong.status_code == 401
        locked = http.post(
            "/perform_login",
            data={"username": "bob", "password": config.DEMO_PASSWORD},
        )
        assert locked.status_code == 429
        assert 0 < int(locked.headers["retry-after"]) <= config.LOGIN_FAILURE_WINDOW_S

        # Two more failures on other names exhaust this address's five.
        for name in ("carol", "dave"):
            http.post("/perform_login", data={"username": name, "password": "x" * 9})
        auth.create_user(r, "erin", "erin-password", {"name": "Erin"})
        refused = http.post(
            "/perform_login", data={"username": "erin", "password": "erin-password"}
        )
        assert refused.status_code == 429


def test_a_user_session_gets_403_from_an_admin_route_and_step_up_rotates(r, http):
    log_in(http)
    assert http.get("/admin/sessions/bob").status_code == 403

    auth.create_user(r, "alice", "alice-password", {"name": "Alice"}, ["user", "admin"])
    with httpx.Client(base_url=http.base_url) as alice:
        first = log_in(alice, "alice", "alice-password").json()
        assert first["permissions"] == ["user"]
        assert alice.get("/admin/sessions/bob").status_code == 403

        raised = alice.post("/api/step-up", data={"password": "alice-password"})
        assert raised.status_code == 200
        assert raised.json()["permissions"] == ["user", "admin"]
        assert raised.json()["token"] != first["token"]
        listing = alice.get("/admin/sessions/bob")
        assert listing.status_code == 200 and len(listing.json()) == 1

        stale = httpx.get(
            f"{http.base_url}/api/session", headers=bearer(first["token"])
        )
        assert stale.status_code == 401
        assert len(r.keys("redisBank:session:*")) == 2  # bob's and alice's


def test_the_data_routes_need_a_session(http):
    routes = [
        "/api/session",
        "/api/sessions",
        "/transaction/balance",
        "/transaction/biggestspenders",
        "/transaction/search?term=coffee",
        "/transaction/transactions",
    ]
    assert [http.get(route).status_code for route in routes] == [401] * len(routes)
    assert http.delete("/api/sessions").status_code == 401


def test_the_transaction_routes_answer_and_store_into_the_session(r, http):
    ledger.prepare(r)
    for minute, (vendor, cents) in enumerate([("Tesco", -1250), ("Costa", -420)]):
        ledger.post(r, transaction(vendor, cents, minute=minute))
    log_in(http)

    balance = http.get("/transaction/balance").json()
    assert balance == {"balance": "99,983.30", "stored_in_session": True}
    spenders = http.get("/transaction/biggestspenders").json()
    assert [s["vendor"] for s in spenders] == ["Tesco", "Costa"]
    found = http.get("/transaction/search", params={"term": "costa"}).json()
    assert [t["vendor"] for t in found] == ["Costa"]
    recent = http.get("/transaction/transactions").json()
    assert [t["vendor"] for t in recent] == ["Costa", "Tesco"]
    assert http.get("/transaction/search", params={"term": "!!"}).status_code == 400

    session = http.get("/api/session").json()
    assert session["balance"] == "99,983.30"
    assert [t["vendor"] for t in session["recent_transactions"]] == ["Costa", "Tesco"]


def test_the_api_refuses_the_demo_secret_unless_demo_mode_is_on(r):
    with pytest.raises(InsecureConfiguration, match="published demo secret"):
        api.create_app(r, api.ApiSettings(secret=config.DEMO_SESSION_SECRET))
    assert api.create_app(r, api.ApiSettings(demo_mode=True))

    env = {
        k: v
        for k, v in os.environ.items()
        if k not in (config.ENV_SESSION_SECRET, config.ENV_DEMO_MODE)
    }
    refused = subprocess.run(
        [sys.executable, "-m", "redisbank.cli", "api", "--port", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode != 0
    assert "REDISBANK_SESSION_SECRET is the published demo secret" in refused.stderr


def test_security_events_are_logged_without_secrets(http, caplog):
    with caplog.at_level(logging.INFO, logger="redisbank.security"):
        token = log_in(http).json()["token"]
        http.post("/perform_login", data={"username": "bob", "password": "nope-nope"})
    assert "login succeeded for bob" in caplog.messages
    assert "login failed for bob: wrong password" in caplog.messages
    assert all(token.split(".")[0] not in m for m in caplog.messages)
    assert all("nope-nope" not in m for m in caplog.messages)


def test_no_pickle_anywhere_in_the_package():
    package = sessions.__file__.rsplit("/", 1)[0]
    sources = subprocess.run(
        ["grep", "-rl", "pickle", package, "--include=*.py"],
        capture_output=True,
        text=True,
    )
    assert sources.stdout == ""
