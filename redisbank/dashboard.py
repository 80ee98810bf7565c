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
import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from importlib.resources import files
from typing import Annotated, Any

import redis
from fastapi import Depends, FastAPI, Request
from fastapi.responses import (
    HTMLResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from fastapi.staticfiles import StaticFiles

from redisbank import config, plots, queries
from redisbank.errors import NotAuthenticated
from redisbank.sessions import Session, SessionStore

STATIC = files("redisbank") / "static"

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

_STREAM_ID = re.compile(r"\d{1,20}-\d{1,20}")


def install(
    app: FastAPI,
    client: redis.Redis,
    store: SessionStore,
    presented: Callable[..., Session | None],
) -> None:
    """Add the pages, charts and live feed to app, guarded by its sessions."""
    Presented = Annotated[Session | None, Depends(presented)]

    def authenticated(session: Presented) -> Session:
        if session is None:
            raise NotAuthenticated()
        return session

    Authenticated = Annotated[Session, Depends(authenticated)]
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")

    @app.get("/", include_in_schema=False)
    def home(session: Presented) -> RedirectResponse:
        return RedirectResponse("/dashboard" if session else "/login", 303)

    @app.get("/login", include_in_schema=False)
    def login_page(session: Presented, error: str = "") -> Response:
        if session is not None:
            return RedirectResponse("/dashboard", 303)
        page = (STATIC / "login.html").read_text()
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
        return _page((STATIC / "dashboard.html").read_text())

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
    def stream(request: Request, session: Authenticated) -> StreamingResponse:
        resume = request.headers.get("last-event-id", "")
        events = _events(client, store, session, resume if _valid(resume) else None)
        return StreamingResponse(
            events,
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )


def _events(
    client: redis.Redis, store: SessionStore, session: Session, after: str | None
) -> Iterator[str]:
    """Yield SSE messages for new transactions while the session stays live."""
    cursor = after or _last_id(client)
    yield f"retry: {config.FEED_RETRY_MS}\n\n"
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
    moment = datetime.fromtimestamp(float(document["transaction_date"]), UTC)
    return {
        "transaction_date": moment.isoformat(),
        "vendor": document["vendor"],
        "description": document["description"],
        "transaction_type": document["transaction_type"],
        "amount": document["amount_cents"] / 100,
        "balance_after": document["balance_after_cents"] / 100,
    }


def _last_id(client: redis.Redis) -> str:
    newest = client.xrevrange(config.FEED_KEY, count=1)
    return newest[0][0] if newest else "0-0"


def _valid(entry_id: str) -> bool:
    return bool(_STREAM_ID.fullmatch(entry_id))


def _page(html: str) -> HTMLResponse:
    return HTMLResponse(
        html, headers={"Content-Security-Policy": CONTENT_SECURITY_POLICY}
    )


def _png(data: bytes) -> Response:
    return Response(data, media_type="image/png")
