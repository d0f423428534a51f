"""Object storage on loopback: an S3 server (moto), a proxy that counts and delays requests, and an S3 store.

Portal users read tomograms from S3 over HTTP, one object per chunk (or shard) they touch, each a round trip.
This module reproduces that on 127.0.0.1 so it can be measured without a network:

- :class:`MotoServer` runs moto's S3 server in this process; :func:`start_detached_server` runs one in a
  process of its own that outlives its caller and ends with the ``asv`` run (the asv suite starts one per
  run and every benchmark process reuses it). :func:`anonymous_read_policy` is the bucket policy
  that lets unsigned clients read, as the portal's public bucket does (moto checks policies on unsigned
  requests, and s3fs sends a HEAD before some GETs).
- :class:`CountingProxy` forwards HTTP to the server and records each request's method, path, status and
  bytes each way (the server-side view of what a read cost); with ``latency`` it waits that long before
  forwarding each request, e.g. 20 ms, the order of a cross-region round trip.
- :class:`S3Store` is a :class:`~cryoet_zarr_bench.stores.ZarrStore` in a bucket: written with signed
  requests, read anonymously through s3fs and zarr's fsspec store, the way portal users read, or through
  zarr 3's ``ObjectStore`` (obstore), where both are installed.

moto, boto3 and s3fs are imported only when used (the ``test`` and ``bench`` extras install them).
"""

from __future__ import annotations

import argparse
import http.client
import json
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from . import _compat
from ._lifetime import Owner, is_running, run_owner
from .stores import ZarrStore

__all__ = [
    "CountingProxy",
    "MotoServer",
    "ProxiedRequest",
    "RequestCounts",
    "S3Store",
    "anonymous_read_policy",
    "start_detached_server",
]

#: Credentials moto accepts for signed (writing) requests; readers are anonymous.
CREDENTIALS = {"key": "cryoet-zarr-bench", "secret": "cryoet-zarr-bench"}
DEFAULT_REGION = "us-east-1"


def anonymous_read_policy(bucket: str) -> dict[str, Any]:
    """A bucket policy letting anyone list the bucket and read (GET and HEAD) its objects."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": ["s3:GetObject", "s3:HeadObject", "s3:ListBucket"],
                "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
            }
        ],
    }


def _moto_wsgi_server(port: int = 0, on_request: Any = None) -> Any:
    """moto's S3 (and every other service) as a threaded werkzeug server on 127.0.0.1, not yet serving."""
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    class QuietHandler(MotoRequestHandler):
        def log_request(self, *args: Any) -> None:
            pass

    app = DomainDispatcherApplication(create_backend_app)
    if on_request is not None:
        inner = app

        def app(environ: Any, start_response: Any) -> Any:
            on_request()
            return inner(environ, start_response)

    return make_server("127.0.0.1", port, app, threaded=True, request_handler=QuietHandler)


class MotoServer:
    """moto's S3 server on 127.0.0.1 in a thread of this process (start-up takes about 0.3 s)."""

    def __init__(self) -> None:
        self._server = _moto_wsgi_server()
        self.endpoint = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def client(self, region: str = DEFAULT_REGION) -> Any:
        """A boto3 S3 client with write access."""
        return s3_client(self.endpoint, region)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


def s3_client(endpoint: str, region: str = DEFAULT_REGION) -> Any:
    """A boto3 S3 client for the server at ``endpoint``, with write access."""
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=CREDENTIALS["key"],
        aws_secret_access_key=CREDENTIALS["secret"],
    )


def create_public_bucket(client: Any, bucket: str, region: str = DEFAULT_REGION) -> None:
    """Create ``bucket`` (if missing) with :func:`anonymous_read_policy`."""
    existing = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
    if bucket not in existing:
        if region == "us-east-1":  # the default region takes no location constraint
            client.create_bucket(Bucket=bucket)
        else:
            client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    client.put_bucket_policy(Bucket=bucket, Policy=json.dumps(anonymous_read_policy(bucket)))


def start_detached_server(idle_timeout: float = 1800.0, owner: Owner | None = None) -> str:
    """Start moto's S3 server in a process of its own and return its endpoint (``http://127.0.0.1:PORT``).

    The process outlives this one (asv runs each benchmark in a process of its own, so a server in any of
    them would die with it) and exits within a second of ``owner`` ending (default: the ``asv`` run, see
    :func:`._lifetime.run_owner`), however it ends, or once nothing reached it for ``idle_timeout`` seconds.
    """
    process = subprocess.Popen(
        [sys.executable, "-m", __name__, f"--idle-timeout={idle_timeout}", f"--owner={owner or run_owner()}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        text=True,
    )
    assert process.stdout is not None
    endpoint = process.stdout.readline().strip()
    process.stdout.close()
    if not endpoint.startswith("http://"):
        process.kill()
        raise RuntimeError(f"the detached S3 server did not start (exit status {process.wait()})")
    return endpoint


def _serve_until_idle(idle_timeout: float, owner: Owner | None) -> None:
    last_request = [time.monotonic()]
    server = _moto_wsgi_server(on_request=lambda: last_request.__setitem__(0, time.monotonic()))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"http://127.0.0.1:{server.server_address[1]}", flush=True)
    sys.stdout.close()
    while time.monotonic() - last_request[0] < idle_timeout and (owner is None or is_running(owner)):
        time.sleep(min(idle_timeout, 0.25))
    # returning ends the process, and the server's daemon thread with it


# --------------------------------------------------------------------------- counting proxy


@dataclass(frozen=True)
class ProxiedRequest:
    """One request the proxy forwarded: what was asked and how many body bytes went each way."""

    method: str
    path: str
    status: int
    request_bytes: int
    response_bytes: int


@dataclass(frozen=True)
class RequestCounts:
    """Requests a proxy answered and the body bytes it sent back (what the client downloaded)."""

    requests: int
    response_bytes: int


class _ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in separate writes: no 40 ms delayed-ACK stall
    _HOP_BY_HOP = frozenset(
        {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "te", "upgrade"}
    )

    def _forward(self) -> None:
        proxy: CountingProxy = self.server.proxy  # type: ignore[attr-defined]
        if proxy.is_down:
            self.close_connection = True
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        fault = proxy.fault()
        if fault == "drop":
            self.close_connection = True  # hang up without an answer
            return
        if fault == "error":
            self.send_response_only(500, "Internal Server Error")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        delay = proxy.latency + (fault if isinstance(fault, float) else 0.0)
        if delay:
            time.sleep(delay)
        upstream = http.client.HTTPConnection(proxy.upstream_host, proxy.upstream_port, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in self._HOP_BY_HOP}
        upstream.request(self.command, self.path, body=body, headers=headers)
        response = upstream.getresponse()
        payload = response.read()
        upstream.close()
        sent = 0 if self.command == "HEAD" else len(payload)
        if not proxy.admit(ProxiedRequest(self.command, self.path, response.status, length, sent)):
            self.close_connection = True  # hang up without an answer, as a server that just died
            return
        self.send_response_only(response.status, response.reason)
        for name, value in response.getheaders():
            if name.lower() not in self._HOP_BY_HOP and (
                self.command == "HEAD" or name.lower() != "content-length"
            ):
                self.send_header(name, value)
        if self.command != "HEAD":
            self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)
        self.wfile.flush()

    do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = _forward

    def log_message(self, format: str, *args: Any) -> None:
        pass


class CountingProxy:
    """An HTTP proxy on 127.0.0.1 in front of ``upstream`` that records every request it answers.

    ``latency`` seconds are added to each request before it is forwarded (requests in flight at the same
    time wait side by side, as round trips on a real network do).
    """

    def __init__(self, upstream: str, latency: float = 0.0) -> None:
        host, port = upstream.removeprefix("http://").split(":")
        self.upstream_host, self.upstream_port = host, int(port)
        self.latency = latency
        self.requests: list[ProxiedRequest] = []
        self.is_down = False
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _ProxyHandler)
        self._server.daemon_threads = True
        self._server.proxy = self  # type: ignore[attr-defined]
        self.endpoint = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def fault(self) -> str | float | None:
        """What goes wrong with the next request: ``"drop"`` (hang up), ``"error"`` (HTTP 500), an extra delay
        in seconds, or None (nothing: the default; fault-injecting proxies override it)."""
        return None

    def admit(self, request: ProxiedRequest) -> bool:
        """Record a request about to be answered; False if it must not be (the proxy is down)."""
        with self._lock:
            if self.is_down:
                return False
            self.requests.append(request)
            return True

    def counts(self, since: int = 0) -> RequestCounts:
        """Requests answered (after the first ``since``) and the bytes sent back for them."""
        with self._lock:
            answered = self.requests[since:]
        return RequestCounts(len(answered), sum(r.response_bytes for r in answered))

    def stop(self) -> None:
        self.is_down = True
        self._server.shutdown()
        self._server.server_close()


# --------------------------------------------------------------------------- the store


class S3Store(ZarrStore):
    """An array under ``s3://bucket/name`` on the server at ``endpoint`` (e.g. a :class:`CountingProxy`).

    Each write goes to a fresh prefix (``name.<random>.zarr``) that becomes the array only once complete;
    the previous one is then deleted, so a failed write leaves the old array readable.  Reads are anonymous
    (the bucket needs :func:`anonymous_read_policy`), through s3fs and zarr's fsspec store.
    """

    def __init__(self, bucket: str, name: str, endpoint: str, region: str = DEFAULT_REGION) -> None:
        self.bucket, self.name, self.endpoint, self.region = bucket, name, endpoint, region
        self._prefix: str | None = None

    def __repr__(self) -> str:
        return f"S3Store({self.bucket!r}, {self.name!r}, endpoint={self.endpoint!r})"

    @classmethod
    def existing(cls, url: str, endpoint: str, region: str = DEFAULT_REGION) -> S3Store:
        """The array an :class:`S3Store` wrote at ``url`` (its :attr:`url`), reached through ``endpoint``."""
        bucket, _, prefix = url.removeprefix("s3://").partition("/")
        store = cls(bucket, prefix.split(".", 1)[0], endpoint, region)
        store._prefix = prefix
        return store

    @property
    def url(self) -> str:
        """The array's ``s3://`` URL."""
        return self._location()

    def _options(self, *, anonymous: bool) -> dict[str, Any]:
        credentials = {"anon": True} if anonymous else dict(CREDENTIALS)
        return {
            **credentials,
            "client_kwargs": {"endpoint_url": self.endpoint, "region_name": self.region},
            "use_listings_cache": False,
        }

    def open_with_obstore(self) -> Any:
        """The stored array, opened read-only through zarr 3's ``ObjectStore`` (obstore) rather than s3fs."""
        prefix = self._location().removeprefix(f"s3://{self.bucket}/")
        return _compat.open_array_with_obstore(
            self.bucket, prefix, endpoint=self.endpoint, region=self.region
        )

    def _filesystem(self) -> Any:
        import fsspec

        return fsspec.filesystem("s3", **self._options(anonymous=False))

    def _storage_options(self, *, writing: bool = False) -> dict[str, Any]:
        return self._options(anonymous=not writing)

    def exists(self) -> bool:
        return self._prefix is not None

    def clear(self) -> None:
        if self._prefix is not None:
            self._filesystem().rm(f"{self.bucket}/{self._prefix}", recursive=True)
            self._prefix = None

    def _location(self) -> str:
        if self._prefix is None:
            raise LookupError(f"no array written to {self!r} yet")
        return f"s3://{self.bucket}/{self._prefix}"

    def _fresh_location(self) -> str:
        location = self._new_staging()
        self._commit(location)
        return location

    def _new_staging(self) -> str:
        return f"s3://{self.bucket}/{self.name}.{uuid.uuid4().hex[:12]}.zarr"

    def _commit(self, staging: str) -> None:
        self.clear()
        self._prefix = staging.removeprefix(f"s3://{self.bucket}/")

    def _discard(self, staging: str) -> None:
        filesystem = self._filesystem()
        path = staging.removeprefix("s3://")
        if filesystem.exists(path):
            filesystem.rm(path, recursive=True)

    def _object_sizes(self) -> Iterator[tuple[str, int]]:
        root = self._location().removeprefix("s3://")
        found = self._filesystem().find(root, detail=True)
        for path, info in sorted(found.items()):
            yield path.removeprefix(root + "/"), int(info["size"])

    def _read_object(self, key: str) -> bytes:
        return self._filesystem().cat_file(f"{self._location().removeprefix('s3://')}/{key}")


def main(argv: list[str] | None = None) -> None:
    """``python -m cryoet_zarr_bench.s3``: serve S3 on 127.0.0.1 (printing the endpoint) until idle or the end
    of the ``--owner`` process (``PID:START``)."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--idle-timeout", type=float, default=1800.0, help="seconds without a request")
    parser.add_argument("--owner", type=Owner.parse, help="the process whose end ends the server")
    _serve_until_idle(**vars(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
