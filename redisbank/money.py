"""Money as integer cents, with a Decimal view for people.

Storage and arithmetic use whole cents so a million postings add up exactly;
Decimal appears only at the edges, where amounts are shown or typed.
"""

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from redisbank.errors import InvalidInput

CENT = Decimal("0.01")


def to_decimal(cents: int) -> Decimal:
    """Return cents as a Decimal amount with two places: 1234 -> Decimal('12.34')."""
    return (Decimal(int(cents)) * CENT).quantize(CENT)


def to_cents(amount: Decimal | str | int) -> int:
    """Return an amount in currency units as whole cents, refusing fractions of one."""
    try:
        value = Decimal(str(amount))
    except InvalidOperation as error:
        raise InvalidInput(
            f"{amount!r} is not an amount: write it like 12.34"
        ) from error
    if not value.is_finite():
        raise InvalidInput(f"{amount!r} is not a finite amount")
    cents = value * 100
    if cents != cents.to_integral_value(rounding=ROUND_HALF_EVEN):
        raise InvalidInput(f"{amount!r} has a fraction of a cent")
    return int(cents)


def format_amount(cents: int) -> str:
    """Return cents for display, with thousands separators: 123456 -> '1,234.56'."""
    return f"{to_decimal(cents):,.2f}"
