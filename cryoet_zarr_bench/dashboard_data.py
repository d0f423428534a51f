"""The published dashboard's data as scripts, and its environments named by their releases.

asv's pages fetch their JSON (``info.json``, ``index.json``, ``graphs/**.json``, ``regressions.json``)
with XMLHttpRequest, which browsers refuse to pages opened as ``file://``.  :func:`write_json_scripts`
writes each JSON file again as a script that registers its data; the dashboard's own script
(``_www/cryoet-dashboard.js``) loads those instead of fetching the JSON.

asv labels graph lines by its environment parameters: ``numcodecs-0.16.6; python-3.11; zarr-3.1.6``, or the
interpreter's path for an ``existing`` environment, which has no pins.  :func:`name_environments` stores
in ``index.json`` a name per environment, ``py3.11 zarr3.1.6 numcodecs0.16.6`` (:func:`environment_label`),
taking an existing environment's releases from what its ``releases.Releases`` benchmarks recorded.

asv lists every benchmark the suite defines, run or not, and draws an empty thumbnail for each one that has no
value: those never run (modules left out of a run, as ``--bench`` does) and those every environment skipped.
:func:`drop_empty_benchmarks` takes them out of ``index.json``, so the grid and the list show what was
measured.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import tempfile
from pathlib import Path

from . import _atomic
from .releases import RELEASE_BENCHMARKS, TRACKED, release_text

__all__ = [
    "JSON_SCRIPT_DIR",
    "drop_empty_benchmarks",
    "environment_label",
    "name_environments",
    "python_version",
    "write_json_scripts",
]

JSON_SCRIPT_DIR = "json-scripts"
"""Sub-directory of the html directory holding ``<path of a JSON file>.js`` for every JSON file."""

_REGISTER = "window.cryoetZarrBenchData.register"
_VERSION = re.compile(r"\d+(?:\.\d+)*")


def write_json_scripts(html_dir: Path) -> int:
    """Write every JSON file of the dashboard as a script that registers its data; return how many.

    ``graphs/x.json`` becomes ``json-scripts/graphs/x.json.js`` holding
    ``window.cryoetZarrBenchData.register("graphs/x.json", <the JSON text>);``.  The directory is
    replaced as a whole, so no script outlives its JSON file.
    """
    html_dir = Path(html_dir)
    target = html_dir / JSON_SCRIPT_DIR
    staging = Path(tempfile.mkdtemp(dir=html_dir, prefix=f".{JSON_SCRIPT_DIR}."))
    count = 0
    try:
        for source in sorted(html_dir.rglob("*.json")):
            relative = source.relative_to(html_dir)
            if relative.parts[0] in (JSON_SCRIPT_DIR, staging.name):
                continue
            script = staging / relative.parent / f"{relative.name}.js"
            script.parent.mkdir(parents=True, exist_ok=True)
            text = source.read_text(encoding="utf-8").strip()
            script.write_text(f"{_REGISTER}({json.dumps(relative.as_posix())}, {text});\n", encoding="utf-8")
            count += 1
        staging.chmod(0o755)
        _atomic.replace_directory(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return count


def drop_empty_benchmarks(html_dir: Path) -> list[str]:
    """Take every benchmark without a value in any of its graphs out of the published ``index.json``, and
    delete its graph files; return their names, sorted.

    A graph holds ``[revision, value]`` points, the value a list for a parameterised benchmark; asv writes
    null where a case was skipped or failed, and writes no graph for a benchmark that never ran.
    """
    html_dir = Path(html_dir)
    index_path = html_dir / "index.json"
    index = json.loads(index_path.read_text(encoding="utf-8"))
    graphs: dict[str, list[Path]] = {}
    for path in (html_dir / "graphs").rglob("*.json"):
        graphs.setdefault(path.name.removesuffix(".json"), []).append(path)
    empty = sorted(
        name
        for name in index["benchmarks"]
        if not any(_has_value(json.loads(path.read_text(encoding="utf-8"))) for path in graphs.get(name, []))
    )
    if not empty:
        return []
    for name in empty:
        del index["benchmarks"][name]
    data = json.dumps(index, separators=(",", ":")).encode("utf-8")
    _atomic.write_file(index_path, lambda stream: stream.write(data))
    for name in empty:
        for path in graphs.get(name, []):
            path.unlink()
    return empty


def _has_value(points: list) -> bool:
    """Whether a graph's points hold a number anywhere (not only null, or NaN)."""

    def number(value: object) -> bool:
        if isinstance(value, list):
            return any(number(item) for item in value)
        return isinstance(value, (int, float)) and not math.isnan(value)

    return any(number(point[1]) for point in points if isinstance(point, list) and len(point) > 1)


def environment_label(
    python: str | None, releases: dict[str, str | None], *, existing: bool = False
) -> str | None:
    """An environment's name by its releases: ``py3.11 zarr3.1.6 numcodecs0.16.6``.

    Unknown parts are left out (None if nothing is known); ``existing`` marks asv's ``existing``
    environment, which may run the same releases as a matrix environment.
    """
    parts = [f"py{python}"] if python else []
    parts += [f"{name}{releases[name]}" for name in TRACKED if releases.get(name)]
    if not parts:
        return None
    return " ".join(parts) + (" (existing)" if existing else "")


def python_version(python: str) -> str | None:
    """The Python version of an asv ``python`` parameter: a version already, or an interpreter's path.

    For a path, the ``version`` in the virtualenv's ``pyvenv.cfg``, else a version in the file name
    (``python3.11``); None if neither says.
    """
    if _VERSION.fullmatch(python):
        return python
    interpreter = Path(python)
    config = interpreter.parent.parent / "pyvenv.cfg"
    if config.is_file():
        for line in config.read_text(encoding="utf-8", errors="replace").splitlines():
            key, _, value = line.partition("=")
            match = re.match(r"(\d+\.\d+)", value.strip())
            if key.strip() in ("version", "version_info") and match:
                return match.group(1)
    match = re.search(r"python(\d+\.\d+)", interpreter.name)
    return match.group(1) if match else None


def name_environments(html_dir: Path) -> list[str | None]:
    """Add each environment's name to the published ``index.json``; return the names.

    Adds ``environment_labels`` (one per entry of asv's ``graph_param_list``) and ``param_labels``, the
    text of the environment selectors' buttons where asv's would be a path or ``[none]``:
    ``{"python": {"/…/bin/python": "3.11 (existing)"}, "zarr": {"null": "(existing)"}, …}``.
    """
    index_path = Path(html_dir) / "index.json"
    index = json.loads(index_path.read_text(encoding="utf-8"))
    labels = []
    for params in index["graph_param_list"]:
        python = params.get("python") or ""
        releases = {
            name: params.get(name) or _recorded_release(Path(html_dir), params, name) for name in TRACKED
        }
        labels.append(
            environment_label(
                python_version(python) if python else None, releases, existing=_is_interpreter_path(python)
            )
        )
    index["environment_labels"] = labels
    existing_pythons = [
        python for python in index["params"].get("python", []) if _is_interpreter_path(python)
    ]
    unpinned = [name for name in TRACKED if existing_pythons and None in index["params"].get(name, [])]
    index["param_labels"] = {
        "python": {python: f"{python_version(python) or '?'} (existing)" for python in existing_pythons},
        **{name: {"null": "(existing)"} for name in unpinned},
    }
    data = json.dumps(index, separators=(",", ":")).encode("utf-8")
    _atomic.write_file(index_path, lambda stream: stream.write(data))
    return labels


def _is_interpreter_path(python: str | None) -> bool:
    """Whether an asv ``python`` parameter is an interpreter's path (asv's ``existing`` environment)."""
    return bool(python) and not _VERSION.fullmatch(python)


def _recorded_release(html_dir: Path, params: dict, name: str) -> str | None:
    """The release of `name` that the environment's ``releases.Releases`` benchmark recorded last, if any."""
    from asv.graph import Graph  # asv wrote the graphs, so it is installed

    graph = html_dir / f"{Graph.get_file_path(params, RELEASE_BENCHMARKS[name])}.json"
    if not graph.is_file():
        return None
    values = [value for _, value in json.loads(graph.read_text(encoding="utf-8")) if value is not None]
    return release_text(int(values[-1])) if values else None
