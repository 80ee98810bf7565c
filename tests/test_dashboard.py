"""The dashboard in a real browser: Debian's Chromium, driven by Playwright.

The app runs for real under uvicorn on 127.0.0.1, on the test server's Redis.
Without Chromium the tests are skipped on a developer's machine and fail in CI
(CI installs it), so a missing browser cannot pass for a green run.
"""

import json
import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from redisbank import config, connection, ledger
from tests.helpers import transaction

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(__file__).resolve().parent.parent / "build" / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",  # needed as root, as in CI
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = config.DEMO_PASSWORD


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("CI must run the browser tests: install Debian's chromium")
        pytest.skip("the browser tests need Chromium: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


def recent(vendor, amount_cents, hours_ago, **fields):
    """A transaction dated hours_ago, inside the dashboard's chart window."""
    moment = datetime.now(UTC) - timedelta(hours=hours_ago)
    return transaction(vendor, amount_cents, transaction_date=moment, **fields)


@pytest.fixture
def site(r, serve_api):
    """The app's base URL, on a ledger holding a few known transactions."""
    url = serve_api(r)
    rows = [
        recent("Bean There Coffee", -450, 40, description="Flat white"),
        recent("Harbour Lettings", -1_450_00, 30, description="Rent"),
        recent("Greenleaf Grocers", -82_10, 20, description="Groceries"),
        recent("Bean There Coffee", -380, 10, description="Espresso"),
    ]
    list(ledger.post_many(r, rows))
    return url


@pytest.fixture
def page(browser, site):
    # Needs site so that the page closes (ending its live feed) before the app
    # stops: uvicorn waits for open connections when it shuts down.
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    opened.set_default_timeout(10_000)
    yield opened
    context.close()


def sign_in(page, site, password=PASSWORD):
    page.goto(f"{site}/login")
    page.fill("#username", "bob")
    page.fill("#password", password)
    page.click("button[type=submit]")


def open_dashboard(page, site):
    sign_in(page, site)
    page.wait_for_url(f"{site}/dashboard")
    page.wait_for_selector("#live:text('live')")
    page.wait_for_selector("#recent tr")


def test_a_wrong_password_then_the_right_one(page, site):
    page.goto(f"{site}/login")
    assert page.input_value("#username") == ""
    assert page.input_value("#password") == ""

    sign_in(page, site, password="not-the-password")
    page.wait_for_url(f"{site}/login?error=failed")
    assert page.inner_text(".error") == "Unknown username or wrong password."

    sign_in(page, site)
    page.wait_for_url(f"{site}/dashboard")
    page.wait_for_selector("#holder:text('Bob Smith')")
    assert page.inner_text("#account") == config.DEMO_ACCOUNT


def test_the_session_cookie_is_httponly(page, site):
    open_dashboard(page, site)
    (cookie,) = page.context.cookies()
    assert cookie["name"] == config.SESSION_COOKIE
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"
    assert page.evaluate("document.cookie") == ""  # no script can read it


def test_the_balance_shown_is_the_ledgers_and_a_screenshot_is_kept(r, page, site):
    open_dashboard(page, site)
    page.wait_for_selector("#balance:not(:text('…'))")
    assert page.inner_text("#balance") == ledger.balance_text(r)
    rows = page.locator("#recent tr")
    assert rows.count() == 4
    assert rows.first.inner_text().split("\t")[1:3] == ["Bean There Coffee", "Espresso"]

    page.wait_for_function(
        "document.getElementById('balance-chart').naturalWidth > 0"
        " && document.getElementById('spenders-chart').naturalWidth > 0"
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
    assert shot[:8] == b"\x89PNG\r\n\x1a\n"
    assert (ARTIFACTS / "dashboard.png").stat().st_size > 20_000


def test_searching_for_a_vendors_word_lists_only_matching_rows(page, site):
    open_dashboard(page, site)
    page.type("#search", "Coff")  # as typed, before the word is complete
    page.wait_for_selector("#search-status:text('2 newest matches')")
    vendors = page.locator("#search-results tr td:nth-child(2)").all_inner_texts()
    assert vendors == ["Bean There Coffee", "Bean There Coffee"]

    page.fill("#search", "@vendor_fts:(rent) -*")
    page.wait_for_selector("#search-status:text('no matches')")
    assert page.locator("#search-results tr").count() == 0


def test_a_new_transaction_arrives_live_and_as_text(r, page, site):
    open_dashboard(page, site)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    hostile = "<img src=x onerror=alert(1)>"

    ledger.post(r, recent("Live Vendor", -1_23, 0, description=hostile))
    newest = page.locator("#recent tr").first
    newest.locator("td:has-text('Live Vendor')").wait_for(timeout=15_000)

    assert newest.locator("td").nth(2).inner_text() == hostile
    assert page.locator("#recent img").count() == 0
    assert page.inner_text("#balance") == ledger.balance_text(r)
    page.wait_for_timeout(500)
    assert dialogs == []  # the onerror handler never ran


def test_logout_returns_to_login_and_going_back_shows_no_account(page, site):
    open_dashboard(page, site)
    page.click("#logout")
    page.wait_for_url(f"{site}/login")
    assert page.context.cookies() == []

    page.go_back()
    page.wait_for_url(f"{site}/login")
    assert "Bob Smith" not in page.content()
    assert page.locator("#balance").count() == 0


def test_an_open_dashboard_goes_to_login_when_the_session_ends(r, page, site):
    open_dashboard(page, site)
    for key in r.scan_iter(match="redisBank:session:*"):
        r.delete(key)  # the session ends elsewhere: revoked, or run out
    page.wait_for_url(f"{site}/login?error=ended", timeout=15_000)
    assert "Your session has ended" in page.inner_text(".error")


def test_every_page_redirects_to_login_without_a_session(site):
    with httpx.Client(base_url=site, follow_redirects=False) as anonymous:
        for path in ("/", "/dashboard"):
            reply = anonymous.get(path)
            assert (reply.status_code, reply.headers["location"]) == (303, "/login")
        for path in ("/transaction/stream", "/charts/balance.png", "/api/account"):
            assert anonymous.get(path).status_code == 401


def test_the_feed_resumes_after_the_last_id_it_was_given(r, site):
    http = httpx.Client(base_url=site, headers={"Accept": "application/json"})
    http.post("/perform_login", data={"username": "bob", "password": PASSWORD})
    for minute in (20, 21, 22):
        ledger.post(r, recent(f"Vendor {minute}", -100, 1 - minute / 100))
    entries = r.xrange(config.FEED_KEY)
    seen = entries[-3][0]  # the browser had seen up to "Vendor 20"

    events = []
    headers = {"Last-Event-ID": seen}
    with http.stream("GET", "/transaction/stream", headers=headers) as feed:
        assert feed.headers["content-type"].startswith("text/event-stream")
        for line in feed.iter_lines():
            if line.startswith("data: {") and '"vendor"' in line:
                events.append(json.loads(line[len("data: ") :])["vendor"])
            if len(events) == 2:
                break
    assert events == ["Vendor 21", "Vendor 22"]


def test_an_open_dashboard_recovers_by_itself_after_redis_was_down(
    browser, serve_api, embedded_factory, tmp_path
):
    server = embedded_factory(tmp_path / "redis")
    server.start()
    client = connection.connect(server.url)
    own_site = serve_api(client)
    ledger.post(client, recent("Before Vendor", -100, 1))
    context = browser.new_context()
    page = context.new_page()
    try:
        open_dashboard(page, own_site)
        server.stop()
        page.wait_for_selector("#live:text('offline, retrying…')", timeout=15_000)

        server.start()
        page.wait_for_selector("#live:text('live')", timeout=20_000)
        ledger.post(client, recent("After Vendor", -200, 0))
        newest = page.locator("#recent tr").first
        newest.locator("td:text-is('After Vendor')").wait_for(timeout=15_000)
    finally:
        context.close()
        connection.close_all()
