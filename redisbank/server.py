"""The embedded Redis Stack: one server per state folder, outliving its callers.

The server runs as a daemon bound to 127.0.0.1, with its data persisted as an
append-only file under the state folder, so notebook kernels, the API and the
tests can come and go while what they wrote stays.
"""

import fcntl
import logging
import os
import signal
import socket
import subprocess
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from redisbank import config, runtime
from redisbank.errors import ServerError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EmbeddedServer:
    """An embedded Redis Stack identified by its state folder and port."""

    home: Path
    port: int

    @classmethod
    def default(cls) -> "EmbeddedServer":
        """Return the server that `make run`, JupyterLab and the CLI share."""
        return cls(config.home_dir(), config.embedded_port())

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def pid_file(self) -> Path:
        return self.home / "redis.pid"

    @property
    def log_file(self) -> Path:
        return self.home / "redis.log"

    def pid(self) -> int | None:
        """Return the server's process id if a redis-server runs under it, else None.

        A pid file outlives a crash, and its number may since belong to another
        process, which must never be signalled in the server's place.
        """
        try:
            pid = int(self.pid_file.read_text().strip())
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (FileNotFoundError, ValueError, ProcessLookupError):
            return None
        return pid if b"redis-server" in command else None

    def is_running(self) -> bool:
        """Tell whether this server (not another one on its port) is answering."""
        return self._answering_dir() == self.data_dir.resolve()

    def start(self) -> bool:
        """Start the server unless it runs already; return True if it was started.

        Raises ServerError if the port is taken by another program or by another
        Redis, such as the embedded server of a second checkout.
        """
        with self._lock():
            if self._claim_port():
                return False
            found = runtime.locate(config.runtime_dir())
            self.data_dir.mkdir(parents=True, exist_ok=True)
            command = [str(found.server), *self._arguments(found)]
            env = dict(os.environ)
            if found.library_path:
                env["LD_LIBRARY_PATH"] = str(found.library_path)

            result = subprocess.run(command, env=env, capture_output=True, text=True)
            if result.returncode != 0:
                raise ServerError(
                    f"redis-server exited with {result.returncode}: "
                    f"{(result.stderr or result.stdout).strip()}"
                )
            self._wait_until_ready()
            log.info("embedded Redis Stack started on port %s", self.port)
            return True

    def _claim_port(self) -> bool:
        """Return True if this server runs; raise if someone else holds the port."""
        answering = self._answering_dir()
        if answering == self.data_dir.resolve():
            return True
        if answering is not None:
            raise ServerError(
                f"port {self.port} is taken by another Redis, whose data is in "
                f"{answering}: stop that one, or give this checkout its own port "
                f"with REDISBANK_PORT={self.port + 1}"
            )
        with socket.socket() as probe:
            # As Redis does: connections of a server just stopped may linger.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", self.port))
            except OSError as error:
                raise ServerError(
                    f"port {self.port} is in use by another program "
                    f"({error.strerror}): "
                    f"choose a free one with REDISBANK_PORT"
                ) from error
        return False

    def _answering_dir(self) -> Path | None:
        """Return the data folder of the Redis answering on the port, if any.

        A Redis that will not say (CONFIG disabled) counts as someone else's.
        """
        client = self._client(timeout=0.5)
        try:
            client.ping()
        except redis.RedisError:
            return None
        try:
            folder = client.config_get("dir").get("dir")
        except redis.RedisError:
            return Path("(unknown)")
        finally:
            client.close()
        return Path(folder).resolve() if folder else Path("(unknown)")

    def stop(self, timeout: float = 10.0) -> bool:
        """Stop the server, saving its data first; return True if one was running."""
        pid = self.pid()
        answering = self._answering_dir()
        if answering is None:
            return False
        if answering != self.data_dir.resolve():
            raise ServerError(
                f"the Redis on port {self.port} is not this checkout's (its data is "
                f"in {answering}); it was left running"
            )
        client = self._client(timeout=timeout)
        try:
            client.shutdown(save=True)
        except redis.ConnectionError:
            pass  # the server closes the connection as it exits
        except redis.RedisError as error:
            if pid is None:
                message = f"could not stop the server on {self.port}: {error}"
                raise ServerError(message) from error
            os.kill(pid, signal.SIGTERM)
        finally:
            client.close()

        deadline = time.monotonic() + timeout
        while self.is_running() or (pid and self.pid() == pid):
            if time.monotonic() > deadline:
                raise ServerError(f"the server on port {self.port} did not stop")
            time.sleep(0.05)
        return True

    def status(self) -> dict:
        """Describe the server: whether it runs, where, and what it holds."""
        answering = self._answering_dir()
        info = {
            "running": answering == self.data_dir.resolve(),
            "url": self.url,
            "home": str(self.home),
            "pid": self.pid(),
        }
        if answering is not None and not info["running"]:
            info["port_taken_by"] = str(answering)
            return info
        if not info["running"]:
            return info

        client = self._client(timeout=0.5)
        try:
            info.update(
                version=client.info("server")["redis_version"],
                keys=client.dbsize(),
                used_memory=client.info("memory")["used_memory_human"],
            )
        except redis.RedisError:
            info["running"] = False
        finally:
            client.close()
        return info

    def _client(self, timeout: float) -> redis.Redis:
        # A probe must answer at once: redis-py would otherwise retry a refused
        # connection with backoff for seconds.
        return redis.Redis(
            host="127.0.0.1",
            port=self.port,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry=Retry(NoBackoff(), 0),
        )

    def _arguments(self, found: runtime.Runtime) -> list[str]:
        arguments = [
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--protected-mode", "yes",
            "--daemonize", "yes",
            "--pidfile", str(self.pid_file),
            "--logfile", str(self.log_file),
            "--dir", str(self.data_dir),
            "--appendonly", "yes",
            "--appendfsync", "everysec",
        ]  # fmt: skip
        for module in found.modules:
            arguments += ["--loadmodule", str(module)]
        return arguments

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + config.SERVER_START_TIMEOUT_S
        while not self.is_running():
            if time.monotonic() > deadline:
                raise ServerError(
                    f"the embedded Redis Stack did not answer on port {self.port} "
                    f"within {config.SERVER_START_TIMEOUT_S:.0f} s; its log "
                    f"{self.log_file} ends with: {self._log_tail()}"
                )
            time.sleep(0.05)

    def _log_tail(self, lines: int = 3) -> str:
        try:
            return " / ".join(self.log_file.read_text().splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"

    @contextmanager
    def _lock(self):
        # Two kernels connecting at once must not start two servers.
        self.home.mkdir(parents=True, exist_ok=True)
        with open(self.home / "server.lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
