"""Names, limits and locations that the rest of redisbank shares.

Every Redis key name, TTL and limit lives here, in seconds and cents, so a reader
can see the whole data layout in one place.
"""

import os
from pathlib import Path

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
    return int(os.environ.get(ENV_PORT) or 16379)


# Connection behaviour: a dead server must be a quick, clear error, not a hang.
SOCKET_TIMEOUT_S = 1.0
CONNECT_TIMEOUT_S = 1.0
SERVER_START_TIMEOUT_S = 10.0

# The modules a server must load, by the name MODULE LIST reports.
REQUIRED_MODULES = {"ReJSON": "JSON", "search": "Search", "timeseries": "TimeSeries"}

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

# Sessions. One hour, as the original application's express-session cookie.
SESSION_TTL_S = 3600
SESSION_TOKEN_BYTES = 32  # 256 bits from the operating system's CSPRNG

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
SEARCH_TERM_MAX_CHARS = 200

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
