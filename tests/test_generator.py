from datetime import UTC, datetime, timedelta

import pytest

from redisbank import generator
from redisbank.errors import InvalidInput


def test_the_shipped_vendor_list_is_about_a_dozen_sound_entries():
    vendors = generator.load_vendors()
    assert 10 <= len(vendors) <= 15
    assert len({v.name for v in vendors}) == len(vendors)
    assert {v.kind for v in vendors} == {"debit", "credit"}


def test_amounts_follow_the_vendor():
    vendors = {v.name: v for v in generator.load_vendors()}
    drawn = generator.TransactionGenerator(seed=7)
    for _ in range(500):
        tx = drawn.one(datetime(2026, 1, 1, tzinfo=UTC))
        vendor = vendors[tx.vendor]
        assert vendor.min_cents <= abs(tx.amount_cents) <= vendor.max_cents
        assert (tx.amount_cents > 0) == (vendor.kind == "credit")


def test_a_seed_makes_the_draws_repeatable():
    start, end = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC)

    def draw(seed):
        return [
            (t.vendor, t.amount_cents, t.transaction_date)
            for t in generator.TransactionGenerator(seed=seed).spread(50, start, end)
        ]

    assert draw(1) == draw(1)
    assert draw(1) != draw(2)


def test_spread_stays_in_the_window_oldest_first():
    start = datetime(2026, 1, 1, tzinfo=UTC)
    end = start + timedelta(days=3)
    dates = [
        t.transaction_date
        for t in generator.TransactionGenerator(seed=3).spread(200, start, end)
    ]
    assert dates == sorted(dates)
    assert start <= dates[0] and dates[-1] < end


def test_seed_window_starts_after_the_last_posting():
    now = datetime(2026, 3, 1, tzinfo=UTC)
    last = now - timedelta(days=2)
    start, end = generator.seed_window(30, int(last.timestamp() * 1000), now)
    assert start == last + timedelta(milliseconds=1)
    assert end == now
    assert generator.seed_window(30, 0, now)[0] == now - timedelta(days=30)


@pytest.mark.parametrize("count, days", [(-1, 3), (5, 0)])
def test_bad_counts_and_windows_are_refused(count, days):
    with pytest.raises(InvalidInput):
        start, end = generator.seed_window(days, 0)
        list(generator.TransactionGenerator(seed=1).spread(count, start, end))
