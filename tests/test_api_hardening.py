"""Hostile requests found by trying to break the API: each is a clear 4xx."""

import json
import threading

import httpx
import pytest

from redisbank import config
from tests.helpers import log_in

CREDENTIALS = {"username": "bob", "password": config.DEMO_PASSWORD}


@pytest.fixture
def api(r, serve_api):
    with httpx.Client(base_url=serve_api(r), timeout=10) as http:
        yield http


@pytest.mark.parametrize(
    "body, reason",
    [
        ('{"a":' * 1000 + "1" + "}" * 1000, "the body is not JSON"),
        ("[" * 1000 + "]" * 1000, "the body is not JSON"),
        ('{"username": "\\ud800", "password": "x"}', "valid Unicode"),
        ('{"username": "bob", "password": "\\ud800xxxxxxxx"}', "valid Unicode"),
        (json.dumps({"username": "bob", "password": "x" * 70_000}), "at most 65536"),
    ],
)
def test_odd_login_bodies_are_a_400_not_a_500(api, body, reason):
    reply = api.post(
        "/perform_login", content=body, headers={"Content-Type": "application/json"}
    )
    assert reply.status_code == 400
    assert reason in reply.json()["detail"]


def test_a_login_body_without_a_length_is_capped_too(api):
    def chunks():
        yield b'{"username": "bob", "password": "'
        for _ in range(100):
            yield b"x" * 1024
        yield b'"}'

    reply = api.post(
        "/perform_login", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert reply.status_code == 400
    assert "at most" in reply.json()["detail"]


def test_revoking_a_handle_that_is_not_ascii_is_a_404(api):
    log_in(api)
    assert api.delete("/api/sessions/😀").status_code == 404
    assert api.get("/api/session").status_code == 200


def test_a_cross_site_login_form_is_refused(api, r):
    for headers in (
        {"Origin": "https://evil.example"},
        {"Sec-Fetch-Site": "cross-site"},
    ):
        reply = api.post("/perform_login", data=CREDENTIALS, headers=headers)
        assert reply.status_code == 403
        assert not list(r.scan_iter(match="redisBank:session:*"))
    same = api.post(
        "/perform_login",
        data=CREDENTIALS,
        headers={"Origin": str(api.base_url).rstrip("/")},
    )
    assert same.status_code == 200


def test_pages_are_served_only_through_their_routes_and_never_sniffed(api):
    for path in ("/static/dashboard.html", "/static/login.html"):
        assert api.get(path).status_code == 404
    script = api.get("/static/dashboard.js")
    assert script.status_code == 200
    assert script.headers["x-content-type-options"] == "nosniff"
    assert api.get("/login").headers["x-content-type-options"] == "nosniff"


def test_a_session_may_hold_only_a_few_live_feeds(api):
    log_in(api)
    opened = []
    try:
        for _ in range(config.FEEDS_MAX_PER_SESSION):
            feed = api.stream("GET", "/transaction/stream")
            opened.append(feed)
            assert feed.__enter__().status_code == 200
        refused = api.get("/transaction/stream")
        assert refused.status_code == 429
        assert refused.json()["error"] == "TooManyFeeds"
    finally:
        for feed in opened:
            feed.__exit__(None, None, None)


@pytest.mark.parametrize(
    "last_id", ["99999999999999999999-0", "18446744073709551616-0", "garbage"]
)
def test_an_out_of_range_last_event_id_starts_from_now(api, last_id):
    log_in(api)
    lines = []

    def read():
        with api.stream(
            "GET", "/transaction/stream", headers={"Last-Event-ID": last_id}
        ) as feed:
            for line in feed.iter_lines():
                lines.append(line)
                if line.startswith(":"):
                    return  # a keep-alive: the feed is following the stream

    reader = threading.Thread(target=read)
    reader.start()
    reader.join(timeout=5)
    assert lines[0] == f"retry: {config.FEED_RETRY_MS}"
    assert lines[-1] == ": waiting"
