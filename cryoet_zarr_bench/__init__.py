"""cryoet-zarr-bench: which Zarr codec suits CryoET tomograms, across zarr-python and numcodecs releases."""

from .volume import Volume

__all__ = ["Volume", "__version__"]
__version__ = "0.1.0"
