import threading

import pytest

from redisbank import config, generator, ledger
from redisbank.errors import DuplicateTransaction, InvalidInput
from redisbank.models import BankTransaction
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
    assert r.xlen(config.FEED_KEY) == 1
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


def test_posting_the_same_transaction_twice_is_refused_and_changes_nothing(r):
    ledger.prepare(r)
    once = transaction("A", -100)
    ledger.post(r, once)
    with pytest.raises(DuplicateTransaction, match="exists already") as caught:
        ledger.post(r, once)
    assert caught.value.key == once.key()
    assert ledger.balance_cents(r) == config.OPENING_BALANCE_CENTS - 100
    assert ledger.posting_count(r) == 1
    assert r.zscore("bigspenders", "A") == 100
    assert r.xlen(config.FEED_KEY) == 1


def test_a_duplicate_in_a_batch_stops_after_the_postings_before_it(r):
    ledger.prepare(r)
    first, second = transaction("A", -1, minute=0), transaction("B", -2, minute=1)
    ledger.post(r, second)
    seen = []
    with pytest.raises(DuplicateTransaction):
        seen.extend(ledger.post_many(r, [first, second, transaction("C", -3, 2)]))
    # The third posting of the batch was sent and is stored; the duplicate is not.
    assert ledger.posting_count(r) == 3
    assert ledger.balance_cents(r) == config.OPENING_BALANCE_CENTS - 6


def test_two_postings_in_one_millisecond_share_the_later_sample(r):
    ledger.prepare(r)
    a, b = ledger.post_many(r, [transaction("A", -100), transaction("B", -250)])
    assert a.at_ms == b.at_ms
    assert [tuple(s) for s in r.ts().range("balance_ts", "-", "+")] == [
        (b.at_ms, config.OPENING_BALANCE_CENTS - 350)
    ]
    assert r.json().get(a.key, "$.balance_after_cents") == [9_999_900]
    assert r.json().get(b.key, "$.balance_after_cents") == [9_999_650]


def test_balances_beyond_fourteen_digits_stay_exact(r):
    ledger.prepare(r)
    big = 123_456_789_012_345  # Lua prints numbers with only 14 digits
    posting = ledger.post(r, transaction("Lottery", big))
    expected = config.OPENING_BALANCE_CENTS + big
    assert posting.balance_cents == ledger.balance_cents(r) == expected
    assert r.ts().get("balance_ts")[1] == expected
    assert r.json().get(posting.key, "$.balance_after_cents") == [expected]


def test_a_draft_and_a_validated_transaction_store_the_same_document(r):
    ledger.prepare(r)
    drawn = generator.TransactionGenerator(seed=4)
    draft = drawn.draft(EPOCH)
    validated = BankTransaction(**{**draft, "pk": draft["pk"][:-1] + "Z"})
    first, second = ledger.post_many(r, [draft, validated])
    stored = [r.json().get(p.key) for p in (first, second)]
    assert stored[0].keys() == stored[1].keys()
    assert stored[0]["transaction_date"] == EPOCH.timestamp()
    assert BankTransaction.get(draft["pk"]).amount_cents == draft["amount_cents"]


def test_prepare_from_several_threads_at_once_creates_everything_once(r):
    threads = [threading.Thread(target=ledger.prepare, args=(r,)) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(ledger.compaction_keys(r)) == 6
    ledger.post(r, transaction("A", -1))
    assert int(r.ft("redisBank:transaction:index").info()["num_docs"]) == 1


def test_balances_chain_across_script_calls_and_batches(r):
    ledger.prepare(r)
    amounts = [(-1) ** i * (i * 37 % 1000) for i in range(330)]
    rows = [transaction(f"V{i % 7}", a, minute=i) for i, a in enumerate(amounts)]
    postings = list(ledger.post_many(r, rows, batch_size=120))
    running = config.OPENING_BALANCE_CENTS
    for posting, amount in zip(postings, amounts, strict=True):
        running += amount
        assert posting.balance_cents == running
    assert ledger.balance_cents(r) == running == r.ts().get("balance_ts")[1]
    assert ledger.posting_count(r) == 330
    assert ledger.last_posting_ms(r) == postings[-1].at_ms


def test_a_balance_beyond_two_to_the_53_is_refused_before_it_is_posted(r):
    ledger.prepare(r)
    with pytest.raises(InvalidInput, match="beyond 2\\*\\*53 cents"):
        ledger.post(r, transaction("Too much", 2**53))
    assert ledger.posting_count(r) == 0
    assert r.zscore("bigspenders", "Too much") is None
