"""Network and cache faults: servers that never answer, answer errors or cut answers short, settings that make
no sense, a full or read-only cache.  Each ends with one line (exit status 2) saying what the server did, and
no cache entry; a server that never answers is given up on at a deadline the first "still waiting" line names.

Servers are threads on 127.0.0.1 (see ``support``); the command runs in this process unless it must not.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from cryoet_zarr_bench.sources import SourceError, acquire, network

from portal_fixtures import Portal
from support import (
    FAST_NETWORK,
    SilentServer,
    answering_server,
    everything_in,
    main_error,
    mounted_tmpfs,
    remount,
    server_url,
    write_mrc,
)


@pytest.fixture(autouse=True)
def _fresh_s3_clients() -> None:
    """s3fs keeps a filesystem per set of options; each test's endpoint is a new server."""
    import s3fs

    s3fs.S3FileSystem.clear_instance_cache()


@pytest.fixture
def silent_server() -> Iterator[SilentServer]:
    """A server on 127.0.0.1 that never answers, stopped when the test ends."""
    server = SilentServer()
    yield server
    server.stop()


@pytest.fixture
def fast_network(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in FAST_NETWORK.items():
        monkeypatch.setenv(name, value)


def _files(directory: Path) -> list[Path]:
    return [path for path in everything_in(directory) if path.is_file()]


# --------------------------------------------------------------------------- servers that never answer


def test_a_store_that_never_answers_is_given_up_at_the_deadline_the_first_waiting_line_names(
    silent_server: SilentServer, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setattr(network, "WAITING_NOTICE_INTERVAL", 0.4)
    monkeypatch.setattr(network, "NETWORK", network.NetworkSettings(5, 10.0, 10.0, deadline=1.6))
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", silent_server.url)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    start = time.monotonic()
    with pytest.raises(
        SourceError, match=r"^no answer from the store at s3://bucket/image.zarr for 1.6 s \("
    ):
        acquire("s3://bucket/image.zarr", cache=False, progress=True)
    assert time.monotonic() - start < 4  # the retries alone would take 5 x 10 s
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == (
        "still waiting for the store at s3://bucket/image.zarr: nothing for 0 s; giving up after at most "
        "1.6 s without an answer (CRYOET_ZARR_BENCH_NETWORK_DEADLINE)"
    )
    waited = [float(re.search(r"nothing for (\d+) s", line).group(1)) for line in lines]
    assert len(waited) >= 3 and waited == sorted(waited) and waited[-1] > waited[0]  # counting up


def test_the_default_deadline_is_two_minutes() -> None:
    settings = network.NetworkSettings()
    assert settings.deadline == 120 and settings.attempts * settings.read_timeout <= settings.deadline


def test_a_store_that_never_answers_within_the_retries(
    silent_server, fast_network, monkeypatch, capsys
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", silent_server.url)
    start = time.monotonic()
    message = main_error(capsys, "fetch", "s3://bucket/image.zarr")
    assert time.monotonic() - start < 30
    assert message.startswith("no answer from the store at s3://bucket/image.zarr")
    assert silent_server.url in message and "2 attempt(s), 0.5 s connect and 0.5 s read timeouts" in message
    assert _files(Path(os.environ["CRYOET_ZARR_BENCH_CACHE"])) == []


def test_an_api_that_never_answers(silent_server, fast_network, monkeypatch, capsys) -> None:
    monkeypatch.setenv("CRYOET_ZARR_BENCH_PORTAL_URL", f"{silent_server.url}/graphql")
    message = main_error(capsys, "fetch", "portal:10445/TS_100_3")
    assert message.startswith(f"no answer from the CryoET Data Portal API at {silent_server.url}/graphql")


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        (
            "CRYOET_ZARR_BENCH_READ_TIMEOUT",
            "soon",
            "a number of seconds above 0 and at most 3600, got 'soon'",
        ),
        (
            "CRYOET_ZARR_BENCH_READ_TIMEOUT",
            "1e999",
            "a number of seconds above 0 and at most 3600, got '1e999'",
        ),
        (
            "CRYOET_ZARR_BENCH_CONNECT_TIMEOUT",
            "nan",
            "a number of seconds above 0 and at most 3600, got 'nan'",
        ),
        ("CRYOET_ZARR_BENCH_NETWORK_DEADLINE", "0", "a number of seconds above 0 and at most 86400, got '0'"),
        (
            "CRYOET_ZARR_BENCH_NETWORK_ATTEMPTS",
            "1.5",
            "a whole number of attempts above 0 and at most 100, got '1.5'",
        ),
    ],
)
def test_network_settings_that_make_no_sense_are_named(
    variable, value, expected, monkeypatch, capsys
) -> None:
    monkeypatch.setenv(variable, value)
    assert main_error(capsys, "fetch", "s3://bucket/image.zarr") == f"{variable} must be {expected}"


@pytest.mark.parametrize("variable", ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"])
def test_an_s3_endpoint_that_is_not_a_url(variable, monkeypatch, capsys) -> None:
    monkeypatch.setenv(variable, "not a url")
    message = main_error(capsys, "fetch", "s3://bucket/image.zarr")
    assert message.startswith(f"{variable} is 'not a url', not an http:// or https:// URL")


# --------------------------------------------------------------------------- servers that answer badly


def test_s3_answering_500_to_everything(fast_network, monkeypatch, capsys) -> None:
    server = answering_server(500, "application/xml", b"<Error><Code>InternalError</Code></Error>")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", server_url(server))
    try:
        message = main_error(capsys, "fetch", "s3://bucket/image.zarr")
    finally:
        server.shutdown()
    assert message.startswith("the store at s3://bucket/image.zarr answered with a server error")
    assert "after 2 attempt(s); retry later" in message
    assert _files(Path(os.environ["CRYOET_ZARR_BENCH_CACHE"])) == []


def test_s3_cutting_its_answers_short(fast_network, monkeypatch, capsys) -> None:
    server = answering_server(200, "application/octet-stream", b'{"multiscales": []}' * 50, cut_to=14)
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", server_url(server))
    try:
        message = main_error(capsys, "fetch", "s3://bucket/image.zarr")
    finally:
        server.shutdown()
    assert message.startswith(
        "the store at s3://bucket/image.zarr answered, but a response stopped before its announced length"
    )
    assert "received 14 of 950 bytes" in message and "cannot reach" not in message


def test_an_api_answering_500(fast_network, monkeypatch, capsys) -> None:
    server = answering_server(500, "text/html", b"<html>Internal Server Error</html>")
    monkeypatch.setenv("CRYOET_ZARR_BENCH_PORTAL_URL", f"{server_url(server)}/graphql")
    try:
        message = main_error(capsys, "fetch", "portal:10445/TS_100_3")
    finally:
        server.shutdown()
    assert message.startswith(
        f"the CryoET Data Portal API at {server_url(server)}/graphql answered HTTP 500 "
        "(Internal Server Error) after 2 attempt(s)"
    )


@pytest.mark.parametrize(
    ("content_type", "body", "expected"),
    [
        (
            "application/json",
            json.dumps({"data": {"runs": [{"id": "seven", "name": 5}]}}).encode(),
            r"^the CryoET Data Portal API at \S+ rejected a query or answered with data of the wrong types "
            r"\(GraphQLError: Int cannot represent non-integer value: 'seven'\)",
        ),
        (
            "text/html",
            b"<html><body>Welcome to nginx</body></html>",
            r"^the server at \S+ answered with something that is not GraphQL JSON \(.*Welcome to nginx",
        ),
    ],
)
def test_an_api_answering_what_is_not_its_schema(
    content_type, body, expected, fast_network, monkeypatch, capsys
):
    server = answering_server(200, content_type, body)
    monkeypatch.setenv("CRYOET_ZARR_BENCH_PORTAL_URL", f"{server_url(server)}/graphql")
    try:
        message = main_error(capsys, "fetch", "portal:10445/TS_100_3")
    finally:
        server.shutdown()
    assert re.search(expected, message), message


# --------------------------------------------------------------------------- the cache


def test_a_corrupt_entry_in_a_read_only_cache(tmp_path: Path, monkeypatch, capsys) -> None:
    source = str(write_mrc(tmp_path / "tomo.mrc"))
    with mounted_tmpfs(tmp_path / "cache", megabytes=1) as cache:
        monkeypatch.setenv("CRYOET_ZARR_BENCH_CACHE", str(cache))
        acquire(source)
        (data_file,) = cache.rglob("*.npy")
        raw = bytearray(data_file.read_bytes())
        raw[-1] ^= 0xFF
        data_file.write_bytes(bytes(raw))
        remount(cache, read_only=True)
        message = main_error(capsys, "fetch", source)
        assert message.startswith(f"cannot write the cache entry for {source} in {cache}")
        assert message.endswith("or read without the cache (--no-cache)")
        assert acquire(source, cache=False).shape == (4, 6, 8)


def test_a_full_cache_is_reported_before_any_chunk_is_fetched(portal: Portal) -> None:
    with mounted_tmpfs(portal.cache_dir, megabytes=1):
        with pytest.raises(SourceError) as refused:
            acquire("portal:10445/TS_100_3?crop=full")
        assert [r.path for r in portal.proxy.requests if re.search(r"\.zarr/0/\d+/\d+/\d+$", r.path)] == []
        assert _files(portal.cache_dir) == []
    assert re.fullmatch(
        rf"the cache in {portal.cache_dir} has [\d.]+ [kM]B free but "
        r"portal:10445/TS_100_3\?crop=full&level=0 needs about 4.7 MB; free some space, set "
        r"CRYOET_ZARR_BENCH_CACHE to a larger disk, or read without the cache \(--no-cache\)",
        str(refused.value),
    ), refused.value


def test_a_file_replaced_with_its_size_and_modification_time_kept_is_read_again(tmp_path: Path) -> None:
    path = write_mrc(tmp_path / "tomo.mrc", np.zeros((4, 6, 8), np.float32))
    assert acquire(str(path)).data.max() == 0  # cached
    stat = path.stat()
    write_mrc(tmp_path / "other.mrc", np.ones((4, 6, 8), np.float32))
    path.write_bytes((tmp_path / "other.mrc").read_bytes())  # same size, in place: `cp` then `touch -r`
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size and path.stat().st_mtime_ns == stat.st_mtime_ns
    assert acquire(str(path)).data.max() == 1
