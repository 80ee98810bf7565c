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
# Lua and RedisTimeSeries hold numbers as doubles, exact for integers below 2**53
# cents; one amount is capped far below that so sums stay exact too.
MAX_AMOUNT_CENTS = 10**12  # ten billion in currency units
MAX_SEED_COUNT = 10_000_000
SEARCH_TERM_MAX_CHARS = 200
