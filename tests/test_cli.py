import os
import subprocess
import sys

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
