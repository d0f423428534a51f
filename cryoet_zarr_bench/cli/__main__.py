"""``python -m cryoet_zarr_bench.cli``: the ``cryoet-zarr-bench`` command."""

import sys

from . import main

if __name__ == "__main__":  # not when merely imported (pkgutil.walk_packages imports every module)
    sys.exit(main())
