from decimal import Decimal

import pytest

from redisbank import money
from redisbank.errors import InvalidInput


def test_cents_and_decimals_convert_both_ways():
    assert money.to_cents("12.34") == 1234
    assert money.to_cents(Decimal("-0.05")) == -5
    assert money.to_decimal(1234) == Decimal("12.34")
    assert money.to_decimal(-5) == Decimal("-0.05")


def test_format_amount_groups_thousands():
    assert money.format_amount(100_000_00) == "100,000.00"
    assert money.format_amount(-123456) == "-1,234.56"


@pytest.mark.parametrize(
    "bad, reason",
    [
        ("12.345", "fraction of a cent"),
        ("abc", "not an amount"),
        ("NaN", "not an amount"),
        ("inf", "not an amount"),
        ("1e5", "not an amount"),
        ("1_000", "not an amount"),
        ("١٢", "not an amount"),
        ("9" * 5000, "not an amount"),
        ("10000000000.01", "more than the largest amount"),
    ],
)
def test_to_cents_refuses_what_is_not_plain_whole_cents(bad, reason):
    with pytest.raises(InvalidInput, match=reason) as caught:
        money.to_cents(bad)
    assert len(str(caught.value)) < 120


def test_a_million_cent_postings_add_up_exactly():
    assert sum(money.to_cents("0.01") for _ in range(1_000_000)) == 1_000_000
    assert money.to_decimal(1_000_000) == Decimal("10000.00")
