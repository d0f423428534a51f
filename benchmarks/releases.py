"""The releases each asv environment imports, checked against its matrix pins and recorded with its
results."""

from cryoet_zarr_bench._compat import library_versions
from cryoet_zarr_bench.releases import verify_pins, version_number


class Releases:
    """Graphs show one line per environment; these give each line's zarr/numcodecs release as a number."""

    version = "1"

    def setup(self):
        verify_pins()

    def track_zarr_release(self):
        return version_number(library_versions()["zarr"])

    track_zarr_release.unit = "release (major*10000 + minor*100 + patch)"

    def track_numcodecs_release(self):
        return version_number(library_versions()["numcodecs"])

    track_numcodecs_release.unit = "release (major*10000 + minor*100 + patch)"
