import sys

import numpy as np
import pytest

from cryoet_zarr_bench.page_cache import evict, resident_bytes
from cryoet_zarr_bench.stores import DirectoryStore

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="mincore and posix_fadvise as on Linux")


def test_eviction_empties_the_page_cache_and_a_read_fills_it(tmp_path):
    store = DirectoryStore(tmp_path / "a.zarr")
    store.write(
        np.arange(64**3, dtype=np.float32).reshape(64, 64, 64),
        codec="none",
        chunks=(32, 32, 32),
        zarr_format=2,
    )
    files = [p for p in store.path.rglob("*") if p.is_file()]
    size = sum(p.stat().st_size for p in files)
    if resident_bytes(files) == 0:
        pytest.skip(f"{tmp_path} does not go through the page cache")
    evict(files)
    left = resident_bytes(files)
    if left >= size:
        pytest.skip(f"{tmp_path} is on a filesystem in memory (tmpfs?): nothing can be evicted")
    assert left == 0
    store.read()
    assert resident_bytes(files) >= size
