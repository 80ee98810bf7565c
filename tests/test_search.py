from datetime import UTC, datetime

import pytest

from redisbank import search
from redisbank.errors import InvalidInput


def test_text_keeps_only_words_each_quoted():
    assert search.text_clause("@amount:[0 inf] -coffee*") == (
        '@description_fts|vendor_fts:("amount" "0" "inf" "coffee")'
    )


@pytest.mark.parametrize("term", ["", "*", "()", '"', "🍕", " - | ~ "])
def test_text_without_words_is_refused(term):
    with pytest.raises(InvalidInput, match="no letters or digits"):
        search.text_clause(term)


def test_text_of_a_kilobyte_is_refused_with_the_limit():
    with pytest.raises(InvalidInput, match="at most 200 characters.*1024"):
        search.text_clause("x" * 1024)


@pytest.mark.parametrize(
    "value, escaped",
    [
        ("Debit card", r"Debit\ card"),
        ("RB-0000-0001", r"RB\-0000\-0001"),
        ("a}|{b", r"a\}\|\{b"),
        ("@x:[0 inf]", r"\@x\:\[0\ inf\]"),
        ("back\\slash", r"back\\slash"),
    ],
)
def test_tag_values_have_every_punctuation_escaped(value, escaped):
    assert search.escape_tag(value) == escaped
    assert search.tag_clause("transaction_type", value) == (
        f"@transaction_type:{{{escaped}}}"
    )


@pytest.mark.parametrize("value", ["", "   ", "🍕", "tab\there", "x" * 201, 5])
def test_tag_values_that_cannot_be_a_type_or_account_are_refused(value):
    with pytest.raises(InvalidInput):
        search.escape_tag(value)


def test_numeric_ranges_take_numbers_only():
    assert search.numeric_clause("amount_cents", -500, None) == (
        "@amount_cents:[-500 +inf]"
    )
    assert search.numeric_clause("amount_cents", None, 0) == "@amount_cents:[-inf 0]"
    for bad in ["0 inf] @vendor:{x", True, float("nan"), float("inf")]:
        with pytest.raises(InvalidInput):
            search.numeric_clause("amount_cents", bad, None)
    with pytest.raises(InvalidInput, match="empty: swap them"):
        search.numeric_clause("amount_cents", 5, 1)


def test_dates_must_be_aware():
    with pytest.raises(InvalidInput, match="timezone-aware"):
        search.date_clause(datetime(2026, 1, 1))
    since = datetime(2026, 1, 1, tzinfo=UTC)
    assert (
        search.date_clause(since) == f"@transaction_date:[{since.timestamp()!r} +inf]"
    )


@pytest.mark.parametrize("offset, limit", [(-1, 10), (0, 0), (0, 1001), (10_001, 10)])
def test_pages_outside_the_limits_are_refused(offset, limit):
    with pytest.raises(InvalidInput):
        search.check_page(offset, limit)
