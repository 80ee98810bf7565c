"""Benchmark the ledger: seeding throughput, search latency, memory per posting.

Prints one `name: value` line per figure. Seeding is measured side by side, in
one run and on one server, against a raw redis-py pipeline writing the same
commands without the script, and against a loop that waits for each command as
the original application does. Run it with `python bench/ledger.py`.

It starts a throwaway embedded Redis Stack on a free port, with its data in a
temporary folder, unless REDIS_URL is set; a REDIS_URL server must hold no keys,
since the benchmark empties it between runs.
"""

import argparse
import json
import os
import shutil
import socket
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from redisbank import config, connection, ledger, queries
from redisbank.generator import TransactionGenerator
from redisbank.server import EmbeddedServer

END = datetime(2026, 12, 1, tzinfo=UTC)
START = END - timedelta(days=90)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed-count", type=int, default=10_000)
    parser.add_argument("--wait-count", type=int, default=1_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--search-count", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--term", default="coffee")
    args = parser.parse_args()

    with redis_server() as url:
        client = connection.connect(url)
        if client.dbsize():
            sys.exit(
                f"{connection.redact(url)} holds keys: point REDIS_URL at an "
                "empty server, or unset it for a throwaway one"
            )
        figures = {}
        figures.update(seeding(client, args.seed_count, args.wait_count, args.rounds))
        figures.update(search_and_memory(client, args))
        client.flushdb()
    for name, value in figures.items():
        print(f"{name}: {value}")


@contextmanager
def redis_server():
    url = os.environ.get(config.ENV_REDIS_URL)
    if url:
        yield url
        return
    scratch = Path(tempfile.mkdtemp(prefix="redisbank-bench-"))
    server = EmbeddedServer(scratch / "server", _free_port())
    server.start()
    try:
        yield server.url
    finally:
        connection.close_all()
        server.stop()
        shutil.rmtree(scratch, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def seeding(client, count: int, wait_count: int, rounds: int) -> dict:
    """Time three ways of writing the same postings, each from an empty ledger.

    The three take turns for several rounds and each reports its median rate,
    so that a burst of load from another process on the machine weighs on all
    three alike instead of on whichever ran during it.
    """
    rates = {"ledger": [], "raw": [], "wait": []}
    for _ in range(rounds):
        rates["ledger"].append(_rate(client, count, lambda d: _drain(client, d)))
        rates["raw"].append(_rate(client, count, lambda d: raw_pipeline(client, d)))
        rates["wait"].append(_rate(client, wait_count, lambda d: wait_each(client, d)))
    ledger_rate, raw_rate, wait_rate = (
        statistics.median(rates[name]) for name in ("ledger", "raw", "wait")
    )
    return {
        "seed_tx_per_s": round(ledger_rate),
        "raw_pipeline_tx_per_s": round(raw_rate),
        "wait_per_command_tx_per_s": round(wait_rate),
        "seed_vs_raw_pipeline": round(ledger_rate / raw_rate, 2),
        "seed_vs_wait_per_command": round(ledger_rate / wait_rate, 1),
        "seed_rounds": rounds,
    }


def _rate(client, count: int, write) -> float:
    client.flushdb()
    ledger.prepare(client)
    # Drafts are drawn inside the timing: seeding includes making transactions.
    drafts = TransactionGenerator(seed=1).drafts(count, START, END)
    began = time.perf_counter()
    write(drafts)
    elapsed = time.perf_counter() - began
    if client.hget(config.LEDGER_KEY, "balance_cents") is None:
        raise RuntimeError("a seeding run wrote no balance: the benchmark is broken")
    return count / elapsed


def _drain(client, drafts) -> None:
    for _ in ledger.post_many(client, drafts):
        pass


def _commands(draft: dict, balance: int) -> list[tuple]:
    """The five commands of one posting, as a client without the script sends them."""
    at_ms = ledger.epoch_ms(draft["transaction_date"])
    document = {
        **{k: v for k, v in draft.items() if k != "transaction_date"},
        "balance_after_cents": balance,
        "transaction_date": at_ms / 1000,
    }
    key = ledger.transaction_key(draft["pk"])
    amount = draft["amount_cents"]
    return [
        ("JSON.SET", key, "$", json.dumps(document, separators=(",", ":"))),
        ("HINCRBY", config.LEDGER_KEY, "balance_cents", amount),
        ("TS.ADD", config.BALANCE_TS_KEY, at_ms, balance, "ON_DUPLICATE", "LAST"),
        ("ZINCRBY", config.BIGSPENDERS_KEY, -amount, draft["vendor"]),
        (
            "XADD", config.FEED_KEY, "MAXLEN", "~", config.FEED_MAX_LENGTH, "*",
            "key", key, "amount_cents", amount, "balance_cents", balance,
        ),
    ]  # fmt: skip


def raw_pipeline(client, drafts) -> None:
    """Write the same commands pipelined, with the balance kept in the process."""
    balance = config.OPENING_BALANCE_CENTS
    pipe = client.pipeline(transaction=False)
    for queued, draft in enumerate(drafts, 1):
        balance += draft["amount_cents"]
        for command in _commands(draft, balance):
            pipe.execute_command(*command)
        if queued % config.POSTING_BATCH_SIZE == 0:
            pipe.execute()
    pipe.execute()


def wait_each(client, drafts) -> None:
    """Write the same commands one at a time, waiting for each reply."""
    balance = config.OPENING_BALANCE_CENTS
    for draft in drafts:
        balance += draft["amount_cents"]
        for command in _commands(draft, balance):
            client.execute_command(*command)


def search_and_memory(client, args) -> dict:
    """Seed the search corpus through the ledger, then query it and weigh it."""
    client.flushdb()
    ledger.prepare(client)
    before = client.info("memory")["used_memory"]
    _drain(client, TransactionGenerator(seed=2).drafts(args.search_count, START, END))
    after = client.info("memory")["used_memory"]

    latencies = {True: [], False: []}
    total = 0
    for _ in range(args.queries):
        for with_total in (True, False):
            began = time.perf_counter()
            page = queries.search_transactions(
                client, args.term, limit=10, with_total=with_total
            )
            latencies[with_total].append((time.perf_counter() - began) * 1000)
            total = page.attrs["total"] or total
    cut = statistics.quantiles(latencies[True], n=100)
    page_only = statistics.quantiles(latencies[False], n=100)

    keys = [ledger.transaction_key(pk) for pk in _sample_pks(client, 200)]
    document = statistics.mean(client.memory_usage(key) for key in keys)
    info = client.ft(f"{config.PREFIX}:{config.TRANSACTION_PREFIX}:index").info()
    index = float(info["total_index_memory_sz_mb"]) * 1024 * 1024 / args.search_count
    return {
        "search_corpus_transactions": args.search_count,
        "search_term": args.term,
        "search_matches": total,
        # The query: one term, LIMIT 10, newest first, one FT.SEARCH.
        "search_p50_ms": round(page_only[49], 2),
        "search_p95_ms": round(page_only[94], 2),
        # The API's default adds an exact count of every match (LIMIT 0 0).
        "search_with_total_p50_ms": round(cut[49], 2),
        "search_with_total_p95_ms": round(cut[94], 2),
        "document_bytes_per_transaction": round(document),
        "index_bytes_per_transaction": round(index),
        "bytes_per_transaction": round(document + index),
        "used_memory_bytes_per_transaction": round(
            (after - before) / args.search_count
        ),
    }


def _sample_pks(client, count: int) -> list[str]:
    page = queries.recent_transactions(client, limit=count)
    return list(page["pk"])


if __name__ == "__main__":
    main()
