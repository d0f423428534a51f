"""What every environment ran with, recorded beside its results: the concurrency and the volume.

``Concurrency.track_setting`` is the suite's runtime as each library received it (``threads`` itself, Blosc's
threads, zarr 3's ``async.concurrency`` and thread-pool size; n/a where the installed zarr has no such knob),
so a graph shows which concurrency every environment's figures used. ``Volume.track_checksum`` records which
bytes were benchmarked; every environment of a run must read the same (the suite fails otherwise).
"""

from cryoet_zarr_bench import _compat

from . import RUNTIME, VolumeBenchmark

#: Every knob :meth:`Runtime.settings` can report (the same list in every environment, so graphs line up).
KNOBS = ["threads", "blosc_nthreads", "blosc_use_threads", "zarr_async_concurrency", "zarr_max_workers"]


class Concurrency:
    version = "1"
    params = KNOBS
    param_names = ("setting",)

    def setup(self, setting):
        RUNTIME.apply()
        self.settings = RUNTIME.settings()
        if setting not in self.settings:
            raise NotImplementedError(f"zarr {_compat.library_versions()['zarr']} has no {setting}")

    def track_setting(self, setting):
        """The value each concurrency knob holds while the suite's benchmarks run (booleans as 1/0)."""
        return int(self.settings[setting])

    track_setting.unit = "threads (1/0 for on/off)"


class Volume(VolumeBenchmark):
    version = "1"
    params = ()
    param_names = ()

    def setup(self, volume):
        pass

    def track_checksum(self, volume):
        """The first 13 hex digits of the volume's SHA-256 (``sha256:...`` in the cache), as a number."""
        return int(volume.checksum().removeprefix("sha256:")[:13], 16)

    track_checksum.unit = "sha256 prefix"
