"""Analytics of the ledger, computed inside Redis and returned as DataFrames.

The balance is summarised by the TimeSeries' own compactions; spending by type
and month, and the overview per vendor, by FT.AGGREGATE over the index. Only
the summary leaves Redis, never the transactions behind it. Amounts come back
as integer cents and as currency units; times are timezone-aware UTC.
"""

from datetime import datetime

import pandas as pd
import redis
from redis.commands.search import reducers
from redis.commands.search.aggregation import AggregateRequest, Asc, Desc

from redisbank import config, ledger, models, search
from redisbank.errors import InvalidInput

SUMMARY_COLUMNS = ["time", "min_cents", "max_cents", "last_cents", "min", "max", "last"]


def balance_summary(
    client: redis.Redis,
    bucket: str = "1d",
    start: datetime | None = None,
    end: datetime | None = None,
) -> pd.DataFrame:
    """Return the lowest, highest and last balance per hour ("1h") or day ("1d").

    Each row is one bucket, labelled by its start, oldest first; buckets with
    no posting are absent, and a ledger never posted to gives no rows.
    """
    if bucket not in config.BALANCE_BUCKETS_MS:
        raise InvalidInput(
            f"bucket {bucket!r} is not one of {', '.join(config.BALANCE_BUCKETS_MS)}"
        )
    bucket_ms = config.BALANCE_BUCKETS_MS[bucket]
    if not client.exists(config.BALANCE_TS_KEY):
        return pd.DataFrame(
            {name: pd.Series(dtype="int64") for name in SUMMARY_COLUMNS}
        ).astype({"time": "datetime64[ms, UTC]"})
    low = "-" if start is None else ledger.epoch_ms(start)
    high = "+" if end is None else ledger.epoch_ms(end)
    columns = {}
    for aggregation in config.BALANCE_AGGREGATIONS:
        key = config.balance_compaction_key(bucket, aggregation)
        columns[aggregation] = dict(client.ts().range(key, low, high))

    # A compaction bucket is written only when a sample of a later bucket
    # arrives, so the compacted series lacks the bucket still open. That one
    # bucket is aggregated from the raw samples, which the retention keeps far
    # longer than a bucket; older buckets come from the compactions alone.
    latest = client.ts().get(config.BALANCE_TS_KEY)
    if latest:
        open_start = latest[0] - latest[0] % bucket_ms
        for aggregation in config.BALANCE_AGGREGATIONS:
            tail = client.ts().range(
                config.BALANCE_TS_KEY,
                open_start if low == "-" else max(open_start, low),
                high,
                aggregation_type=aggregation,
                bucket_size_msec=bucket_ms,
            )
            columns[aggregation].update(dict(tail))

    times = sorted(columns["last"])
    frame = pd.DataFrame(
        {
            "time": pd.to_datetime(times, unit="ms", utc=True),
            **{
                f"{name}_cents": [int(columns[name][t]) for t in times]
                for name in config.BALANCE_AGGREGATIONS
            },
        },
        columns=SUMMARY_COLUMNS[:4],
    )
    for name in config.BALANCE_AGGREGATIONS:
        cents = f"{name}_cents"
        frame[cents] = frame[cents].astype("int64")
        frame[name] = frame[cents] / 100
    return frame


def spending_by_type_and_month(
    client: redis.Redis, since: datetime | None = None, until: datetime | None = None
) -> pd.DataFrame:
    """Return money spent (debits only) per transaction type and calendar month.

    Months are UTC, as `YYYY-MM`; rows come by month, then by type.
    """
    query = search.numeric_clause("amount_cents", None, -1)
    if since is not None or until is not None:
        query += " " + search.date_clause(since, until)
    request = (
        AggregateRequest(query)
        .load("@transaction_type")
        .apply(month='timefmt(@transaction_date, "%Y-%m")')
        .group_by(
            ["@month", "@transaction_type"],
            reducers.sum("@amount_cents").alias("total_cents"),
            reducers.count().alias("transactions"),
        )
        .sort_by(Asc("@month"), Asc("@transaction_type"), max=10_000)
        .dialect(2)
    )
    rows = _aggregate(client, request)
    frame = pd.DataFrame(
        [
            {
                "month": row["month"],
                "transaction_type": row["transaction_type"],
                "spent_cents": -_cents(row["total_cents"]),
                "transactions": int(row["transactions"]),
            }
            for row in rows
        ],
        columns=["month", "transaction_type", "spent_cents", "transactions"],
    )
    frame["spent_cents"] = frame["spent_cents"].astype("int64")
    frame["spent"] = frame["spent_cents"] / 100
    return frame


def transactions_overview(client: redis.Redis) -> pd.DataFrame:
    """Return per vendor the number of transactions, their total, and date range.

    Vendors come by money taken from the account, largest first, so income
    sources (a positive total) come last.
    """
    request = (
        AggregateRequest("*")
        .load("@vendor")
        .group_by(
            "@vendor",
            reducers.count().alias("transactions"),
            reducers.sum("@amount_cents").alias("total_cents"),
            reducers.min("@transaction_date").alias("first"),
            reducers.max("@transaction_date").alias("last"),
        )
        .sort_by(Asc("@total_cents"), Desc("@transactions"), max=10_000)
        .dialect(2)
    )
    rows = _aggregate(client, request)
    frame = pd.DataFrame(
        {
            "vendor": [row["vendor"] for row in rows],
            "transactions": [int(row["transactions"]) for row in rows],
            "total_cents": [_cents(row["total_cents"]) for row in rows],
            "first": [float(row["first"]) for row in rows],
            "last": [float(row["last"]) for row in rows],
        }
    )
    frame["transactions"] = frame["transactions"].astype("int64")
    frame["total_cents"] = frame["total_cents"].astype("int64")
    frame["total"] = frame["total_cents"] / 100
    for column in ("first", "last"):
        # Dates are stored as float seconds: round to the millisecond they were
        # posted with, or float noise shows as 09.819999933 for 09.820.
        milliseconds = (frame[column] * 1000).round().astype("int64")
        frame[column] = pd.to_datetime(milliseconds, unit="ms", utc=True)
    return frame


def _aggregate(client: redis.Redis, request: AggregateRequest) -> list[dict]:
    result = client.ft(models.index_name()).aggregate(request)
    return [_pairs(row) for row in result.rows]


def _pairs(row) -> dict:
    if isinstance(row, dict):
        return row
    return dict(zip(row[::2], row[1::2], strict=True))


def _cents(value) -> int:
    # FT.AGGREGATE sums in doubles, exact for whole cents below 2**53.
    return round(float(value))
