"""Made-up but plausible transactions for the demo account.

Vendors come from `data/vendors.json`: each says whether it pays or is paid,
its usual range of amounts and how often it appears. A seeded random generator
makes a run repeatable.
"""

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from redisbank import config, money
from redisbank.errors import InvalidInput
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
        )
        if vendor.kind not in ("debit", "credit") or not (
            0 < vendor.min_cents <= vendor.max_cents
        ):
            raise InvalidInput(
                f"{path}: vendor {vendor.name!r} has a bad kind or range"
            )
        vendors.append(vendor)
    return vendors


class TransactionGenerator:
    """Draws transactions between the demo account and the vendors."""

    def __init__(self, vendors: list[Vendor] | None = None, seed: int | None = None):
        self.vendors = vendors or load_vendors()
        self.random = random.Random(seed)

    def one(self, at: datetime) -> BankTransaction:
        """Return one transaction dated at, with a vendor-dependent amount."""
        vendor = self.random.choices(
            self.vendors, weights=[v.weight for v in self.vendors]
        )[0]
        cents = self.random.randint(vendor.min_cents, vendor.max_cents)
        outgoing = vendor.kind == "debit"
        return BankTransaction(
            from_account=config.DEMO_ACCOUNT if outgoing else vendor.name,
            to_account=vendor.name if outgoing else config.DEMO_ACCOUNT,
            vendor=vendor.name,
            description=vendor.description,
            transaction_type=vendor.payment_type,
            amount_cents=-cents if outgoing else cents,
            transaction_date=at,
        )

    def spread(
        self, count: int, start: datetime, end: datetime
    ) -> Iterator[BankTransaction]:
        """Yield count transactions between start and end, oldest first."""
        if count < 0:
            raise InvalidInput(f"count must be zero or more, not {count}")
        if start >= end:
            raise InvalidInput(f"the window {start} to {end} is empty")
        span_ms = int((end - start).total_seconds() * 1000)
        offsets = sorted(self.random.randrange(span_ms) for _ in range(count))
        for offset in offsets:
            yield self.one(start + timedelta(milliseconds=offset))


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
