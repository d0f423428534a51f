"""Soak test (issue 8): 50 fetches through an S3 connection that drops, delays or fails 20% of requests.

Every fetch either completes with exactly the stored data or fails with a :class:`SourceError`; the cache
holds only complete entries afterwards, and no temporary or partial file.
"""

# ruff: noqa: F811  (test arguments named after the fixtures imported from portal_fixtures)

from __future__ import annotations

import gc
from pathlib import Path

import numpy as np
import pytest
import s3fs
from portal_fixtures import FlakyProxy, S3Portal, expected_crop, s3_portal, tomogram  # noqa: F401

from cryoet_zarr_bench.sources import SourceError, acquire, local
from cryoet_zarr_bench.sources.spec import CentreCrop

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
        local, "NETWORK", local.NetworkSettings(attempts=3, connect_timeout=1.0, read_timeout=1.0)
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
        f"{completed} fetches completed, {failed} failed, {len(proxy.faults)} faults in {len(proxy.requests)} requests"
    )
