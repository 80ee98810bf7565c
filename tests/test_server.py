import os
import socket
import subprocess
import sys

import pytest
import redis

from redisbank.errors import ServerError
from redisbank.server import EmbeddedServer
from tests.conftest import free_port


def test_start_is_idempotent_and_status_reports_the_server(tmp_path, embedded_factory):
    server = embedded_factory(tmp_path / "home")
    assert server.start() is True
    assert server.start() is False

    status = server.status()
    assert status["running"] is True
    assert status["version"].startswith("7.4")
    assert status["pid"] == server.pid()
    assert server.pid_file.exists()


def test_data_survives_a_stop_and_start(tmp_path, embedded_factory):
    server = embedded_factory(tmp_path / "home")
    server.start()
    client = redis.Redis(port=server.port, decode_responses=True)
    client.json().set("redisBank:probe", "$", {"kept": True})
    client.close()

    assert server.stop() is True
    assert server.is_running() is False
    assert server.stop() is False

    server.start()
    client = redis.Redis(port=server.port, decode_responses=True)
    assert client.json().get("redisBank:probe") == {"kept": True}
    assert client.config_get("appendonly") == {"appendonly": "yes"}
    assert client.config_get("bind")["bind"] == "127.0.0.1"
    client.close()


def test_the_cli_controls_the_server(tmp_path):
    env = {
        **os.environ,
        "REDISBANK_HOME": str(tmp_path / "cli-home"),
        "REDISBANK_PORT": str(free_port()),
    }

    def cli(action):
        command = [sys.executable, "-m", "redisbank.cli", "server", action]
        return subprocess.run(command, env=env, capture_output=True, text=True)

    assert cli("status").returncode == 3
    started = cli("start")
    assert started.returncode == 0
    assert started.stdout.startswith("started")
    status = cli("status")
    assert status.returncode == 0
    assert "running: True" in status.stdout
    assert cli("stop").stdout.strip() == "stopped"
    assert cli("status").returncode == 3


def test_another_checkouts_server_on_the_port_is_neither_used_nor_stopped(
    tmp_path, embedded_factory
):
    mine = embedded_factory(tmp_path / "mine")
    mine.start()
    theirs = EmbeddedServer(tmp_path / "theirs", mine.port)

    with pytest.raises(ServerError, match="taken by another Redis, whose data is in"):
        theirs.start()
    with pytest.raises(ServerError, match="not this checkout's"):
        theirs.stop()
    assert theirs.status()["port_taken_by"] == str((tmp_path / "mine/data").resolve())
    assert mine.is_running()


def test_a_port_held_by_another_program_is_a_clear_error(tmp_path):
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen(1)
        server = EmbeddedServer(tmp_path, squatter.getsockname()[1])
        with pytest.raises(ServerError, match="in use by another program"):
            server.start()
        assert not server.pid_file.exists()


def test_a_stale_pid_file_never_gets_another_process_signalled(tmp_path):
    bystander = subprocess.Popen(["sleep", "30"])
    try:
        server = EmbeddedServer(tmp_path, free_port())
        tmp_path.mkdir(exist_ok=True)
        server.pid_file.write_text(str(bystander.pid))
        assert server.pid() is None
        assert server.stop() is False
        assert bystander.poll() is None  # still running
    finally:
        bystander.kill()
        bystander.wait()
