import pytest

from redisbank import config, ledger, queries
from redisbank.errors import InvalidInput
from tests.helpers import transaction

# Each hostile term, and how many of the posted rows hold all of its words.
HOSTILE = {
    "*": None, "-": None, '"': None, "'": None, "((": None, "]]": None, "{": None,
    "|": None, "\\": None, "%%": None, "🍕": None, "x" * 1024: None,
    "@amount_cents:[0 inf]": 0, "@vendor_fts:(rent)": 0, "~coffee": 2,
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
