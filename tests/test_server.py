import os
import subprocess
import sys

import redis

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
