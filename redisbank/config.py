"""Names, limits and locations that the rest of redisbank shares.

Every Redis key name, TTL and limit lives here, in seconds and cents, so a reader
can see the whole data layout in one place.
"""

import os
from pathlib import Path

from redisbank.errors import InvalidInput

# Where the project keeps its state: the checkout when redisbank runs from one,
# otherwise the user's state directory.
_PACKAGE_DIR = Path(__file__).resolve().parent
_CHECKOUT = _PACKAGE_DIR.parent
if (_CHECKOUT / "pyproject.toml").exists():
    _DEFAULT_HOME = _CHECKOUT / ".redisbank"
    _DEFAULT_BUILD = _CHECKOUT / "build"
    DATA_DIR = _CHECKOUT / "data"
else:
    _DEFAULT_HOME = Path.home() / ".local" / "state" / "redisbank"
    _DEFAULT_BUILD = Path.cwd() / "build"
    DATA_DIR = _PACKAGE_DIR / "data"

# Environment variables a user may set.
ENV_REDIS_URL = "REDIS_URL"
ENV_HOME = "REDISBANK_HOME"
ENV_PORT = "REDISBANK_PORT"
ENV_RUNTIME_DIR = "REDISBANK_RUNTIME_DIR"
ENV_BUILD_DIR = "REDISBANK_BUILD_DIR"
ENV_DEMO_PASSWORD = "REDISBANK_DEMO_PASSWORD"


def home_dir() -> Path:
    """Return the folder holding the embedded server's data, logs and runtime."""
    return Path(os.environ.get(ENV_HOME) or _DEFAULT_HOME)


def runtime_dir() -> Path:
    """Return the folder for support files the server needs (a private OpenSSL).

    It is separate from home_dir() so that throwaway servers, such as the
    tests', share one copy instead of fetching their own.
    """
    return Path(os.environ.get(ENV_RUNTIME_DIR) or _DEFAULT_HOME / "runtime")


def build_dir() -> Path:
    """Return the folder that executed notebooks and figures are written to."""
    return Path(os.environ.get(ENV_BUILD_DIR) or _DEFAULT_BUILD)


def embedded_port() -> int:
    """Return the port of the embedded Redis Stack (6379 is left to a real one)."""
    text = os.environ.get(ENV_PORT) or "16379"
    if not text.isdigit() or not 1024 <= int(text) <= 65535:
        raise InvalidInput(f"{ENV_PORT}={text!r} is not a port from 1024 to 65535")
    return int(text)


# Connection behaviour: a dead server must be a quick, clear error, not a hang.
SOCKET_TIMEOUT_S = 1.0
CONNECT_TIMEOUT_S = 1.0
SERVER_START_TIMEOUT_S = 10.0

# Key layout. Everything the bank writes starts with PREFIX, except the two keys
# whose names the original application made public and the notebooks teach.
PREFIX = "redisBank"
SESSION_KEY = PREFIX + ":session:{digest}"
USER_KEY = PREFIX + ":user:{username}"
LEDGER_KEY = PREFIX + ":ledger"
TRANSACTION_PREFIX = "transaction"
INDEX_SCHEMA_KEY = PREFIX + ":index-schema:{index}"
BALANCE_TS_KEY = "balance_ts"
BIGSPENDERS_KEY = "bigspenders"

# Sessions. OWASP's session management cheat sheet puts the idle timeout of a
# high-value application at 2 to 30 minutes; the absolute limit is a working day.
SESSION_IDLE_TIMEOUT_S = 15 * 60
SESSION_ABSOLUTE_TIMEOUT_S = 8 * 3600
SESSION_TOKEN_BYTES = 32  # 256 bits from the operating system's CSPRNG
# A read that would move a session's deadline by less than this leaves it (at
# most a hundredth of the idle timeout): a burst of requests costs no writes.
SESSION_TOUCH_RESOLUTION_S = 1.0
# How stale the last-seen time in a list of sessions may be (at most a tenth of
# the idle timeout). Only people read it; the deadline above decides expiry.
SESSION_LAST_SEEN_RESOLUTION_S = 60.0

# The demo customer and the account the ledger posts to.
DEMO_USERNAME = "bob"
DEMO_PASSWORD = "redisbank-demo"  # documented in the README; override with the env
DEMO_ACCOUNT = "RB-0000-0001"
DEMO_PROFILE = {
    "name": "Bob Smith",
    "date_of_birth": "1985-04-12",
    "email": "bob@example.com",
    "permissions": ["user"],
}

# The ledger.
OPENING_BALANCE_CENTS = 100_000_00
# Lua and RedisTimeSeries hold numbers as doubles, exact for integers below 2**53
# cents; one amount is capped far below that so sums stay exact too.
MAX_AMOUNT_CENTS = 10**12  # ten billion in currency units
MAX_SEED_COUNT = 10_000_000
SEARCH_TERM_MAX_CHARS = 200
PREFIX_MIN_CHARS = 2  # RediSearch's own minimum for a prefix query

# Authentication and sessions over HTTP.
ENV_SESSION_SECRET = "REDISBANK_SESSION_SECRET"
ENV_DEMO_MODE = "REDISBANK_DEMO_MODE"
ENV_IDLE_TIMEOUT = "REDISBANK_SESSION_IDLE_S"
ENV_ABSOLUTE_TIMEOUT = "REDISBANK_SESSION_ABSOLUTE_S"
ENV_API_PORT = "REDISBANK_API_PORT"

SESSION_INDEX_KEY = PREFIX + ":user-sessions:{username}"
LOGIN_FAILURES_KEY = PREFIX + ":login-failures:{scope}:{digest}"

# The secret that signs session cookies. The demo value is public (it is in the
# README), so the API refuses it unless demo mode is switched on.
DEMO_SESSION_SECRET = "redisbank-demo-secret-published-in-the-readme"
SESSION_SECRET_MIN_CHARS = 32
SESSION_COOKIE = "redisbank_session"
SESSION_HANDLE_CHARS = 16  # the public name of a session: 64 bits of a hash
SESSION_CLIENT_MAX_CHARS = 200

PERMISSIONS = ("user", "admin", "supervisor", "super-admin")
# The fields a request may change in its session, each on its own.
SESSION_MUTABLE_FIELDS = ("balance", "recent_transactions")
RECENT_TRANSACTIONS_IN_SESSION = 10

# Failed logins: counted per username and per client address over a window;
# at the limit further attempts are refused until the window ends.
LOGIN_FAILURE_WINDOW_S = 15 * 60
LOGIN_MAX_FAILURES_PER_USER = 5
LOGIN_MAX_FAILURES_PER_ADDRESS = 20
USERNAME_MAX_CHARS = 64
LOGIN_BODY_MAX_BYTES = 64 * 1024  # credentials are tiny; refuse a flood early

API_HOST = "127.0.0.1"

# The dashboard.
DASHBOARD_CHART_DAYS = 90  # the balance chart's window
FEED_RETRY_MS = 2000  # how long a browser waits before reconnecting the feed
FEED_SESSION_CHECK_S = 5  # how often an open feed checks its session is live
FEED_MAX_SECONDS = 300  # then the browser reconnects, resuming where it was
FEEDS_MAX_OPEN = 16  # each holds a worker thread; uvicorn's pool has about 40
FEEDS_MAX_PER_SESSION = 3  # a few tabs of one customer
API_START_TIMEOUT_S = 10.0
API_SHUTDOWN_GRACE_S = 2.0


def session_secret() -> str:
    """Return the secret that signs session cookies: the environment's, or the demo."""
    return os.environ.get(ENV_SESSION_SECRET) or DEMO_SESSION_SECRET


def demo_mode() -> bool:
    """Tell whether demo mode is on (REDISBANK_DEMO_MODE=1): the demo secret works."""
    return os.environ.get(ENV_DEMO_MODE, "").lower() in {"1", "true", "yes", "on"}


def idle_timeout_s() -> float:
    """Return the sessions' sliding idle timeout in seconds."""
    return float(os.environ.get(ENV_IDLE_TIMEOUT) or SESSION_IDLE_TIMEOUT_S)


def absolute_timeout_s() -> float:
    """Return the sessions' absolute lifetime in seconds."""
    return float(os.environ.get(ENV_ABSOLUTE_TIMEOUT) or SESSION_ABSOLUTE_TIMEOUT_S)


def api_port() -> int:
    """Return the port `redisbank api` listens on."""
    return int(os.environ.get(ENV_API_PORT) or 16480)


# The ledger's live feed: a stream capped near this many entries (MAXLEN ~).
FEED_KEY = PREFIX + ":transactions:feed"
FEED_MAX_LENGTH = 1000
# Postings per pipelined batch when seeding. Two batches are in flight at once;
# a batch must come back well within SOCKET_TIMEOUT_S even on a busy server.
POSTING_BATCH_SIZE = 250
POSTINGS_PER_SCRIPT_CALL = 50  # one script call posts up to this many in turn

# The balance series keeps raw samples for 400 days; per-hour and per-day
# min/max/last compactions are derived from it by TS.CREATERULE, the hourly
# ones kept as long as the raw samples and the daily ones for ever.
BALANCE_RETENTION_MS = 400 * 86_400_000
BALANCE_BUCKETS_MS = {"1h": 3_600_000, "1d": 86_400_000}
BALANCE_BUCKET_RETENTION_MS = {"1h": BALANCE_RETENTION_MS, "1d": 0}
BALANCE_AGGREGATIONS = ("min", "max", "last")


def balance_compaction_key(bucket: str, aggregation: str) -> str:
    """Return the key of a compaction of the balance series: balance_ts:1h:min."""
    return f"{BALANCE_TS_KEY}:{bucket}:{aggregation}"


def balance_compactions() -> list[tuple[str, str, int, int]]:
    """Return (key, aggregation, bucket ms, retention ms) for each compaction."""
    return [
        (
            balance_compaction_key(bucket, aggregation),
            aggregation,
            bucket_ms,
            BALANCE_BUCKET_RETENTION_MS[bucket],
        )
        for bucket, bucket_ms in BALANCE_BUCKETS_MS.items()
        for aggregation in BALANCE_AGGREGATIONS
    ]


# Searching: a page holds at most this many rows.
SEARCH_PAGE_MAX = 1000
# RediSearch refuses pages beyond MAXSEARCHRESULTS; this stays well inside it.
SEARCH_OFFSET_MAX = 10_000
