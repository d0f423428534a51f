import pytest


@pytest.fixture(autouse=True)
def _private_volume_cache(tmp_path_factory, monkeypatch):
    """No test reads or writes the user's volume cache."""
    monkeypatch.setenv("CRYOET_ZARR_BENCH_CACHE", str(tmp_path_factory.mktemp("volume-cache")))
