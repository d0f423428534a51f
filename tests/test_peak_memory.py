import json
import subprocess
import sys

import numpy as np
import pytest

from cryoet_zarr_bench import _compat
from cryoet_zarr_bench.peak_memory import added_peak_bytes
from cryoet_zarr_bench.stores import DirectoryStore

MB = 1_000_000

pytestmark = pytest.mark.skipif(
    sys.platform != "linux", reason="the peak resident set is resettable on Linux only"
)


def test_an_allocation_adds_its_size():
    assert 39.5 * MB <= added_peak_bytes(lambda: np.ones(10_000_000, np.float32)) < 43 * MB
    assert added_peak_bytes(lambda: None) < 1 * MB


_READ_THREE_TIMES = """
import json, sys
import numpy as np
from cryoet_zarr_bench.peak_memory import added_peak_bytes
from cryoet_zarr_bench.runtime import Runtime
from cryoet_zarr_bench.stores import DirectoryStore, MemoryStore

store = DirectoryStore(sys.argv[1])
with Runtime(1).applied():
    MemoryStore().write(
        np.zeros((8, 8, 8), np.float32), codec="none", chunks=(8, 8, 8), zarr_format=int(sys.argv[2])
    )
    print(json.dumps([added_peak_bytes(store.read) for _ in range(3)]))
"""


@pytest.mark.parametrize("zarr_format", _compat.SUPPORTED_FORMATS)
def test_a_read_adds_the_array_it_returns_and_the_chunks_in_flight_every_time(tmp_path, zarr_format):
    """An uncompressed read holds its result plus the chunks it has fetched and not yet copied: one at a time
    on zarr 3 at one thread, every chunk of the selection at once on zarr 2.18 (it fetches them all first).
    Repeating the read must not hide any of it.  Measured in a process of its own after a small warm-up write,
    as the benchmark does (in this one, memory other tests freed could be reused without a page fault)."""
    data = np.random.default_rng(0).standard_normal((128, 128, 128)).astype(np.float32)
    store = DirectoryStore(tmp_path / "a.zarr")
    store.write(data, codec="none", chunks=(64, 64, 64), zarr_format=zarr_format)
    in_flight = 64**3 * 4 if _compat.ZARR_MAJOR >= 3 else data.nbytes
    result = subprocess.run(
        [sys.executable, "-c", _READ_THREE_TIMES, str(store.path), str(zarr_format)],
        capture_output=True,
        text=True,
        check=True,
    )
    for added in json.loads(result.stdout):
        assert data.nbytes + in_flight - 1 * MB <= added <= data.nbytes + in_flight + 3 * MB
