import os
from datetime import timedelta

import pytest
import redis

from redisbank import config, generator, ledger, queries
from redisbank.errors import InvalidInput
from tests.helpers import EPOCH, transaction

# Each hostile term, and how many of the posted rows hold all of its words.
HOSTILE = {
    "*": None, "-": None, '"': None, "'": None, "((": None, "]]": None, "{": None,
    "|": None, "\\": None, "%%": None, "🍕": None, "x" * 1024: None,
    "@amount_cents:[0 inf]": 0, "@amount:[0 inf]": 0, "@vendor_fts:(rent)": 0,
    "~coffee": 2,
    "coffee)": 2, "-coffee": 2, "coffee | rent": 0, '"coffee': 2, "rent*": 1,
    "🍕 coffee": 2, "coffee%": 2,
}  # fmt: skip


@pytest.fixture
def posted(r):
    ledger.prepare(r)
    rows = [
        transaction("Bean There Coffee", -450, 0, description="Flat white"),
        transaction("Harbour Lettings", -1_450_00, 1, description="Rent"),
        transaction("Greenleaf Grocers", -82_10, 2, description="Groceries"),
        transaction("Bean There Coffee", -380, 3, description="Espresso"),
        transaction("Northwind Payroll", 4_000_00, 4, description="Salary"),
        transaction("Greenleaf Grocers", -45_00, 5, description="Groceries"),
    ]
    list(ledger.post_many(r, rows))
    return r


def test_biggest_spenders_come_largest_first(posted):
    frame = queries.biggest_spenders(posted, top=3)
    assert list(frame["vendor"]) == [
        "Harbour Lettings",
        "Greenleaf Grocers",
        "Bean There Coffee",
    ]
    assert list(frame["spent_cents"]) == [1_450_00, 127_10, 830]
    assert list(frame["spent"]) == [1450.0, 127.1, 8.3]


def test_vendors_that_paid_the_account_are_not_spenders(posted):
    # The fixture's payroll credit leaves Northwind Payroll at -4,000.00.
    assert posted.zscore("bigspenders", "Northwind Payroll") == -4_000_00
    frame = queries.biggest_spenders(posted, top=10)
    assert "Northwind Payroll" not in set(frame["vendor"])
    assert len(frame) == 3
    assert (frame["spent_cents"] > 0).all()


@pytest.mark.parametrize("top", [0, -1, 2.5, True, 10**20, "5"])
def test_odd_spender_counts_are_refused(posted, top):
    with pytest.raises(InvalidInput, match="top must be a whole number"):
        queries.biggest_spenders(posted, top=top)


def test_the_balance_series_follows_every_posting(posted):
    frame = queries.balance_over_time(posted)
    expected = config.OPENING_BALANCE_CENTS
    assert len(frame) == 6
    assert frame["balance_cents"].iloc[0] == expected - 450
    assert frame["balance_cents"].iloc[-1] == ledger.balance_cents(posted)
    assert frame["time"].is_monotonic_increasing
    assert str(frame["time"].dt.tz) == "UTC"


def test_recent_transactions_are_newest_first_and_limited(posted):
    frame = queries.recent_transactions(posted, limit=2)
    assert list(frame["description"]) == ["Groceries", "Salary"]
    assert frame.attrs["total"] == 6


def test_search_matches_vendor_and_description_words(posted):
    assert set(queries.search_transactions(posted, "coffee")["description"]) == {
        "Flat white",
        "Espresso",
    }
    assert list(queries.search_transactions(posted, "rent")["vendor"]) == [
        "Harbour Lettings"
    ]
    assert list(queries.search_transactions(posted, "Bean There")["description"]) == [
        "Espresso",
        "Flat white",
    ]


@pytest.mark.parametrize("term, matches", HOSTILE.items())
def test_hostile_terms_are_searched_literally_or_refused(posted, term, matches):
    if matches is None:
        with pytest.raises(InvalidInput, match="no letters or digits|at most 200"):
            queries.search_transactions(posted, term)
    else:
        assert len(queries.search_transactions(posted, term)) == matches


def test_a_term_with_operators_finds_only_its_words(posted):
    assert len(queries.search_transactions(posted, "coffee -espresso")) == 1
    assert len(queries.search_transactions(posted, "@vendor_fts:coffee")) == 0


def test_bad_limits_are_refused(posted):
    with pytest.raises(InvalidInput):
        queries.recent_transactions(posted, limit=0)
    with pytest.raises(InvalidInput):
        queries.biggest_spenders(posted, top=0)


@pytest.fixture
def typed(r):
    ledger.prepare(r)
    rows = [
        transaction("Bean There Coffee", -450, 0, transaction_type="Contactless"),
        transaction("Bean There Coffee", -380, 1, transaction_type="Contactless"),
        transaction(
            "Harbour Lettings", -1_450_00, 2, transaction_type="Standing order"
        ),
        transaction(
            "Northwind Payroll",
            4_000_00,
            3,
            from_account="Northwind Payroll",
            to_account="RB-0000-0001",
            transaction_type="Bank transfer",
        ),
        transaction("Odd {Vendor} | x", -1_00, 4, to_account="ACC-{1} 2"),
    ]
    list(ledger.post_many(r, rows))
    return r


def test_filters_by_type_account_amount_and_date(typed):
    def vendors(**filters):
        return list(queries.search_transactions(typed, None, **filters)["vendor"])

    assert vendors(transaction_type="Contactless") == ["Bean There Coffee"] * 2
    assert vendors(transaction_type="Standing order") == ["Harbour Lettings"]
    assert vendors(account="Northwind Payroll") == ["Northwind Payroll"]
    assert len(vendors(account="RB-0000-0001")) == 5
    assert vendors(account="ACC-{1} 2") == ["Odd {Vendor} | x"]
    assert (
        vendors(min_amount_cents=-450, max_amount_cents=-380)
        == ["Bean There Coffee"] * 2
    )
    assert vendors(min_amount_cents=0) == ["Northwind Payroll"]
    since = EPOCH + timedelta(minutes=2)
    assert vendors(since=since, until=since + timedelta(minutes=1)) == [
        "Northwind Payroll",
        "Harbour Lettings",
    ]
    assert vendors(transaction_type="Contactless", max_amount_cents=-400) == [
        "Bean There Coffee"
    ]
    frame = queries.search_transactions(typed, "coffee", transaction_type="Contactless")
    assert list(frame["amount_cents"]) == [-380, -450]


@pytest.mark.parametrize(
    "value", ["*", "-", "@amount_cents:[0 inf]", '"', "}", "{", "a | b", "((", "\\"]
)
def test_hostile_tag_values_match_literally(typed, value):
    for name in ("transaction_type", "account"):
        frame = queries.search_transactions(typed, None, **{name: value})
        assert frame.attrs["total"] == 0


def test_pages_come_from_redis_in_date_order(typed):
    first = queries.search_transactions(typed, None, limit=2)
    second = queries.search_transactions(typed, None, limit=2, offset=2)
    third = queries.recent_transactions(typed, limit=2, offset=4)
    assert list(first["vendor"]) == ["Odd {Vendor} | x", "Northwind Payroll"]
    assert list(second["vendor"]) == ["Harbour Lettings", "Bean There Coffee"]
    assert len(third) == 1 and first.attrs["total"] == 5
    dates = list(first["transaction_date"]) + list(second["transaction_date"])
    assert dates == sorted(dates, reverse=True)


def test_a_kilobyte_of_text_is_refused_clearly(typed):
    with pytest.raises(InvalidInput, match="at most 200 characters, this one has 1024"):
        queries.search_transactions(typed, "coffee " * 146 + "xx")


def test_the_total_can_be_skipped_and_the_page_is_the_same(typed):
    counted = queries.search_transactions(typed, "coffee", limit=1)
    uncounted = queries.search_transactions(typed, "coffee", limit=1, with_total=False)
    assert counted.attrs["total"] == 2 and uncounted.attrs["total"] is None
    assert list(counted["pk"]) == list(uncounted["pk"])


def test_pages_match_sorting_every_match_in_python(r):
    ledger.prepare(r)
    start = EPOCH
    drafts = list(
        generator.TransactionGenerator(seed=12).drafts(
            3000, start, start + timedelta(days=60)
        )
    )
    list(ledger.post_many(r, drafts))
    coffee = sorted(
        (d for d in drafts if "Coffee" in d["vendor"] and d["amount_cents"] >= -500),
        key=lambda d: d["transaction_date"],
        reverse=True,
    )
    pages = [
        queries.search_transactions(
            r, "coffee", limit=25, offset=offset, min_amount_cents=-500
        )
        for offset in (0, 25, 50)
    ]
    assert pages[0].attrs["total"] == len(coffee)
    assert [pk for page in pages for pk in page["pk"]] == [d["pk"] for d in coffee[:75]]


@pytest.mark.parametrize("protocol", [2, 3])
def test_a_client_speaking_either_protocol_in_bytes_gets_the_same_page(typed, protocol):
    other = redis.Redis.from_url(os.environ["REDIS_URL"], protocol=protocol)
    try:
        theirs = queries.search_transactions(other, "coffee", limit=5)
    finally:
        other.close()
    ours = queries.search_transactions(typed, "coffee", limit=5)
    assert theirs.attrs["total"] == ours.attrs["total"] == 2
    assert list(theirs["pk"]) == list(ours["pk"])


def test_a_prefix_search_matches_the_word_being_typed(posted):
    assert len(queries.search_transactions(posted, "Coff")) == 0
    coffee = queries.search_transactions(posted, "Coff", prefix=True)
    assert set(coffee["vendor"]) == {"Bean There Coffee"}
    assert len(queries.search_transactions(posted, "bean th", prefix=True)) == 2
    # One letter is too short to be a prefix: it is matched as a whole word.
    assert len(queries.search_transactions(posted, "c", prefix=True)) == 0
    assert len(queries.search_transactions(posted, "rent*", prefix=True)) == 1
