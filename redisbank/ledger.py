"""The ledger: posting transactions to one account, atomically, in Redis.

A posting writes five things: the transaction's JSON document, the running
balance, a TimeSeries sample of that balance, the vendor's score in the
biggest-spenders sorted set, and an entry in a capped stream for live feeds.
A Lua script does all five in one step on the server, reading the balance that
Redis holds, so any number of generators keep one consistent ledger.
"""

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any

import redis

from redisbank import config, models, money
from redisbank.errors import DuplicateTransaction, InvalidInput
from redisbank.models import BankTransaction

# Postings are ordered by the ledger, not by the clocks of the processes that
# send them: a posting stamped earlier than the last one is moved up to it, so
# the balance series never runs backwards in time. Two postings in the same
# millisecond share a sample, which holds the later balance (ON_DUPLICATE
# LAST), so the series' last sample is always the balance.
#
# One call posts several transactions in turn (KEYS[5..] are their documents,
# four ARGV each), since on a server that spends most of a posting indexing
# the document, the call and the balance's HMGET/HSET are worth sharing. The
# client sends each document without its two ledger-assigned fields; the script
# appends them to the JSON text so that the document is written, and indexed,
# once. JSON.SET NX refuses a key that exists already: that posting is skipped,
# marked with at_ms -1, and changes nothing.
#
# Balances are Lua doubles here: exact for integers below 2**53 cents; the
# first posting that would pass that stops the call, marked -2. They are passed
# on as text formatted with %d, since Lua would print a number with only 14
# significant digits.
_POST = """
local ledger, series, spenders, feed = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local state = redis.call('HMGET', ledger, 'balance_cents', 'last_ms', 'postings')
local balance = tonumber(state[1] or ARGV[1])
local last_ms = tonumber(state[2] or '0')
local postings = tonumber(state[3] or '0')
local results = {}
for i = 5, #KEYS do
  local document, arg = KEYS[i], 3 + (i - 5) * 4
  local amount = tonumber(ARGV[arg])
  local after = balance + amount
  if math.abs(after) >= 9007199254740992 then
    results[#results + 1] = {balance, -2}
    break
  end
  local at_ms = math.max(tonumber(ARGV[arg + 1]), last_ms)
  local balance_text = string.format('%d', after)
  local at_text = string.format('%d', at_ms)
  local seconds = string.format('%d.%03d', math.floor(at_ms / 1000), at_ms % 1000)
  local written = redis.call('JSON.SET', document, '$',
      string.sub(ARGV[arg + 3], 1, -2) .. ',"balance_after_cents":' ..
      balance_text .. ',"transaction_date":' .. seconds .. '}', 'NX')
  if written then
    balance, last_ms, postings = after, at_ms, postings + 1
    redis.call('TS.ADD', series, at_text, balance_text, 'ON_DUPLICATE', 'LAST')
    redis.call('ZINCRBY', spenders, -amount, ARGV[arg + 2])
    redis.call('XADD', feed, 'MAXLEN', '~', ARGV[2], '*', 'key', document,
               'amount_cents', amount, 'balance_cents', balance_text)
    results[#results + 1] = {after, at_ms}
  else
    results[#results + 1] = {balance, -1}
  end
end
redis.call('HSET', ledger, 'balance_cents', string.format('%d', balance),
           'last_ms', string.format('%d', last_ms), 'postings', postings)
return results
"""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)
_ASSIGNED = ("balance_after_cents", "transaction_date")
# SCRIPT LOAD names a script by the SHA-1 of its text; EVALSHA needs that name.
_POST_SHA = hashlib.sha1(_POST.encode()).hexdigest()


@dataclass(frozen=True)
class Posting:
    """What the ledger recorded for one transaction."""

    key: str
    balance_cents: int
    at_ms: int


def prepare(client: redis.Redis) -> None:
    """Create the index, the balance series and its compactions if missing.

    Safe to call again, and from several processes at once: whichever creates a
    structure first wins and the others find it there.
    """
    models.bind(client)
    models.ensure_index(client)
    _create_series(client, config.BALANCE_TS_KEY, config.BALANCE_RETENTION_MS)
    rules = compaction_keys(client)
    for key, aggregation, bucket_ms, retention_ms in config.balance_compactions():
        _create_series(client, key, retention_ms)
        if key not in rules:
            try:
                client.ts().createrule(
                    config.BALANCE_TS_KEY, key, aggregation, bucket_ms
                )
            except redis.ResponseError as error:
                if "already" not in str(error).lower():
                    raise


def compaction_keys(client: redis.Redis) -> set[str]:
    """Return the keys the balance series is compacted into."""
    rules = client.ts().info(config.BALANCE_TS_KEY).rules
    # RESP3 replies map each destination key to its rule; RESP2 lists them.
    if isinstance(rules, dict):
        return set(rules)
    return {rule[0] for rule in rules}


def _create_series(client: redis.Redis, key: str, retention_ms: int) -> None:
    if client.exists(key):
        return
    try:
        client.ts().create(
            key,
            retention_msecs=retention_ms,
            duplicate_policy="last",
            labels={"kind": "balance", "account": config.DEMO_ACCOUNT},
        )
    except redis.ResponseError as error:
        if "already exists" not in str(error):
            raise


def post(client: redis.Redis, transaction: BankTransaction) -> Posting:
    """Post one transaction and return the balance after it."""
    (posting,) = post_many(client, [transaction])
    return posting


def post_many(
    client: redis.Redis,
    transactions: Iterable[BankTransaction | Mapping[str, Any]],
    batch_size: int = config.POSTING_BATCH_SIZE,
) -> Iterator[Posting]:
    """Post transactions in order, in pipelined batches; yield each posting.

    A transaction is a validated `BankTransaction`, or, for bulk seeding, a
    plain mapping with the same fields and a `pk` (as the generator's drafts
    are); both go through the same script. Each posting is atomic, and so is
    each script call of up to POSTINGS_PER_SCRIPT_CALL of them; a batch is not. If the
    connection drops, the postings already yielded are stored, those of the
    batches in flight may be, and the rest are not. A transaction whose key
    exists already is not posted: DuplicateTransaction is raised once the
    postings before it are yielded, and those after it in its batch may be
    stored.

    One connection carries every batch in order. The next batch is sent before
    the replies to the previous one are read, so that this process prepares
    batch n+1 while the server runs batch n.
    """
    pending = iter(transactions)
    pool = client.connection_pool
    connection = pool.get_connection()
    in_flight: list[str] | None = None
    try:
        while True:
            batch = list(islice(pending, batch_size))
            if batch:
                keys, commands = _commands(batch)
                connection.send_packed_command(connection.pack_commands(commands))
            if in_flight is not None:
                replies = _replies(connection, in_flight)
                in_flight = keys if batch else None
                yield from replies
            elif batch:
                in_flight = keys
            if not batch:
                break
    except BaseException:
        # Replies left unread would be taken for those of the next command.
        connection.disconnect()
        raise
    finally:
        if in_flight is not None:
            connection.disconnect()
        pool.release(connection)


def _commands(batch) -> tuple[list[str], list[tuple]]:
    # Loading the script in every batch costs one command and survives a
    # server that restarted (and forgot its scripts) between batches.
    commands = [("SCRIPT", "LOAD", _POST)]
    keys = []
    for start in range(0, len(batch), config.POSTINGS_PER_SCRIPT_CALL):
        documents, arguments = [], []
        for transaction in batch[start : start + config.POSTINGS_PER_SCRIPT_CALL]:
            key, posting_arguments = _arguments(transaction)
            documents.append(key)
            arguments.extend(posting_arguments)
        keys.extend(documents)
        commands.append(
            (
                "EVALSHA",
                _POST_SHA,
                4 + len(documents),
                config.LEDGER_KEY,
                config.BALANCE_TS_KEY,
                config.BIGSPENDERS_KEY,
                config.FEED_KEY,
                *documents,
                config.OPENING_BALANCE_CENTS,
                config.FEED_MAX_LENGTH,
                *arguments,
            )
        )
    return keys, commands


def _replies(connection, keys: list[str]) -> Iterator[Posting]:
    connection.read_response()  # SCRIPT LOAD's reply, the script's SHA-1
    results = []
    for _ in range(0, len(keys), config.POSTINGS_PER_SCRIPT_CALL):
        results.extend(connection.read_response())
    for key, (balance, at_ms) in zip(keys, results, strict=False):
        if at_ms == -1:
            raise DuplicateTransaction(key)
        if at_ms == -2:
            raise InvalidInput(
                f"posting {key} would take the balance beyond 2**53 cents, which "
                "the ledger cannot hold exactly; nothing from it on was posted"
            )
        yield Posting(key, int(balance), int(at_ms))


def _arguments(transaction: BankTransaction | Mapping[str, Any]) -> tuple[str, list]:
    if isinstance(transaction, BankTransaction):
        fields = transaction.model_dump()
    else:
        fields = transaction
    key = transaction_key(fields["pk"])
    document = {name: value for name, value in fields.items() if name not in _ASSIGNED}
    return key, [
        int(fields["amount_cents"]),
        epoch_ms(fields["transaction_date"]),
        fields["vendor"],
        json.dumps(document, separators=(",", ":")),
    ]


def transaction_key(pk: str) -> str:
    """Return the Redis key of the transaction document with primary key pk."""
    return f"{config.PREFIX}:{config.TRANSACTION_PREFIX}:{pk}"


def epoch_ms(moment: datetime) -> int:
    """Return an aware datetime as whole epoch milliseconds, without float error."""
    return (moment - _EPOCH) // _MILLISECOND


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
