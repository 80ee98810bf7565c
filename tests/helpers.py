"""Transactions with amounts a test chooses, and a clock a test moves by hand."""

import time
from datetime import UTC, datetime, timedelta

from redisbank.models import BankTransaction

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


def transaction(
    vendor: str, amount_cents: int, minute: int = 0, **fields
) -> BankTransaction:
    values = {
        "from_account": "RB-0000-0001",
        "to_account": vendor,
        "vendor": vendor,
        "description": f"{vendor} purchase",
        "transaction_type": "Debit card",
        "amount_cents": amount_cents,
        "transaction_date": EPOCH + timedelta(minutes=minute),
        **fields,
    }
    return BankTransaction(**values)


class FakeClock:
    """A clock for the session store that a test moves by hand, from real now."""

    def __init__(self):
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def log_in(http, username: str = "bob", password: str = "redisbank-demo"):
    """Log in over HTTP as a browser would (a form); return the response."""
    response = http.post(
        "/perform_login", data={"username": username, "password": password}
    )
    assert response.status_code == 200, response.text
    return response


def bearer(token: str) -> dict[str, str]:
    """Return the header a mobile client sends with its token."""
    return {"Authorization": f"Bearer {token}"}
