"""Load a local web page in headless Chromium, with no way out to the network.

:func:`load_page` serves a directory on 127.0.0.1 and opens one of its pages
in Debian's Chromium (``apt-get install -y chromium``), then returns the DOM
after a budget of virtual time (timers run, so scripts get to draw), the URL
of every request the page made, and optionally a screenshot.

Nothing can leave the machine: the browser resolves no host name but
127.0.0.1, and sends every connection that is not for 127.0.0.1 to a local
proxy that records and refuses it.  The page's own requests are told apart
from Chromium's background traffic (update checks and the like, also refused)
through Chromium's NetLog, which records each request with its initiator.

Usage::

    page = load_page(html_dir, "index.html#/summarylist", screenshot=tmp_path / "page.png")
    assert page.external_requests == []
    assert "<canvas" in page.dom
"""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

__all__ = ["PageLoad", "ServedRequest", "chromium_executable", "load_page"]

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class ServedRequest:
    """One request as a local server answered it.

    ``target`` is the request target: a path for the page server; an absolute
    URL (plain http) or ``host:port`` (https, via ``CONNECT``) for the proxy.
    """

    method: str
    target: str
    status: int


@dataclass(frozen=True)
class PageLoad:
    """What loading a page produced."""

    url: str
    """The URL that was opened."""
    dom: str
    """The serialised DOM after the virtual-time budget (Chromium's ``--dump-dom``)."""
    screenshot: Path | None
    """The PNG screenshot, if one was asked for."""
    page_requests: list[str]
    """URLs of every request the page made (navigations included), in order."""
    served_requests: list[ServedRequest]
    """Requests answered by the page server."""
    refused_requests: list[ServedRequest]
    """Connections that tried to leave 127.0.0.1, the page's and Chromium's own; all refused."""
    browser_log: str
    """Chromium's stderr, for failure messages."""

    @property
    def external_requests(self) -> list[str]:
        """The page's requests for anything not on 127.0.0.1."""
        return [url for url in self.page_requests if urlsplit(url).hostname != LOOPBACK]


class _RecordingServer(ThreadingHTTPServer):
    """An HTTP server on 127.0.0.1 (free port) that keeps a list of the requests it answered."""

    daemon_threads = True

    def __init__(self, handler_class: type[BaseHTTPRequestHandler]) -> None:
        super().__init__((LOOPBACK, 0), handler_class)
        self.requests: list[ServedRequest] = []
        self._lock = threading.Lock()

    @property
    def address(self) -> str:
        """``host:port`` of the server."""
        host, port = self.server_address[:2]
        return f"{host}:{port}"

    def record(self, request: ServedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def handle_error(self, request: object, client_address: object) -> None:
        """Ignore connections the browser dropped (it leaves a page mid-load); report anything else."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _RecordingHandlerMixin:
    """Records every answered request on the server instead of logging it to stderr."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        status = int(code) if str(code).isdigit() else 0
        self.server.record(ServedRequest(self.command or "", self.path or "", status))

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet; requests are recorded by log_request."""


class _StaticFileHandler(_RecordingHandlerMixin, SimpleHTTPRequestHandler):
    pass


class _RefusingProxyHandler(_RecordingHandlerMixin, BaseHTTPRequestHandler):
    """A proxy that forwards nothing: every request is answered 403 (and recorded)."""

    def refuse(self) -> None:
        self.send_error(403, "Network access outside 127.0.0.1 is disabled in tests")

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_CONNECT = refuse


@contextmanager
def _serving(server: _RecordingServer) -> Iterator[_RecordingServer]:
    thread = threading.Thread(target=server.serve_forever, name=f"http {server.address}", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def chromium_executable() -> str | None:
    """Path of the Chromium browser, or None if it is not installed."""
    return shutil.which("chromium")


def load_page(
    root: Path,
    page: str = "index.html",
    *,
    screenshot: Path | None = None,
    window_size: tuple[int, int] = (1400, 900),
    virtual_time_budget_ms: int = 10_000,
    timeout_s: float = 120.0,
    as_file: bool = False,
) -> PageLoad:
    """Serve `root` on 127.0.0.1 and load `page` in headless Chromium (or open it as a ``file://`` URL).

    Parameters
    ----------
    root : Path
        Directory to serve.
    page : str
        Path of the page relative to `root`, with an optional ``#fragment``
        or ``?query``.
    screenshot : Path, optional
        Where to write a PNG screenshot of the page.
    window_size : (int, int)
        Width and height of the browser window in pixels.
    virtual_time_budget_ms : int
        Virtual time given to the page's scripts and timers before the DOM is
        dumped.
    timeout_s : float
        Wall-clock limit for the browser.
    as_file : bool
        Open ``file://…/root/page`` instead of the served page, with file access not specially allowed
        (no ``--allow-file-access-from-files``), as a person opening the file would.  The page's requests
        are then those of the opaque origin ``null``; the file itself is not a network request.

    Returns
    -------
    PageLoad

    Raises
    ------
    FileNotFoundError
        If Chromium is not installed.
    RuntimeError
        If Chromium fails, writes no screenshot, or its NetLog does not show
        the page being requested.
    """
    executable = chromium_executable()
    if executable is None:
        raise FileNotFoundError("Chromium is not installed; install it with `apt-get install -y chromium`.")
    handler = functools.partial(_StaticFileHandler, directory=str(root))
    with (
        _serving(_RecordingServer(handler)) as page_server,
        _serving(_RecordingServer(_RefusingProxyHandler)) as proxy,
        tempfile.TemporaryDirectory(prefix="chromium-") as workdir,
    ):
        origin = "null" if as_file else f"http://{page_server.address}"
        url = f"{Path(root).resolve().as_uri()}/{page}" if as_file else f"{origin}/{page}"
        netlog = Path(workdir) / "netlog.json"
        command = [
            executable,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            f"--user-data-dir={Path(workdir) / 'profile'}",
            # No DNS but for 127.0.0.1, and every connection that is not for
            # 127.0.0.1 goes to the refusing proxy (loopback bypasses proxies).
            f"--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE {LOOPBACK}",
            f"--proxy-server=http://{proxy.address}",
            f"--log-net-log={netlog}",
            f"--window-size={window_size[0]},{window_size[1]}",
            f"--virtual-time-budget={virtual_time_budget_ms}",
            "--dump-dom",
        ]
        if screenshot is not None:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            screenshot.unlink(missing_ok=True)
            command.append(f"--screenshot={screenshot}")
        command.append(url)
        completed = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, check=False)
        if completed.returncode != 0:
            raise RuntimeError(f"Chromium exited with {completed.returncode}:\n{completed.stderr}")
        if screenshot is not None and not screenshot.is_file():
            raise RuntimeError(f"Chromium wrote no screenshot to {screenshot}:\n{completed.stderr}")
        page_requests = _requests_from(netlog, origin)
        if not as_file and urldefrag(url).url not in {urldefrag(request).url for request in page_requests}:
            raise RuntimeError(
                f"Chromium's NetLog does not show the request for {url}; has its format changed?"
            )
        return PageLoad(
            url=url,
            dom=completed.stdout,
            screenshot=screenshot,
            page_requests=page_requests,
            served_requests=list(page_server.requests),
            refused_requests=list(proxy.requests),
            browser_log=completed.stderr,
        )


def _requests_from(netlog: Path, origin: str) -> list[str]:
    """URLs of the requests in a Chromium NetLog that `origin` initiated, plus main-frame navigations."""
    log = json.loads(netlog.read_text(encoding="utf-8"))
    start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    urls = []
    for event in log["events"]:
        params = event.get("params", {})
        initiated_by_page = params.get("initiator") == origin or params.get("request_type") == "main frame"
        if event["type"] == start_job and "url" in params and initiated_by_page:
            urls.append(params["url"])
    return urls
