"""What the answer's rules judge and how they rank: the values, the candidates, one environment's choice.

:mod:`.model` reads the candidates of each use case from the results and applies its rule with
:func:`rank`; :mod:`.extrapolation` scales the winner to a dataset and a portal.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

from ...survey.summary import PORTAL_BASELINE
from ..runs import Release

__all__ = [
    "ARCHIVE",
    "LOSSY",
    "PROCESSING",
    "USE_CASES",
    "VIEWING",
    "Candidate",
    "Choice",
    "Rules",
    "Value",
    "rank",
]

ARCHIVE, VIEWING, PROCESSING, LOSSY = "archive", "viewing", "processing", "lossy archive"
USE_CASES = (ARCHIVE, VIEWING, PROCESSING, LOSSY)


@dataclass(frozen=True)
class Rules:
    """The numbers the rules state, and the sizes the answer is extrapolated to."""

    read_factor: float = 2.0
    """Archive: a setting qualifies when its full read takes at most this many times the fastest."""
    slice_budget_bytes: float = 32e6
    """Viewing: a codec and layout qualify when one XY slice over S3 transfers at most this many bytes."""
    portal_bytes: float = 100e12
    """The portal's raw size the answer is extrapolated to: an assumption, stated with every figure."""
    dataset_bytes: float | None = None
    """The dataset's raw size; by default the whole tomograms of the survey given, if any."""
    baseline_codec: str = PORTAL_BASELINE
    """What the savings are measured against: how the portal stores tomograms today."""


@dataclass(frozen=True)
class Value:
    """One recorded value and where the dashboard graphs it."""

    value: float
    benchmark: str
    address: str
    """The dashboard's fragment for the graph at this case and environment
    (:mod:`~cryoet_zarr_bench.report.graph_address`)."""
    samples: int | None = None
    """How many samples the value is the median of, where asv recorded it (1 under ``--quick``)."""


@dataclass(frozen=True)
class Candidate:
    """One setting (codec, chunks or layout, Zarr format) with the values its use case judges it by."""

    setting: tuple[tuple[str, str], ...]
    figures: dict[str, Value] = field(hash=False, compare=False)
    """By figure: ``ratio``, ``read`` (seconds), ``slice`` (seconds), ``slice_bytes``, ``requests``,
    ``stored_bytes``, ``added_noise`` (% of the noise variance), ``safe`` (1 or 0)."""

    def param(self, name: str) -> str:
        return dict(self.setting)[name]

    @property
    def codec(self) -> str:
        return self.param("codec")

    def figure(self, name: str) -> float | None:
        """The value of figure `name`; None where it was not measured."""
        found = self.figures.get(name)
        return None if found is None else found.value


@dataclass(frozen=True)
class Choice:
    """One use case's rule applied in one environment."""

    environment: str
    """The environment by its releases (``py3.11 zarr3.1.6 numcodecs0.16.6``), or asv's name if unknown."""
    release: Release | None
    order: tuple
    """Sorts environments: the newest release last."""
    winner: Candidate | None
    runner_up: Candidate | None
    """The best candidate of another codec (another layout, for viewing) that meets the rule."""
    measured: int
    """How many settings the environment measured for this use case."""
    reference: Value | None = None
    """What the rule measures against: the fastest full read, for the archive."""
    reason: str = ""
    """Why there is no winner although settings were measured."""
    raw_bytes: float | None = None
    """The benchmarked volume's raw bytes, where the results tell."""
    baseline: Candidate | None = None
    """:attr:`Rules.baseline_codec` at the winner's other settings, where measured."""


def rank(
    candidates: list[Candidate],
    eligible: Callable[[Candidate], bool],
    key: Callable[[Candidate], tuple],
    group: Callable[[Candidate], Hashable] = lambda candidate: candidate.codec,
) -> list[Candidate]:
    """The candidates that meet the rule (`eligible`), best first by `key` (lowest first), keeping the best of
    each `group` (by default each codec's best setting); ties go to the first setting in name order."""
    best: dict[Hashable, Candidate] = {}
    for candidate in sorted(filter(eligible, candidates), key=lambda c: (key(c), c.setting)):
        best.setdefault(group(candidate), candidate)
    return list(best.values())
