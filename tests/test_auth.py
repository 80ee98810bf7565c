import logging

import pytest

from redisbank import auth, config
from redisbank.errors import InvalidInput, LoginFailed, LoginThrottled
from redisbank.sessions import SessionStore
from redisbank.throttle import LoginThrottle


def session_keys(r):
    return list(r.scan_iter(match="redisBank:session:*"))


def login(r, username, password, **throttle):
    return auth.login(
        SessionStore(r), LoginThrottle(r, **throttle), username, password,
        address="203.0.113.7",
    )  # fmt: skip


def test_the_demo_user_is_stored_with_an_argon2id_hash(r):
    auth.ensure_demo_user(r)
    record = r.json().get(auth.user_key("bob"))
    assert record["password_hash"].startswith("$argon2id$")
    assert config.DEMO_PASSWORD not in r.execute_command(
        "JSON.GET", auth.user_key("bob")
    )
    assert record["name"] == "Bob Smith"
    assert record["permissions"] == ["user"]


def test_a_login_opens_a_least_privilege_session_with_the_profile(r):
    auth.create_user(r, "alice", "alice-password", {"name": "Alice"}, ["user", "admin"])
    session = login(r, "alice", "alice-password")
    assert session_keys(r) == [session.key]
    assert session.permissions == ["user"]
    stored = r.json().get(session.key)
    assert stored["profile"]["name"] == "Alice"
    assert "password_hash" not in str(stored)


@pytest.mark.parametrize("username", ["bob", "mallory", "", "bob*", "../bob"])
def test_a_failed_login_writes_no_session_and_names_neither_part(r, username, caplog):
    auth.ensure_demo_user(r)
    with (
        caplog.at_level(logging.WARNING, logger="redisbank.security"),
        pytest.raises(LoginFailed, match="unknown username or wrong password"),
    ):
        login(r, username, "not-the-password")
    assert session_keys(r) == []
    assert any("login failed" in message for message in caplog.messages)
    assert all("not-the-password" not in message for message in caplog.messages)


def test_the_demo_password_comes_from_the_environment(r, monkeypatch):
    monkeypatch.setenv("REDISBANK_DEMO_PASSWORD", "a-longer-secret")
    auth.ensure_demo_user(r)
    assert login(r, "bob", "a-longer-secret").key
    with pytest.raises(LoginFailed):
        login(r, "bob", config.DEMO_PASSWORD)


def test_failures_lock_the_username_out_even_for_the_right_password(r):
    auth.ensure_demo_user(r)
    for _ in range(3):
        with pytest.raises(LoginFailed):
            login(r, "bob", "wrong-password", max_per_user=3, window_s=60)
    with pytest.raises(LoginThrottled) as refused:
        login(r, "bob", config.DEMO_PASSWORD, max_per_user=3, window_s=60)
    assert 0 < refused.value.retry_after_s <= 60
    assert session_keys(r) == []
    keys = r.keys("redisBank:login-failures:*")
    assert len(keys) == 2 and all("bob" not in key for key in keys)


def test_weak_passwords_odd_usernames_and_unknown_roles_are_refused(r):
    with pytest.raises(InvalidInput, match="8 characters"):
        auth.create_user(r, "alice", "short", {})
    with pytest.raises(InvalidInput, match="letters and digits"):
        auth.create_user(r, "al ice", "long-enough", {})
    with pytest.raises(InvalidInput, match="unknown permissions"):
        auth.create_user(r, "alice", "long-enough", {}, ["root"])
    assert r.dbsize() == 0
