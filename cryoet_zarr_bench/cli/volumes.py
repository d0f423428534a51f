"""``quick`` and ``fetch``: a volume acquired, and measured with a few codecs without asv."""

from __future__ import annotations

import argparse
import json
from dataclasses import replace

from .. import _compat, progress
from ..codecs import codec_set, is_noise_tied, parse_codec, resolve_noise_tied
from ..information import GaussianReference
from ..measure import check_memory, measure_codec
from ..report.tables import measurement_table
from ..runtime import Runtime
from ..sources import SourceSpec, acquire, describe_cache_entry, parse_source
from ..sources.halves import is_image_stack, noise_estimate
from ..sources.local import MRC_IMAGE_2D
from ..sources.spec import CentreCrop
from ..stores import format_chunks
from .options import _positive, _threads, add_array_options, add_no_cache_option, print_notes

__all__ = ["add_fetch", "add_quick", "cmd_fetch", "cmd_quick"]


def _sized_source(source: str, size: int | None) -> SourceSpec:
    """The source with ``--size`` applied: the synthetic volume's edge,
    or a centred cube of any other source."""
    spec = parse_source(source)
    if size is None:
        return spec
    if spec.kind == "synthetic":
        return replace(spec, shape=(size, size, size))
    return replace(spec, crop=CentreCrop((size, size, size)))


def cmd_quick(args: argparse.Namespace) -> int:
    codecs = codec_set(args.codecs)
    volume = acquire(_sized_source(args.source, args.size), cache=not args.no_cache, progress=not args.json)
    check_memory(volume, args.chunks, in_memory=args.memory)
    lossy = any(is_noise_tied(codec) or not parse_codec(codec).lossless for codec in codecs)
    noise = noise_estimate(volume, cache=not args.no_cache) if lossy else None
    reference = GaussianReference.of(volume.data) if lossy else None
    for codec in codecs:  # refuse, before any work, a codec that cannot store this volume here
        name = resolve_noise_tied(codec, volume.data, noise.sigma) if is_noise_tied(codec) else codec
        concrete = parse_codec(name)
        concrete.check(volume.dtype)
        concrete.check_values(volume.data)
    measurements = [
        measure_codec(
            volume,
            codec,
            chunks=args.chunks,
            zarr_format=args.zarr_format,
            repeats=args.repeats,
            in_memory=args.memory,
            runtime=Runtime(args.threads),
            noise=noise,
            reference=reference,
            images=is_image_stack(volume),
        )
        for codec in progress.steps(codecs, "quick")
    ]
    context = {
        "source": volume.source,
        "shape": list(volume.shape),
        "dtype": str(volume.dtype),
        "chunks": list(args.chunks),
        "zarr_format": args.zarr_format,
        "store": "memory" if args.memory else "directory",
        "repeats": args.repeats,
        "threads": args.threads,
        "notes": volume.provenance.get("notes", []),
        **_compat.library_versions(),
    }
    if noise is not None:
        context["noise"] = {
            "sigma": noise.sigma,
            "method": noise.method,
            "estimates": noise.estimates,
            "data_std": noise.data_std,
            "warnings": list(noise.warnings),
        }
    if args.json:
        print(json.dumps([{**m.as_row(), **context} for m in measurements], indent=2))
        return 0
    chunks = format_chunks(args.chunks)
    versions = ", ".join(f"{name} {version}" for name, version in _compat.library_versions().items())
    print(f"source: {volume.describe()}")
    if volume.provenance.get("mrc_layout") == MRC_IMAGE_2D:
        print(f"note: the source is a {MRC_IMAGE_2D}")
    print_notes(context["notes"])
    print(
        f"chunks {chunks}, Zarr format {args.zarr_format}, {context['store']} store; {versions}"
    )
    runtime = ", ".join(f"{name} {value}" for name, value in measurements[0].runtime.items())
    print(f"concurrency: {runtime}")
    if volume.dtype != "float32":
        print(f"data benchmarked as stored, in {volume.dtype} (add ?dtype=float32 to the source to convert)")
    if any(c > n for c, n in zip(args.chunks, volume.shape)):
        print(f"note: chunks {chunks} exceed the volume in some axis; zarr pads such chunks to full size")
    if noise is not None:
        print(
            "lossy codecs: PSNR peak = the volume's max - min; added noise = error variance / noise "
            f"variance; {noise.describe()}"
        )
        for warning in noise.warnings:
            print(f"note: {warning}")
    print(f"times are the median of {args.repeats} timed run(s) each; ratio = raw bytes / chunk bytes\n")
    print(measurement_table(measurements))
    return 0


def cmd_fetch(args: argparse.Namespace) -> int:
    volume = acquire(args.source, cache=not args.no_cache, progress=True)
    print(volume.describe())
    print_notes(volume.provenance.get("notes", []))
    if args.no_cache:
        print("read without the cache (--no-cache); nothing was stored")
    else:
        print(
            describe_cache_entry(volume.source) or "read in place; nothing to cache for this kind of source"
        )
    return 0


def add_quick(commands: argparse._SubParsersAction) -> None:
    """The ``quick`` command and its options."""
    quick = commands.add_parser(
        "quick",
        help="write/read times, ratios and fidelity for a few codecs, without asv",
        description="Write a volume with each codec, read it back, "
        "and print times, sizes and the round-trip check.",
    )
    quick.add_argument(
        "--source",
        default="synthetic",
        help="volume to benchmark (default: the synthetic 128^3 volume; "
        "see the README for the source syntax)",
    )
    quick.add_argument(
        "--size",
        type=_positive,
        help="edge N of an N^3 volume: the synthetic volume's size, or a centred crop of any other source",
    )
    add_array_options(quick)
    quick.add_argument(
        "--repeats", type=_positive, default=5, help="timed repeats; the median is shown (default 5)"
    )
    quick.add_argument(
        "--memory", action="store_true", help="use an in-memory store instead of a temporary directory"
    )
    quick.add_argument(
        "--threads",
        type=_threads,
        default=1,
        help="threads a read or write may use, N or 'all' (every core), given to Blosc and to zarr 3's chunk "
        "concurrency alike (default 1)",
    )
    quick.add_argument("--json", action="store_true", help="print the rows as a JSON list instead of a table")
    add_no_cache_option(quick)
    quick.set_defaults(run=cmd_quick)


def add_fetch(commands: argparse._SubParsersAction) -> None:
    """The ``fetch`` command and its options."""
    fetch = commands.add_parser(
        "fetch",
        help="acquire a volume into the cache and say what was stored",
        description="Read a source once (the portal, a URL, an MRC file) into the on-disk cache, so that asv "
        "environments read it with numpy alone. The cache is under $CRYOET_ZARR_BENCH_CACHE, else "
        "$XDG_CACHE_HOME/cryoet-zarr-bench or ~/.cache/cryoet-zarr-bench.",
    )
    fetch.add_argument("source", help="e.g. portal:10445/TS_100_3 or path/to/tomo.mrc (see the README)")
    add_no_cache_option(fetch)
    fetch.set_defaults(run=cmd_fetch)
