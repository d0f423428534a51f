import pytest

from cryoet_zarr_bench import _compat
from cryoet_zarr_bench.runtime import THREADS_ENV, Runtime, available_cores, parse_threads


def test_parse_threads():
    assert parse_threads("3") == 3
    assert parse_threads(2) == 2
    assert parse_threads("all") == available_cores() >= 1
    for bad in ("0", "-1", "two", ""):
        with pytest.raises(ValueError, match="threads"):
            parse_threads(bad)


def test_from_env_names_the_variable():
    assert Runtime.from_env({}) == Runtime(1)
    assert Runtime.from_env({THREADS_ENV: "2"}) == Runtime(2)
    with pytest.raises(ValueError, match=THREADS_ENV):
        Runtime.from_env({THREADS_ENV: "lots"})


@pytest.mark.parametrize("threads", [1, 2])
def test_applied_sets_every_knob_and_restores_it(threads):
    before = _compat.concurrency_settings()
    with Runtime(threads).applied() as runtime:
        settings = runtime.settings()
        assert settings["threads"] == threads
        assert settings["blosc_nthreads"] == threads
        if _compat.ZARR_MAJOR >= 3:
            assert settings["zarr_async_concurrency"] == threads
            assert settings["zarr_max_workers"] == threads
            assert settings["blosc_use_threads"] is False  # zarr 3's choice: its pool is the parallelism
        else:
            assert settings["blosc_use_threads"] is (threads > 1)
    assert _compat.concurrency_settings() == before
