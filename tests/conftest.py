import pytest

# The loopback portal's fixtures (servers are session-scoped: registered here once, shared by every module).
pytest_plugins = ["portal_fixtures"]


@pytest.fixture(autouse=True)
def _private_volume_cache(tmp_path_factory, monkeypatch):
    """No test reads or writes the user's volume cache."""
    monkeypatch.setenv("CRYOET_ZARR_BENCH_CACHE", str(tmp_path_factory.mktemp("volume-cache")))
