"""Helpers shared by the benchmark modules; all real work lives in the ``cryoet_zarr_bench`` library.

The suite is configured through environment variables, so ``asv run`` itself needs no extra arguments
(:class:`cryoet_zarr_bench.suite.SuiteSettings` reads them all):

``CRYOET_ZARR_BENCH_SOURCE``    volume to benchmark (default ``synthetic``; the source syntax: docs/data.md)
``CRYOET_ZARR_BENCH_CODECS``    a codec set (``baseline``, ``shuffles``, ``all``, ``float``, ``lossy``,
                                ``study``) or comma-separated codec names (default ``baseline``: the portal's
                                codec and three others; the codec study's default is ``study``)
``CRYOET_ZARR_BENCH_CHUNKS``    comma-separated chunk shapes, each ``64`` (a cube) or ``32x128x128``
                                (default ``64``)
``CRYOET_ZARR_BENCH_THREADS``   threads a read or write may use, ``N`` or ``all`` (default 1), given to
                                Blosc and to zarr 3's chunk concurrency alike
                                (:mod:`cryoet_zarr_bench.runtime`)
``CRYOET_ZARR_BENCH_CHECKSUM``  the volume's expected ``sha256:...`` (default: the first environment
                                records it)
``CRYOET_ZARR_BENCH_STUDIES``   opt-in studies, comma-separated, or ``all`` (default: none, the core alone):
                                ``codec`` (study.py, study_use.py), ``layout`` (access.py), ``engines``,
                                ``full-size`` (full_size.py), ``parallel``, ``machine``
``CRYOET_ZARR_BENCH_LAYOUTS``, ``CRYOET_ZARR_BENCH_STORES``, ``CRYOET_ZARR_BENCH_FULL_SIZES``: the layout and
                                full-size studies' layouts, stores and volume shapes

They are validated once, here, at import: a bad value stops ``asv check`` and ``asv run`` with one line naming
the variable and what it accepts.  A study that is not selected, and a class none of whose cases applies to
the settings (the lossy fidelity class with a lossless codec set), defines no benchmarks (:func:`only_if`).
"""

import shutil
import tempfile
from functools import cache
from pathlib import Path

from cryoet_zarr_bench import _compat
from cryoet_zarr_bench.codecs import check_error_bound, is_noise_tied, parse_codec
from cryoet_zarr_bench.page_cache import EvictionUnavailable, evict, resident_bytes
from cryoet_zarr_bench.releases import verify_pins
from cryoet_zarr_bench.stores import DirectoryStore, MemoryStore, parse_chunks
from cryoet_zarr_bench.suite import SuiteSettings, SuiteSettingsError, acquire_for_suite

try:
    SETTINGS = SuiteSettings.from_env()
except SuiteSettingsError as error:
    raise SystemExit(f"cryoet-zarr-bench: {error}") from None



def is_lossless(name):
    """Whether the codec ``name`` gives the exact volume back (a noise-tied setting never does)."""
    return not is_noise_tied(name) and parse_codec(name).lossless


SOURCE = SETTINGS.source
#: The codecs of the set as they are named: a noise-tied setting (``step-1%+pcodec-8``) is a pipeline only
#: once resolved against a volume's noise, which the codec study does.
CODECS = [name for name in SETTINGS.codecs if not is_noise_tied(name)]
#: The lossless codecs of the set: what the classes that check exact copies sweep (zarr's overhead over
#: numcodecs, layouts and access, engines, full-size recompression); lossy codecs are the codec study's
#: subject.
LOSSLESS_CODECS = [name for name in CODECS if is_lossless(name)]
CHUNKS = list(SETTINGS.chunks)
#: The concurrency every benchmark runs with, unless its class says otherwise.
RUNTIME = SETTINGS.runtime
ZARR_FORMATS = [2, 3]
PARAMS = [CODECS, CHUNKS, ZARR_FORMATS]
PARAM_NAMES = ["codec", "chunks", "zarr_format"]
#: Rounds of the core's timings: asv takes a timing's samples in this many rounds, each a pass over the whole
#: run, so they spread over it and a comparison sees the machine's drift (±10-20% over seconds on a shared
#: 2-core virtual machine) in both of its sides alike.
ROUNDS = 20


def only_if(selected):
    """Class decorator: the class itself when ``selected``, otherwise an empty class of the same name.

    asv finds no benchmark in the empty class, so an opt-in study that is not selected, or a class none of
    whose cases applies to the settings, adds nothing to a run: no skipped cases, no empty graphs.  (Cases
    that depend on the environment, such as Zarr format 3 under zarr 2.18, stay asv skips: every environment
    of a run must define the same benchmarks.)
    """

    def decorate(cls):
        if selected:
            return cls
        return type(cls.__name__, (), {"__doc__": cls.__doc__, "__module__": cls.__module__})

    return decorate


def require_format(zarr_format):
    """Skip (the asv way) a Zarr format the installed zarr-python cannot write."""
    if zarr_format not in _compat.SUPPORTED_FORMATS:
        raise NotImplementedError(
            f"zarr {_compat.library_versions()['zarr']} cannot write format {zarr_format}"
        )


def check_round_trip(store, volume, codec):
    """Fail the benchmark if the store broke ``codec``'s guarantee: the exact volume back from a lossless
    codec, errors within its own stated bound from a lossy one."""
    check_error_bound(codec, volume.data, store.read())


def new_array(store, volume, codec, chunks, zarr_format):
    """An empty array in ``store`` (replacing what it held) with the volume's shape and dtype, ``codec`` and
    ``chunks`` (a chunk shape or a layout name): what a timed write writes into, with zarr's public API."""
    return store.create(
        shape=volume.shape, dtype=volume.dtype, codec=codec, chunks=chunks, zarr_format=zarr_format
    )


def read_store(volume, codec, chunks, zarr_format):
    """The local store that read benchmarks read, written (and checked) by the first benchmark that needs it.

    It lives in asv's setup_cache directory, every benchmark's working directory, so it is written once per
    case and environment, when first needed, not all up front.
    """
    store = DirectoryStore(Path("read-stores") / f"{codec}_{chunks}_v{zarr_format}.zarr")
    if not store.exists():
        store.write(volume.data, codec=codec, chunks=parse_chunks(chunks), zarr_format=zarr_format)
        check_round_trip(store, volume, codec)
    return store


def store_files(store):
    """Every file of a directory store (chunks and metadata)."""
    return [path for path in store.path.rglob("*") if path.is_file()]


def warm_page_cache(store):
    """Read every file of ``store`` once, so the page cache holds it (a warm read's starting state)."""
    for path in store_files(store):
        path.read_bytes()


def evict_page_cache(store):
    """Drop ``store``'s files from the page cache (a cold read's starting state), or skip where impossible."""
    files = store_files(store)
    evict(files)
    left = resident_bytes(files)
    if left:
        raise EvictionUnavailable(
            f"{left} bytes of {store.path} stayed in the page cache after eviction "
            "(a filesystem in memory, such as tmpfs?); no cold read is possible there"
        )


def warm_up(volume, codec, zarr_format):
    """Write and read an 8³ corner of the volume once: the process's one-time costs (zarr's event loop and
    thread pool, the codec's first buffers) then stay out of what a benchmark attributes to one operation."""
    corner = volume.data[:8, :8, :8]
    store = MemoryStore()
    array = store.create(
        shape=corner.shape, dtype=corner.dtype, codec=codec, chunks=corner.shape, zarr_format=zarr_format
    )
    array[...] = corner
    store.open()[...]


@cache
def memory_store(volume, codec, chunks, zarr_format):
    """The volume written to an in-memory store, once per process and case (asv re-runs setup per sample)."""
    store = MemoryStore()
    store.write(volume.data, codec=codec, chunks=parse_chunks(chunks), zarr_format=zarr_format)
    check_round_trip(store, volume, codec)
    return store


class VolumeBenchmark:
    """Base of every benchmark class: one volume, acquired once per environment and shared by all classes.

    ``setup_cache`` is defined here once, so asv computes it once for the whole suite; it fails every
    benchmark of an environment whose volume is not the run's (see
    :func:`cryoet_zarr_bench.suite.acquire_for_suite`). ``setup`` applies :attr:`runtime`, the concurrency a
    sample runs with.
    """

    timeout = 300
    # A write needs a fresh store per sample, and asv re-runs setup before every sample anyway, so calibrating
    # ``number`` or warming up would only repeat setup work. Classes timing idempotent work take more samples.
    number = 1
    warmup_time = 0
    repeat = 3
    rounds = 2

    params = PARAMS
    param_names = PARAM_NAMES
    runtime = RUNTIME

    def setup_cache(self):
        verify_pins()
        return acquire_for_suite(SETTINGS)

    def setup(self, volume, codec, chunks, zarr_format):
        require_format(zarr_format)
        self.runtime.apply()
        self.workdir = Path(tempfile.mkdtemp(prefix="cryoet-zarr-bench-asv-"))

    def teardown(self, volume, *params):
        # asv calls teardown even when setup skipped the case (before making a workdir).
        if hasattr(self, "workdir"):
            shutil.rmtree(self.workdir, ignore_errors=True)
