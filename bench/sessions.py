"""What a session costs a request, measured against a throwaway Redis Stack.

Prints one `name: value` line per figure:

- session_round_trips: requests Redis reads from the network per session load
  (INFO stats total_reads_processed, before and after, less the INFO itself);
- session_commands_sent: top-level commands per load (EVALSHA from
  INFO commandstats); the commands the script runs inside Redis are not sent;
- session_load_us and raw_get_us: the time of one load that touches the
  session and of one GET of a string as long as the session, and
  session_load_vs_raw_get, their ratio (the target is at most 1.5). The
  store's clock runs 1.1 s per call here, so every load moves the session's
  deadline, and one in 55 also rewrites its last-seen time (once a minute);
- session_load_writing_last_seen_vs_raw_get: the same for loads a minute
  apart, each of which also rewrites the last-seen time (the dearest case);
- session_reload_vs_raw_get: the same for loads less than a second apart,
  which write nothing (a burst of requests from one screen);
- login_ms: one login, mostly the argon2id hash of the password.

The GETs and the loads are timed one by one and interleaved, a GET and then
each kind of load, so that all of them meet the same state of the machine;
each of their times is the median over many calls. Timing each kind in a block
of its own let the order of the blocks move the ratios by a third on a 2-core
machine. Run it on an otherwise idle machine: other work on the same cores
preempts the longer calls more often, and the ratios grow.

Run it as `python bench/sessions.py`; it starts and stops its own server.
"""

import itertools
import socket
import statistics
import tempfile
import time
from pathlib import Path

from redisbank import auth, config, connection
from redisbank.server import EmbeddedServer
from redisbank.sessions import SessionStore
from redisbank.throttle import LoginThrottle

LOADS = 2000  # for counting round trips
TIMED_CALLS = 5000  # of each kind, interleaved
LOGINS = 5


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def interleaved_medians_us(calls: dict, count: int) -> dict[str, float]:
    """Time each call count times, one of each in turn; return each one's median."""
    times: dict[str, list[int]] = {name: [] for name in calls}
    clock = time.perf_counter_ns
    for _ in range(count):
        for name, call in calls.items():
            started = clock()
            call()
            times[name].append(clock() - started)
    return {name: statistics.median(spent) / 1000 for name, spent in times.items()}


def stepping_clock(step_s: float):
    """Return a clock that moves step_s at every reading, from now."""
    start, steps = time.time(), itertools.count()
    return lambda: start + next(steps) * step_s


def round_trips(client, store: SessionStore, token: str) -> tuple[float, float]:
    reads_before = client.info("stats")["total_reads_processed"]
    sent_before = client.info("commandstats").get("cmdstat_evalsha", {}).get("calls")
    for _ in range(LOADS):
        store.load(token)
    # Each INFO is one read of its own: two after the first snapshot.
    reads = client.info("stats")["total_reads_processed"] - reads_before - 2
    sent = client.info("commandstats")["cmdstat_evalsha"]["calls"] - (sent_before or 0)
    return reads / LOADS, sent / LOADS


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="redisbank-bench-") as scratch:
        server = EmbeddedServer(Path(scratch), free_port())
        server.start()
        try:
            measure(connection.connect(server.url))
        finally:
            connection.close_all()
            server.stop()


def measure(client) -> None:
    auth.ensure_demo_user(client)
    store = SessionStore(client)
    throttle = LoginThrottle(client)
    session = auth.login(
        store, throttle, config.DEMO_USERNAME, auth.demo_password(), address="bench"
    )
    # The GET reads a string as long as the session that Redis serves (redis-py
    # would parse a JSON.GET sent from here, so a script fetches the text).
    served = client.eval("return redis.call('JSON.GET', KEYS[1])", 1, session.key)
    client.set("bench:raw", served)
    store.load(session.token)  # loads the script into Redis

    touching = SessionStore(client, clock=stepping_clock(1.1))
    trips, sent = round_trips(client, touching, session.token)
    # A session that lasts long enough for loads a minute apart.
    minutely = SessionStore(
        client, absolute_timeout_s=100 * TIMED_CALLS, clock=stepping_clock(61)
    )
    long_lived = minutely.create(session.username, session.data["profile"], ["user"])
    # Read on the real clock, so that its loads come less than a second apart.
    burst = store.create(session.username, session.data["profile"], ["user"])
    medians = interleaved_medians_us(
        {
            "get": lambda: client.get("bench:raw"),
            "load": lambda: touching.load(session.token),
            "load_writing_last_seen": lambda: minutely.load(long_lived.token),
            "reload": lambda: store.load(burst.token),
        },
        TIMED_CALLS,
    )
    get_us = medians["get"]

    logins = []
    for _ in range(LOGINS):
        started = time.perf_counter()
        auth.login(
            store, throttle, config.DEMO_USERNAME, auth.demo_password(), address="b"
        )
        logins.append((time.perf_counter() - started) * 1000)

    print(f"session_round_trips: {trips:.2f}")
    print(f"session_commands_sent: {sent:.2f}")
    print(f"session_load_us: {medians['load']:.1f}")
    print(f"raw_get_us: {get_us:.1f}")
    print(f"session_load_vs_raw_get: {medians['load'] / get_us:.2f}")
    ratio = medians["load_writing_last_seen"] / get_us
    print(f"session_load_writing_last_seen_vs_raw_get: {ratio:.2f}")
    print(f"session_reload_vs_raw_get: {medians['reload'] / get_us:.2f}")
    print(f"login_ms: {statistics.median(logins):.1f}")


if __name__ == "__main__":
    main()
