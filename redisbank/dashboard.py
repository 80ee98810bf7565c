"""The bank's web pages: the login form, the dashboard, its charts and live feed.

The pages are static files of the package, filled in the browser from the JSON
API; the charts are drawn on the server by `redisbank.plots`, so no front-end
library and no CDN is involved. Every page answers with a Content-Security-
Policy that allows only the app's own scripts, styles and images: even a
transaction text that slipped into the HTML could not run a script.

The live feed is Server-Sent Events read from the ledger's stream. Each event
carries the stream entry's id, which the browser sends back as Last-Event-ID
when it reconnects, so it resumes after the last transaction it has seen.
"""

import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from importlib.resources import files
from typing import Annotated, Any

import redis
from fastapi import Depends, FastAPI, Request
from fastapi.responses import (
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from fastapi.staticfiles import StaticFiles

from redisbank import config, plots, queries
from redisbank.errors import RedisUnavailable
from redisbank.models import BankTransaction
from redisbank.sessions import Session, SessionStore

log = logging.getLogger(__name__)

STATIC = files("redisbank") / "static"  # served as files: stylesheet, script
PAGES = files("redisbank") / "pages"  # served only through the routes below

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)

LOGIN_MESSAGES = {
    "failed": "Unknown username or wrong password.",
    "locked": "Too many failed attempts. Try again later.",
    "ended": "Your session has ended. Please sign in again.",
}

_STREAM_ID = re.compile(r"(\d{1,20})-(\d{1,20})")
_STREAM_ID_MAX = 2**64 - 1  # each half of a stream id is an unsigned 64-bit number


class _FeedCounter:
    """Counts open live feeds, in all and per session, to cap them.

    Each open feed holds one of the server's worker threads, so without a cap
    one client opening feeds in a loop would starve every other request.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._open: dict[str, int] = {}

    def acquire(self, handle: str) -> bool:
        with self._lock:
            if sum(self._open.values()) >= config.FEEDS_MAX_OPEN:
                return False
            if self._open.get(handle, 0) >= config.FEEDS_MAX_PER_SESSION:
                return False
            self._open[handle] = self._open.get(handle, 0) + 1
            return True

    def release(self, handle: str) -> None:
        with self._lock:
            self._open[handle] -= 1
            if not self._open[handle]:
                del self._open[handle]


def install(
    app: FastAPI,
    client: redis.Redis,
    store: SessionStore,
    presented: Callable[..., Session | None],
    authenticated: Callable[..., Session],
) -> None:
    """Add the pages, charts and live feed to app, guarded by its sessions.

    presented and authenticated are the API's own dependencies: the session a
    request carries (or None), and that session or a 401.
    """
    Presented = Annotated[Session | None, Depends(presented)]
    Authenticated = Annotated[Session, Depends(authenticated)]
    feeds = _FeedCounter()
    login_html = (PAGES / "login.html").read_text()  # read once, not per request
    dashboard_html = (PAGES / "dashboard.html").read_text()
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")

    @app.get("/", include_in_schema=False)
    def home(session: Presented) -> RedirectResponse:
        return RedirectResponse("/dashboard" if session else "/login", 303)

    @app.get("/login", include_in_schema=False)
    def login_page(session: Presented, error: str = "") -> Response:
        if session is not None:
            return RedirectResponse("/dashboard", 303)
        page = login_html
        message = LOGIN_MESSAGES.get(error)
        if message:  # a fixed text chosen by key: nothing the client sent
            page = page.replace(
                "<!-- error -->", f'<p class="error" role="alert">{message}</p>'
            )
        return _page(page)

    @app.get("/dashboard", include_in_schema=False)
    def dashboard_page(session: Presented) -> Response:
        if session is None:
            return RedirectResponse("/login", 303)
        return _page(dashboard_html)

    @app.get("/api/account")
    def account(session: Authenticated) -> dict[str, Any]:
        return {
            "holder": session.data["profile"].get("name") or session.username,
            "account": config.DEMO_ACCOUNT,
        }

    @app.get("/charts/balance.png", include_in_schema=False)
    def balance_chart(_: Authenticated) -> Response:
        since = datetime.now(UTC) - timedelta(days=config.DASHBOARD_CHART_DAYS)
        balance = queries.balance_over_time(client, start=since)
        return _png(plots.render_png(plots.plot_balance(balance)))

    @app.get("/charts/biggest-spenders.png", include_in_schema=False)
    def spenders_chart(_: Authenticated) -> Response:
        spenders = queries.biggest_spenders(client)
        return _png(plots.render_png(plots.plot_biggest_spenders(spenders)))

    @app.get("/transaction/stream")
    def stream(request: Request, session: Authenticated, after: str = "") -> Response:
        if not feeds.acquire(session.handle):
            return JSONResponse(
                {"error": "TooManyFeeds", "detail": "too many live feeds are open"},
                status_code=429,
                headers={"Retry-After": "5"},
            )
        # A browser's own reconnect sends Last-Event-ID; a page that had to make
        # a new EventSource (after a refusal) passes the id as ?after= instead.
        resume = request.headers.get("last-event-id") or after
        try:
            # Read before the response starts: the browser reports the feed open
            # once headers arrive, and a posting after that must not be missed.
            cursor = resume if _valid(resume) else _last_id(client)
        except BaseException:
            feeds.release(session.handle)
            raise
        events = _counted(
            feeds, session.handle, _events(client, store, session, cursor)
        )
        return StreamingResponse(
            events,
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )


def _counted(feeds: _FeedCounter, handle: str, events: Iterator[str]) -> Iterator[str]:
    try:
        yield from events
    finally:
        feeds.release(handle)


def _events(
    client: redis.Redis, store: SessionStore, session: Session, cursor: str
) -> Iterator[str]:
    """Yield SSE messages for transactions after cursor while the session lives.

    If Redis stops answering, the stream ends; the browser reconnects after the
    retry interval and resumes from the last id it saw, once Redis is back.
    """
    yield f"retry: {config.FEED_RETRY_MS}\n\n"
    try:
        yield from _follow(client, store, session, cursor)
    except (redis.RedisError, RedisUnavailable) as error:
        log.warning("live feed ended: Redis failed (%s)", type(error).__name__)


def _follow(
    client: redis.Redis, store: SessionStore, session: Session, cursor: str
) -> Iterator[str]:
    started = checked = time.monotonic()
    while time.monotonic() - started < config.FEED_MAX_SECONDS:
        if time.monotonic() - checked > config.FEED_SESSION_CHECK_S:
            if not store.is_live(session):
                yield "event: ended\ndata: {}\n\n"
                return
            checked = time.monotonic()

        # Block for less than the client's socket timeout, so a quiet feed is
        # not mistaken for a dead server.
        reply = client.xread({config.FEED_KEY: cursor}, count=50, block=500)
        entries = _entries(reply)
        if not entries:
            yield ": waiting\n\n"  # a comment: keeps proxies from closing the line
            continue
        documents = _documents(client, [fields["key"] for _, fields in entries])
        for (entry_id, _), document in zip(entries, documents, strict=True):
            cursor = entry_id
            if document is not None:
                data = json.dumps(_record(document))
                yield f"id: {entry_id}\nevent: transaction\ndata: {data}\n\n"


def _entries(reply: Any) -> list[tuple[str, dict[str, str]]]:
    # RESP3 answers XREAD with a map, RESP2 with a list of [stream, entries].
    if not reply:
        return []
    streams = reply.values() if isinstance(reply, dict) else [e for _, e in reply]
    return [(entry_id, fields) for entries in streams for entry_id, fields in entries]


def _documents(client: redis.Redis, keys: list[str]) -> list[dict | None]:
    pipe = client.pipeline(transaction=False)
    for key in keys:
        pipe.json().get(key)
    return pipe.execute()


def _record(document: dict[str, Any]) -> dict[str, Any]:
    row = queries.transaction_row(BankTransaction.model_validate(document))
    return {**row, "transaction_date": row["transaction_date"].isoformat()}


def _last_id(client: redis.Redis) -> str:
    newest = client.xrevrange(config.FEED_KEY, count=1)
    return newest[0][0] if newest else "0-0"


def _valid(entry_id: str) -> bool:
    match = _STREAM_ID.fullmatch(entry_id)
    return bool(match) and all(int(part) <= _STREAM_ID_MAX for part in match.groups())


def _page(html: str) -> HTMLResponse:
    return HTMLResponse(
        html, headers={"Content-Security-Policy": CONTENT_SECURITY_POLICY}
    )


def _png(data: bytes) -> Response:
    return Response(data, media_type="image/png")
