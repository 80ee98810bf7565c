"""The generator as a service: one transaction every interval, until stopped.

This replaces the original application's cron job. It posts through the same
ledger script as seeding, so it can run beside other generators, JupyterLab
and the dashboard while they read.
"""

import re
import signal
import threading
from collections.abc import Callable
from datetime import UTC, datetime

import redis

from redisbank import ledger
from redisbank.errors import InvalidInput
from redisbank.generator import TransactionGenerator

_DURATION = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*")
_UNIT_S = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


def parse_duration(text: str) -> float:
    """Return a duration such as `10s`, `2m`, `500ms` or `1h` in seconds.

    A bare number is seconds.
    """
    match = _DURATION.fullmatch(text)
    if not match:
        raise InvalidInput(
            f"{text!r} is not a duration: write it like 10s, 2m, 500ms or 1h"
        )
    return float(match.group(1)) * _UNIT_S[match.group(2)]


def run(
    client: redis.Redis,
    every_s: float,
    count: int | None = None,
    seed: int | None = None,
    stop: threading.Event | None = None,
    on_posting: Callable[[ledger.Posting], None] | None = None,
) -> int:
    """Post one transaction dated now, then wait every_s, until stopped.

    Stops after count postings when count is given, or when stop is set; the
    wait is interrupted at once by stop, so a SIGTERM never leaves a posting
    half done (each posting is atomic anyway). Returns the number posted.
    """
    if count is not None and count < 0:
        raise InvalidInput(f"count must be zero or more, not {count}")
    if every_s < 0:
        raise InvalidInput(f"the interval must not be negative, not {every_s}")
    stop = stop or threading.Event()
    drawn = TransactionGenerator(seed=seed)
    ledger.prepare(client)

    posted = 0
    while not stop.is_set() and (count is None or posted < count):
        posting = ledger.post(client, drawn.one(datetime.now(UTC)))
        posted += 1
        if on_posting is not None:
            on_posting(posting)
        if every_s and (count is None or posted < count):
            stop.wait(every_s)
    return posted


def stop_on_signals() -> threading.Event:
    """Return an event that SIGINT and SIGTERM set, for a clean stop."""
    stop = threading.Event()

    def handle(signum, frame):
        stop.set()

    signal.signal(signal.SIGINT, handle)
    signal.signal(signal.SIGTERM, handle)
    return stop
