"""Counting failed logins per username and per client address, with a lockout.

Each failure adds one to two counters in Redis, one for the username and one
for the address, that expire a window after the first failure. While either
has reached its limit, login attempts are refused without checking the
password, the right one included. Counter keys hold a hash of the username or
address, so an attacker choosing usernames chooses no key names, and an unknown
username is counted like a known one: the throttle tells no one which exist.
"""

import hashlib
import logging

import redis

from redisbank import config
from redisbank.errors import LoginThrottled

log = logging.getLogger("redisbank.security")

# KEYS: the user's counter, the address's counter. ARGV: the window in seconds.
_RECORD = """
for _, key in ipairs(KEYS) do
  if redis.call('INCR', key) == 1 then
    redis.call('EXPIRE', key, ARGV[1])
  end
end
return 1
"""


def _counter_key(scope: str, value: str) -> str:
    digest = hashlib.sha256(value.lower().encode()).hexdigest()[:32]
    return config.LOGIN_FAILURES_KEY.format(scope=scope, digest=digest)


def counter_keys(username: str, address: str) -> list[str]:
    """Return the keys counting failures for username and for address."""
    return [_counter_key("user", username), _counter_key("address", address)]


class LoginThrottle:
    """Refuses logins for a username or an address after too many failures."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        max_per_user: int = config.LOGIN_MAX_FAILURES_PER_USER,
        max_per_address: int = config.LOGIN_MAX_FAILURES_PER_ADDRESS,
        window_s: int = config.LOGIN_FAILURE_WINDOW_S,
    ):
        self.client = client
        self.max_per_user = max_per_user
        self.max_per_address = max_per_address
        self.window_s = window_s
        self._record = client.register_script(_RECORD)

    def check(self, username: str, address: str) -> None:
        """Raise LoginThrottled if username or address is locked out."""
        pipe = self.client.pipeline(transaction=False)
        for key in (_counter_key("user", username), _counter_key("address", address)):
            pipe.get(key)
            pipe.ttl(key)
        user_count, user_ttl, address_count, address_ttl = pipe.execute()

        waits = []
        if int(user_count or 0) >= self.max_per_user:
            waits.append(user_ttl)
        if int(address_count or 0) >= self.max_per_address:
            waits.append(address_ttl)
        if waits:
            log.warning("login refused: locked out for %s s", max(waits))
            raise LoginThrottled(max(1, max(waits)))

    def record_failure(self, username: str, address: str) -> None:
        """Count one failed login against username and address."""
        self._record(
            keys=[_counter_key("user", username), _counter_key("address", address)],
            args=[self.window_s],
        )

    def forget(self, username: str) -> None:
        """Clear username's failures after a successful login (not the address's)."""
        self.client.delete(_counter_key("user", username))
