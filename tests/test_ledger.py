import threading

from redisbank import config, ledger
from tests.helpers import EPOCH, transaction


def test_a_posting_updates_every_structure_at_once(r):
    ledger.prepare(r)
    posting = ledger.post(r, transaction("Bean There Coffee", -350))

    assert posting.balance_cents == config.OPENING_BALANCE_CENTS - 350
    assert ledger.balance_cents(r) == 9_999_650
    document = r.json().get(posting.key)
    assert document["amount_cents"] == -350
    assert document["balance_after_cents"] == 9_999_650
    assert tuple(r.ts().get("balance_ts")) == (int(EPOCH.timestamp() * 1000), 9_999_650)
    assert r.zscore("bigspenders", "Bean There Coffee") == 350
    assert r.xlen(ledger.FEED_KEY) == 1
    assert int(r.ft("redisBank:transaction:index").info()["num_docs"]) == 1


def test_the_balance_before_any_posting_is_the_opening_balance(r):
    assert ledger.balance_cents(r) == 100_000_00
    assert ledger.balance_text(r) == "100,000.00"


def test_postings_in_one_batch_chain_their_balances(r):
    ledger.prepare(r)
    amounts = [-1_00, 2_500_00, -33, -1_450_00]
    postings = list(
        ledger.post_many(
            r, [transaction("V", a, minute=i) for i, a in enumerate(amounts)]
        )
    )
    running = config.OPENING_BALANCE_CENTS
    for posting, amount in zip(postings, amounts, strict=True):
        running += amount
        assert posting.balance_cents == running
    assert ledger.posting_count(r) == 4
    assert r.ts().info("balance_ts").total_samples == 4


def test_a_late_timestamp_is_moved_up_so_the_series_never_runs_back(r):
    ledger.prepare(r)
    ledger.post(r, transaction("A", -100, minute=10))
    late = ledger.post(r, transaction("B", -200, minute=5))
    assert late.at_ms == int(EPOCH.timestamp() * 1000) + 10 * 60_000
    samples = r.ts().range("balance_ts", "-", "+")
    assert [tuple(s) for s in samples] == [
        (late.at_ms, config.OPENING_BALANCE_CENTS - 300)
    ]


def test_concurrent_posters_keep_one_exact_balance(r):
    ledger.prepare(r)

    def poster(vendor):
        list(
            ledger.post_many(r, (transaction(vendor, -7, minute=i) for i in range(300)))
        )

    threads = [threading.Thread(target=poster, args=(f"V{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert ledger.posting_count(r) == 1200
    assert ledger.balance_cents(r) == config.OPENING_BALANCE_CENTS - 1200 * 7
    assert r.ts().get("balance_ts")[1] == ledger.balance_cents(r)
    assert all(r.zscore("bigspenders", f"V{i}") == 2100 for i in range(4))


def test_prepare_twice_is_harmless(r):
    ledger.prepare(r)
    ledger.post(r, transaction("A", -100))
    ledger.prepare(r)
    assert int(r.ft("redisBank:transaction:index").info()["num_docs"]) == 1
