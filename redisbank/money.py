"""Money as integer cents, with a Decimal view for people.

Storage and arithmetic use whole cents so a million postings add up exactly;
Decimal appears only at the edges, where amounts are shown or typed.
"""

import re
from decimal import ROUND_HALF_EVEN, Decimal

from redisbank import config
from redisbank.errors import InvalidInput

CENT = Decimal("0.01")


def to_decimal(cents: int) -> Decimal:
    """Return cents as a Decimal amount with two places: 1234 -> Decimal('12.34')."""
    return (Decimal(int(cents)) * CENT).quantize(CENT)


# Plain decimal notation only: no exponents, underscores or other digit scripts.
_AMOUNT = re.compile(r"[+-]?[0-9]{1,13}(\.[0-9]+)?")


def to_cents(amount: Decimal | str | int | float) -> int:
    """Return an amount in currency units as whole cents.

    Refuses fractions of a cent, anything that is not plain decimal notation,
    and amounts beyond config.MAX_AMOUNT_CENTS.
    """
    text = str(amount).strip()
    shown = repr(amount) if len(text) <= 40 else repr(text[:40] + "…")
    if not _AMOUNT.fullmatch(text):
        raise InvalidInput(f"{shown} is not an amount: write it like 12.34")
    cents = Decimal(text) * 100
    if cents != cents.to_integral_value(rounding=ROUND_HALF_EVEN):
        raise InvalidInput(f"{shown} has a fraction of a cent")
    if abs(cents) > config.MAX_AMOUNT_CENTS:
        limit = format_amount(config.MAX_AMOUNT_CENTS)
        raise InvalidInput(f"{shown} is more than the largest amount, {limit}")
    return int(cents)


def format_amount(cents: int) -> str:
    """Return cents for display, with thousands separators: 123456 -> '1,234.56'."""
    return f"{to_decimal(cents):,.2f}"
