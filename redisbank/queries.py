"""Questions about the ledger, answered by Redis and returned as DataFrames.

Amounts come back both as integer cents (for arithmetic) and as currency units
(for reading and charts); times are timezone-aware UTC.
"""

import json
from datetime import datetime
from typing import Any

import pandas as pd
import redis

from redisbank import config, ledger, models, search
from redisbank.errors import InvalidInput

TRANSACTION_COLUMNS = [
    "transaction_date",
    "vendor",
    "description",
    "transaction_type",
    "amount",
    "balance_after",
    "amount_cents",
    "balance_after_cents",
    "from_account",
    "to_account",
    "pk",
]


def _epoch_ms(moment: datetime | None, default: str) -> int | str:
    return default if moment is None else ledger.epoch_ms(moment)


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
    """Return the top vendors by money spent with them, largest first.

    Vendors that paid the account more than it paid them (the employer, a
    refund desk) have a negative score in `bigspenders` and are left out.
    """
    if isinstance(top, bool) or not isinstance(top, int) or not 1 <= top <= 1000:
        raise InvalidInput(f"top must be a whole number from 1 to 1000, not {top!r}")
    pairs = client.zrange(
        config.BIGSPENDERS_KEY,
        "+inf",
        "(0",
        desc=True,
        byscore=True,
        offset=0,
        num=top,
        withscores=True,
    )
    frame = pd.DataFrame(pairs, columns=["vendor", "spent_cents"])
    frame["spent_cents"] = frame["spent_cents"].round().astype("int64")
    frame["spent"] = frame["spent_cents"] / 100
    return frame


def search_transactions(
    client: redis.Redis,
    term: str | None,
    limit: int = 10,
    *,
    offset: int = 0,
    transaction_type: str | None = None,
    account: str | None = None,
    min_amount_cents: int | None = None,
    max_amount_cents: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    with_total: bool = True,
    prefix: bool = False,
) -> pd.DataFrame:
    """Return one page of matching transactions, newest first.

    The term is taken literally: its words are matched as words in the
    description or the vendor, so characters that mean something to the query
    language (`@`, `-`, `*`, brackets) are not operators here; a term with no
    words is refused, and None searches without one. The other arguments narrow
    the search: a transaction type, an account (either side of the
    transaction), an amount range in cents and a date range, each inclusive.
    Redis sorts by date and returns only the page asked for. The frame's
    `attrs["total"]` counts every match; counting costs a second query that
    visits every match (though it loads none), so `with_total=False` skips it
    and leaves the total None.
    """
    clauses = [] if term is None else [search.text_clause(term, prefix)]
    if transaction_type is not None:
        clauses.append(search.tag_clause("transaction_type", transaction_type))
    if account is not None:
        clauses.append(search.account_clause(account))
    if min_amount_cents is not None or max_amount_cents is not None:
        clauses.append(
            search.numeric_clause("amount_cents", min_amount_cents, max_amount_cents)
        )
    if since is not None or until is not None:
        clauses.append(search.date_clause(since, until))
    return _search(client, " ".join(clauses) or "*", limit, offset, with_total)


def recent_transactions(
    client: redis.Redis, limit: int = 10, *, offset: int = 0, with_total: bool = True
) -> pd.DataFrame:
    """Return the most recent transactions, newest first."""
    return _search(client, "*", limit, offset, with_total)


def _search(
    client: redis.Redis, query: str, limit: int, offset: int, with_total: bool
) -> pd.DataFrame:
    search.check_page(offset, limit)
    # Dialect 4 lets RediSearch's optimizer walk the date-sorted index and stop
    # at the page's last row instead of sorting every match: 0.5 ms instead of
    # 10 ms for a word in 20,000 of 100,000 documents. Its total then counts
    # only the rows returned, so a second query with LIMIT 0 0 counts the
    # matches (in dialect 2, whose syntax is the same) without loading any.
    # Both go in one round trip.
    index = models.index_name()
    pipe = client.pipeline(transaction=False)
    pipe.execute_command(
        "FT.SEARCH", index, query, "SORTBY", "transaction_date", "DESC",
        "LIMIT", offset, limit, "DIALECT", 4,
    )  # fmt: skip
    if with_total:
        pipe.execute_command("FT.SEARCH", index, query, "LIMIT", 0, 0, "DIALECT", 2)
    replies = pipe.execute()
    total = _search_total(replies[1]) if with_total else None
    rows = [
        transaction_row(models.BankTransaction.model_validate(document))
        for document in _search_documents(replies[0])
    ]
    frame = pd.DataFrame(rows, columns=TRANSACTION_COLUMNS)
    frame.attrs["total"] = total
    return frame


def transaction_row(transaction: models.BankTransaction) -> dict[str, Any]:
    """Return a transaction as a row: amounts in cents and in currency units."""
    return {
        "transaction_date": transaction.transaction_date,
        "vendor": transaction.vendor,
        "description": transaction.description,
        "transaction_type": transaction.transaction_type,
        "amount": transaction.amount_cents / 100,
        "balance_after": transaction.balance_after_cents / 100,
        "amount_cents": transaction.amount_cents,
        "balance_after_cents": transaction.balance_after_cents,
        "from_account": transaction.from_account,
        "to_account": transaction.to_account,
        "pk": transaction.pk,
    }


def _search_total(reply) -> int:
    # RESP3 answers FT.SEARCH with a map, RESP2 with a list led by the total.
    if isinstance(reply, dict):
        return int(_get(reply, "total_results"))
    return int(reply[0])


def _search_documents(reply) -> list[dict]:
    # From dialect 3 on, a JSON document comes back as a one-element array.
    if isinstance(reply, dict):
        rows = [_get(row, "extra_attributes") for row in _get(reply, "results")]
    else:
        rows = [dict(zip(f[::2], f[1::2], strict=True)) for f in reply[2::2]]
    return [json.loads(_get(row, "$"))[0] for row in rows]


def _get(mapping: dict, name: str):
    # A client without decode_responses names the fields in bytes.
    return mapping[name] if name in mapping else mapping[name.encode()]
