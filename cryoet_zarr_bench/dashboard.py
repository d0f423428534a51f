"""Publish the asv dashboard so that it works with no network, opened as a file or served.

``asv publish`` writes an html dashboard whose pages load jQuery, flot,
bootstrap and a few plugins from public CDNs; offline, the page shows asv's
error page instead of the graphs.  :func:`make_offline` points those
references at copies shipped in ``cryoet_zarr_bench/_vendor/asv_www`` (taken
from the npm registry, listed with their sha256 in its ``MANIFEST.json``) and
adds this project's script (``_www/cryoet-dashboard.js``: data without
XMLHttpRequest, readable graphs).  :func:`publish` runs ``asv publish``, then
:func:`make_offline`, leaves out the benchmarks with no value, names the
environments by their releases and writes the data as scripts
(:mod:`cryoet_zarr_bench.dashboard_data`), so that the page works opened as
``file://``.
"""

from __future__ import annotations

import functools
import hashlib
import html
import http.server
import importlib.resources
import importlib.util
import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from . import _atomic
from .asv_config import AsvConfig
from .dashboard_data import drop_empty_benchmarks, name_environments, write_json_scripts
from .errors import UserError

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

__all__ = ["DashboardError", "add_nav_link", "make_offline", "preview_server", "publish"]

VENDOR_DIR_NAME = "vendor"
"""Sub-directory of the published html directory that receives the vendored files."""

DASHBOARD_SCRIPT = "cryoet-dashboard.js"
"""This project's additions to asv's pages, copied to the html directory and loaded after asv's scripts."""

_MANIFEST = "MANIFEST.json"
_DASHBOARD_SCRIPT_TAG = f'<script src="{DASHBOARD_SCRIPT}"></script>'
# The last entry of the navigation bar of asv's index.html (the current graph's title); links go before it.
_NAV_GRAPH_TITLE = '<li id="nav-li-graphdisplay">'
# asv's first entry of the navigation bar ("Benchmark grid"); a link put first goes before it.
_NAV_FIRST_ENTRY = '<li id="nav-li-"'
_UPDATE_HINT = (
    "add its npm package to cryoet_zarr_bench/_vendor/asv_www/MANIFEST.json "
    "and run tools/vendor_dashboard_assets.py --update"
)

# Start tags of elements whose src/href the browser fetches while loading the page
# (not <a href>, which is only a link).
_RESOURCE_TAG = re.compile(r"<(?:script|link|img|iframe|source|embed|audio|video)\b[^>]*>", re.IGNORECASE)
_URL_ATTRIBUTE = re.compile(
    r"""(?<![\w-])(?P<name>src|href)\s*=\s*(?:"(?P<double>[^"]*)"|'(?P<single>[^']*)'|(?P<bare>[^\s"'>]+))""",
    re.IGNORECASE,
)
# Subresource-integrity attributes: the hashes are the CDN files', and some
# vendored files differ from them (see the manifest's notes).
_INTEGRITY_ATTRIBUTE = re.compile(
    r"""\s+(?:integrity|crossorigin)(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'>]+))?""",
    re.IGNORECASE,
)


class DashboardError(UserError, RuntimeError):
    """The dashboard could not be published or made to work offline."""


@dataclass(frozen=True)
class _VendoredFile:
    """One entry of the vendor manifest."""

    package: str
    version: str
    file: str
    sha256: str
    cdn_url: str | None

    @property
    def relative_path(self) -> str:
        """Path of the file inside the vendor directory."""
        return f"{self.package}-{self.version}/{self.file}"


def make_offline(html_dir: Path) -> list[str]:
    """Make a published asv dashboard load its libraries from local copies.

    Every CDN reference in the ``*.html`` files of `html_dir` is replaced by a
    relative path under ``html_dir/vendor/`` (dropping its ``integrity`` and
    ``crossorigin`` attributes) and the vendored files are copied there;
    ``index.html`` also loads this project's script, after asv's own.
    Running it again changes nothing.

    Parameters
    ----------
    html_dir : Path
        The ``html_dir`` that ``asv publish`` wrote.

    Returns
    -------
    list of str
        The external URLs that were rewritten, in order of first appearance;
        empty if the pages had been made offline already.

    Raises
    ------
    DashboardError
        If `html_dir` holds no html page, or a page loads an external URL that
        has no vendored copy (nothing is written in that case).
    """
    html_dir = Path(html_dir)
    vendored = _read_manifest()
    local_paths = {
        entry.cdn_url: f"{VENDOR_DIR_NAME}/{entry.relative_path}" for entry in vendored if entry.cdn_url
    }
    pages = sorted(html_dir.glob("*.html"))
    if not pages:
        raise DashboardError(
            f"{html_dir} holds no .html page; expected the html_dir written by `asv publish`."
        )

    new_texts: dict[Path, str] = {}
    rewritten: list[str] = []
    missing: list[str] = []
    for page in pages:
        text = page.read_text(encoding="utf-8")
        new_text, page_rewritten, page_missing = _rewrite_page(text, local_paths)
        if page.name == "index.html" and _DASHBOARD_SCRIPT_TAG not in new_text:
            new_text = new_text.replace("</head>", f"  {_DASHBOARD_SCRIPT_TAG}\n  </head>", 1)
        if new_text != text:
            new_texts[page] = new_text
        rewritten.extend(page_rewritten)
        missing.extend(f"{page.name} loads {url}" for url in page_missing)
    if missing:
        raise DashboardError(
            "The dashboard loads files that have no vendored copy, so it would not work offline:\n  "
            + "\n  ".join(missing)
            + f"\nFor each, {_UPDATE_HINT}."
        )

    _copy_vendored_files(vendored, html_dir / VENDOR_DIR_NAME)
    script = importlib.resources.files(__package__).joinpath("_www", DASHBOARD_SCRIPT).read_bytes()
    _write_bytes(html_dir / DASHBOARD_SCRIPT, script)
    for page, new_text in new_texts.items():
        _write_bytes(page, new_text.encode("utf-8"))
    return list(dict.fromkeys(rewritten))


def publish(config: Path = Path("asv.conf.json")) -> Path:
    """Run ``asv publish`` and make the resulting dashboard work offline.

    asv runs in a subprocess of this Python interpreter, in the directory of
    `config`, so that the paths in the config file are read relative to it.

    Parameters
    ----------
    config : Path
        The asv config file (``//`` comments and trailing commas allowed, as in asv).

    Returns
    -------
    Path
        The html directory, ready to be opened as a file or served, without network.

    Raises
    ------
    AsvConfigError
        If the config file is missing or unreadable.
    DashboardError
        If asv is not installed, there are no benchmark results, ``asv publish``
        fails, or the dashboard loads a file that has no vendored copy.
    """
    settings = AsvConfig.read(config)
    if importlib.util.find_spec("asv") is None:
        raise DashboardError(f"asv is not installed in {sys.executable}; install it with `pip install asv`.")
    if not _has_results(settings.results_dir):
        raise DashboardError(
            f"No benchmark results in {settings.results_dir}; "
            f"run `asv run` (with --config {settings.path}) first."
        )

    completed = subprocess.run(
        [sys.executable, "-m", "asv", "publish", "--config", str(settings.path)],
        cwd=settings.path.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        output = (completed.stdout + completed.stderr).strip()
        raise DashboardError(
            f"`asv publish --config {settings.path}` failed (exit {completed.returncode}):\n{output}"
        )
    make_offline(settings.html_dir)
    drop_empty_benchmarks(settings.html_dir)
    name_environments(settings.html_dir)
    write_json_scripts(settings.html_dir)
    return settings.html_dir


def preview_server(html_dir: Path, port: int = 8080) -> http.server.ThreadingHTTPServer:
    """An HTTP server for a published dashboard on 127.0.0.1 (``port`` 0: any free port), not yet serving.

    For those who prefer a server to opening ``index.html`` as a file; like ``asv preview``.  Call
    ``serve_forever()`` on it, and ``server_close()`` when done.

    Raises
    ------
    DashboardError
        If `html_dir` holds no published dashboard, or the port is taken.
    """
    html_dir = Path(html_dir)
    if not (html_dir / "index.html").is_file():
        raise DashboardError(f"no dashboard in {html_dir}; publish it first (`cryoet-zarr-bench publish`).")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(html_dir))
    try:
        return http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    except OSError as error:
        raise DashboardError(
            f"cannot serve on 127.0.0.1:{port} ({error.strerror}); choose another --port."
        ) from None


def add_nav_link(html_dir: Path, href: str, label: str, *, first: bool = False) -> bool:
    """Add a link to another page to the navigation bar of a published asv dashboard.

    The link goes after asv's own entries (grid, list, regressions), or with `first` before them.  Running it
    again changes nothing.

    Parameters
    ----------
    html_dir : Path
        The ``html_dir`` that ``asv publish`` wrote.
    href : str
        The page, relative to `html_dir`, e.g. ``by-release/index.html``.
    label : str
        The link's text.

    Returns
    -------
    bool
        Whether the link was added (False: it was there already).

    Raises
    ------
    DashboardError
        If `html_dir` has no ``index.html`` with asv's navigation bar.
    """
    index = Path(html_dir) / "index.html"
    if not index.is_file():
        raise DashboardError(f"{index} does not exist; publish the dashboard (`asv publish`) first.")
    text = index.read_text(encoding="utf-8")
    link = f'<li><a href="{html.escape(href)}">{html.escape(label)}</a></li>'
    if link in text:
        return False
    anchor = _NAV_FIRST_ENTRY if first else _NAV_GRAPH_TITLE
    position = text.find(anchor)
    if position < 0:
        raise DashboardError(
            f"{index} has no {anchor!r} in its navigation bar; has asv's page layout changed?"
        )
    _write_bytes(index, (text[:position] + link + "\n        " + text[position:]).encode("utf-8"))
    return True


def _read_manifest() -> list[_VendoredFile]:
    """The entries of the vendor manifest."""
    manifest = json.loads(_vendor_root().joinpath(_MANIFEST).read_text(encoding="utf-8"))
    return [
        _VendoredFile(
            package=entry["package"],
            version=entry["version"],
            file=entry["file"],
            sha256=entry["sha256"],
            cdn_url=entry["cdn_url"],
        )
        for entry in manifest["files"]
    ]


def _vendor_root() -> Traversable:
    """The directory of vendored files inside the installed package."""
    return importlib.resources.files(__package__).joinpath("_vendor", "asv_www")


def _rewrite_page(text: str, local_paths: dict[str, str]) -> tuple[str, list[str], list[str]]:
    """Rewrite the external resource URLs of one html page.

    Returns the new text, the URLs rewritten, and the external URLs that have
    no entry in `local_paths`.
    """
    rewritten: list[str] = []
    missing: list[str] = []

    def rewrite_tag(tag_match: re.Match[str]) -> str:
        tag = tag_match.group(0)
        attribute = _URL_ATTRIBUTE.search(tag)
        if attribute is None:
            return tag
        url = attribute.group("double") or attribute.group("single") or attribute.group("bare") or ""
        if not urlsplit(url).netloc:
            return tag
        if url not in local_paths:
            missing.append(url)
            return tag
        rewritten.append(url)
        name = attribute.group("name")
        tag = f'{tag[: attribute.start()]}{name}="{local_paths[url]}"{tag[attribute.end() :]}'
        return _INTEGRITY_ATTRIBUTE.sub("", tag)

    return _RESOURCE_TAG.sub(rewrite_tag, text), rewritten, missing


def _copy_vendored_files(vendored: list[_VendoredFile], destination: Path) -> None:
    """Copy every vendored file to `destination`, checking it against its sha256."""
    root = _vendor_root()
    for entry in vendored:
        data = root.joinpath(*entry.relative_path.split("/")).read_bytes()
        if hashlib.sha256(data).hexdigest() != entry.sha256:
            raise DashboardError(
                f"Vendored file {entry.relative_path} does not match its sha256 in {_MANIFEST}; "
                "re-create the vendor directory with tools/vendor_dashboard_assets.py."
            )
        target = destination / entry.relative_path
        target.parent.mkdir(parents=True, exist_ok=True)
        _write_bytes(target, data)


def _has_results(results_dir: Path) -> bool:
    """Whether `results_dir` holds asv's benchmark list and at least one result file."""
    return (results_dir / "benchmarks.json").is_file() and any(
        path.name != "machine.json" for path in results_dir.glob("*/*.json")
    )


def _write_bytes(path: Path, data: bytes) -> None:
    _atomic.write_file(path, lambda stream: stream.write(data))
