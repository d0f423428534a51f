"""Engines side by side (the engines study, ``CRYOET_ZARR_BENCH_STUDIES=engines``): zarr-python, TensorStore
and the zarrs codec pipeline writing and reading the same volume with the same codec, chunk shape and Zarr
format, at one thread and at every core.

Local directory stores, no fsync; reads find the files in the page cache (they were written just before).
A write creates the array and writes it whole; a read opens it and reads it whole (every engine alike).
``threads`` is given to each engine's own knobs (see :mod:`cryoet_zarr_bench.engines`): Blosc and zarr-python
3's pool for ``zarr-python``; those plus zarrs' thread count and chunk concurrency for ``zarrs``;
TensorStore's ``data_copy_concurrency`` and ``file_io_concurrency`` for ``tensorstore``.  Each call applies
them and restores what was there (microseconds, inside the timing).  An engine that is not installed, or
cannot write a codec or format, is skipped with its reason.  The ratio to zarr-python 3 at the same
concurrency is ``time_*[engine] / time_*[zarr-python]`` in an environment with zarr-python 3.
"""

import itertools
import shutil
import tempfile
from pathlib import Path

from cryoet_zarr_bench.engines import ENGINE_NAMES, get_engine, require_support
from cryoet_zarr_bench.measure import same_bits
from cryoet_zarr_bench.runtime import Runtime, parse_threads
from cryoet_zarr_bench.stores import DirectoryStore, parse_chunks

from . import CHUNKS, LOSSLESS_CODECS, SETTINGS, ZARR_FORMATS, VolumeBenchmark, only_if

#: Every engine's copy is checked to read back exactly, so the lossless codecs of the set; a codec an engine
#: cannot write (a pipeline with filters, in TensorStore or zarrs) is an asv skip with its reason.
CODECS = LOSSLESS_CODECS
SELECTED = SETTINGS.runs("engines") and bool(CODECS)

THREADS = ["1", "all"]
PARAMS = [list(ENGINE_NAMES), CODECS, CHUNKS, ZARR_FORMATS, THREADS]
PARAM_NAMES = ["engine", "codec", "chunks", "zarr_format", "threads"]


def _engine(name, codec, zarr_format):
    """The engine, or NotImplementedError (an asv skip) saying why it cannot write ``codec`` here."""
    engine = get_engine(name)
    require_support(engine.unsupported(codec, zarr_format))
    return engine


def _write(engine, path, volume, codec, chunk_shape, zarr_format, runtime):
    """The engine writes the whole volume as one array at ``path``."""
    engine.write(path, volume.data, codec=codec, chunks=chunk_shape, zarr_format=zarr_format, runtime=runtime)


def _check_round_trip(engine, path, volume):
    """Fail the benchmark if the engine did not read back exactly what it wrote (every codec is lossless)."""
    if not same_bits(engine.read(path, Runtime(1)), volume.data):
        raise AssertionError(f"{engine.NAME} did not round-trip the volume exactly at {path}")


class EngineBenchmark(VolumeBenchmark):
    """Parameters: engine × codec × chunk shape × Zarr format × threads; a fresh directory per case."""

    params = PARAMS
    param_names = PARAM_NAMES

    def setup(self, volume, engine, codec, chunks, zarr_format, threads):
        self.engine = _engine(engine, codec, zarr_format)
        self.runtime = Runtime(parse_threads(threads))
        self.chunk_shape = parse_chunks(chunks)
        self.workdir = Path(tempfile.mkdtemp(prefix="cryoet-zarr-bench-asv-"))

    def teardown(self, volume, engine, codec, chunks, zarr_format, threads):
        # asv calls teardown even when setup skipped the case (before making a workdir).
        if hasattr(self, "workdir"):
            shutil.rmtree(self.workdir, ignore_errors=True)


@only_if(SELECTED)
class Write(EngineBenchmark):
    """Each sample writes a fresh store; checking and removing stores happens in ``teardown``."""

    version = "1"

    def setup(self, volume, engine, codec, chunks, zarr_format, threads):
        super().setup(volume, engine, codec, chunks, zarr_format, threads)
        self.written = []

    def time_write(self, volume, engine, codec, chunks, zarr_format, threads):
        path = self.workdir / f"{len(self.written)}.zarr"
        self.written.append(path)
        _write(self.engine, path, volume, codec, self.chunk_shape, zarr_format, self.runtime)

    def teardown(self, volume, engine, codec, chunks, zarr_format, threads):
        for path in getattr(self, "written", []):  # none if setup skipped the case
            _check_round_trip(self.engine, path, volume)
        super().teardown(volume, engine, codec, chunks, zarr_format, threads)


@only_if(SELECTED)
class Read(EngineBenchmark):
    """The whole array into numpy, each engine reading the store it wrote.

    ``setup_cache`` writes (one thread) and checks one store per engine, codec, chunk shape and format, once
    per environment, in asv's cache directory (the working directory of every benchmark of this class).
    """

    version = "1"

    def setup_cache(self):
        volume = super().setup_cache()
        for name, codec, chunks, zarr_format in itertools.product(ENGINE_NAMES, CODECS, CHUNKS, ZARR_FORMATS):
            try:
                engine = _engine(name, codec, zarr_format)
            except NotImplementedError:  # skipped again, with its reason, in setup
                continue
            path = _stored(name, codec, chunks, zarr_format)
            _write(engine, path, volume, codec, parse_chunks(chunks), zarr_format, Runtime(1))
            _check_round_trip(engine, path, volume)
        return volume

    def setup(self, volume, engine, codec, chunks, zarr_format, threads):
        super().setup(volume, engine, codec, chunks, zarr_format, threads)
        self.path = _stored(engine, codec, chunks, zarr_format)

    def time_read(self, volume, engine, codec, chunks, zarr_format, threads):
        self.engine.read(self.path, self.runtime)


@only_if(SELECTED)
class ChunkBytes(EngineBenchmark):
    """Bytes of the chunk objects each engine writes for a codec (deterministic, so measured once).

    Engines writing the same codec configuration may still write different bytes (gzip headers and deflate
    implementations; see :mod:`cryoet_zarr_bench.engines.interop`).
    """

    version = "1"
    params = PARAMS[:-1]
    param_names = PARAM_NAMES[:-1]

    def setup(self, volume, engine, codec, chunks, zarr_format):
        super().setup(volume, engine, codec, chunks, zarr_format, "1")
        path = self.workdir / "array.zarr"
        _write(self.engine, path, volume, codec, self.chunk_shape, zarr_format, self.runtime)
        _check_round_trip(self.engine, path, volume)
        self.chunk_bytes = DirectoryStore(path).stored_bytes().chunks

    def track_chunk_bytes(self, volume, engine, codec, chunks, zarr_format):
        return self.chunk_bytes

    track_chunk_bytes.unit = "bytes"

    def teardown(self, volume, engine, codec, chunks, zarr_format):
        super().teardown(volume, engine, codec, chunks, zarr_format, "1")


def _stored(engine, codec, chunks, zarr_format):
    return Path("engine-stores") / f"{engine}_{codec}_{chunks}_v{zarr_format}.zarr"
