from datetime import timedelta

import pytest

from redisbank import analytics, config, ledger
from redisbank.errors import InvalidInput
from tests.helpers import EPOCH, transaction

OPENING = config.OPENING_BALANCE_CENTS
FEBRUARY = 31 * 24 * 60  # minutes from 1 January to 1 February


@pytest.fixture
def posted(r):
    ledger.prepare(r)
    rows = [
        transaction("Coffee", -100, 10, transaction_type="Contactless"),
        transaction("Payroll", 500, 50, transaction_type="Bank transfer"),
        transaction("Rent", -1000, 90, transaction_type="Standing order"),
        transaction("Coffee", -50, 36 * 60, transaction_type="Contactless"),
        transaction("Coffee", -25, FEBRUARY + 5, transaction_type="Contactless"),
        transaction("Grocer", -700, FEBRUARY + 6, transaction_type="Debit card"),
    ]
    list(ledger.post_many(r, rows))
    return r


def test_the_daily_summary_has_min_max_and_last_per_day(posted):
    frame = analytics.balance_summary(posted, "1d")
    assert [t.isoformat() for t in frame["time"]] == [
        "2026-01-01T00:00:00+00:00",
        "2026-01-02T00:00:00+00:00",
        "2026-02-01T00:00:00+00:00",
    ]
    assert list(frame["min_cents"]) == [OPENING - 600, OPENING - 650, OPENING - 1375]
    assert list(frame["max_cents"]) == [OPENING + 400, OPENING - 650, OPENING - 675]
    assert list(frame["last_cents"]) == [OPENING - 600, OPENING - 650, OPENING - 1375]
    assert frame["last"].iloc[-1] == ledger.balance_cents(posted) / 100


def test_the_open_bucket_comes_from_the_raw_samples(posted):
    # The February bucket has no later sample to close it, so the compaction
    # holds only January's days.
    compacted = posted.ts().range(config.balance_compaction_key("1d", "last"), "-", "+")
    assert len(compacted) == 2
    hourly = analytics.balance_summary(posted, "1h")
    assert len(hourly) == 4
    assert list(hourly["min_cents"][:2]) == [OPENING - 100, OPENING - 600]
    assert list(hourly["max_cents"][:2]) == [OPENING + 400, OPENING - 600]
    assert hourly["last_cents"].iloc[-1] == ledger.balance_cents(posted)


def test_the_summary_takes_a_window(posted):
    start = EPOCH + timedelta(days=1)
    frame = analytics.balance_summary(posted, "1d", start=start, end=start)
    assert list(frame["last_cents"]) == [OPENING - 650]


def test_the_raw_series_has_a_retention_and_six_compactions(posted):
    info = posted.ts().info(config.BALANCE_TS_KEY)
    assert info.retention_msecs == config.BALANCE_RETENTION_MS
    assert ledger.compaction_keys(posted) == {
        key for key, *_ in config.balance_compactions()
    }


def test_an_unknown_bucket_is_refused(posted):
    with pytest.raises(InvalidInput, match="'1w' is not one of 1h, 1d"):
        analytics.balance_summary(posted, "1w")


def test_spending_is_summed_by_type_and_month(posted):
    frame = analytics.spending_by_type_and_month(posted)
    assert frame[["month", "transaction_type", "spent_cents", "transactions"]].to_dict(
        "records"
    ) == [
        {"month": "2026-01", "transaction_type": "Contactless", "spent_cents": 150,
         "transactions": 2},
        {"month": "2026-01", "transaction_type": "Standing order", "spent_cents": 1000,
         "transactions": 1},
        {"month": "2026-02", "transaction_type": "Contactless", "spent_cents": 25,
         "transactions": 1},
        {"month": "2026-02", "transaction_type": "Debit card", "spent_cents": 700,
         "transactions": 1},
    ]  # fmt: skip
    assert list(frame["spent"]) == [1.5, 10.0, 0.25, 7.0]


def test_spending_takes_a_date_window(posted):
    since = EPOCH + timedelta(minutes=FEBRUARY)
    frame = analytics.spending_by_type_and_month(posted, since=since)
    assert list(frame["month"]) == ["2026-02", "2026-02"]


def test_the_overview_lists_vendors_by_money_taken(posted):
    frame = analytics.transactions_overview(posted)
    assert list(frame["vendor"]) == ["Rent", "Grocer", "Coffee", "Payroll"]
    assert list(frame["transactions"]) == [1, 1, 3, 1]
    assert list(frame["total_cents"]) == [-1000, -700, -175, 500]
    coffee = frame.set_index("vendor").loc["Coffee"]
    assert coffee["first"] == EPOCH + timedelta(minutes=10)
    assert coffee["last"] == EPOCH + timedelta(minutes=FEBRUARY + 5)
    assert str(frame["first"].dt.tz) == "UTC"


def test_an_empty_ledger_has_empty_analytics(r):
    assert analytics.balance_summary(r, "1h").empty
    ledger.prepare(r)
    assert analytics.balance_summary(r, "1d").empty
    assert analytics.spending_by_type_and_month(r).empty
    assert analytics.transactions_overview(r).empty
