import os
import subprocess
import sys
import time

import redis

from tests.conftest import free_port


def redisbank(*args, **env):
    command = [sys.executable, "-m", "redisbank.cli", *args]
    environment = {**os.environ, **env}
    return subprocess.run(command, env=environment, capture_output=True, text=True)


def test_ping_confirms_the_modules(r):
    result = redisbank("ping")
    assert result.returncode == 0
    assert "answers, with JSON, Search and TimeSeries" in result.stdout


def test_a_dead_server_is_one_clear_line_not_a_traceback():
    result = redisbank("ping", REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    assert result.returncode == 1
    assert result.stderr.startswith(
        "redisbank: cannot reach Redis at redis://127.0.0.1:"
    )
    assert "Traceback" not in result.stderr


def test_seed_posts_and_reports_the_balance(r):
    result = redisbank("seed", "--count", "25", "--days", "2", "--seed", "1", "--quiet")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("posted 25 transactions; balance ")
    assert int(r.hget("redisBank:ledger", "postings")) == 25


def test_bad_arguments_are_refused_before_anything_is_written(r):
    for option, value, message in (
        ("--count", "-3", "count must be from 0 to 10,000,000, not -3"),
        ("--count", "lots", "'lots' is not a whole number"),
        ("--days", "nan", "days must be above 0"),
        ("--days", "0", "days must be above 0"),
    ):
        result = redisbank("seed", option, value)
        assert result.returncode == 2
        assert message in result.stderr
    assert r.dbsize() == 0


def test_a_seed_cut_off_by_a_dead_server_says_so(tmp_path, embedded_factory):
    server = embedded_factory(tmp_path / "home")
    server.start()
    seeding = subprocess.Popen(
        [sys.executable, "-m", "redisbank.cli", "seed", "--count", "300000"],
        env={**os.environ, "REDIS_URL": server.url},
        stderr=subprocess.PIPE,
        text=True,
    )
    client = redis.Redis(port=server.port)
    while not client.hget("redisBank:ledger", "postings"):
        assert seeding.poll() is None, seeding.stderr.read()
    server.stop()

    _, errors = seeding.communicate(timeout=30)
    assert seeding.returncode == 1
    assert "seeding stopped; an unknown number transactions were posted" in errors
    assert "Traceback" not in errors


def test_ping_asks_without_starting_the_embedded_server(tmp_path):
    home = tmp_path / "home"
    port = str(free_port())
    environment = {"REDISBANK_HOME": str(home), "REDISBANK_PORT": port}
    result = subprocess.run(
        [sys.executable, "-m", "redisbank.cli", "ping"],
        env={k: v for k, v in os.environ.items() if k != "REDIS_URL"} | environment,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "start it with `redisbank server start`" in result.stderr
    assert not (home / "redis.pid").exists()


def test_seeding_after_the_last_posting_says_the_window_shrank(r):
    assert redisbank("seed", "--count", "5", "--days", "2", "--quiet").returncode == 0
    again = redisbank("seed", "--count", "5", "--days", "30", "--quiet")
    assert again.returncode == 0
    assert "transactions fall between it and now, not over 30 days" in again.stderr


def test_the_api_can_run_the_generator_and_stops_it_with_itself(r):
    api = subprocess.Popen(
        [sys.executable, "-m", "redisbank.cli", "api", "--port", str(free_port()),
         "--generate-every", "200ms"],
        env={**os.environ, "REDISBANK_DEMO_MODE": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while int(r.hget("redisBank:ledger", "postings") or 0) < 3:
            assert time.monotonic() < deadline, "the generator posted nothing"
            time.sleep(0.1)
    finally:
        api.terminate()
        api.wait(timeout=15)
    settled = int(r.hget("redisBank:ledger", "postings"))
    time.sleep(0.6)
    assert int(r.hget("redisBank:ledger", "postings")) == settled
