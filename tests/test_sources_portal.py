"""The portal source against a real S3 server and a GraphQL endpoint on 127.0.0.1 (see portal_fixtures)."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import s3fs

from cryoet_zarr_bench.sources import SourceError, acquire, describe_cache_entry, network
from cryoet_zarr_bench.sources.spec import CentreCrop

from portal_data import BUCKET, PORTAL_COMPRESSOR, PRIVATE_BUCKET, tomogram
from portal_fixtures import FlakyProxy, Portal, S3Portal, closed_port_url, expected_crop
from support import mounted_tmpfs

SOURCE = "portal:10445/TS_100_3?crop=centre:32"
CANONICAL = "portal:10445/TS_100_3?crop=centre:32&level=0"
#: The centred 32³ crop of the 46x158x158 level 0: z 7:39, y and x 63:95, in chunks (0, 0..1, 0..1) of 64³.
CROP = ((7, 39), (63, 95), (63, 95))
TOUCHED_CHUNKS = {"0/0/0/0", "0/0/0/1", "0/0/1/0", "0/0/1/1"}


def _chunk_keys(portal: Portal) -> list[str]:
    return [path.split(".zarr/")[1] for path in portal.proxy.chunk_gets()]


def test_portal_crop_is_exact_and_reads_only_the_touched_chunks(portal: Portal) -> None:
    volume = acquire(SOURCE)
    np.testing.assert_array_equal(volume.data, expected_crop(14101, 0, CROP))
    assert volume.data.dtype == np.float32
    assert volume.source == CANONICAL
    assert volume.voxel_spacing == (10.012, 10.012, 10.012)
    assert sorted(_chunk_keys(portal)) == sorted(TOUCHED_CHUNKS)  # 4 of the 9 chunks, each fetched once
    provenance = volume.provenance
    assert {
        key: provenance[key] for key in ("dataset_id", "run_name", "tomogram_id", "tomogram_voxel_spacing")
    } == {
        "dataset_id": 10445,
        "run_name": "TS_100_3",
        "tomogram_id": 14101,
        "tomogram_voxel_spacing": 10.012,
    }
    assert provenance["store_url"] == tomogram(14101).url
    assert provenance["store_url"].endswith("VoxelSpacing10.012/Tomograms/100/TS_100_3.zarr")
    assert provenance["store_array_metadata"]["compressor"] == PORTAL_COMPRESSOR
    assert provenance["store_array_metadata"]["dimension_separator"] == "/"
    assert provenance["store_array_metadata"]["zarr_format"] == 2
    assert (provenance["chunks_read"], provenance["chunks_total"]) == (4, 9)
    assert provenance["crop"] == [list(bounds) for bounds in CROP]
    assert provenance["candidate_tomograms"] == [14101, 14102, 14103]
    json.dumps(provenance)  # JSON-serialisable, as the cache sidecar needs
    # two API queries: the run, then its tomograms
    assert [query.split("(")[0].strip("{ \n") for query in portal.api.queries] == ["runs", "tomograms"]


def test_second_fetch_comes_from_the_cache_without_any_request(portal: Portal) -> None:
    first = acquire(SOURCE)
    requests_before, queries_before = len(portal.proxy.requests), len(portal.api.queries)
    second = acquire(CANONICAL)
    assert (len(portal.proxy.requests), len(portal.api.queries)) == (requests_before, queries_before)
    np.testing.assert_array_equal(second.data, first.data)
    assert second.provenance == first.provenance
    line = describe_cache_entry(SOURCE)
    assert line is not None and str(portal.cache_dir) in line and first.checksum() in line
    assert sorted(p.suffix for p in portal.cache_files()) == [".json", ".npy"]


def test_cached_portal_volume_needs_numpy_only(portal: Portal) -> None:
    expected = acquire(SOURCE).checksum()
    optional = [
        "s3fs",
        "cryoet_data_portal",
        "mrcfile",
        "tqdm",
        "botocore",
        "aiobotocore",
        "requests",
        "gql",
        "fsspec",
    ]
    script = (
        "import sys\n"
        f"blocked = {optional!r}\n"
        "sys.modules.update(dict.fromkeys(blocked))\n"
        "from cryoet_zarr_bench.sources import acquire\n"
        f"volume = acquire({SOURCE!r})\n"
        "print(volume.checksum())\n"
        "print(sorted(m for m in blocked if sys.modules.get(m) is not None))\n"
    )
    environment = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])}
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=environment, check=True
    )
    assert run.stdout.split("\n")[:2] == [expected, "[]"]


def test_level_1(portal: Portal) -> None:
    volume = acquire("portal:10445/TS_100_3?level=1&crop=centre:16")
    np.testing.assert_array_equal(volume.data, expected_crop(14101, 1, ((3, 19), (31, 47), (31, 47))))
    assert volume.voxel_spacing == pytest.approx((20.024,) * 3)
    assert _chunk_keys(portal) == ["1/0/0/0"]


@pytest.mark.parametrize(
    ("options", "chosen"),
    [
        ("", 14101),  # raw before denoised, portal standard before the finer 5.006 Å raw tomogram
        ("&processing=raw", 14101),
        ("&processing=denoised", 14102),
        ("&method=wbp&spacing=10.012", 14101),
        ("&tomogram=14102", 14102),
    ],
)
def test_tomogram_choice(portal: Portal, options: str, chosen: int) -> None:
    volume = acquire(f"portal:10445/TS_100_3?crop=centre:8{options}", cache=False)
    assert volume.provenance["tomogram_id"] == chosen
    np.testing.assert_array_equal(volume.data, expected_crop(chosen, 0, ((19, 27), (75, 83), (75, 83))))


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            "portal:10445/TS_1003",
            r"^dataset 10445 has no run 'TS_1003'; did you mean TS_100_3 or TS_100_4\?$",
        ),
        (
            "portal:10454/TS_100_3",
            r"^the CryoET Data Portal has no dataset 10454; did you mean .*10445.*\? \(browse https://",
        ),
        ("portal:10446/TS_1", r"^dataset 10446 has no runs; choose another dataset"),
        ("portal:10445/TS_99_9", r"^run TS_99_9 of dataset 10445 has no tomograms; choose another run$"),
        (
            "portal:10445/TS_100_3?processing=filtered",
            (
                r"^no tomogram of run TS_100_3 of dataset 10445 matches processing=filtered; it has "
                r"tomogram=14101 \(spacing=10.012 Å, processing=raw, method=WBP, portal standard\); "
                r"tomogram=14102 \(.*denoised.*\); "
                r"tomogram=14103 \(spacing=5.006 Å, processing=raw, method=SART\)$"
            ),
        ),
        (
            "portal:10445/TS_100_3",  # the default crop, centre:128, does not fit the 46-voxel-thick fixture
            r"^crop centre:128 lies outside the volume of shape 46x158x158 \(z, y, x\); .*crop=full$",
        ),
        (
            "portal:10445/TS_100_3?method=SART&crop=centre:8",  # listed by the API, absent from the bucket
            (
                r"^no Zarr group at s3://cryoet-data-portal-public/10445/TS_100_3/Reconstructions/"
                r"VoxelSpacing5.006/Tomograms/100/TS_100_3.zarr \(neither .zattrs nor zarr.json\)"
            ),
        ),
    ],
)
def test_portal_errors(portal: Portal, source: str, message: str) -> None:
    with pytest.raises(SourceError, match=message):
        acquire(source)
    assert portal.cache_files() == []


def test_unreachable_portal_api(portal: Portal, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRYOET_ZARR_BENCH_PORTAL_URL", closed_port_url())
    with pytest.raises(
        SourceError,
        match=r"^cannot reach the CryoET Data Portal API at http://127.0.0.1:\d+/graphql "
        r"\(\w+: .*Connection refused.*\); .*use a source that needs no network: synthetic or a local file$",
    ):
        acquire(SOURCE)
    assert portal.cache_files() == []


def test_server_stopping_mid_fetch_leaves_no_cache_entry(portal: Portal) -> None:
    portal.proxy.go_down_after_chunk_gets(2)
    with pytest.raises(
        SourceError,
        match=r"^cannot reach the store at s3://cryoet-data-portal-public/10445/TS_100_3/"
        r".*TS_100_3.zarr \(.*\); check the network .*synthetic or a local file$",
    ) as caught:
        acquire(SOURCE)
    assert "\n" not in str(caught.value)
    assert len(portal.proxy.chunk_gets()) == 2  # it did stop mid-fetch: 2 of the 4 chunks arrived
    assert portal.cache_files() == []
    assert describe_cache_entry(SOURCE) is None


def test_access_denied(portal: Portal) -> None:
    with pytest.raises(
        SourceError,
        match=rf"^access denied reading s3://{PRIVATE_BUCKET}/image.zarr \(PermissionError: "
        r".*\): the store does not allow anonymous reads;",
    ):
        acquire(f"s3://{PRIVATE_BUCKET}/image.zarr?crop=centre:8")
    assert portal.cache_files() == []


def test_access_denied_to_one_chunk_is_an_error_not_missing_data(portal: Portal) -> None:
    with pytest.raises(
        SourceError, match=rf"^access denied reading {tomogram(14201).url} \(PermissionError: "
    ):
        acquire("portal:10445/TS_100_4?crop=centre:32")
    assert portal.cache_files() == []


def test_s3_ome_zarr_url_is_read_and_cached(portal: Portal) -> None:
    url = tomogram(14102).url
    volume = acquire(f"{url}?crop=0:10,0:10,60:70")
    np.testing.assert_array_equal(volume.data, expected_crop(14102, 0, ((0, 10), (0, 10), (60, 70))))
    assert sorted(_chunk_keys(portal)) == ["0/0/0/0", "0/0/0/1"]
    assert volume.source == f"{url}?crop=0:10,0:10,60:70&level=0"
    assert portal.api.queries == []
    requests_before = len(portal.proxy.requests)
    acquire(f"{url}?crop=0:10,0:10,60:70")
    assert len(portal.proxy.requests) == requests_before


def test_progress_bar_counts_chunks(portal: Portal, capsys: pytest.CaptureFixture) -> None:
    acquire(SOURCE, progress=True)
    final_state = capsys.readouterr().err.split("\r")[-1]
    assert final_state.startswith(f"{CANONICAL}: 100%") and " 4/4 " in final_state


def test_missing_portal_packages(portal: Portal, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "cryoet_data_portal", None)
    with pytest.raises(
        SourceError,
        match=r"^reading portal:10445/TS_100_3\?crop=centre:32&level=0 needs "
        r"cryoet_data_portal: pip install 'cryoet-zarr-bench\[portal\]', or run "
        r"`cryoet-zarr-bench fetch .*` where it is installed$",
    ):
        acquire(SOURCE)
    assert portal.proxy.requests == [] and portal.api.queries == []


def test_bucket_layout_matches_the_portal(s3_portal) -> None:
    """The fixture itself: the portal's key layout, Zarr format 2 metadata and NGFF 0.4 multiscales."""
    s3 = s3_portal.s3
    prefix = tomogram(14101).key
    zattrs = json.loads(s3.get_object(Bucket=BUCKET, Key=f"{prefix}/.zattrs")["Body"].read())
    (multiscale,) = zattrs["multiscales"]
    assert multiscale["version"] == "0.4"
    assert [axis["name"] for axis in multiscale["axes"]] == ["z", "y", "x"]
    assert {axis["unit"] for axis in multiscale["axes"]} == {"angstrom"}
    assert [d["coordinateTransformations"][0]["scale"][0] for d in multiscale["datasets"]] == pytest.approx(
        [10.012, 20.024, 40.048]
    )
    shapes = []
    for level in range(3):
        zarray = json.loads(s3.get_object(Bucket=BUCKET, Key=f"{prefix}/{level}/.zarray")["Body"].read())
        assert (zarray["zarr_format"], zarray["dtype"], zarray["dimension_separator"]) == (2, "<f4", "/")
        assert zarray["compressor"] == {
            "id": "blosc",
            "cname": "lz4",
            "clevel": 5,
            "shuffle": 1,
            "blocksize": 0,
        }
        shapes.append(tuple(zarray["shape"]))
    assert shapes == [(46, 158, 158), (23, 79, 79), (12, 40, 40)]
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix=f"{prefix}/0/")["Contents"]}
    assert {key.removeprefix(f"{prefix}/") for key in keys} == {"0/.zarray"} | {
        f"0/0/{y}/{x}" for y in range(3) for x in range(3)
    }


def test_a_read_only_cache_is_found_before_fetching(portal: Portal) -> None:
    with mounted_tmpfs(portal.cache_dir, megabytes=1, read_only=True):
        with pytest.raises(SourceError, match=r"cannot write the cache entry .*--no-cache\)$"):
            acquire("portal:10445/TS_100_3?crop=centre:16")
        assert portal.proxy.requests == [] and portal.api.queries == []
    assert acquire("portal:10445/TS_100_3?crop=centre:16", cache=False).shape == (16, 16, 16)
    assert portal.cache_files() == []


# Soak test: 50 fetches through an S3 connection that drops, delays or fails 20% of requests. Every
# fetch either completes with exactly the stored data or fails with a SourceError; the cache holds only
# complete entries afterwards, and no temporary or partial file.
FETCHES = 50
LEVEL0 = (46, 158, 158)


@pytest.mark.slow
def test_fetches_through_a_flaky_connection_are_exact_or_fail_cleanly(
    s3_portal: S3Portal, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = FlakyProxy(s3_portal.endpoint, rate=0.2, seed=8, max_delay=0.3)
    cache = tmp_path / "cache"
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", proxy.endpoint)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("CRYOET_ZARR_BENCH_CACHE", str(cache))
    monkeypatch.setattr(
        network, "NETWORK", network.NetworkSettings(attempts=3, connect_timeout=1.0, read_timeout=1.0)
    )
    record = tomogram(14101)
    completed = failed = 0
    try:
        for i in range(FETCHES):
            size = 8 + i % 25  # a new cache entry, hence a new fetch, each time
            s3fs.S3FileSystem.clear_instance_cache()
            try:
                volume = acquire(f"{record.url}?crop=centre:{size}")
            except SourceError:
                failed += 1
                continue
            bounds = CentreCrop((size, size, size)).bounds(LEVEL0)
            np.testing.assert_array_equal(volume.data, expected_crop(record.id, 0, bounds))
            completed += 1
    finally:
        s3fs.S3FileSystem.clear_instance_cache()
        gc.collect()
        proxy.stop()
    assert len(proxy.faults) >= 0.1 * len(proxy.requests)  # the connection really was flaky
    assert completed >= FETCHES // 2
    files = sorted(p.name for p in (cache / "volumes").iterdir())
    assert not [name for name in files if name.startswith(".")]  # no temporary or partial file
    sidecars = [name for name in files if name.endswith(".json")]
    assert len(files) == 2 * len(sidecars)  # each entry whole: one sidecar, one data file
    print(
        f"{completed} fetches completed, {failed} failed, {len(proxy.faults)} faults in "
        f"{len(proxy.requests)} requests"
    )
