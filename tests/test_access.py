"""Access patterns read exactly the right values from every layout and store, at the request cost expected."""

import time

import numpy as np
import pytest

from cryoet_zarr_bench import _compat, access
from cryoet_zarr_bench.layouts import parse_layout
from cryoet_zarr_bench.measure import same_bits
from cryoet_zarr_bench.stores import DirectoryStore, MemoryStore

from support import require

ZARR_FORMAT = _compat.SUPPORTED_FORMATS[-1]
LAYOUTS = ["32", "8x64x32", "shard32-16", "32+skipempty"]
SHAPE = (40, 64, 72)


def _importable(name):
    try:
        __import__(name)
    except ImportError:
        return False
    return True


@pytest.fixture(scope="module")
def data():
    return np.random.default_rng(11).standard_normal(SHAPE).astype(np.float32)


@pytest.fixture(scope="module")
def moto():
    require(_importable("moto") and _importable("s3fs"), "moto[server] and s3fs are needed for the S3 store")
    from cryoet_zarr_bench import s3

    server = s3.MotoServer()
    s3.create_public_bucket(server.client(), "bench")
    yield server
    server.stop()


@pytest.fixture
def proxy(moto):
    from cryoet_zarr_bench import s3

    counting = s3.CountingProxy(moto.endpoint)
    yield counting
    counting.stop()


def _opened(kind, store):
    if kind == "s3-obstore":
        if _compat.ZARR_MAJOR == 2:
            pytest.skip("obstore is read through zarr 3's ObjectStore")
        require(_importable("obstore"), "obstore is not installed")
        return store.open_with_obstore()
    return store.open()


def _store(kind, tmp_path, request):
    if kind == "directory":
        return DirectoryStore(tmp_path / "a.zarr")
    if kind == "memory":
        return MemoryStore()
    from cryoet_zarr_bench import s3

    return s3.S3Store("bench", tmp_path.name, request.getfixturevalue("proxy").endpoint)


def test_regions_are_the_central_planes_and_a_seeded_cube():
    assert access.region("xy", SHAPE) == (slice(20, 21), slice(None), slice(None))
    assert access.region("xz", SHAPE) == (slice(None), slice(32, 33), slice(None))
    assert access.region("yz", SHAPE) == (slice(None), slice(None), slice(36, 37))
    cube = access.region("sub64", (100, 200, 300), seed=5)
    assert cube == access.region("sub64", (100, 200, 300), seed=5) != access.region("sub64", (100, 200, 300))
    assert [s.stop - s.start for s in cube] == [64, 64, 64]
    assert all(0 <= s.start and s.stop <= n for s, n in zip(cube, (100, 200, 300)))
    assert [s.stop - s.start for s in access.region("sub64", SHAPE)] == [40, 64, 64]
    with pytest.raises(ValueError, match="valid: xy, xz, yz, sub64, whole"):
        access.region("diagonal", SHAPE)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("kind", ["directory", "memory", "s3", "s3-obstore"])
def test_every_pattern_reads_exactly_the_expected_values(kind, layout, data, tmp_path, request):
    if parse_layout(layout).sharded and ZARR_FORMAT != 3:
        pytest.skip("sharding needs zarr-python 3")
    store = _store(kind, tmp_path, request)
    store.write(data, codec="blosc-zstd-5-shuffle", chunks=layout, zarr_format=ZARR_FORMAT)
    array = _opened(kind, store)
    for pattern in access.PATTERNS:
        values = access.read(array, pattern)
        assert values.shape == access.expected(data, pattern).shape
        assert same_bits(values, access.expected(data, pattern)), pattern


@pytest.mark.parametrize("reader", ["s3", "s3-obstore"])
@pytest.mark.parametrize(("layout", "pattern"), [("32", "xy"), ("8x64x32", "yz"), ("shard32-16", "xy")])
def test_a_read_fetches_each_object_it_touches_once_per_chunk(layout, pattern, reader, data, proxy):
    """GETs: one per chunk touched; sharded, one per inner chunk plus one per shard for its index."""
    from cryoet_zarr_bench import s3

    parsed = parse_layout(layout)
    if parsed.sharded and ZARR_FORMAT != 3:
        pytest.skip("sharding needs zarr-python 3")
    store = s3.S3Store("bench", f"counted-{layout}", proxy.endpoint)
    store.write(data, codec="zstd-3", chunks=layout, zarr_format=ZARR_FORMAT)
    array = _opened(reader, store)
    before = len(proxy.requests)
    values = access.read(array, pattern)
    fetched = proxy.requests[before:]

    region = access.region(pattern, SHAPE)
    gets = [r for r in fetched if r.method == "GET"]
    objects = {r.path.rsplit(".zarr/", 1)[1] for r in fetched}
    assert len(objects) == parsed.objects_touched(region, SHAPE)
    assert all(key.startswith("c/") or key[0].isdigit() for key in objects)  # chunk or shard objects only
    if parsed.sharded:
        assert len(gets) == parsed.chunks_touched(region, SHAPE) + parsed.objects_touched(region, SHAPE)
    else:
        assert len(gets) == parsed.chunks_touched(region, SHAPE)
    assert proxy.counts(before).response_bytes == sum(r.response_bytes for r in gets)
    if reader == "s3-obstore":
        assert len(fetched) == len(gets)  # obstore sends no HEAD before a GET (s3fs does)
    assert same_bits(values, access.expected(data, pattern))


@pytest.mark.parametrize("reader", ["s3", "s3-obstore"])
def test_a_whole_read_fetches_complete_shards_whole_and_overhanging_ones_chunk_by_chunk(reader, data, proxy):
    """zarr fetches a shard in one GET only when the read needs every inner chunk it has room for.

    40x64x72 in 32³ shards of 16³ chunks: 12 shards, 4 of them complete (one GET each).  The 8 that overhang
    the array's edge send a GET for the index and one per inner chunk holding data: 2 x (4+1) along x's edge,
    4 x (4+1) along z's, 2 x (2+1) at both: 36.  (Why a portal tomogram 184 deep gains no requests from 256³
    shards.)
    """
    from cryoet_zarr_bench import s3

    if ZARR_FORMAT != 3:
        pytest.skip("sharding needs zarr-python 3")
    store = s3.S3Store("bench", f"overhanging-{reader}", proxy.endpoint)
    store.write(data, codec="zstd-3", chunks="shard32-16", zarr_format=ZARR_FORMAT)
    array = _opened(reader, store)
    before = len(proxy.requests)
    values = access.read(array, "whole")
    gets = [r for r in proxy.requests[before:] if r.method == "GET"]

    assert len({r.path for r in gets}) == 12
    assert len(gets) == 4 + 36
    assert same_bits(values, data)


def test_latency_is_added_to_every_request(moto, data):
    from cryoet_zarr_bench import s3

    slow = s3.CountingProxy(moto.endpoint, latency=0.05)
    try:
        store = s3.S3Store("bench", "slow", slow.endpoint)
        store.write(data, codec="none", chunks="64", zarr_format=ZARR_FORMAT)
        array = store.open()
        before = len(slow.requests)
        start = time.perf_counter()
        access.read(array, "xy")
        elapsed = time.perf_counter() - start
        assert slow.counts(before).requests >= 1
        assert elapsed >= 0.05
    finally:
        slow.stop()


def test_the_detached_server_serves_other_processes_and_exits_when_idle(data):
    require(_importable("moto") and _importable("s3fs"), "moto[server] and s3fs are needed for the S3 store")
    import socket

    from cryoet_zarr_bench import s3

    endpoint = s3.start_detached_server(idle_timeout=3.0)
    s3.create_public_bucket(s3.s3_client(endpoint), "detached")
    store = s3.S3Store("detached", "volume", endpoint)
    store.write(data, codec="zstd-3", chunks="64", zarr_format=ZARR_FORMAT)
    assert same_bits(s3.S3Store.existing(store.url, endpoint).read(), data)
    host, port = endpoint.removeprefix("http://").split(":")
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            socket.create_connection((host, int(port)), timeout=1).close()  # no request: no activity
        except OSError:
            return  # nothing listens any more
        time.sleep(0.5)
    pytest.fail(f"the server at {endpoint} was still up 15 s after its last request")
