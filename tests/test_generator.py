# Tests given `r` build validated BankTransactions, which redis-om checks
# against the bound server once.
from datetime import UTC, datetime, timedelta

import pytest

from redisbank import generator
from redisbank.errors import InvalidInput


def test_the_shipped_vendor_list_is_about_a_dozen_sound_entries():
    vendors = generator.load_vendors()
    assert 10 <= len(vendors) <= 15
    assert len({v.name for v in vendors}) == len(vendors)
    assert {v.kind for v in vendors} == {"debit", "credit"}


def test_amounts_follow_the_vendor(r):
    vendors = {v.name: v for v in generator.load_vendors()}
    drawn = generator.TransactionGenerator(seed=7)
    for _ in range(500):
        tx = drawn.one(datetime(2026, 1, 1, tzinfo=UTC))
        vendor = vendors[tx.vendor]
        assert vendor.min_cents <= abs(tx.amount_cents) <= vendor.max_cents
        assert (tx.amount_cents > 0) == (vendor.kind == "credit")


def test_a_seed_makes_the_draws_repeatable(r):
    start, end = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC)

    def draw(seed):
        return [
            (t.vendor, t.amount_cents, t.transaction_date)
            for t in generator.TransactionGenerator(seed=seed).spread(50, start, end)
        ]

    assert draw(1) == draw(1)
    assert draw(1) != draw(2)


def test_spread_stays_in_the_window_oldest_first(r):
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


def test_salary_and_rent_come_monthly_on_their_days():
    start, end = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)
    drafts = list(generator.TransactionGenerator(seed=8).drafts(2000, start, end))
    salary = [
        d["transaction_date"] for d in drafts if d["vendor"] == "Northwind Payroll"
    ]
    rent = [d["transaction_date"] for d in drafts if d["vendor"] == "Harbour Lettings"]
    assert [(d.month, d.day) for d in salary] == [(1, 25), (2, 25), (3, 25)]
    assert [(d.month, d.day) for d in rent] == [(1, 1), (2, 1), (3, 1)]
    assert all(
        d["amount_cents"] == -1_450_00
        for d in drafts
        if d["vendor"] == "Harbour Lettings"
    )
    assert len(drafts) == 2000


def test_coffee_is_bought_on_weekdays_only():
    start, end = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC)
    drafts = list(generator.TransactionGenerator(seed=9).drafts(3000, start, end))
    coffee = [
        d["transaction_date"] for d in drafts if d["vendor"] == "Bean There Coffee"
    ]
    assert len(coffee) > 300
    assert all(moment.weekday() < 5 for moment in coffee)
    weekend = [d for d in drafts if d["transaction_date"].weekday() >= 5]
    assert weekend, "other vendors still come at weekends"


def test_drafts_are_repeatable_keys_included_and_oldest_first():
    start, end = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC)

    def draw(seed):
        return list(generator.TransactionGenerator(seed=seed).drafts(300, start, end))

    first = draw(11)
    assert first == draw(11)
    assert len({d["pk"] for d in first}) == 300
    assert [d["pk"] for d in first] == sorted(d["pk"] for d in first)
    dates = [d["transaction_date"] for d in first]
    assert dates == sorted(dates)


def test_a_window_shorter_than_a_millisecond_still_draws():
    start = datetime(2026, 1, 1, tzinfo=UTC)
    drafts = generator.TransactionGenerator(seed=1).drafts(
        5, start, start + timedelta(microseconds=300)
    )
    assert len(list(drafts)) == 5
