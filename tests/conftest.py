"""Fixtures: a throwaway Redis Stack for the whole run, emptied before each test.

Unless REDIS_URL is set, the tests start an embedded Redis Stack of their own,
on a free port with its data in a temporary folder, so they never touch the
server that `make run` and JupyterLab use. REDIS_URL is then set to it, so the
notebooks that nbmake runs in their own kernels use it too.
"""

import os
import shutil
import socket
import tempfile
from pathlib import Path

import pytest
import redis

from redisbank import connection
from redisbank.server import EmbeddedServer

TEST_SECRET = "a-test-secret-that-is-long-enough-1234"

_throwaway: EmbeddedServer | None = None
_scratch: Path | None = None
_empty_at_start = False  # REDIS_URL's database held nothing when the run began


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def pytest_configure(config):
    global _throwaway, _scratch, _empty_at_start
    _scratch = Path(tempfile.mkdtemp(prefix="redisbank-tests-"))
    os.environ["REDISBANK_BUILD_DIR"] = str(_scratch / "build")
    if os.environ.get("REDIS_URL"):
        client = redis.Redis.from_url(os.environ["REDIS_URL"])
        if client.dbsize():
            pytest.exit(
                f"REDIS_URL={connection.redact(os.environ['REDIS_URL'])} holds "
                f"{client.dbsize()} keys and the tests empty the database between "
                "tests: point REDIS_URL at an empty server, or unset it to use a "
                "throwaway embedded one",
                returncode=4,
            )
        _empty_at_start = True
        return
    _throwaway = EmbeddedServer(_scratch / "server", free_port())
    _throwaway.start()
    os.environ["REDIS_URL"] = _throwaway.url


def pytest_unconfigure(config):
    if _throwaway is not None:
        _throwaway.stop()
    elif _empty_at_start:
        # The database was empty when the run began, so all it holds is ours.
        connection.connect().flushdb()
    connection.close_all()
    if _scratch is not None:
        shutil.rmtree(_scratch, ignore_errors=True)


@pytest.fixture
def r() -> redis.Redis:
    """A checked client of the test server, with the database emptied first."""
    client = connection.connect()
    client.flushdb()
    return client


def pytest_collection_modifyitems(session, config, items):
    # Notebooks run last, on an empty database, as they would for a new reader.
    first_notebook = next((i for i in items if i.path.suffix == ".ipynb"), None)
    if first_notebook is not None:
        config._first_notebook = first_notebook.nodeid


def pytest_runtest_setup(item):
    if item.nodeid == getattr(item.config, "_first_notebook", None):
        connection.connect().flushdb()


@pytest.fixture
def embedded_factory():
    """Start extra embedded servers for a test; all are stopped at the end."""
    started = []

    def make(home: Path) -> EmbeddedServer:
        server = EmbeddedServer(home, free_port())
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def serve_api():
    """Serve the real HTTP API with uvicorn on a free port; stopped at the end.

    Call it with a client and any ApiSettings fields (plus balance_reader); it
    returns the base URL. The secret is a test one and demo mode is off.
    """
    from redisbank import api, ledger, serving

    running = []

    def serve(client: redis.Redis, balance_reader=None, **settings) -> str:
        settings = {"secret": TEST_SECRET, **settings}
        extra = {"balance_reader": balance_reader} if balance_reader else {}
        app = api.create_app(client, api.ApiSettings(**settings), **extra)
        running.append(serving.BackgroundApi(app).start())
        ledger.prepare(client)
        return running[-1].url

    yield serve
    for server in running:
        server.stop()
