"""The bank's HTTP API: logging in, sessions, and the transaction routes.

A client proves its session either with the signed cookie a browser keeps or
with the same signed value as a bearer token, as a mobile app would send it.
Every route but login and logout needs a live session (401 without one); the
admin route needs the `admin` permission (403 without it). A Redis that does
not answer is a 503 with a JSON body, and the next request after it is back
succeeds. Every response carries `Cache-Control: no-store`.
"""

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

import pandas as pd
import redis
from fastapi import Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from redisbank import auth, config, dashboard, ledger, queries
from redisbank.cookies import TokenSigner
from redisbank.errors import (
    InvalidInput,
    LoginFailed,
    LoginThrottled,
    NotAuthenticated,
    PermissionDenied,
    RedisbankError,
    RedisUnavailable,
)
from redisbank.sessions import Session, SessionStore
from redisbank.throttle import LoginThrottle

log = logging.getLogger("redisbank.security")

_STATUS = {
    InvalidInput: 400,
    LoginFailed: 401,
    NotAuthenticated: 401,
    PermissionDenied: 403,
    LoginThrottled: 429,
    RedisUnavailable: 503,
}


_MOMENTS = {
    "created_ms": "created_at",
    "last_seen_ms": "last_seen_at",
    "expires_at_ms": "expires_at",
}


@dataclass(frozen=True)
class ApiSettings:
    """What the API is configured with; from_env reads the environment."""

    secret: str = config.DEMO_SESSION_SECRET
    demo_mode: bool = False
    idle_timeout_s: float = config.SESSION_IDLE_TIMEOUT_S
    absolute_timeout_s: float = config.SESSION_ABSOLUTE_TIMEOUT_S
    max_failures_per_user: int = config.LOGIN_MAX_FAILURES_PER_USER
    max_failures_per_address: int = config.LOGIN_MAX_FAILURES_PER_ADDRESS
    failure_window_s: int = config.LOGIN_FAILURE_WINDOW_S
    seed_demo_user: bool = True
    clock: Callable[[], float] = field(default=time.time, compare=False)

    @classmethod
    def from_env(cls, **overrides: Any) -> "ApiSettings":
        values = {
            "secret": config.session_secret(),
            "demo_mode": config.demo_mode(),
            "idle_timeout_s": config.idle_timeout_s(),
            "absolute_timeout_s": config.absolute_timeout_s(),
        }
        return cls(**{**values, **overrides})


def create_app(
    client: redis.Redis,
    settings: ApiSettings,
    *,
    balance_reader: Callable[[redis.Redis], str] = ledger.balance_text,
) -> FastAPI:
    """Build the API on client. Raises InsecureConfiguration for the demo secret.

    balance_reader reads the balance the balance route stores in the session;
    it is a parameter so that a caller can stand a slow ledger behind it.
    """
    signer = TokenSigner(settings.secret, demo_mode=settings.demo_mode)
    auth.warm_up()
    store = SessionStore(
        client,
        idle_timeout_s=settings.idle_timeout_s,
        absolute_timeout_s=settings.absolute_timeout_s,
        clock=settings.clock,
    )
    throttle = LoginThrottle(
        client,
        max_per_user=settings.max_failures_per_user,
        max_per_address=settings.max_failures_per_address,
        window_s=settings.failure_window_s,
    )
    app = FastAPI(title="redisbank", docs_url=None, redoc_url=None)
    app.state.store = store
    seeded = not settings.seed_demo_user

    @app.middleware("http")
    async def no_store(request: Request, call_next):
        response = await call_next(request)
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    @app.exception_handler(RedisbankError)
    async def refuse(request: Request, error: RedisbankError) -> Response:
        status = next((s for t, s in _STATUS.items() if isinstance(error, t)), 500)
        if request.url.path == "/perform_login" and _wants_page(request):
            reason = "locked" if isinstance(error, LoginThrottled) else "failed"
            return RedirectResponse(f"/login?error={reason}", status_code=303)
        response = _error(status, type(error).__name__, str(error))
        if isinstance(error, LoginThrottled):
            response.headers["Retry-After"] = str(error.retry_after_s)
        if getattr(request.state, "bad_credential", False):
            _clear_cookie(response, request)
        return response

    @app.exception_handler(redis.ConnectionError)
    @app.exception_handler(redis.TimeoutError)
    async def unavailable(request: Request, error: redis.RedisError) -> JSONResponse:
        return _error(503, "RedisUnavailable", f"Redis does not answer: {error}")

    def presented(request: Request) -> Session | None:
        header = request.headers.get("authorization", "")
        scheme, _, credential = header.partition(" ")
        if scheme.lower() != "bearer" or not credential:
            credential = request.cookies.get(config.SESSION_COOKIE, "")
        if not credential:
            return None

        token = signer.unsign(credential.strip())
        if token is None:
            log.warning(
                "tampered or malformed session credential from %s", _ip(request)
            )
            request.state.bad_credential = True
            return None
        session = store.load(token)
        if session is None:
            request.state.bad_credential = True
        return session

    Presented = Annotated[Session | None, Depends(presented)]

    def authenticated(session: Presented) -> Session:
        if session is None:
            raise NotAuthenticated()
        return session

    Authenticated = Annotated[Session, Depends(authenticated)]

    def admin(session: Authenticated) -> Session:
        if "admin" not in session.permissions:
            log.warning("%s was refused an admin route", session.username)
            raise PermissionDenied("admin")
        return session

    def issue(request: Request, session: Session) -> Response:
        value = signer.sign(session.token)
        if _wants_page(request):  # a browser's form: on to the dashboard
            response = RedirectResponse("/dashboard", status_code=303)
        else:
            response = JSONResponse(
                {
                    "username": session.username,
                    "permissions": session.permissions,
                    "handle": session.handle,
                    "token": value,
                    "token_type": "bearer",
                    "expires_at": _iso(session.data["expires_at_ms"]),
                }
            )
        response.set_cookie(
            config.SESSION_COOKIE,
            value,
            max_age=int(settings.absolute_timeout_s),
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )
        return response

    @app.post("/perform_login")
    async def perform_login(request: Request) -> Response:
        nonlocal seeded
        _refuse_cross_site(request)
        username, password = await _credentials(request)
        if not seeded:
            await run_in_threadpool(auth.ensure_demo_user, client)
            seeded = True
        replacing = await run_in_threadpool(presented, request)
        session = await run_in_threadpool(
            auth.login,
            store,
            throttle,
            username,
            password,
            address=_ip(request),
            client_label=request.headers.get("user-agent", ""),
            replacing=replacing,
        )
        return issue(request, session)

    @app.post("/api/step-up")
    async def step_up(request: Request) -> JSONResponse:
        _, password = await _credentials(request, need_username=False)
        session = authenticated(await run_in_threadpool(presented, request))
        raised = await run_in_threadpool(
            auth.step_up, store, throttle, session, password, address=_ip(request)
        )
        if raised is None:
            raise NotAuthenticated("the session ended during the step-up")
        return issue(request, raised)

    @app.post("/logout")
    def logout(request: Request, session: Presented):
        ended = store.destroy(session) if session else False
        if _wants_page(request):
            response = RedirectResponse("/login", status_code=303)
        else:
            response = JSONResponse({"logged_out": ended})
        _clear_cookie(response, request)
        return response

    @app.get("/api/session")
    def current(session: Authenticated) -> dict[str, Any]:
        data = dict(session.data)
        for stored, shown in _MOMENTS.items():
            data[shown] = _iso(data.pop(stored))
        data["idle_timeout_s"] = data.pop("idle_timeout_ms") / 1000
        return data

    @app.get("/api/sessions")
    def my_sessions(session: Authenticated) -> list[dict]:
        return [
            {**_summary(s), "current": s.handle == session.handle}
            for s in store.sessions_of(session.username)
        ]

    @app.delete("/api/sessions/{handle}")
    def revoke(handle: str, request: Request, session: Authenticated):
        if not store.revoke(session.username, handle):
            return _error(404, "NoSuchSession", f"you have no session {handle!r}")
        response = JSONResponse({"revoked": handle})
        if handle == session.handle:
            _clear_cookie(response, request)
        return response

    @app.delete("/api/sessions")
    def revoke_all(request: Request, session: Authenticated):
        response = JSONResponse({"revoked": store.revoke_all(session.username)})
        _clear_cookie(response, request)
        return response

    @app.get("/admin/sessions/{username}")
    def sessions_of(username: str, _: Annotated[Session, Depends(admin)]) -> list[dict]:
        return [_summary(s) for s in store.sessions_of(username)]

    @app.get("/transaction/balance")
    def balance(session: Authenticated) -> dict[str, Any]:
        text = balance_reader(client)
        stored = store.update(session, balance=text)
        return {"balance": text, "stored_in_session": stored}

    @app.get("/transaction/biggestspenders")
    def biggest_spenders(_: Authenticated) -> list[dict]:
        return _records(queries.biggest_spenders(client))

    @app.get("/transaction/search")
    def search(_: Authenticated, term: str = "", prefix: bool = False) -> list[dict]:
        found = queries.search_transactions(client, term, prefix=prefix)
        return _records(found)

    @app.get("/transaction/transactions")
    def transactions(session: Authenticated) -> list[dict]:
        recent = _records(
            queries.recent_transactions(client, config.RECENT_TRANSACTIONS_IN_SESSION)
        )
        store.update(session, recent_transactions=recent)
        return recent

    dashboard.install(app, client, store, presented, authenticated)
    return app


def _refuse_cross_site(request: Request) -> None:
    # Login CSRF: another site's form must not sign a visitor in to an account
    # of the attacker's. Browsers say where a form came from; apps send neither.
    site = request.headers.get("sec-fetch-site", "")
    origin = request.headers.get("origin", "")
    own = f"{request.url.scheme}://{request.url.netloc}"
    if site == "cross-site" or (origin and origin != own):
        log.warning("cross-site login refused from %s", origin or "another site")
        raise PermissionDenied("same-site request")


def _wants_page(request: Request) -> bool:
    # Browsers navigating (a form post) ask for HTML; API clients, httpx and
    # fetch() included, ask for JSON or anything.
    return "text/html" in request.headers.get("accept", "")


async def _credentials(request: Request, need_username: bool = True) -> tuple[str, str]:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > config.LOGIN_BODY_MAX_BYTES:
        raise InvalidInput(
            f"a login body is at most {config.LOGIN_BODY_MAX_BYTES} bytes"
        )
    if request.headers.get("content-type", "").startswith("application/json"):
        raw = b""
        async for chunk in request.stream():  # a body without a length, capped
            raw += chunk
            if len(raw) > config.LOGIN_BODY_MAX_BYTES:
                raise InvalidInput(
                    f"a login body is at most {config.LOGIN_BODY_MAX_BYTES} bytes"
                )
        try:
            body = json.loads(raw)
        except (ValueError, RecursionError) as error:
            raise InvalidInput("the body is not JSON") from error
        if not isinstance(body, dict):
            raise InvalidInput("send username and password as a JSON object")
    else:
        body = await request.form()
    username, password = body.get("username", ""), body.get("password", "")
    if not isinstance(username, str) or not isinstance(password, str):
        raise InvalidInput("username and password are strings")
    if not password or (need_username and not username):
        raise InvalidInput("send username and password")
    try:
        username.encode(), password.encode()
    except UnicodeEncodeError as error:  # lone surrogates from JSON escapes
        raise InvalidInput("username and password must be valid Unicode") from error
    return username, password


def _error(status: int, kind: str, detail: str) -> JSONResponse:
    return JSONResponse({"error": kind, "detail": detail}, status_code=status)


def _clear_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(
        config.SESSION_COOKIE,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def _ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _iso(epoch_ms: int) -> str:
    return pd.Timestamp(epoch_ms, unit="ms", tz="UTC").isoformat()


def _summary(summary) -> dict[str, str]:
    return {
        "handle": summary.handle,
        "created": summary.created_at.isoformat(),
        "last_seen": summary.last_seen_at.isoformat(),
        "expires": summary.expires_at.isoformat(),
        "client": summary.client,
    }


def _records(frame: pd.DataFrame) -> list[dict]:
    return json.loads(frame.to_json(orient="records", date_format="iso"))
