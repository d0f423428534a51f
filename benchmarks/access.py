"""Layout and access: the reads users do (a slice, a subvolume, everything), per chunk/shard layout and store.

The layout study (``CRYOET_ZARR_BENCH_STUDIES=layout``).  Every case is one codec, one layout
(``CRYOET_ZARR_BENCH_LAYOUTS``, comma-separated layout names such as ``64,32x128x128,shard128-32``, default
``64,shard128-32``; see :mod:`cryoet_zarr_bench.layouts`), one store and one access pattern
(:mod:`cryoet_zarr_bench.access`).  Arrays are Zarr format 3 (sharding needs it), so
zarr 2.18 environments skip these classes.

Stores:

- ``local``: a directory on local disk (warm page cache: setup_cache wrote it and every pattern read it)
- ``memory``: a ``dict`` (no disk: codec and zarr only)
- ``s3``: moto's S3 server on 127.0.0.1 through a counting proxy, read anonymously via s3fs and zarr's fsspec
  store; one server for the whole run (started by setup_cache, it exits when idle)
- ``s3+latency``: the same with 20 ms added to every request, the order of a cross-region round trip
- ``s3-obstore``, ``s3-obstore+latency``: the same two read through zarr 3's ``ObjectStore`` (obstore) instead
  of s3fs, where obstore is installed

``CRYOET_ZARR_BENCH_STORES`` (comma-separated) picks among them; the default is the first four.

S3 cases are skipped where moto and s3fs are not installed (the plain asv environments have only numpy, zarr
and numcodecs; run them with ``asv run -E existing:same`` in an environment with the ``bench`` extra).
Every array is opened (metadata read) in setup; a timing covers the chunk reads and decoding only, on the
threads the runtime policy gives (one unless ``CRYOET_ZARR_BENCH_THREADS`` says otherwise).  Every pattern
is checked against the volume once per case, in setup_cache.
"""

import itertools
import json
from pathlib import Path

import numpy as np

from cryoet_zarr_bench import _compat, access
from cryoet_zarr_bench.codecs import CodecCannotExpress, CodecUnavailable, parse_codec
from cryoet_zarr_bench.layouts import Layout as LayoutSpec
from cryoet_zarr_bench.layouts import parse_layout
from cryoet_zarr_bench.measure import same_bits
from cryoet_zarr_bench.stores import DirectoryStore, MemoryStore

from . import LOSSLESS_CODECS, SETTINGS, VolumeBenchmark, new_array, only_if

SELECTED = SETTINGS.runs("layout") and bool(LOSSLESS_CODECS)
#: Every read is checked to give the volume's exact values, so the lossless codecs of the set.
CODECS = LOSSLESS_CODECS

LAYOUTS = list(SETTINGS.layouts)
STORES = list(SETTINGS.stores)
#: The S3 readers among STORES, whose requests and bytes per read are counted.
REQUEST_STORES = sorted({s.removesuffix("+latency") for s in STORES if s.startswith("s3")})
PATTERNS = list(access.PATTERNS)
ZARR_FORMAT = 3
#: Seconds added to every request of the ``s3+latency`` store.
LATENCY = 0.020
BUCKET = "cryoet-zarr-bench"
_S3_STATE = Path("s3-stores.json")


def _s3_available():
    try:
        import moto.server  # noqa: F401
        import s3fs  # noqa: F401
    except ImportError:
        return False
    return True


def _local(codec, layout):
    return DirectoryStore(Path("access-stores") / f"{codec}_{layout}.zarr")


def check_patterns(store, volume, array=None):
    """Fail unless every access pattern reads exactly the volume's values from ``store`` (opened as ``array``,
    by default with :meth:`~cryoet_zarr_bench.stores.ZarrStore.open`)."""
    array = store.open() if array is None else array
    for pattern in PATTERNS:
        if not same_bits(access.read(array, pattern), access.expected(volume.data, pattern)):
            raise AssertionError(f"{store!r} returned wrong values for the {pattern} pattern")


def _check_obstore_reads(store, volume):
    try:
        array = store.open_with_obstore()
    except _compat.UnsupportedReaderError:
        return  # the s3-obstore cases will be skipped
    check_patterns(store, volume, array)


class OpenedArray(VolumeBenchmark):
    """An array opened (metadata read) in one of the stores, written and checked once per run."""

    version = "1"
    params = [CODECS, LAYOUTS, STORES, PATTERNS]
    param_names = ["codec", "layout", "store", "pattern"]

    def setup_cache(self):
        volume = super().setup_cache()
        s3_state = None
        if REQUEST_STORES and _s3_available() and ZARR_FORMAT in _compat.SUPPORTED_FORMATS:
            from cryoet_zarr_bench import s3

            endpoint = s3.start_detached_server()
            s3.create_public_bucket(s3.s3_client(endpoint), BUCKET)
            s3_state = {"endpoint": endpoint, "urls": {}}
        if ZARR_FORMAT not in _compat.SUPPORTED_FORMATS:
            return volume
        for codec, layout in itertools.product(CODECS, LAYOUTS):
            local = _local(codec, layout)
            local.write(volume.data, codec=codec, chunks=layout, zarr_format=ZARR_FORMAT)
            check_patterns(local, volume)
            if s3_state is not None:
                store = s3.S3Store(BUCKET, f"{codec}_{layout}", s3_state["endpoint"])
                store.write(volume.data, codec=codec, chunks=layout, zarr_format=ZARR_FORMAT)
                check_patterns(store, volume)
                _check_obstore_reads(store, volume)
                s3_state["urls"][f"{codec}_{layout}"] = store.url
        if s3_state is not None:
            _S3_STATE.write_text(json.dumps(s3_state))
        return volume

    def setup(self, volume, codec, layout, store, pattern):
        super().setup(volume, codec, layout, ZARR_FORMAT)
        self.proxy = None
        if store == "local":
            self.store = _local(codec, layout)
        elif store == "memory":
            self.store = MemoryStore()
            self.store.write(volume.data, codec=codec, chunks=layout, zarr_format=ZARR_FORMAT)
            check_patterns(self.store, volume)
        else:
            self.store = self._s3_store(codec, layout, latency=LATENCY if store.endswith("+latency") else 0.0)
        self.array = self.store.open_with_obstore() if store.startswith("s3-obstore") else self.store.open()

    def _s3_store(self, codec, layout, latency):
        if not _S3_STATE.exists():
            raise NotImplementedError("moto[server] and s3fs are not installed: no S3 store")
        from cryoet_zarr_bench import s3

        state = json.loads(_S3_STATE.read_text())
        self.proxy = s3.CountingProxy(state["endpoint"], latency=latency)
        return s3.S3Store.existing(state["urls"][f"{codec}_{layout}"], self.proxy.endpoint)

    def teardown(self, volume, codec, layout, store, pattern):
        if getattr(self, "proxy", None) is not None:
            self.proxy.stop()
        super().teardown(volume, codec, layout, ZARR_FORMAT)


@only_if(SELECTED)
class Access(OpenedArray):
    """Time to read one access pattern from an opened array."""

    def time_read(self, volume, codec, layout, store, pattern):
        access.read(self.array, pattern)


@only_if(SELECTED and REQUEST_STORES)
class Requests(OpenedArray):
    """What one read of a pattern costs over S3 (through s3fs, or obstore), counted by the server-side proxy:
    requests and bytes sent.

    Deterministic for a given zarr and s3fs release, so each is measured once (no latency; it changes none).
    """

    params = [CODECS, LAYOUTS, REQUEST_STORES, PATTERNS]

    def _counted_read(self, pattern):
        before = len(self.proxy.requests)
        access.read(self.array, pattern)
        return self.proxy.counts(before)

    def track_requests(self, volume, codec, layout, store, pattern):
        return self._counted_read(pattern).requests

    track_requests.unit = "requests"

    def track_bytes_transferred(self, volume, codec, layout, store, pattern):
        return self._counted_read(pattern).response_bytes

    track_bytes_transferred.unit = "bytes"


@only_if(SELECTED)
class Layout(VolumeBenchmark):
    """What a layout stores (objects, bytes) and how long writing it to local disk takes: each benchmark
    writes the volume into an empty array that setup created (``array[...] = volume``; zarr's public API
    alone)."""

    version = "2"
    params = [CODECS, LAYOUTS]
    param_names = ["codec", "layout"]

    def setup(self, volume, codec, layout):
        super().setup(volume, codec, layout, ZARR_FORMAT)
        self.store = DirectoryStore(self.workdir / "written.zarr")
        self.array = new_array(self.store, volume, codec, layout, ZARR_FORMAT)

    def time_write(self, volume, codec, layout):
        self.array[...] = volume.data

    def track_stored_objects(self, volume, codec, layout):
        self.array[...] = volume.data
        return self.store.stored_objects()

    track_stored_objects.unit = "objects"

    def track_stored_bytes(self, volume, codec, layout):
        self.array[...] = volume.data
        return self.store.stored_bytes().total

    track_stored_bytes.unit = "bytes"

    def teardown(self, volume, codec, layout):
        if hasattr(self, "array"):  # not if setup skipped the case
            check_patterns(self.store, volume)
        super().teardown(volume, codec, layout, ZARR_FORMAT)


def _stores_labels(codec):
    """Whether ``codec`` can store a uint8 mask (float-only codecs such as ZFP cannot)."""
    try:
        parse_codec(codec).check(np.dtype("uint8"))
    except CodecCannotExpress:
        return False
    except CodecUnavailable:  # not installed here: an asv skip, with its reason, in setup
        pass
    return True


LABEL_CODECS = [codec for codec in CODECS if _stores_labels(codec)]


@only_if(SELECTED and LABEL_CODECS)
class SparseLabels(VolumeBenchmark):
    """A segmentation mask (uint8, mostly 0: :func:`~cryoet_zarr_bench.sources.synthetic.synthetic_labels`
    of the volume's shape) stored with every chunk written or with all-zero chunks skipped
    (``write_empty_chunks``): objects, bytes, and the time to read it whole from local disk (warm cache)."""

    version = "2"
    params = [LABEL_CODECS, LAYOUTS, ["write", "skip"]]
    param_names = ["codec", "layout", "empty_chunks"]

    def setup(self, volume, codec, layout, empty_chunks):
        super().setup(volume, codec, layout, ZARR_FORMAT)
        from cryoet_zarr_bench.sources.synthetic import synthetic_labels

        self.labels = synthetic_labels(volume.shape).data
        chosen = parse_layout(layout)
        chosen = LayoutSpec(chosen.chunks, chosen.shards, write_empty_chunks=empty_chunks == "write")
        self.store = DirectoryStore(self.workdir / "labels.zarr")
        self.store.write(self.labels, codec=codec, chunks=chosen, zarr_format=ZARR_FORMAT)
        if not same_bits(self.store.read(), self.labels):
            raise AssertionError(f"{self.store!r} did not round-trip the labels exactly")
        self.array = self.store.open()

    def track_stored_objects(self, volume, codec, layout, empty_chunks):
        return self.store.stored_objects()

    track_stored_objects.unit = "objects"

    def track_stored_bytes(self, volume, codec, layout, empty_chunks):
        return self.store.stored_bytes().total

    track_stored_bytes.unit = "bytes"

    def time_read(self, volume, codec, layout, empty_chunks):
        self.array[...]

    def teardown(self, volume, codec, layout, empty_chunks):
        super().teardown(volume, codec, layout, ZARR_FORMAT)
