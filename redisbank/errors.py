"""The exceptions redisbank raises, all rooted in RedisbankError.

Each carries the facts as attributes and a message that names the value and,
where there is one, the fix.
"""


class RedisbankError(Exception):
    """Base class of every error redisbank raises on purpose."""


class RedisUnavailable(RedisbankError):
    """No Redis answers at the configured address."""

    def __init__(self, url: str, reason: str, hint: str):
        self.url = url
        self.reason = reason
        super().__init__(f"cannot reach Redis at {url} ({reason}): {hint}")


class MissingModules(RedisbankError):
    """The server lacks one of the modules redisbank needs."""

    def __init__(self, url: str, missing: list[str]):
        self.url = url
        self.missing = missing
        super().__init__(
            f"the Redis at {url} has no {', '.join(missing)} module: redisbank "
            "needs JSON, Search and TimeSeries. Use Redis Stack (`docker compose "
            "up redis`), or unset REDIS_URL to use the embedded Redis Stack"
        )


class ServerError(RedisbankError):
    """The embedded Redis Stack could not be set up, started or stopped."""


class LoginFailed(RedisbankError):
    """The username or the password is wrong; which one is deliberately not said."""

    def __init__(self, username: str):
        self.username = username
        super().__init__("unknown username or wrong password")


class InvalidInput(RedisbankError, ValueError):
    """A caller passed a value redisbank refuses, with the reason."""


class DuplicateTransaction(RedisbankError):
    """A transaction with this key was posted already; it was not posted again."""

    def __init__(self, key: str):
        self.key = key
        super().__init__(
            f"transaction {key} exists already and was not posted again: give each "
            "transaction a new pk (a fresh --seed, or none, when seeding)"
        )


class LedgerInconsistent(RedisbankError):
    """`redisbank check` found the ledger's structures disagreeing."""

    def __init__(self, violations: list[str]):
        self.violations = violations
        listed = "; ".join(violations)
        super().__init__(f"the ledger is inconsistent ({len(violations)}): {listed}")
