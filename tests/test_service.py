import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime

import pytest

from redisbank import config, invariants, ledger, service
from redisbank.errors import InvalidInput


@pytest.mark.parametrize(
    "text, seconds",
    [("10s", 10), ("2m", 120), ("500ms", 0.5), ("1h", 3600), ("3", 3), ("0s", 0)],
)
def test_durations_are_read_in_seconds(text, seconds):
    assert service.parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "ten", "10x", "-1s", "1s2", "1 d"])
def test_bad_durations_are_refused_with_an_example(text):
    with pytest.raises(InvalidInput, match="write it like 10s"):
        service.parse_duration(text)


def test_run_posts_count_transactions_dated_now(r):
    before = ledger.epoch_ms(datetime.now(UTC))
    seen = []
    assert service.run(r, 0, count=25, seed=3, on_posting=seen.append) == 25
    assert len(seen) == 25 and ledger.posting_count(r) == 25
    assert all(p.at_ms >= before for p in seen)
    assert seen[-1].balance_cents == ledger.balance_cents(r)
    invariants.check(r)


def test_a_stop_interrupts_the_wait_at_once(r):
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()
    began = time.monotonic()
    posted = service.run(r, 60, stop=stop)
    assert posted == 1
    assert time.monotonic() - began < 5


def test_sigterm_stops_the_generate_command_cleanly(r):
    process = subprocess.Popen(
        [sys.executable, "-m", "redisbank.cli", "generate", "--every", "50ms"],
        env={**os.environ},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while ledger.posting_count(r) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    posted = ledger.posting_count(r)
    assert f"posted {posted} transactions" in out
    assert r.ts().get(config.BALANCE_TS_KEY)[1] == ledger.balance_cents(r)
