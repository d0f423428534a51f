"""The network policy of every source: retries, timeouts, a deadline, waiting notices, and what failures mean.

Every S3 read and portal API query is tried ``attempts`` times, each try waiting at most ``connect_timeout``
seconds to connect and ``read_timeout`` seconds for each answer (:class:`NetworkSettings`).  On top of that,
a read that receives nothing for ``deadline`` seconds gives up (:func:`run_with_deadline`), so a server that
accepts connections and never answers fails after that many seconds whatever the retries would have done: the
one figure a user needs in order to know how long a dead server can hold a command.  "Receives" counts every
byte arriving on the process's TCP connections (Linux reports them per socket), so a large chunk arriving
slowly is not mistaken for silence; elsewhere only completed requests count.  While waiting, a line on stderr
says for how long nothing has come and, the first time, when the read gives up.
"""

from __future__ import annotations

import errno
import math
import os
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from typing import Any, TypeVar
from urllib.parse import urlsplit

from .errors import SourceError, one_line

__all__ = [
    "ENDPOINT_ENV",
    "NETWORK",
    "NETWORK_ENV",
    "WAITING_NOTICE_INTERVAL",
    "NetworkSettings",
    "network_settings",
    "run_with_deadline",
    "s3_storage_options",
    "store_errors",
]

T = TypeVar("T")

#: Environment variables that set :class:`NetworkSettings` (field -> variable).
NETWORK_ENV = {
    "attempts": "CRYOET_ZARR_BENCH_NETWORK_ATTEMPTS",
    "connect_timeout": "CRYOET_ZARR_BENCH_CONNECT_TIMEOUT",
    "read_timeout": "CRYOET_ZARR_BENCH_READ_TIMEOUT",
    "deadline": "CRYOET_ZARR_BENCH_NETWORK_DEADLINE",
}
#: The largest value each setting accepts (larger ones are mistakes, or overflow the system's timers).
_MAXIMUM = {"attempts": 100, "connect_timeout": 3600.0, "read_timeout": 3600.0, "deadline": 86400.0}
#: botocore's variables that point S3 requests at another server; they must be http(s) URLs.
ENDPOINT_ENV = ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL")


@dataclass(frozen=True)
class NetworkSettings:
    """Retries, timeouts and the deadline for every network call (S3 reads and portal API queries).

    Each request is tried up to ``attempts`` times in all, with exponential backoff (botocore's "standard"
    retry mode, with jitter, for S3; urllib3's backoff for the portal API); each try waits at most
    ``connect_timeout`` seconds for a connection and ``read_timeout`` seconds for each answer.  Whatever the
    retries, a read that hears nothing for ``deadline`` seconds gives up.
    """

    attempts: int = 4
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    deadline: float = 120.0

    @classmethod
    def from_env(cls) -> NetworkSettings:
        """The defaults, replaced by those of :data:`NETWORK_ENV` that are set."""
        values: dict[str, Any] = {}
        for field in fields(cls):
            variable = NETWORK_ENV[field.name]
            text = os.environ.get(variable, "").strip()
            if not text:
                continue
            try:
                value = int(text) if field.name == "attempts" else float(text)
            except ValueError:
                value = math.nan
            maximum = _MAXIMUM[field.name]
            if not 0 < value <= maximum:
                what = "a whole number of attempts" if field.name == "attempts" else "a number of seconds"
                raise SourceError(f"{variable} must be {what} above 0 and at most {maximum:g}, got {text!r}")
            values[field.name] = value
        return cls(**values)

    def describe(self) -> str:
        """E.g. ``4 attempt(s), 10 s connect and 20 s read timeouts``, for messages."""
        return (
            f"{self.attempts} attempt(s), {self.connect_timeout:g} s connect and {self.read_timeout:g} s "
            "read timeouts"
        )


#: Settings that replace the environment's (tests set them); None: read :data:`NETWORK_ENV` at each call.
NETWORK: NetworkSettings | None = None
#: Seconds of silence after which a network read says it is still waiting (and again every as many seconds).
WAITING_NOTICE_INTERVAL = 10.0


def network_settings() -> NetworkSettings:
    """The retries, timeouts and deadline in force (see :data:`NETWORK`)."""
    return NETWORK or NetworkSettings.from_env()


#: Offset of ``tcpi_bytes_received`` (a u64) in Linux's ``struct tcp_info`` (Linux 4.1 and later).
_TCP_BYTES_RECEIVED = 128


def _bytes_received() -> dict[str, int]:
    """Bytes received so far on each of this process's TCP sockets, by socket inode (empty where the system
    cannot say: not Linux, or ``/proc`` unreadable)."""
    received: dict[str, int] = {}
    tcp_info = getattr(socket, "TCP_INFO", None)
    try:
        descriptors = os.listdir("/proc/self/fd")
    except OSError:
        return received
    if tcp_info is None:
        return received
    for name in descriptors:
        try:
            target = os.readlink(f"/proc/self/fd/{name}")
            duplicate = socket.socket(fileno=os.dup(int(name))) if target.startswith("socket:") else None
        except OSError:
            continue  # closed meanwhile
        if duplicate is None:
            continue
        try:
            info = duplicate.getsockopt(socket.IPPROTO_TCP, tcp_info, 256)
        except OSError:
            continue  # not a TCP socket
        finally:
            duplicate.close()
        if len(info) >= _TCP_BYTES_RECEIVED + 8:
            received[target] = struct.unpack_from("=Q", info, _TCP_BYTES_RECEIVED)[0]
    return received


def run_with_deadline(what: str, work: Callable[[Callable[[], None]], T], *, notices: bool) -> T:
    """``work(heard)``, given up on once nothing was heard from ``what`` for the deadline.

    ``work`` runs in a daemon thread (so a read stuck in a library cannot keep the process alive) and calls
    ``heard()`` whenever something arrives from the server (a chunk, an answer); bytes arriving on any of the
    process's TCP connections count as heard too (see the module docstring).  This thread waits for it;
    with ``notices``, whenever nothing was heard for :data:`WAITING_NOTICE_INTERVAL` seconds, a line on
    stderr says for how long (counting up), the first one of each silence also when the read gives up at the
    latest (the retries may give up sooner).

    Raises
    ------
    SourceError
        Once nothing was heard for ``network_settings().deadline`` seconds; else whatever ``work`` raised.
    """
    settings = network_settings()
    last_heard = [time.monotonic()]
    outcome: dict[str, Any] = {}
    done = threading.Event()

    def heard() -> None:
        last_heard[0] = time.monotonic()

    def run() -> None:
        try:
            outcome["value"] = work(heard)
        except BaseException as error:  # handed to the waiting thread, which raises it
            outcome["error"] = error
        finally:
            done.set()

    threading.Thread(target=run, name=f"reading {what}", daemon=True).start()
    notices_given = 0
    heard_at_last_notice = last_heard[0]
    received = _bytes_received()
    while not done.wait(min(1.0, WAITING_NOTICE_INTERVAL / 4)):
        now_received = _bytes_received()
        if any(count > received.get(inode, 0) for inode, count in now_received.items()):
            heard()
        received = now_received
        silence = time.monotonic() - last_heard[0]
        if silence >= settings.deadline:
            raise SourceError(
                f"no answer from {what} for {settings.deadline:g} s ({settings.describe()}); retry later, or "
                f"wait longer with {NETWORK_ENV['deadline']}"
            )
        if last_heard[0] != heard_at_last_notice:
            notices_given, heard_at_last_notice = 0, last_heard[0]
        if notices and silence >= (notices_given + 1) * WAITING_NOTICE_INTERVAL:
            notices_given += 1
            limit = (
                f"; giving up after at most {settings.deadline:g} s without an answer "
                f"({NETWORK_ENV['deadline']})"
                if notices_given == 1
                else ""
            )
            line = f"still waiting for {what}: nothing for {silence:.0f} s{limit}"
            print(line, file=sys.stderr, flush=True)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def _checked_endpoints() -> None:
    """Refuse an S3 endpoint variable that botocore would reject deep inside a read."""
    for variable in ENDPOINT_ENV:
        value = os.environ.get(variable)
        if value is None:
            continue
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise SourceError(
                f"{variable} is {value!r}, not an http:// or https:// URL; set it to the S3 server's address "
                "(e.g. http://127.0.0.1:9000) or unset it"
            )


def s3_storage_options(region: str | None = None) -> dict[str, Any]:
    """fsspec options for anonymous S3 reads with the retries and timeouts of :func:`network_settings`.

    botocore retries; s3fs's own retry loop is cut to one try by the OME-Zarr reader, so the attempts are the
    settings' and do not multiply.  The endpoint is botocore's: set ``AWS_ENDPOINT_URL_S3`` to read from an
    S3-compatible server (checked here to be an http(s) URL).
    """
    _checked_endpoints()
    settings = network_settings()
    options: dict[str, Any] = {
        "anon": True,
        "config_kwargs": {
            "connect_timeout": settings.connect_timeout,
            "read_timeout": settings.read_timeout,
            "retries": {"max_attempts": settings.attempts, "mode": "standard"},
        },
    }
    if region is not None:
        options["client_kwargs"] = {"region_name": region}
    return options


def _loaded(module: str, *names: str) -> list[type[BaseException]]:
    """The exception classes ``names`` of ``module`` if imported (a module never imported raised nothing)."""
    loaded = sys.modules.get(module)
    return [] if loaded is None else [getattr(loaded, name) for name in names if hasattr(loaded, name)]


def _cut_short_errors() -> tuple[type[BaseException], ...]:
    """Exception types that mean the server answered but the body stopped before its announced length."""
    return tuple(
        _loaded("aiohttp", "ClientPayloadError")
        + _loaded("botocore.exceptions", "IncompleteReadError", "ResponseStreamingError")
    )


def _timeout_errors() -> tuple[type[BaseException], ...]:
    """Exception types that mean the store was reached but did not answer in time."""
    return (TimeoutError, *_loaded("botocore.exceptions", "ReadTimeoutError", "ConnectTimeoutError"))


def _network_errors() -> tuple[type[BaseException], ...]:
    """Exception types that mean the store could not be reached."""
    return (
        ConnectionError,
        TimeoutError,
        *_loaded("botocore.exceptions", "ConnectionError", "HTTPClientError"),
        *_loaded("aiohttp", "ClientError"),
    )


@contextmanager
def store_errors(url: str) -> Iterator[None]:
    """Turn the ways a store read fails into one-line :class:`SourceError` messages saying what happened."""
    settings = network_settings()
    try:
        yield
    except SourceError:
        raise
    except PermissionError as error:
        raise SourceError(
            f"access denied reading {url} ({one_line(error)}): the store does not allow anonymous reads; "
            "check the URL, or download the data and give its local path"
        ) from error
    except FileNotFoundError as error:
        raise SourceError(f"nothing found at {url} ({one_line(error)}); check the path or URL") from error
    except _cut_short_errors() as error:
        raise SourceError(
            f"the store at {url} answered, but a response stopped before its announced length "
            f"({one_line(error)}) after {settings.attempts} attempt(s); retry later (the server, or "
            "something between it and you, is dropping connections)"
        ) from error
    except _timeout_errors() as error:
        raise SourceError(
            f"no answer from the store at {url} ({one_line(error)}) with {settings.describe()}; retry later, "
            f"or allow more with {NETWORK_ENV['read_timeout']} and {NETWORK_ENV['attempts']}"
        ) from error
    except _network_errors() as error:
        raise SourceError(
            f"cannot reach the store at {url} ({one_line(error)}); check the network connection and retry, "
            "or use a source that needs no network: synthetic or a local file"
        ) from error
    except OSError as error:
        if error.errno != errno.EREMOTEIO:  # what s3fs makes of a server error (HTTP 5xx) it gave up on
            raise
        raise SourceError(
            f"the store at {url} answered with a server error ({one_line(error)}) after "
            f"{settings.attempts} attempt(s); retry later"
        ) from error
