"""A million postings through the ledger's script, and the balance to the cent.

Indexing a million documents would take most of the suite's time and hold
gigabytes, so this test drops the search index after `prepare` (the script does
not need it) and deletes each chunk's documents once they are posted. The
arithmetic path is the real one: the same script, the balance in Redis, the
series with its compactions, the sorted set and the stream.
"""

import random
from datetime import timedelta

from redisbank import config, ledger, models
from tests.helpers import EPOCH

POSTINGS = 1_000_000
CHUNK = 50_000
VENDORS = ["Tenths", "Fifths", "Odd", "Big"]


def _amounts(count):
    draw = random.Random(1)
    # 10 and 20 cents are the amounts that drift when added as 0.1 and 0.2.
    pattern = [10, 20, -30, 1, -1]
    for index in range(count):
        if index % 2:
            yield pattern[index % len(pattern)]
        else:
            yield draw.randint(-500_00, 500_00)


def test_a_million_postings_leave_the_balance_exact(r):
    ledger.prepare(r)
    r.ft(models.index_name()).dropindex(delete_documents=False)
    expected_by_vendor = dict.fromkeys(VENDORS, 0)
    amounts = _amounts(POSTINGS)

    for start in range(0, POSTINGS, CHUNK):
        drafts = []
        for index in range(start, start + CHUNK):
            amount = next(amounts)
            vendor = VENDORS[index % len(VENDORS)]
            expected_by_vendor[vendor] += amount
            drafts.append(_draft(index, vendor, amount))
        *_, last = ledger.post_many(r, drafts)
        assert last.at_ms == ledger.epoch_ms(drafts[-1]["transaction_date"])
        pipe = r.pipeline(transaction=False)
        for draft in drafts:
            pipe.unlink(ledger.transaction_key(draft["pk"]))
        pipe.execute()

    expected = config.OPENING_BALANCE_CENTS + sum(expected_by_vendor.values())
    assert ledger.posting_count(r) == POSTINGS
    assert ledger.balance_cents(r) == expected
    last_sample = r.ts().get(config.BALANCE_TS_KEY)
    assert last_sample[0] == ledger.epoch_ms(EPOCH) + POSTINGS - 1
    assert last_sample[1] == expected
    assert r.ts().info(config.BALANCE_TS_KEY).total_samples == POSTINGS
    for vendor, total in expected_by_vendor.items():
        assert r.zscore(config.BIGSPENDERS_KEY, vendor) == -total


def _draft(index, vendor, amount):
    return {
        "pk": f"M{index:025d}",
        "from_account": config.DEMO_ACCOUNT,
        "to_account": vendor,
        "vendor": vendor,
        "description": "m",
        "transaction_type": "Test",
        "amount_cents": amount,
        "transaction_date": EPOCH + timedelta(milliseconds=index),
    }
