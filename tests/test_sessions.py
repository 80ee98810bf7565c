import hashlib
import threading

from redisbank import sessions


def test_redis_holds_only_the_hash_of_the_token(r):
    session = sessions.create(r, {"username": "bob"})
    assert len(session.token) >= 43  # 32 random bytes, base64url
    digest = hashlib.sha256(session.token.encode()).hexdigest()
    assert session.key == f"redisBank:session:{digest}"
    assert list(r.scan_iter()) == [session.key]
    assert session.token not in r.execute_command("JSON.GET", session.key)


def test_tokens_do_not_repeat(r):
    tokens = {sessions.create(r, {}).token for _ in range(200)}
    assert len(tokens) == 200


def test_load_returns_the_session_or_none(r):
    session = sessions.create(r, {"username": "bob"})
    assert sessions.load(r, session.token).data["username"] == "bob"
    assert sessions.load(r, "not-a-token") is None
    assert r.dbsize() == 1


def test_setting_a_field_keeps_the_ttl_and_the_other_fields(r):
    session = sessions.create(r, {"username": "bob"}, ttl=120)
    r.expire(session.key, 77)
    assert sessions.set_field(r, session.token, "balance", "100.00") is True
    assert r.ttl(session.key) == 77
    assert r.json().get(session.key)["username"] == "bob"
    assert r.json().get(session.key)["balance"] == "100.00"


def test_a_write_after_logout_does_not_bring_the_session_back(r):
    session = sessions.create(r, {"username": "bob"})
    assert sessions.destroy(r, session.token) is True
    assert sessions.set_field(r, session.token, "balance", "1.00") is False
    assert r.exists(session.key) == 0
    assert sessions.destroy(r, session.token) is False


def test_concurrent_writers_of_different_fields_both_survive(r):
    for _ in range(100):
        session = sessions.create(r, {"username": "bob"})
        writers = [
            threading.Thread(target=sessions.set_field, args=(r, session.token, f, v))
            for f, v in (("balance", "5.00"), ("last_page", "transactions"))
        ]
        for writer in writers:
            writer.start()
        for writer in writers:
            writer.join()
        stored = r.json().get(session.key)
        assert (stored["balance"], stored["last_page"]) == ("5.00", "transactions")
