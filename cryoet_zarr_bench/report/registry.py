"""Every benchmark the reports read, by the name asv gives it (``module.Class.method``), grouped by subject.

A report finds its results through these constants and spells no benchmark name of its own, so renaming a
benchmark means changing one line here, and a test (``tests/test_report_registry.py``) fails when a name here
is not one the suite defines (asv's own discovery, every study selected).  Each subject also says what to run
when its results are missing (``RUN_*``: one line a page can print).
"""

from __future__ import annotations

from ..releases import RELEASE_BENCHMARKS
from ..suite import STUDIES_ENV

__all__ = [
    "ACCESS_TIME",
    "ALL",
    "BYTES_TRANSFERRED",
    "CHUNK_BYTES",
    "COMPRESSION_RATIO",
    "CONCURRENCY",
    "ENGINE_CHUNK_BYTES",
    "ENGINE_READ_TIME",
    "ENGINE_WRITE_TIME",
    "ENTROPY_RATIO_LIMIT",
    "LAYOUT_STORED_BYTES",
    "LAYOUT_STORED_OBJECTS",
    "LIMIT_FIGURES",
    "LOSSY_FIDELITY",
    "METADATA_BYTES",
    "NOISE_TIED_FIDELITY",
    "NUMCODECS_RELEASE",
    "READ_TIME",
    "RELEASE_BENCHMARKS",
    "REQUESTS",
    "RUN_CODEC_STUDY",
    "RUN_CORE",
    "RUN_ENGINES_STUDY",
    "RUN_LAYOUT_STUDY",
    "STORED_BYTES",
    "STUDY_CLASSES",
    "STUDY_FIGURES",
    "STUDY_LIMITS",
    "SUBJECTS",
    "WRITE_TIME",
    "ZARR_RELEASE",
    "study_figure",
    "study_limit",
]

# ---------------------------------------------------------------------------- the core (run by default)
#: What records the core's benchmarks: a plain run.
RUN_CORE = "cryoet-zarr-bench bench"

# compression.py: bytes and ratios, counted in a memory store.
COMPRESSION_RATIO = "compression.Compression.track_compression_ratio"
#: Bytes of the chunk objects alone: what the by-release alarm watches.
CHUNK_BYTES = "compression.Compression.track_chunk_bytes"
#: Bytes of the metadata documents alone.
METADATA_BYTES = "compression.Compression.track_metadata_bytes"
#: Chunks and metadata together.
STORED_BYTES = "compression.Compression.track_stored_bytes"

# write_read.py: the whole volume written to and read from an in-memory store.
WRITE_TIME = "write_read.Write.time_write"
#: The whole array read into numpy from an in-memory store.
READ_TIME = "write_read.Read.time_read"

# recorded.py and releases.py: what each environment ran with.
#: What each concurrency knob held (parameter ``setting``: ``threads``, ``blosc_nthreads`` ...).
CONCURRENCY = "recorded.Concurrency.track_setting"
#: The imported zarr and numcodecs releases, as ``releases.version_number`` integers.
ZARR_RELEASE = RELEASE_BENCHMARKS["zarr"]
NUMCODECS_RELEASE = RELEASE_BENCHMARKS["numcodecs"]

# ---------------------------------------------------------------------------- the codec study (study.py)
RUN_CODEC_STUDY = f"{STUDIES_ENV}=codec cryoet-zarr-bench bench"

#: The two classes measuring lossy settings; each figure is a ``track_`` method of both
#: (:func:`study_figure`).
LOSSY_FIDELITY = "study.LossyFidelity"
NOISE_TIED_FIDELITY = "study.NoiseTiedFidelity"
STUDY_CLASSES = (LOSSY_FIDELITY, NOISE_TIED_FIDELITY)
#: The figures the reports read from each study class (the study report also reads every
#: ``track_criterion_<name>`` there is, one per verdict criterion).
STUDY_FIGURES = (
    "compression_ratio",
    "added_noise",
    "fraction_of_gaussian_reference",
    "half_map_shift",
    "half_map_deviation",
    "worst_shell_added_power",
    "safe",
)
#: What the volume itself allows and holds, measured once per environment: ``study.Limits.track_<figure>``.
STUDY_LIMITS = "study.Limits"
LIMIT_FIGURES = (
    "noise_sigma",
    "noise_sigma_half_volumes",
    "noise_sigma_spectral",
    "noise_sigma_mad",
    "data_std",
    "half_map_resolution",
    "half_map_resolution_uncertainty",
    "gaussian_reference_at_1pct",
)
#: The order-0 byte-plane entropy estimate of the best lossless ratio.
ENTROPY_RATIO_LIMIT = "study.Limits.track_entropy_ratio_limit"


def study_figure(study_class: str, figure: str) -> str:
    """The benchmark recording `figure` (one of :data:`STUDY_FIGURES`) in `study_class`:
    ``study.LossyFidelity.track_safe``."""
    if study_class not in STUDY_CLASSES or figure not in STUDY_FIGURES:
        raise KeyError(f"no study figure {figure!r} of {study_class!r} in the registry")
    return f"{study_class}.track_{figure}"


def study_limit(figure: str) -> str:
    """The benchmark recording `figure` (one of :data:`LIMIT_FIGURES`): ``study.Limits.track_noise_sigma``."""
    if figure not in LIMIT_FIGURES:
        raise KeyError(f"no study limit {figure!r} in the registry")
    return f"{STUDY_LIMITS}.track_{figure}"


# ---------------------------------------------------------------------------- the layout study (access.py)
RUN_LAYOUT_STUDY = f"{STUDIES_ENV}=layout cryoet-zarr-bench bench"

#: One access pattern read from an opened array (parameters codec, layout, store, pattern).
ACCESS_TIME = "access.Access.time_read"
#: Requests and response bytes one read costs over S3 (parameter ``store``: the S3 reader).
REQUESTS = "access.Requests.track_requests"
BYTES_TRANSFERRED = "access.Requests.track_bytes_transferred"
#: Data objects and bytes a layout stores.
LAYOUT_STORED_OBJECTS = "access.Layout.track_stored_objects"
LAYOUT_STORED_BYTES = "access.Layout.track_stored_bytes"

# ---------------------------------------------------------------------------- the engines study (engines.py)
RUN_ENGINES_STUDY = f"{STUDIES_ENV}=engines cryoet-zarr-bench bench"

ENGINE_WRITE_TIME = "engines.Write.time_write"
ENGINE_READ_TIME = "engines.Read.time_read"
#: Bytes of the chunk objects an engine writes (no ``threads`` parameter: measured at one thread).
ENGINE_CHUNK_BYTES = "engines.ChunkBytes.track_chunk_bytes"

#: Every benchmark above, by subject.
SUBJECTS = {
    "compression": (COMPRESSION_RATIO, CHUNK_BYTES, METADATA_BYTES, STORED_BYTES),
    "write and read": (WRITE_TIME, READ_TIME),
    "recorded": (CONCURRENCY, ZARR_RELEASE, NUMCODECS_RELEASE),
    "codec study": (
        ENTROPY_RATIO_LIMIT,
        *(study_limit(figure) for figure in LIMIT_FIGURES),
        *(study_figure(cls, figure) for cls in STUDY_CLASSES for figure in STUDY_FIGURES),
    ),
    "layout study": (ACCESS_TIME, REQUESTS, BYTES_TRANSFERRED, LAYOUT_STORED_OBJECTS, LAYOUT_STORED_BYTES),
    "engines study": (ENGINE_WRITE_TIME, ENGINE_READ_TIME, ENGINE_CHUNK_BYTES),
}
#: Every benchmark name a report may read.
ALL = tuple(name for names in SUBJECTS.values() for name in names)
