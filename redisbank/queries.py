"""Questions about the ledger, answered by Redis and returned as DataFrames.

Amounts come back both as integer cents (for arithmetic) and as currency units
(for reading and charts); times are timezone-aware UTC.
"""

import re
from datetime import datetime

import pandas as pd
import redis
from redis.commands.search.query import Query

from redisbank import config, models
from redisbank.errors import InvalidInput

TRANSACTION_COLUMNS = [
    "transaction_date",
    "vendor",
    "description",
    "transaction_type",
    "amount",
    "balance_after",
]

# RediSearch splits text into words at punctuation and spaces; matching the
# user's words, each quoted, is searching the text literally.
_WORD = re.compile(r"\w+", re.UNICODE)


def _epoch_ms(moment: datetime | None, default: str) -> int | str:
    return default if moment is None else int(moment.timestamp() * 1000)


def balance_over_time(
    client: redis.Redis, start: datetime | None = None, end: datetime | None = None
) -> pd.DataFrame:
    """Return the balance after each posting between start and end, oldest first."""
    samples = client.ts().range(
        config.BALANCE_TS_KEY, _epoch_ms(start, "-"), _epoch_ms(end, "+")
    )
    frame = pd.DataFrame(samples, columns=["time", "balance_cents"])
    frame["time"] = pd.to_datetime(frame["time"], unit="ms", utc=True)
    frame["balance_cents"] = frame["balance_cents"].astype("int64")
    frame["balance"] = frame["balance_cents"] / 100
    return frame


def biggest_spenders(client: redis.Redis, top: int = 5) -> pd.DataFrame:
    """Return the top vendors by money spent with them, largest first."""
    if top < 1:
        raise InvalidInput(f"top must be at least 1, not {top}")
    pairs = client.zrange(
        config.BIGSPENDERS_KEY, 0, top - 1, desc=True, withscores=True
    )
    frame = pd.DataFrame(pairs, columns=["vendor", "spent_cents"])
    frame["spent_cents"] = frame["spent_cents"].round().astype("int64")
    frame["spent"] = frame["spent_cents"] / 100
    return frame


def search_transactions(
    client: redis.Redis, term: str, limit: int = 10
) -> pd.DataFrame:
    """Return the newest transactions whose description or vendor has every word.

    The term is taken literally: its words are matched as words, so characters
    that mean something to the query language (`@`, `-`, `*`, brackets) are not
    operators here. A term with no words is refused.
    """
    if len(term) > config.SEARCH_TERM_MAX_CHARS:
        raise InvalidInput(
            f"search terms are at most {config.SEARCH_TERM_MAX_CHARS} characters, "
            f"this one has {len(term)}"
        )
    words = _WORD.findall(term)
    if not words:
        raise InvalidInput(f"{term!r} has no letters or digits to search for")
    quoted = " ".join(f'"{word}"' for word in words)
    query = f"@description_fts|vendor_fts:({quoted})"
    return _search(client, query, limit)


def recent_transactions(client: redis.Redis, limit: int = 10) -> pd.DataFrame:
    """Return the most recent transactions, newest first."""
    return _search(client, "*", limit)


def _search(client: redis.Redis, query: str, limit: int) -> pd.DataFrame:
    if not 1 <= limit <= 1000:
        raise InvalidInput(f"limit must be between 1 and 1000, not {limit}")
    request = (
        Query(query).sort_by("transaction_date", asc=False).paging(0, limit).dialect(2)
    )
    result = client.ft(models.index_name()).search(request)
    rows = [models.BankTransaction.model_validate_json(doc.json) for doc in result.docs]
    frame = pd.DataFrame(
        [
            {
                "transaction_date": row.transaction_date,
                "vendor": row.vendor,
                "description": row.description,
                "transaction_type": row.transaction_type,
                "amount": row.amount_cents / 100,
                "balance_after": row.balance_after_cents / 100,
            }
            for row in rows
        ],
        columns=TRANSACTION_COLUMNS,
    )
    frame.attrs["total"] = result.total
    return frame
