"""Helpers shared by the benchmark modules; all real work lives in the ``cryoet_zarr_bench`` library.

The suite is configured through environment variables, so ``asv run`` itself needs no extra arguments:

``CRYOET_ZARR_BENCH_SOURCE``         volume to benchmark (default ``synthetic``; see the README's source syntax)
``CRYOET_ZARR_BENCH_CODECS``         a codec set (``seed``, ``shuffles``, ``all``, ``float``, ``lossy``, ``study``) or
                                     comma-separated codec names
                                     (default ``seed``: the seed report's four codecs)
``CRYOET_ZARR_BENCH_CHUNKS``         comma-separated chunk shapes, each ``64`` (a cube) or ``32x128x128``
                                     (default ``64``)
``CRYOET_ZARR_BENCH_BLOSC_THREADS``  Blosc threads (default 1)
"""

import os
import shutil
import tempfile
from pathlib import Path

from cryoet_zarr_bench import _compat
from cryoet_zarr_bench.codecs import check_error_bound, codec_set
from cryoet_zarr_bench.releases import verify_pins
from cryoet_zarr_bench.sources import acquire
from cryoet_zarr_bench.stores import format_chunks, parse_chunks, set_blosc_threads

SOURCE = os.environ.get("CRYOET_ZARR_BENCH_SOURCE", "synthetic")
CODECS = list(codec_set(os.environ.get("CRYOET_ZARR_BENCH_CODECS", "seed")))
BLOSC_THREADS = int(os.environ.get("CRYOET_ZARR_BENCH_BLOSC_THREADS", "1"))
ZARR_FORMATS = [2, 3]
CHUNKS = [
    format_chunks(parse_chunks(text))
    for text in os.environ.get("CRYOET_ZARR_BENCH_CHUNKS", "64").split(",")
    if text.strip()
]
PARAMS = [CODECS, CHUNKS, ZARR_FORMATS]
PARAM_NAMES = ["codec", "chunks", "zarr_format"]


def require_format(zarr_format):
    """Skip (the asv way) a Zarr format the installed zarr-python cannot write."""
    if zarr_format not in _compat.SUPPORTED_FORMATS:
        raise NotImplementedError(f"zarr {_compat.library_versions()['zarr']} cannot write format {zarr_format}")


def check_round_trip(store, volume, codec):
    """Fail the benchmark if the store broke ``codec``'s guarantee: the exact volume back from a lossless
    codec, errors within its own stated bound from a lossy one."""
    check_error_bound(codec, volume.data, store.read())


class VolumeBenchmark:
    """Base of every benchmark class: one volume, acquired once per environment and shared by all classes.

    ``setup_cache`` is defined here once, so asv computes it once for the whole suite.
    """

    timeout = 300
    # Every sample gets its own setup (asv re-runs setup between samples), so calibrating ``number`` or
    # warming up would only repeat setup work.  Six samples in two interleaved rounds keep the full matrix
    # within ten minutes on two cores.
    number = 1
    warmup_time = 0
    repeat = 3
    rounds = 2

    def setup_cache(self):
        verify_pins()
        return acquire(SOURCE)

    params = PARAMS
    param_names = PARAM_NAMES

    def setup(self, volume, codec, chunks, zarr_format):
        require_format(zarr_format)
        set_blosc_threads(BLOSC_THREADS)
        self.workdir = Path(tempfile.mkdtemp(prefix="cryoet-zarr-bench-asv-"))

    def teardown(self, volume, codec, chunks, zarr_format):
        # asv calls teardown even when setup skipped the case (before making a workdir).
        if hasattr(self, "workdir"):
            shutil.rmtree(self.workdir, ignore_errors=True)
