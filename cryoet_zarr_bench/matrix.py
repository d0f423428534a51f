"""The release matrix of an asv configuration: the environments it defines, and pins that stay current.

Every environment pins exact releases (``zarr``, ``numcodecs``, ``numpy``) for one Python.  :func:`refresh`
asks the package index, through pip run for each Python of the matrix (so that a release requiring a newer
Python is seen only where it installs), for the latest patch of every pinned minor line; checks that every
environment's new pins install together on its Python (pip resolves them with their dependencies, without
installing anything); and only then rewrites the pins in the configuration file's text, leaving its comments
and layout as they were.  pip's own configuration (``pip.conf``, ``PIP_*`` variables) applies, and index
options (``--index-url``, ``--find-links``, ...) are passed through.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

from ._atomic import write_file
from .asv_config import parse_settings, read_settings
from .errors import UserError
from .interpreters import find_python, how_to_get
from .releases import PINNED, TRACKED

__all__ = [
    "Environment",
    "MatrixError",
    "NewLine",
    "PinChange",
    "Refresh",
    "environments",
    "format_matrix",
    "read_environments",
    "refresh",
]



class MatrixError(UserError, RuntimeError):
    """The matrix cannot be read or refreshed; the message says why in one line."""


@dataclass(frozen=True)
class Environment:
    """One environment of the matrix: a Python version and the exact release of each pinned library."""

    python: str
    requirements: tuple[tuple[str, str], ...]
    """(library, version) pairs; the version is ``""`` where asv installs the latest release."""

    def pin(self, library: str) -> str:
        return dict(self.requirements).get(library, "")

    @property
    def name(self) -> str:
        """The project's name for it, Python and the compared releases:
        ``py3.13 zarr3.4.2 numcodecs0.17.1``."""
        return " ".join([f"py{self.python}", *(f"{library}{self.pin(library)}" for library in TRACKED)])

    def specifiers(self) -> list[str]:
        """The requirements as pip reads them: ``zarr==3.4.2``, or ``zarr`` where unpinned."""
        return [f"{library}=={version}" if version else library for library, version in self._ordered()]

    def repinned(self, versions: Mapping[tuple[str, str], str]) -> Environment:
        """This environment with each (library, old version) in ``versions`` moved to its new version."""
        return Environment(
            self.python,
            tuple(
                (library, versions.get((library, version), version)) for library, version in self.requirements
            ),
        )

    def _ordered(self) -> list[tuple[str, str]]:
        rank = {library: index for index, library in enumerate(PINNED)}
        return sorted(self.requirements, key=lambda pair: (rank.get(pair[0], len(PINNED)), pair[0]))


@dataclass(frozen=True)
class PinChange:
    """A pin moved to the latest patch of its minor line."""

    library: str
    old: str
    new: str
    environments: int


@dataclass(frozen=True)
class NewLine:
    """A minor line of zarr or numcodecs newer than every one the matrix pins; a refresh does not add it."""

    library: str
    latest: str


@dataclass(frozen=True)
class Refresh:
    """What :func:`refresh` found and did."""

    changes: list[PinChange]
    new_lines: list[NewLine]
    environments: list[Environment]
    """The matrix after the refresh."""


def environments(settings: Mapping) -> list[Environment]:
    """The environments asv builds from a configuration's ``pythons``, ``matrix``,
    ``exclude`` and ``include``."""
    from asv.environment import iter_matrix  # asv's own expansion, so that this is what asv runs

    rules = SimpleNamespace(
        matrix=settings.get("matrix", {}),
        exclude=settings.get("exclude", []),
        include=settings.get("include", []),
    )
    pythons = settings.get("pythons", [f"{sys.version_info.major}.{sys.version_info.minor}"])
    found = []
    for combination in iter_matrix(settings.get("environment_type") or "virtualenv", pythons, rules):
        requirements = tuple(
            (name, str(value or "")) for (kind, name), value in combination.items() if kind == "req"
        )
        found.append(Environment(str(combination[("python", None)]), requirements))
    return found


def read_environments(config: Path) -> list[Environment]:
    """The environments of the asv configuration file ``config``."""
    return environments(read_settings(config))


def format_matrix(matrix: Sequence[Environment]) -> str:
    """One row per environment: its Python and the release of every pinned library."""
    from .report.tables import format_table

    libraries = [*PINNED, *sorted({name for env in matrix for name, _ in env.requirements} - set(PINNED))]
    rows = [[env.python, *(env.pin(library) or "latest" for library in libraries)] for env in matrix]
    return format_table(["python", *libraries], rows)


def refresh(
    config: Path, pip_options: Sequence[str] = (), environ: Mapping[str, str] = os.environ
) -> Refresh:
    """Move every pin of ``config`` to the latest patch of its minor line, if all environments then resolve.

    The file is rewritten only when something changed and every environment's new pins install together;
    otherwise it is left untouched.

    Raises
    ------
    MatrixError
        If ``config`` cannot be rewritten (checked before pip is asked anything), an interpreter of the
        matrix is missing, pip cannot answer, a pair does not resolve (naming the environment and pip's
        reason), or a pin cannot be rewritten in place.
    """
    _check_rewritable(config)
    text = config.read_text(encoding="utf-8")
    matrix = environments(parse_settings(text, config))
    pythons = {version: _interpreter(version, environ) for version in sorted({env.python for env in matrix})}

    # (library, version) pinned -> the Pythons of the environments that pin it.
    pinned_on: dict[tuple[str, str], set[str]] = {}
    for env in matrix:
        for pin in env.requirements:
            if pin[1]:
                pinned_on.setdefault(pin, set()).add(env.python)
    moved = {}
    for (library, old), on in sorted(pinned_on.items()):
        # The newest patch every Python of the pin installs (a bridge stays a bridge).
        patches = [_latest_patch(library, old, pythons[python], pip_options, environ) for python in on]
        new = min(patches, key=_release_key)
        if _release_key(new) > _release_key(old):
            moved[library, old] = new
    refreshed = [env.repinned(moved) for env in matrix]
    for env in refreshed:
        reason = _resolution_failure(env, pythons[env.python], pip_options, environ)
        if reason:
            pins = " ".join(env.specifiers())
            raise MatrixError(f"{env.name} ({pins}) does not install: {reason}; {config.name} left unchanged")

    available = {
        (library, python): _available_versions(library, pythons[python], pip_options, environ)
        for library, python in sorted({(lib, python) for (lib, _), on in pinned_on.items() for python in on})
        if library in TRACKED
    }
    changes = [
        PinChange(library, old, new, sum(env.pin(library) == old for env in matrix))
        for (library, old), new in moved.items()
    ]
    if changes:
        new_text = _rewrite_pins(text, moved)
        if environments(parse_settings(new_text, config)) != refreshed:
            raise MatrixError(
                f"could not rewrite the pins of {config.name} in place (only entries written as "
                f'"library": "version" can be); {config.name} left unchanged'
            )
        write_file(config, lambda stream: stream.write(new_text.encode("utf-8")))
    return Refresh(changes, _new_lines(pinned_on, available), refreshed)


def _check_rewritable(config: Path) -> None:
    """Refuse, before any pip query, a configuration that could not be rewritten afterwards."""
    hint = "make it writable, or run `cryoet-zarr-bench matrix` without --refresh"
    if not os.access(config, os.W_OK):
        raise MatrixError(f"cannot rewrite {config}: the file is read-only; {hint}")
    try:
        tempfile.TemporaryFile(dir=config.parent).close()
    except OSError as error:
        raise MatrixError(
            f"cannot rewrite {config}: no file can be written beside it ({error.strerror or error}); {hint}"
        ) from None


def _interpreter(version: str, environ: Mapping[str, str]) -> list[str]:
    """pip's options that make it answer for Python ``version``: none for this interpreter's own version."""
    if version == f"{sys.version_info.major}.{sys.version_info.minor}":
        return []
    executable = find_python(version, environ)
    if executable is None:
        raise MatrixError(how_to_get(version))
    return ["--python", str(executable)]


def _pip(
    python: Sequence[str], arguments: Sequence[str], environ: Mapping[str, str]
) -> subprocess.CompletedProcess[str]:
    """This environment's pip, answering for the Python that ``python`` (:func:`_interpreter`) names."""
    return subprocess.run(
        [sys.executable, "-m", "pip", *python, *arguments],
        capture_output=True,
        text=True,
        env=dict(environ),
        check=False,
    )


def _pip_errors(completed: subprocess.CompletedProcess[str]) -> str:
    """pip's explanation of a failure in one line: its errors and the conflict's causes."""
    lines = [line.strip() for line in (completed.stderr + completed.stdout).splitlines()]
    wanted = [
        line.removeprefix("ERROR: ")
        for line in lines
        if line.startswith("ERROR: ") and "ResolutionImpossible" not in line
    ]
    if "The conflict is caused by:" in lines:
        # The causes: the lines after that heading, up to the first blank one.
        causes = lines[lines.index("The conflict is caused by:") + 1 :]
        wanted += causes[: causes.index("")] if "" in causes else causes
    return "; ".join(wanted) or f"pip exited with status {completed.returncode}"


def _available_versions(
    library: str, python: Sequence[str], pip_options: Sequence[str], environ: Mapping[str, str]
) -> list[str]:
    completed = _pip(python, ["index", "versions", library, *pip_options], environ)
    match = re.search(r"^Available versions: (.*)$", completed.stdout, re.MULTILINE)
    if completed.returncode != 0 or not match:
        raise MatrixError(f"pip found no {library} releases: {_pip_errors(completed)}")
    return [version.strip() for version in match.group(1).split(",")]


def _line(version: str) -> tuple[int, int] | None:
    """A final release's minor line, ``"3.4.2"`` -> (3, 4); None for pre-releases and odd spellings."""
    match = re.fullmatch(r"(\d+)\.(\d+)(?:\.\d+)*(?:\.post\d+)?", version)
    return (int(match.group(1)), int(match.group(2))) if match else None


def _release_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version))


def _latest_patch(
    library: str, pinned: str, python: Sequence[str], pip_options: Sequence[str], environ: Mapping[str, str]
) -> str:
    """The newest final release of ``pinned``'s minor line that installs on ``python``, as pip chooses it."""
    line = _line(pinned)
    if line is None:
        raise MatrixError(
            f"{library} {pinned} is not a final release with a minor line; pin one such as 3.4.2"
        )
    chosen = _dry_run(python, ["--no-deps", *pip_options, f"{library}=={line[0]}.{line[1]}.*"], environ)
    if isinstance(chosen, str):
        raise MatrixError(f"pip found no {library} {line[0]}.{line[1]}.* release: {chosen}")
    return chosen[library]


def _dry_run(
    python: Sequence[str], arguments: Sequence[str], environ: Mapping[str, str]
) -> dict[str, str] | str:
    """What pip would install for ``python`` ({library: version}), or why it cannot."""
    with tempfile.TemporaryDirectory(prefix="cryoet-zarr-bench-resolve-") as directory:
        report_file = Path(directory) / "report.json"
        command = ["install", "--dry-run", "--ignore-installed", "--report", str(report_file), *arguments]
        completed = _pip(python, command, environ)
        if completed.returncode != 0:
            return _pip_errors(completed)
        report = json.loads(report_file.read_text(encoding="utf-8"))
    return {item["metadata"]["name"].lower(): item["metadata"]["version"] for item in report["install"]}


def _new_lines(
    pinned_on: Mapping[tuple[str, str], set[str]], available: Mapping[tuple[str, str], list[str]]
) -> list[NewLine]:
    """Per library asked about, the newest release if its minor line is newer than every pinned one."""
    found = []
    for library in sorted({library for library, _ in available}):
        newest_pinned = max(_line(version) or (0, 0) for name, version in pinned_on if name == library)
        releases = [v for (name, _), versions in available.items() if name == library for v in versions]
        newer = [version for version in releases if (_line(version) or (0, 0)) > newest_pinned]
        if newer:
            found.append(NewLine(library, max(newer, key=_release_key)))
    return found


def _resolution_failure(
    env: Environment, python: Sequence[str], pip_options: Sequence[str], environ: Mapping[str, str]
) -> str | None:
    """Why pip cannot install ``env``'s pins together on its Python, or None if it can."""
    chosen = _dry_run(python, [*pip_options, *env.specifiers()], environ)
    if isinstance(chosen, str):
        return chosen
    wrong = [
        f"{library} {chosen.get(library)}"
        for library, version in env.requirements
        if version and chosen.get(library) != version
    ]
    return f"pip chose {', '.join(wrong)} instead of the pins" if wrong else None


def _rewrite_pins(text: str, moved: Mapping[tuple[str, str], str]) -> str:
    """``text`` with every ``"library": "old"`` written ``"library": "new"``; nothing else changes."""
    for (library, old), new in moved.items():
        pattern = re.compile(rf'("{re.escape(library)}"\s*:\s*"){re.escape(old)}(")')
        text = pattern.sub(lambda match, new=new: f"{match.group(1)}{new}{match.group(2)}", text)
    return text
