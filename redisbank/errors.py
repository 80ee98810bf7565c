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


class NotAuthenticated(RedisbankError):
    """The request carries no live session."""

    def __init__(self, reason: str = "log in first"):
        self.reason = reason
        super().__init__(f"no valid session: {reason}")


class PermissionDenied(RedisbankError):
    """The session lacks the permission a route needs."""

    def __init__(self, needed: str):
        self.needed = needed
        super().__init__(f"this needs the {needed!r} permission")


class LoginThrottled(RedisbankError):
    """Too many failed logins for this username or address; retry later."""

    def __init__(self, retry_after_s: int):
        self.retry_after_s = retry_after_s
        super().__init__(
            f"too many failed logins: try again in {retry_after_s} seconds"
        )


class InsecureConfiguration(RedisbankError):
    """A setting would make the API unsafe to serve, with the fix."""

    def __init__(self, setting: str, problem: str, fix: str):
        self.setting = setting
        self.problem = problem
        super().__init__(f"{setting} {problem}: {fix}")


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
