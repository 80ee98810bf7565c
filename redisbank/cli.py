"""The `redisbank` command: run the embedded server, seed and check the ledger."""

import argparse
import os
import sys
import threading
from urllib.parse import unquote, urlsplit, urlunsplit

import redis
from tqdm import tqdm

from redisbank import (
    config,
    connection,
    generator,
    invariants,
    ledger,
    money,
    runtime,
    service,
)
from redisbank.errors import RedisbankError
from redisbank.server import EmbeddedServer


def _server(args: argparse.Namespace) -> None:
    server = EmbeddedServer.default()
    if args.action == "start":
        started = server.start()
        print(f"{'started' if started else 'already running'}: {server.url}")
    elif args.action == "stop":
        stopped = server.stop()
        print("stopped" if stopped else "not running")
    else:
        if connection.configured_url():
            print("note: REDIS_URL is set, so redisbank uses that server, not this one")
        status = server.status()
        for name, value in status.items():
            print(f"{name}: {value}")
        if not status["running"]:
            sys.exit(3)  # like `systemctl status`, so scripts can test it


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 0 <= value <= config.MAX_SEED_COUNT:
        raise argparse.ArgumentTypeError(
            f"count must be from 0 to {config.MAX_SEED_COUNT:,}, not {value}"
        )
    return value


def _days(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of days") from None
    if not 0 < value <= 3650:
        raise argparse.ArgumentTypeError(
            f"days must be above 0 and at most 3650, not {text}"
        )
    return value


def _ping(args: argparse.Namespace) -> None:
    url = connection.configured_url() or EmbeddedServer.default().url
    connection.connect(start=False)  # a question: it must not start the server
    print(f"ok: {connection.redact(url)} answers, with JSON, Search and TimeSeries")


def _seed(args: argparse.Namespace) -> None:
    client = connection.connect()
    ledger.prepare(client)
    start, end = generator.seed_window(args.days, ledger.last_posting_ms(client))
    span_days = (end - start).total_seconds() / 86_400
    if span_days < args.days * 0.99:
        # Postings stay in time order, so new ones go after the last posting.
        print(
            f"note: the ledger's last posting is {span_days:.2f} days old, so these "
            f"transactions fall between it and now, not over {args.days:g} days",
            file=sys.stderr,
        )
    drawn = generator.TransactionGenerator(seed=args.seed).drafts(
        args.count, start, end
    )
    before = ledger.posting_count(client)
    postings = ledger.post_many(client, drawn)
    try:
        for _ in tqdm(postings, total=args.count, unit="tx", disable=args.quiet):
            pass
    except (RedisbankError, redis.RedisError):
        # Batches in flight may have been stored: say what the ledger holds, so
        # nobody seeds the whole count again on top of it.
        try:
            stored = f"{ledger.posting_count(client) - before} of {args.count}"
        except redis.RedisError:
            stored = "an unknown number"
        print(
            f"redisbank: seeding stopped; {stored} transactions were posted "
            "(`redisbank check` tells whether the ledger is consistent)",
            file=sys.stderr,
        )
        raise
    print(f"posted {args.count} transactions; balance {ledger.balance_text(client)}")


def _generate(args: argparse.Namespace) -> None:
    client = connection.connect()
    stop = service.stop_on_signals()

    def show(posting: ledger.Posting) -> None:
        if not args.quiet:
            print(f"{posting.key} balance {money.format_amount(posting.balance_cents)}")

    posted = service.run(
        client, args.every, args.count, args.seed, stop=stop, on_posting=show
    )
    print(f"posted {posted} transactions; balance {ledger.balance_text(client)}")


def _check(args: argparse.Namespace) -> None:
    client = connection.connect()
    findings = invariants.check(client)
    print(
        f"ok: {findings.documents} transactions, balance "
        f"{money.format_amount(findings.balance_cents)}; the series, the spender "
        "scores and the index agree"
    )


def _redis_cli(args: argparse.Namespace) -> None:
    # The wheel's redis-cli needs the same private OpenSSL as its server.
    found = runtime.locate(config.runtime_dir())
    env = dict(os.environ)
    if found.library_path:
        env["LD_LIBRARY_PATH"] = str(found.library_path)
    url = connection.configured_url() or EmbeddedServer.default().url
    # The password goes through the environment, not argv, where `ps` shows it.
    parts = urlsplit(url)
    if parts.password:
        env["REDISCLI_AUTH"] = unquote(parts.password)
        user = f"{parts.username}@" if parts.username else ""
        url = urlunsplit(parts._replace(netloc=f"{user}{parts.hostname}:{parts.port}"))
    os.execve(found.cli, [str(found.cli), "-u", url, *args.arguments], env)


def _api(args: argparse.Namespace) -> None:
    from redisbank import api, serving  # the web stack loads only for this command

    settings = api.ApiSettings.from_env()
    client = connection.connect()
    ledger.prepare(client)
    app = api.create_app(client, settings)
    if args.generate_every:
        # In this process, so that stopping the API stops the generator too.
        stop = threading.Event()
        generating = threading.Thread(
            target=service.run,
            args=(client, args.generate_every),
            kwargs={"stop": stop},
            daemon=True,
        )
        generating.start()
        print(f"posting a transaction every {args.generate_every:g} s")
    print(f"serving the API on http://{config.API_HOST}:{args.port}")
    try:
        serving.serve(app, args.port)
    finally:
        if args.generate_every:
            stop.set()


def _duration(text: str) -> float:
    try:
        return service.parse_duration(text)
    except RedisbankError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="redisbank", description="A mobile bank's sessions and ledger in Redis."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    server = commands.add_parser("server", help="control the embedded Redis Stack")
    server.add_argument("action", choices=["start", "stop", "status"])
    server.set_defaults(run=_server)

    ping = commands.add_parser(
        "ping", help="check that Redis answers and has the modules redisbank needs"
    )
    ping.set_defaults(run=_ping)

    seed = commands.add_parser("seed", help="post generated transactions")
    seed.add_argument(
        "--count", type=_count, default=500, help="how many (default 500)"
    )
    seed.add_argument("--days", type=_days, default=90, help="spread over (default 90)")
    seed.add_argument("--seed", type=int, default=None, help="repeatable random draws")
    seed.add_argument("--quiet", action="store_true", help="no progress bar")
    seed.set_defaults(run=_seed)

    generate = commands.add_parser(
        "generate", help="post one transaction dated now every interval"
    )
    generate.add_argument(
        "--every",
        type=_duration,
        default="10s",
        help="the interval, like 10s, 2m or 500ms (default 10s)",
    )
    generate.add_argument("--count", type=int, default=None, help="stop after N")
    generate.add_argument("--seed", type=int, default=None, help="repeatable draws")
    generate.add_argument("--quiet", action="store_true", help="no line per posting")
    generate.set_defaults(run=_generate)

    check = commands.add_parser(
        "check", help="verify the ledger's invariants; exit 1 if one is broken"
    )
    check.set_defaults(run=_check)

    cli = commands.add_parser(
        "redis-cli", help="run redis-cli against REDIS_URL or the embedded server"
    )
    cli.add_argument("arguments", nargs=argparse.REMAINDER, help="passed to redis-cli")
    cli.set_defaults(run=_redis_cli)

    serve = commands.add_parser("api", help="serve the HTTP API on 127.0.0.1")
    serve.add_argument(
        "--port", type=int, default=config.api_port(), help="default 16480"
    )
    serve.add_argument(
        "--generate-every",
        type=_duration,
        default=None,
        help="also post a transaction every interval, like 10s (the dashboard's feed)",
    )
    serve.set_defaults(run=_api)
    return parser


def main(argv: list[str] | None = None) -> None:
    parser = build_parser()
    # redis-cli's own options (--scan, -n) must reach it, not argparse.
    args, extra = parser.parse_known_args(argv)
    if extra and args.command != "redis-cli":
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.command == "redis-cli":
        args.arguments = extra + args.arguments
    try:
        args.run(args)
    except RedisbankError as error:
        sys.exit(f"redisbank: {error}")
    except redis.RedisError as error:
        sys.exit(f"redisbank: Redis failed mid-command ({error}); check the server")
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
