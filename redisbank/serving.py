"""Serving the API with uvicorn on 127.0.0.1, in the foreground or in a thread.

The notebooks and the tests run the real server in a background thread of
their own process and talk to it over HTTP, as a browser or a phone would.
"""

import threading
import time

import uvicorn
from fastapi import FastAPI

from redisbank import config
from redisbank.errors import ServerError


def _config(app: FastAPI, host: str, port: int, log_level: str) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        # Open live feeds would otherwise keep a shutdown waiting for ever.
        timeout_graceful_shutdown=config.API_SHUTDOWN_GRACE_S,
    )


def serve(app: FastAPI, port: int, host: str = config.API_HOST) -> None:
    """Serve app until interrupted."""
    uvicorn.Server(_config(app, host, port, "info")).run()


class BackgroundApi:
    """The API served by uvicorn in a daemon thread, on a free port by default.

    Use it as a context manager, or call start() and stop(). url is known once
    it has started.
    """

    def __init__(self, app: FastAPI, port: int = 0, host: str = config.API_HOST):
        self._server = uvicorn.Server(_config(app, host, port, "warning"))
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self.host = host
        self.port = port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> "BackgroundApi":
        """Start serving and wait until the socket listens."""
        self._thread.start()
        deadline = time.monotonic() + config.API_START_TIMEOUT_S
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise ServerError(f"the API did not start on {self.host}:{self.port}")
            time.sleep(0.01)
        self.port = self._server.servers[0].sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        """Stop serving, letting requests in flight finish."""
        self._server.should_exit = True
        self._thread.join(timeout=config.API_START_TIMEOUT_S)

    def __enter__(self) -> "BackgroundApi":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
