import hashlib
import logging
import threading
import time
from pathlib import Path

import pytest

from redisbank import connection, sessions
from redisbank.errors import InvalidInput, RedisUnavailable
from redisbank.sessions import SessionStore
from tests.helpers import FakeClock

PROFILE = {"name": "Bob Smith", "date_of_birth": "1985-04-12", "email": "b@x.org"}


def open_session(store, username="bob", permissions=("user",)):
    return store.create(username, PROFILE, list(permissions), "pytest")


def two_sessions_in_turn(store):
    """Open two of bob's sessions, the second with the later deadline."""
    earlier = open_session(store)
    time.sleep(0.01)
    return earlier, open_session(store)


def test_redis_holds_only_the_hash_of_the_token(r):
    session = open_session(SessionStore(r))
    assert len(session.token) == 43  # 32 random bytes, base64url: 256 bits
    digest = hashlib.sha256(session.token.encode()).hexdigest()
    assert session.key == f"redisBank:session:{digest}"
    assert sorted(r.scan_iter()) == [session.key, "redisBank:user-sessions:bob"]
    stored = r.execute_command("JSON.GET", session.key)
    assert session.token not in stored
    assert session.token not in str(r.zrange("redisBank:user-sessions:bob", 0, -1))


def test_tokens_do_not_repeat(r):
    store = SessionStore(r)
    assert len({open_session(store).token for _ in range(200)}) == 200


def test_the_session_holds_profile_permissions_transactions_balance_and_expiry(r):
    store = SessionStore(r, idle_timeout_s=60, absolute_timeout_s=600)
    document = r.json().get(open_session(store, permissions=["user", "admin"]).key)
    assert document["profile"] == PROFILE
    assert document["permissions"] == ["user", "admin"]
    assert document["recent_transactions"] == [] and document["balance"] is None
    assert document["expires_at_ms"] - document["created_ms"] == 600_000
    assert document["idle_timeout_ms"] == 60_000
    with pytest.raises(InvalidInput, match="unknown permissions"):
        open_session(store, permissions=["root"])


def test_load_slides_the_idle_timeout_but_never_past_the_absolute_one(r):
    clock = FakeClock()
    store = SessionStore(r, idle_timeout_s=10, absolute_timeout_s=25, clock=clock)
    session = open_session(store)
    for _ in range(4):
        clock.advance(6)
        assert store.load(session.token) is not None
        absolute_ms = r.json().get(session.key)["expires_at_ms"]
        now_ms = int(clock() * 1000)
        assert r.pexpiretime(session.key) == min(now_ms + 10_000, absolute_ms)
        assert r.pexpiretime(session.key) <= absolute_ms

    clock.advance(2)  # 26 s after login, last seen 2 s ago
    assert store.load(session.token) is None
    assert r.exists(session.key) == 0


def test_the_deadline_moves_at_every_read_and_last_seen_once_a_resolution(r):
    clock = FakeClock()
    store = SessionStore(r, idle_timeout_s=100, absolute_timeout_s=1000, clock=clock)
    session = open_session(store)
    created_ms = session.data["created_ms"]
    assert store.last_seen_resolution_ms == 10_000  # a tenth of the idle timeout

    clock.advance(4)
    loaded = store.load(session.token)
    assert r.pexpiretime(session.key) == int(clock() * 1000) + 100_000
    assert loaded.data["last_seen_ms"] == created_ms
    assert r.json().get(session.key, "$.last_seen_ms") == [created_ms]

    clock.advance(7)  # 11 s after the last recorded sighting
    assert store.load(session.token).data["last_seen_ms"] == int(clock() * 1000)
    assert r.json().get(session.key, "$.last_seen_ms") == [int(clock() * 1000)]

    deadline = r.pexpiretime(session.key)
    clock.advance(-30)  # a read stamped earlier never moves the deadline back
    assert store.load(session.token) is not None
    assert r.pexpiretime(session.key) == deadline


def test_is_live_reads_the_deadline_without_moving_it(r):
    clock = FakeClock()
    store = SessionStore(r, idle_timeout_s=10, absolute_timeout_s=100, clock=clock)
    session = open_session(store)
    deadline = r.pexpiretime(session.key)
    clock.advance(9)
    assert store.is_live(session) is True
    assert r.pexpiretime(session.key) == deadline
    clock.advance(1)
    assert store.is_live(session) is False
    clock.advance(-1)
    store.destroy(session)
    assert store.is_live(session) is False


def test_an_idle_session_and_its_index_expire_in_redis_by_themselves(r):
    store = SessionStore(r, idle_timeout_s=0.3, absolute_timeout_s=5)
    session = open_session(store)
    assert 0 < r.pttl(session.key) <= 300
    assert r.pexpiretime("redisBank:user-sessions:bob") == r.pexpiretime(session.key)
    time.sleep(0.4)
    assert r.exists(session.key, "redisBank:user-sessions:bob") == 0
    assert store.load(session.token) is None


def test_a_session_key_without_an_expiry_is_discarded(r, caplog):
    store = SessionStore(r)
    session = open_session(store)
    r.persist(session.key)  # not something the store writes: fail closed
    with caplog.at_level(logging.WARNING, logger="redisbank.security"):
        assert store.load(session.token) is None
    assert r.exists(session.key) == 0
    assert store.is_live(session) is False
    assert caplog.messages == [f"undecodable session {session.handle} discarded"]


def test_an_idle_session_is_refused_even_while_its_key_remains(r, caplog):
    clock = FakeClock()
    store = SessionStore(r, idle_timeout_s=10, absolute_timeout_s=60, clock=clock)
    session = open_session(store)
    clock.advance(10)  # Redis's own clock is still 10 s short of the deadline
    assert r.exists(session.key) == 1
    with caplog.at_level(logging.WARNING, logger="redisbank.security"):
        assert store.load(session.token) is None
    assert r.exists(session.key) == 0
    assert any("expired session" in m for m in caplog.messages)
    assert all(session.token not in m for m in caplog.messages)


def test_unknown_and_undecodable_sessions_are_no_session_and_create_nothing(r, caplog):
    store = SessionStore(r)
    with caplog.at_level(logging.WARNING, logger="redisbank.security"):
        assert store.load("x" * 43) is None
        assert r.dbsize() == 0

        r.set(sessions.session_key("y" * 43), "\x80\x04pickled?")
        r.json().set(sessions.session_key("z" * 43), "$", {"username": 3})
        assert store.load("y" * 43) is None
        assert store.load("z" * 43) is None
    assert r.dbsize() == 0
    assert [m for m in caplog.messages if "undecodable" in m] == [
        "undecodable session "
        + sessions.handle_of(sessions.digest_of(t))
        + " discarded"
        for t in ("y" * 43, "z" * 43)
    ]


BROKEN_FIELDS = [
    {"created_ms": None},
    {"created_ms": "yesterday"},
    {"created_ms": 1e300},
    {"last_seen_ms": 1e300},
    {"expires_at_ms": 10**17},
    {"expires_at_ms": 4e12},
    {"expires_at_ms": 4e12 + 0.5},
    {"idle_timeout_ms": -1},
    {"permissions": {"admin": 1}},
    {"permissions": "admin"},
    {"username": ["bob"]},
    {"client": 7},
]


@pytest.mark.parametrize("broken", BROKEN_FIELDS, ids=str)
def test_a_session_with_a_field_out_of_shape_is_no_session(r, caplog, broken):
    store = SessionStore(r)
    session = open_session(store)
    r.json().set(session.key, "$", {**session.data, **broken})
    with caplog.at_level(logging.WARNING, logger="redisbank.security"):
        assert store.load(session.token) is None
    assert r.exists(session.key) == 0
    assert caplog.messages == [f"undecodable session {session.handle} discarded"]


@pytest.mark.parametrize("broken", BROKEN_FIELDS[:3], ids=str)
def test_a_listing_leaves_out_and_discards_a_session_out_of_shape(r, broken):
    store = SessionStore(r)
    kept, spoiled = open_session(store), open_session(store)
    r.json().set(spoiled.key, "$", {**spoiled.data, **broken})
    assert [s.handle for s in store.sessions_of("bob")] == [kept.handle]
    assert r.exists(spoiled.key) == 0
    assert r.zrange("redisBank:user-sessions:bob", 0, -1) == [kept.digest]


def test_a_listing_shows_only_the_sessions_of_the_user_it_lists(r):
    store = SessionStore(r)
    bobs, alices = open_session(store), open_session(store, username="alice")
    r.zadd("redisBank:user-sessions:bob", {alices.digest: 1e15})
    assert [s.handle for s in store.sessions_of("bob")] == [bobs.handle]
    assert store.revoke("bob", alices.handle) is False
    assert r.exists(alices.key) == 1


def test_a_listing_warns_of_and_discards_a_key_that_is_not_a_session(r, caplog):
    store = SessionStore(r)
    kept, spoiled = open_session(store), open_session(store)
    r.set(spoiled.key, "x", px=60_000)
    with caplog.at_level(logging.WARNING, logger="redisbank.security"):
        assert [s.handle for s in store.sessions_of("bob")] == [kept.handle]
    assert r.exists(spoiled.key) == 0
    assert caplog.messages == [f"undecodable session {spoiled.handle} discarded"]


def test_a_listing_leaves_out_a_session_past_its_stored_absolute_limit(r):
    store = SessionStore(r)
    kept, tampered = open_session(store), open_session(store)
    r.json().set(tampered.key, "$.expires_at_ms", 0)
    assert [s.handle for s in store.sessions_of("bob")] == [kept.handle]
    assert r.exists(tampered.key) == 0


def test_logout_everywhere_ends_only_the_users_own_sessions(r):
    store = SessionStore(r)
    bobs, alices = open_session(store), open_session(store, username="alice")
    r.zadd("redisBank:user-sessions:bob", {alices.digest: 1e15})
    assert store.revoke_all("bob") == 1
    assert r.exists(bobs.key) == 0
    assert store.load(alices.token).username == "alice"


def test_a_rotation_of_a_session_out_of_shape_is_refused_cleanly(r):
    store = SessionStore(r)
    session = open_session(store)
    loaded = store.load(session.token)
    r.json().set(session.key, "$.expires_at_ms", "soon")
    assert store.rotate(loaded) is None
    assert r.keys("redisBank:session:*") == []


def test_a_rotation_that_finds_its_session_gone_resets_the_index_expiry(r):
    store = SessionStore(r, idle_timeout_s=10, absolute_timeout_s=100)
    kept, gone = two_sessions_in_turn(store)
    r.delete(gone.key)
    assert store.rotate(gone) is None
    index = "redisBank:user-sessions:bob"
    assert r.pexpiretime(index) == r.pexpiretime(kept.key)


def test_an_update_changes_only_its_field_and_keeps_the_ttl(r):
    store = SessionStore(r)
    session = open_session(store)
    r.pexpire(session.key, 77_000)
    assert store.update(session, balance="100.00") is True
    assert 76_000 < r.pttl(session.key) <= 77_000
    document = r.json().get(session.key)
    assert (document["balance"], document["profile"]) == ("100.00", PROFILE)
    with pytest.raises(InvalidInput, match="no writable field"):
        store.update(session, permissions=["admin"])


def test_a_write_after_logout_does_not_bring_the_session_back(r):
    store = SessionStore(r)
    session = open_session(store)
    assert store.destroy(session) is True
    assert store.update(session, balance="1.00") is False
    assert r.dbsize() == 0
    assert store.destroy(session) is False


def test_concurrent_writers_of_different_fields_both_survive(r):
    store = SessionStore(r)
    for round_ in range(100):
        session = open_session(store)
        start = threading.Barrier(2)

        def write(session=session, start=start, **field):
            start.wait()
            store.update(session, **field)

        writers = [
            threading.Thread(target=write, kwargs={"balance": f"{round_}.00"}),
            threading.Thread(target=write, kwargs={"recent_transactions": [round_]}),
        ]
        for writer in writers:
            writer.start()
        for writer in writers:
            writer.join()
        stored = r.json().get(session.key)
        assert (stored["balance"], stored["recent_transactions"]) == (
            f"{round_}.00",
            [round_],
        )


def test_rotation_moves_the_session_and_kills_the_old_token(r):
    store = SessionStore(r)
    old = open_session(store)
    store.update(old, balance="7.00")
    new = store.rotate(old, permissions=["user", "admin"])
    assert new.token != old.token and new.handle != old.handle
    assert store.load(old.token) is None
    loaded = store.load(new.token)
    assert loaded.permissions == ["user", "admin"]
    assert loaded.data["balance"] == "7.00"
    assert loaded.data["expires_at_ms"] == old.data["expires_at_ms"]
    assert r.zrange("redisBank:user-sessions:bob", 0, -1) == [new.digest]
    assert store.rotate(old) is None  # gone already: nothing is created
    assert r.keys("redisBank:session:*") == [new.key]


def test_the_index_lists_live_sessions_and_goes_with_the_last_one(r):
    clock = FakeClock()
    store = SessionStore(r, idle_timeout_s=10, absolute_timeout_s=100, clock=clock)
    phone = store.create("bob", PROFILE, ["user"], "phone")
    clock.advance(5)
    laptop = store.create("bob", PROFILE, ["user"], "laptop")
    assert [s.client for s in store.sessions_of("bob")] == ["phone", "laptop"]
    assert [s.handle for s in store.sessions_of("bob")] == [
        phone.handle,
        laptop.handle,
    ]

    clock.advance(6)  # the phone has been idle 11 s
    assert [s.client for s in store.sessions_of("bob")] == ["laptop"]
    assert r.zcard("redisBank:user-sessions:bob") == 1
    index_deadline = r.pexpiretime("redisBank:user-sessions:bob")
    assert index_deadline == r.pexpiretime(laptop.key)

    assert store.revoke("bob", "not-a-handle") is False
    assert store.revoke("alice", laptop.handle) is False
    assert store.revoke("bob", laptop.handle) is True
    assert r.exists("redisBank:user-sessions:bob") == 0


def test_a_login_drops_the_sessions_that_have_gone_from_the_index(r):
    clock = FakeClock()
    store = SessionStore(r, idle_timeout_s=10, absolute_timeout_s=100, clock=clock)
    phone = store.create("bob", PROFILE, ["user"], "phone")
    laptop = store.create("bob", PROFILE, ["user"], "laptop")
    store.destroy(laptop)
    clock.advance(11)  # the phone has been idle 11 s; Redis has not expired it
    tablet = store.create("bob", PROFILE, ["user"], "tablet")
    assert r.zrange("redisBank:user-sessions:bob", 0, -1) == [tablet.digest]
    assert (
        r.zscore("redisBank:user-sessions:bob", tablet.digest)
        == (tablet.data["expires_at_ms"])
    )
    assert r.exists(phone.key) == 0  # deleted, as a load would have


def test_a_server_whose_clock_lags_cannot_use_a_session_the_index_dropped(r):
    ahead, behind = FakeClock(), FakeClock()
    ahead.advance(2)
    node_a = SessionStore(r, idle_timeout_s=10, absolute_timeout_s=100, clock=ahead)
    node_b = SessionStore(r, idle_timeout_s=10, absolute_timeout_s=100, clock=behind)
    phone = node_b.create("bob", PROFILE, ["user"], "phone")
    ahead.advance(9)
    behind.advance(9)  # idle past its deadline on A's clock, not yet on B's
    laptop = node_a.create("bob", PROFILE, ["user"], "laptop")

    assert node_b.load(phone.token) is None
    assert [s.handle for s in node_b.sessions_of("bob")] == [laptop.handle]
    assert node_a.revoke_all("bob") == 1
    assert r.keys("redisBank:session:*") == []


def test_logout_lets_the_index_expire_with_the_sessions_left(r):
    store = SessionStore(r, idle_timeout_s=10, absolute_timeout_s=100)
    phone, laptop = two_sessions_in_turn(store)
    index = "redisBank:user-sessions:bob"
    assert r.pexpiretime(index) == r.pexpiretime(laptop.key)
    store.destroy(laptop)
    assert r.pexpiretime(index) == r.pexpiretime(phone.key)


def test_revoke_all_ends_every_session_of_one_user_only(r):
    store = SessionStore(r)
    for _ in range(3):
        open_session(store)
    alices = open_session(store, username="alice")
    assert store.revoke_all("bob") == 3
    assert r.keys("redisBank:session:*") == [alices.key]
    assert r.exists("redisBank:user-sessions:bob") == 0


def test_timeouts_must_make_sense(r):
    with pytest.raises(InvalidInput, match="at most the absolute"):
        SessionStore(r, idle_timeout_s=60, absolute_timeout_s=30)


def test_a_dead_redis_is_a_quick_typed_error_and_recovery_is_automatic(
    embedded_factory, tmp_path: Path
):
    server = embedded_factory(tmp_path / "redis")
    server.start()
    client = connection.connect(server.url)
    store = SessionStore(client)
    session = open_session(store)

    server.stop()
    started = time.monotonic()
    with pytest.raises(RedisUnavailable, match="cannot reach Redis"):
        store.load(session.token)
    assert time.monotonic() - started < 1.5

    server.start()
    assert store.load(session.token).username == "bob"
    connection.close_all()
