"""Every lossy family judged two ways on the synthetic volume: by added noise and by picking and averaging.

Prints a Markdown table (one row per setting) and the analysis times on stderr.  Each setting is written to
and read back from a memory store (Zarr format 3, 64³ chunks by default), as are the two half-volumes the
noise criterion needs.  Ratio = raw bytes ÷ chunk bytes.  "noise" is ``fidelity.assess(...).safe`` (at most
1 % added noise variance, FSC(original, decoded) ≥ 0.99 to the half-map resolution, that resolution in its
shell); "use" is ``particles.judge_use(...).safe`` (picking recall and precision and the average's half-set
FSC resolution inside the original's 95 % intervals).

    python tools/use_study.py                       # the default synthetic 128³ volume
    python tools/use_study.py --source "synthetic?shape=96&seed=1" --chunks 32
"""

from __future__ import annotations

import argparse
import sys
import time

from cryoet_zarr_bench import fidelity
from cryoet_zarr_bench.codecs import CODEC_SETS, check_error_bound, is_noise_tied, resolve_noise_tied
from cryoet_zarr_bench.particles import judge_use, known_particles, measure_use
from cryoet_zarr_bench.sources import acquire
from cryoet_zarr_bench.sources.halves import noise_estimate
from cryoet_zarr_bench.stores import MemoryStore, parse_chunks

#: Past the `lossy` set, coarser settings of each family, to find where picking and averaging change.
COARSER = (
    "bitround-1+blosc-zstd-5-shuffle",
    "bitround-0+blosc-zstd-5-shuffle",
    "quantize-4+blosc-zstd-5-shuffle",
    *(f"step-{p}%+pcodec-8" for p in ("0.1", "0.5", "1", "2", "5", "10", "30", "50", "99")),
    "step-1e-5+pcodec-8",
    "step-2e-5+pcodec-8",
    "step-4e-5+pcodec-8",
    *(f"zfp-accuracy-{t}" for t in ("3e-5", "1e-4", "3e-4", "1e-3")),
    *(f"zfp-precision-{p}" for p in (6, 5, 4, 3)),
)


def _write_read(data, codec, chunks):
    store = MemoryStore()
    store.write(data, codec=codec, chunks=chunks, zarr_format=3)
    decoded = store.read()
    check_error_bound(codec, data, decoded)
    return decoded, store.stored_bytes().chunks


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default="synthetic")
    parser.add_argument("--chunks", default="64")
    args = parser.parse_args(argv)
    volume = acquire(args.source)
    particles = known_particles(volume)
    if particles is None:
        parser.error(f"{args.source} has no known particles; give a synthetic source")
    chunks = parse_chunks(args.chunks)
    noise = noise_estimate(volume)
    started = time.perf_counter()
    before = measure_use(volume.data, particles)
    print(f"measure_use(original): {time.perf_counter() - started:.2f} s", file=sys.stderr)
    print(before_line(before))
    print()
    print("| setting | pipeline | ratio | added noise | noise | use | recall | precision | resolution Å |")
    print("|---|---|---|---|---|---|---|---|---|")
    use_seconds = []
    for name in (*CODEC_SETS["lossy"], *COARSER):
        codec = resolve_noise_tied(name, volume.data, noise.sigma) if is_noise_tied(name) else name
        decoded, chunk_bytes = _write_read(volume.data, codec, chunks)
        halves = tuple(_write_read(half, codec, chunks)[0] for half in noise.halves)
        assessed = fidelity.assess(
            volume.data, decoded, sigma=noise.sigma, voxel_spacing=volume.voxel_spacing[0],
            halves=noise.halves, halves_decoded=halves, with_ssim=False,
        )  # fmt: skip
        started = time.perf_counter()
        verdict = judge_use(before, measure_use(decoded, particles))
        use_seconds.append(time.perf_counter() - started)
        marks = {c.name: "" if c.unchanged else " ✗" for c in verdict.criteria}
        print(
            f"| `{name}` | `{codec}` | {volume.nbytes / chunk_bytes:.2f} | "
            f"{100 * assessed.added_noise_fraction:.3g} % | {_yes(assessed.safe)} | {_yes(verdict.safe)} | "
            f"{verdict.recall.after:.3f}{marks[verdict.recall.name]} | "
            f"{verdict.precision.after:.3f}{marks[verdict.precision.name]} | "
            f"{verdict.resolution.after:.1f}{marks[verdict.resolution.name]} |",
            flush=True,
        )
    median = sorted(use_seconds)[len(use_seconds) // 2]
    print(
        f"measure_use + judge_use per decoded copy: median {median:.2f} s, "
        f"max {max(use_seconds):.2f} s over {len(use_seconds)} settings",
        file=sys.stderr,
    )
    return 0


def before_line(before) -> str:
    crossing = before.average.crossing()
    (r_low, r_high), (p_low, p_high) = before.picking.recall_interval, before.picking.precision_interval
    return (
        f"Original: recall {before.picking.recall:.3f} ({before.picking.found} of {before.picking.particles} "
        f"particles; 95 % {r_low:.3f}–{r_high:.3f}), precision {before.picking.precision:.3f} "
        f"({before.picking.matched_picks} of {before.picking.picks} picks; 95 % {p_low:.3f}–{p_high:.3f}), "
        f"average of {before.average.particles[0]} + {before.average.particles[1]} particles at "
        f"{crossing.resolution:.1f} ± {crossing.resolution_uncertainty:.1f} Å."
    )


def _yes(flag) -> str:
    return "—" if flag is None else ("yes" if flag else "**no**")


if __name__ == "__main__":
    sys.exit(main())
