import time

import pytest

from redisbank import throttle
from redisbank.errors import LoginThrottled
from redisbank.throttle import LoginThrottle


def test_the_lockout_ends_with_the_window(r):
    guard = LoginThrottle(r, max_per_user=2, max_per_address=100, window_s=1)
    for _ in range(2):
        guard.check("bob", "198.51.100.1")
        guard.record_failure("bob", "198.51.100.1")
    with pytest.raises(LoginThrottled, match="try again in 1 seconds"):
        guard.check("bob", "198.51.100.9")  # the username is locked everywhere
    guard.check("alice", "198.51.100.1")  # the address is not, yet

    time.sleep(1.1)
    guard.check("bob", "198.51.100.1")
    assert r.dbsize() == 0


def test_counters_hold_hashes_and_a_success_clears_the_users_only(r):
    guard = LoginThrottle(r, max_per_user=5, max_per_address=5, window_s=60)
    guard.record_failure("Bob", "198.51.100.1")
    user_key, address_key = throttle.counter_keys("bob", "198.51.100.1")
    assert sorted(r.keys("*")) == sorted([user_key, address_key])
    assert "bob" not in user_key.lower() and "198.51" not in address_key
    assert 0 < r.ttl(user_key) <= 60

    guard.forget("bob")
    assert r.keys("*") == [address_key]
    assert r.get(address_key) == "1"
