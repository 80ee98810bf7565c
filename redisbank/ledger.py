"""The ledger: posting transactions to one account, atomically, in Redis.

A posting writes five things: the transaction's JSON document, the running
balance, a TimeSeries sample of that balance, the vendor's score in the
biggest-spenders sorted set, and an entry in a capped stream for live feeds.
A Lua script does all five in one step on the server, reading the balance that
Redis holds, so any number of generators keep one consistent ledger.
"""

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice

import redis

from redisbank import config, models, money
from redisbank.models import BankTransaction

# Postings are ordered by the ledger, not by the clocks of the processes that
# send them: a posting stamped earlier than the last one is moved up to it, so
# the balance series never runs backwards in time. Two postings in the same
# millisecond share a sample, which holds the later balance (DUPLICATE_POLICY
# LAST).
_POST = """
local ledger, document, series = KEYS[1], KEYS[2], KEYS[3]
local spenders, feed = KEYS[4], KEYS[5]
local amount, requested_ms = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('HSETNX', ledger, 'balance_cents', ARGV[5])
local last_ms = tonumber(redis.call('HGET', ledger, 'last_ms') or '0')
local at_ms = math.max(requested_ms, last_ms)
local balance = redis.call('HINCRBY', ledger, 'balance_cents', amount)
redis.call('HSET', ledger, 'last_ms', at_ms)
redis.call('HINCRBY', ledger, 'postings', 1)
redis.call('JSON.SET', document, '$', ARGV[4])
redis.call('JSON.SET', document, '$.balance_after_cents', balance)
local seconds = string.format('%.3f', at_ms / 1000)
redis.call('JSON.SET', document, '$.transaction_date', seconds)
redis.call('TS.ADD', series, at_ms, balance, 'ON_DUPLICATE', 'LAST')
redis.call('ZINCRBY', spenders, -amount, ARGV[3])
redis.call('XADD', feed, 'MAXLEN', '~', ARGV[6], '*', 'key', document,
           'amount_cents', amount, 'balance_cents', balance)
return {balance, at_ms}
"""

FEED_KEY = config.PREFIX + ":transactions:feed"
FEED_MAX_LENGTH = 1000
BATCH_SIZE = 500


@dataclass(frozen=True)
class Posting:
    """What the ledger recorded for one transaction."""

    key: str
    balance_cents: int
    at_ms: int


def prepare(client: redis.Redis) -> None:
    """Create the index and the balance series if missing; safe to call again."""
    models.bind(client)
    models.ensure_index(client)
    if not client.exists(config.BALANCE_TS_KEY):
        client.ts().create(
            config.BALANCE_TS_KEY,
            duplicate_policy="last",
            labels={"kind": "balance", "account": config.DEMO_ACCOUNT},
        )


def post(client: redis.Redis, transaction: BankTransaction) -> Posting:
    """Post one transaction and return the balance after it."""
    return next(iter(post_many(client, [transaction])))


def post_many(
    client: redis.Redis, transactions: Iterable[BankTransaction]
) -> Iterator[Posting]:
    """Post transactions in order, pipelined in batches; yield each posting.

    Each posting is atomic on its own; a batch is not. If the connection drops
    mid-batch, the postings already yielded are stored and the rest are not.
    """
    script = client.register_script(_POST)
    pending = iter(transactions)
    while batch := list(islice(pending, BATCH_SIZE)):
        pipe = client.pipeline(transaction=False)
        for transaction in batch:
            _queue(script, pipe, transaction)
        for transaction, (balance, at_ms) in zip(batch, pipe.execute(), strict=True):
            yield Posting(transaction.key(), int(balance), int(at_ms))


def _queue(script, pipe, transaction: BankTransaction) -> None:
    document = transaction.model_dump()
    document["transaction_date"] = transaction.transaction_date.timestamp()
    keys = [
        config.LEDGER_KEY,
        transaction.key(),
        config.BALANCE_TS_KEY,
        config.BIGSPENDERS_KEY,
        FEED_KEY,
    ]
    args = [
        transaction.amount_cents,
        int(transaction.transaction_date.timestamp() * 1000),
        transaction.vendor,
        json.dumps(document),
        config.OPENING_BALANCE_CENTS,
        FEED_MAX_LENGTH,
    ]
    script(keys=keys, args=args, client=pipe)


def balance_cents(client: redis.Redis) -> int:
    """Return the account's balance; the opening balance before any posting."""
    stored = client.hget(config.LEDGER_KEY, "balance_cents")
    return config.OPENING_BALANCE_CENTS if stored is None else int(stored)


def last_posting_ms(client: redis.Redis) -> int:
    """Return the time of the latest posting in epoch milliseconds, 0 if none."""
    return int(client.hget(config.LEDGER_KEY, "last_ms") or 0)


def posting_count(client: redis.Redis) -> int:
    """Return how many transactions the ledger has posted."""
    return int(client.hget(config.LEDGER_KEY, "postings") or 0)


def balance_text(client: redis.Redis) -> str:
    """Return the balance for display: '100,000.00'."""
    return money.format_amount(balance_cents(client))
