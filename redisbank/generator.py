"""Made-up but plausible transactions for the demo account.

Vendors come from `data/vendors.json`: each says whether it pays or is paid,
its usual range of amounts, how often it appears, and whether it comes on a
fixed day of the month or only on weekdays. A seeded random generator makes a
run repeatable.
"""

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from pathlib import Path
from typing import Any

from redisbank import config, money
from redisbank.errors import InvalidInput
from redisbank.ledger import epoch_ms
from redisbank.models import BankTransaction


@dataclass(frozen=True)
class Vendor:
    """A counterparty of the account, as the data file describes it."""

    name: str
    description: str
    payment_type: str
    kind: str  # "debit": money out; "credit": money in
    min_cents: int
    max_cents: int
    weight: int
    day_of_month: int | None = None  # posted monthly on this day, not at random
    weekdays_only: bool = False


def load_vendors(path: Path | None = None) -> list[Vendor]:
    """Read the vendor list, refusing entries that would post nonsense."""
    path = path or config.DATA_DIR / "vendors.json"
    entries = json.loads(path.read_text())["vendors"]
    vendors = []
    for entry in entries:
        vendor = Vendor(
            name=entry["name"],
            description=entry["description"],
            payment_type=entry["payment_type"],
            kind=entry["kind"],
            min_cents=money.to_cents(entry["min"]),
            max_cents=money.to_cents(entry["max"]),
            weight=int(entry["weight"]),
            day_of_month=entry.get("day_of_month"),
            weekdays_only=bool(entry.get("weekdays_only", False)),
        )
        if vendor.kind not in ("debit", "credit") or not (
            0 < vendor.min_cents <= vendor.max_cents
        ):
            raise InvalidInput(
                f"{path}: vendor {vendor.name!r} has a bad kind or range"
            )
        if vendor.day_of_month is not None and not 1 <= vendor.day_of_month <= 28:
            raise InvalidInput(
                f"{path}: vendor {vendor.name!r} has day_of_month "
                f"{vendor.day_of_month}: use 1 to 28, which every month has"
            )
        vendors.append(vendor)
    return vendors


class TransactionGenerator:
    """Draws transactions between the demo account and the vendors.

    Vendors with a day of the month (the salary, the rent) are posted once a
    month on that day by `spread`; the others are drawn by weight at random
    times, and a weekdays-only vendor (the coffee shop) never on a weekend. The
    same seed draws the same transactions over the same window, primary keys
    included; over a later window the draws repeat but their dates move.
    """

    def __init__(self, vendors: list[Vendor] | None = None, seed: int | None = None):
        self.vendors = vendors or load_vendors()
        self.random = random.Random(seed)
        everyday = [v for v in self.vendors if v.day_of_month is None]
        weekend = [v for v in everyday if not v.weekdays_only]
        if not weekend:
            raise InvalidInput("the vendor list needs a vendor open at weekends")
        self._weekday = (everyday, list(accumulate(v.weight for v in everyday)))
        self._weekend = (weekend, list(accumulate(v.weight for v in weekend)))
        self._monthly = [v for v in self.vendors if v.day_of_month is not None]

    def one(self, at: datetime) -> BankTransaction:
        """Return one validated transaction dated at, from the everyday vendors."""
        return BankTransaction(**self.draft(at))

    def draft(self, at: datetime, vendor: Vendor | None = None) -> dict[str, Any]:
        """Return one transaction dated at as a plain dict, as the ledger posts it.

        Drafts skip pydantic validation, which is most of the cost of bulk
        seeding; their fields are the model's, with a `pk`.
        """
        if vendor is None:
            vendors, weights = self._weekend if at.weekday() >= 5 else self._weekday
            vendor = self.random.choices(vendors, cum_weights=weights)[0]
        cents = self.random.randint(vendor.min_cents, vendor.max_cents)
        outgoing = vendor.kind == "debit"
        return {
            "pk": _ulid(epoch_ms(at), self.random),
            "from_account": config.DEMO_ACCOUNT if outgoing else vendor.name,
            "to_account": vendor.name if outgoing else config.DEMO_ACCOUNT,
            "vendor": vendor.name,
            "description": vendor.description,
            "transaction_type": vendor.payment_type,
            "amount_cents": -cents if outgoing else cents,
            "transaction_date": at,
        }

    def spread(
        self, count: int, start: datetime, end: datetime
    ) -> Iterator[BankTransaction]:
        """Yield count validated transactions between start and end, oldest first."""
        for draft in self.drafts(count, start, end):
            yield BankTransaction(**draft)

    def drafts(
        self, count: int, start: datetime, end: datetime
    ) -> Iterator[dict[str, Any]]:
        """Yield count drafts between start and end, oldest first.

        The monthly vendors' postings in the window come first out of count;
        the rest are drawn at random times.
        """
        if count < 0:
            raise InvalidInput(f"count must be zero or more, not {count}")
        if start >= end:
            raise InvalidInput(f"the window {start} to {end} is empty")
        monthly = self._monthly_dates(start, end)[:count]
        span_ms = max(1, epoch_ms(end) - epoch_ms(start))
        offsets = sorted(
            self.random.randrange(span_ms) for _ in range(count - len(monthly))
        )
        drawn = [(start + timedelta(milliseconds=o), None) for o in offsets]
        for at, vendor in sorted(monthly + drawn, key=lambda pair: pair[0]):
            yield self.draft(at, vendor)

    def _monthly_dates(self, start: datetime, end: datetime):
        dates = []
        year, month = start.year, start.month
        while datetime(year, month, 1, tzinfo=UTC) < end:
            for vendor in self._monthly:
                at = datetime(year, month, vendor.day_of_month, 6, tzinfo=UTC)
                if start <= at < end:
                    dates.append((at, vendor))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return sorted(dates, key=lambda pair: pair[0])


# Crockford's base32, as ULIDs are written.
_BASE32 = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _ulid(at_ms: int, draw: random.Random) -> str:
    """Return a ULID for at_ms whose 80 random bits come from draw.

    Drawing them from the generator's seeded random makes the keys repeatable;
    python-ulid's own constructor is several times slower per key.
    """
    value = (at_ms << 80) | draw.getrandbits(80)
    return "".join(_BASE32[(value >> shift) & 31] for shift in range(125, -1, -5))


def seed_window(days: float, last_ms: int, now: datetime | None = None):
    """Return the window to seed: the past `days`, after the ledger's last posting.

    Starting after the last posting keeps the balance series in time order when
    seeding again on top of existing data.
    """
    if days <= 0:
        raise InvalidInput(f"days must be more than zero, not {days}")
    end = now or datetime.now(UTC)
    start = end - timedelta(days=days)
    if last_ms:
        start = max(
            start,
            datetime.fromtimestamp(last_ms / 1000, UTC) + timedelta(milliseconds=1),
        )
    if start >= end:
        start = end - timedelta(milliseconds=1)
    return start, end
