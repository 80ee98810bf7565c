import os
import subprocess
import sys

import pytest

from redisbank import config, generator, invariants, ledger, queries
from redisbank.errors import LedgerInconsistent
from tests.helpers import EPOCH, transaction


def _cli(*arguments, timeout=300):
    return subprocess.Popen(
        [sys.executable, "-m", "redisbank.cli", *arguments],
        env={**os.environ},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _run(*arguments):
    process = _cli(*arguments)
    out, err = process.communicate(timeout=300)
    return process.returncode, out, err


@pytest.fixture
def seeded(r):
    ledger.prepare(r)
    drafts = generator.TransactionGenerator(seed=5).drafts(
        300, EPOCH, EPOCH.replace(month=3)
    )
    list(ledger.post_many(r, drafts))
    return r


def test_four_generator_processes_at_once_keep_one_exact_ledger(r):
    processes = [
        _cli("seed", "--count", "5000", "--days", "30", "--quiet"),
        _cli("seed", "--count", "5000", "--days", "30", "--quiet", "--seed", "9"),
        _cli("generate", "--every", "0s", "--count", "5000", "--quiet"),
        _cli("generate", "--every", "0ms", "--count", "5000", "--quiet"),
    ]
    for process in processes:
        out, err = process.communicate(timeout=600)
        assert process.returncode == 0, err
        assert out.startswith("posted 5000 transactions")

    code, out, err = _run("check")
    assert code == 0, err
    assert out.startswith("ok: 20000 transactions")

    findings = invariants.check(r)
    assert findings.documents == ledger.posting_count(r) == 20_000
    assert r.ts().get(config.BALANCE_TS_KEY)[1] == ledger.balance_cents(r)


def test_check_passes_on_a_sound_ledger(seeded):
    findings = invariants.check(seeded)
    assert findings.documents == 300
    assert findings.balance_cents == ledger.balance_cents(seeded)


def test_check_passes_on_an_empty_ledger(r):
    ledger.prepare(r)
    assert invariants.check(r).documents == 0


@pytest.mark.parametrize(
    "tamper, reported",
    [
        (lambda r: r.hincrby(config.LEDGER_KEY, "balance_cents", 1), "stored balance"),
        (
            lambda r: r.zincrby(config.BIGSPENDERS_KEY, 1, "Metro Transit"),
            "'Metro Transit' has the bigspenders score",
        ),
        (
            lambda r: r.ts().add(config.BALANCE_TS_KEY, "*", 1),
            "last balance_ts sample is 1",
        ),
        (lambda r: r.hincrby(config.LEDGER_KEY, "postings", 1), "301 postings"),
    ],
)
def test_check_names_the_invariant_broken_by_hand(seeded, tamper, reported):
    tamper(seeded)
    with pytest.raises(LedgerInconsistent, match=reported) as caught:
        invariants.check(seeded)
    assert len(caught.value.violations) == 1


def test_a_document_removed_by_hand_breaks_the_sums_and_the_counts(seeded):
    key = ledger.post(seeded, transaction("Bean There Coffee", -350)).key
    seeded.delete(key)
    violations = invariants.inspect(seeded).violations
    assert any("stored balance" in v for v in violations)
    assert any("301 postings for 300 documents" in v for v in violations)
    assert any("'Bean There Coffee'" in v for v in violations)


def test_the_check_command_fails_with_a_clear_message(seeded):
    seeded.hincrby(config.LEDGER_KEY, "balance_cents", -5)
    code, out, err = _run("check")
    assert code == 1
    assert "the ledger is inconsistent (1)" in err
    assert "stored balance" in err


def test_seed_with_a_seed_draws_the_same_transactions_again(r):
    def seeded_run():
        r.flushdb()
        code, out, err = _run("seed", "--count", "60", "--days", "30", "--seed", "3")
        assert code == 0, err
        page = queries.recent_transactions(r, limit=60)
        return list(zip(page["vendor"], page["amount_cents"], strict=True))

    first = seeded_run()
    assert len(first) == 60
    assert seeded_run() == first
