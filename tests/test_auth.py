import logging

import pytest

from redisbank import auth, config
from redisbank.errors import InvalidInput, LoginFailed


def session_keys(r):
    return list(r.scan_iter(match="redisBank:session:*"))


def test_the_demo_user_is_stored_with_an_argon2id_hash(r):
    auth.ensure_demo_user(r)
    record = r.json().get(auth.user_key("bob"))
    assert record["password_hash"].startswith("$argon2id$")
    assert config.DEMO_PASSWORD not in r.execute_command(
        "JSON.GET", auth.user_key("bob")
    )
    assert record["name"] == "Bob Smith"


def test_a_login_opens_a_session_with_a_one_hour_ttl(r):
    auth.ensure_demo_user(r)
    session = auth.login(r, "bob", config.DEMO_PASSWORD)
    assert session_keys(r) == [session.key]
    assert 3590 <= r.ttl(session.key) <= 3600
    assert r.json().get(session.key, "$.profile.email") == ["bob@example.com"]
    assert "password_hash" not in r.json().get(session.key)["profile"]


@pytest.mark.parametrize("username", ["bob", "mallory", "", "bob*", "../bob"])
def test_a_failed_login_writes_nothing_and_names_neither_part(r, username, caplog):
    auth.ensure_demo_user(r)
    keys_before = set(r.keys("*"))
    with (
        caplog.at_level(logging.WARNING, logger="redisbank.security"),
        pytest.raises(LoginFailed, match="unknown username or wrong password"),
    ):
        auth.login(r, username, "not-the-password")
    assert set(r.keys("*")) == keys_before
    assert any("login failed" in message for message in caplog.messages)
    assert all("not-the-password" not in message for message in caplog.messages)


def test_the_demo_password_comes_from_the_environment(r, monkeypatch):
    monkeypatch.setenv("REDISBANK_DEMO_PASSWORD", "a-longer-secret")
    auth.ensure_demo_user(r)
    assert auth.login(r, "bob", "a-longer-secret").key
    with pytest.raises(LoginFailed):
        auth.login(r, "bob", config.DEMO_PASSWORD)


def test_weak_passwords_and_odd_usernames_are_refused(r):
    with pytest.raises(InvalidInput, match="8 characters"):
        auth.create_user(r, "alice", "short", {})
    with pytest.raises(InvalidInput, match="letters and digits"):
        auth.create_user(r, "al ice", "long-enough", {})
    assert r.dbsize() == 0
