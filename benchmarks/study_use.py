"""The codec study judged by use: whether a lossy setting changes what users do with a tomogram (part of the
codec study, ``CRYOET_ZARR_BENCH_STUDIES=codec``).

The synthetic volume's particles are known: they are picked by template matching and averaged at their true
positions (``cryoet_zarr_bench.particles``), in the original and in its decoded copy, and a setting passes
when recall, precision and the average's half-set FSC resolution stay inside the original's 95% intervals
(docs/codec-study.md).  Only a synthetic volume of 64³ or more has particles known and numerous enough; on any
other source the class defines no benchmarks.  Deterministic figures, so ``track_`` benchmarks.
"""

import json
from dataclasses import dataclass
from pathlib import Path

from cryoet_zarr_bench import particles
from cryoet_zarr_bench._atomic import write_file
from cryoet_zarr_bench.codecs import check_error_bound, is_noise_tied, resolve_noise_tied
from cryoet_zarr_bench.sources.halves import noise_estimate
from cryoet_zarr_bench.stores import MemoryStore, parse_chunks

from . import CHUNKS, SETTINGS, VolumeBenchmark, only_if
from .study import LOSSY, NOISE_TIED_EXTRA, SELECTED, STUDY_FORMATS


@dataclass(frozen=True)
class UseData:
    """The volume, its noise σ (for noise-tied names), its known particles and the original's picking and
    averaging measures."""

    volume: object
    sigma: float
    particles: object
    original: object


def _use_figures(data, codec, chunks):
    """The decoded copy's recall, precision, resolution and verdict for one case: computed by the first
    benchmark of the case (one checked write into a memory store), kept as JSON in asv's working directory for
    the class's other benchmarks, which would otherwise repeat the whole analysis."""
    path = Path("use-figures") / f"{codec}_{chunks}.json"
    if path.exists():
        return json.loads(path.read_text())
    store = MemoryStore()
    store.write(data.volume.data, codec=codec, chunks=parse_chunks(chunks), zarr_format=STUDY_FORMATS[0])
    decoded = store.read()
    check_error_bound(codec, data.volume.data, decoded)
    verdict = particles.judge_use(data.original, particles.measure_use(decoded, data.particles))
    figures = {c: getattr(verdict, c).after for c in ("recall", "precision", "resolution")}
    figures["safe"] = int(verdict.safe)
    write_file(path, lambda stream: stream.write(json.dumps(figures).encode()))
    return figures


#: The suite volume's known particles (a synthetic source's), found from the source string alone.
KNOWN = particles.source_particles(SETTINGS.source) if SELECTED and LOSSY else None


@only_if(SELECTED and LOSSY and KNOWN is not None and KNOWN.unmeasurable() is None)
class UseFidelity(VolumeBenchmark):
    """Whether a lossy setting changes what users do with the tomogram: pick its particles by template
    matching and average them at their known positions (``cryoet_zarr_bench.particles``), original vs decoded,
    for the study's lossy codecs and the noise-tied settings.  Only a synthetic volume of 64³ or more has
    particles known and numerous enough; on any other the class defines no benchmarks.
    """

    version = "2"
    params = [LOSSY + NOISE_TIED_EXTRA, CHUNKS, STUDY_FORMATS]
    param_names = ["codec", "chunks", "zarr_format"]

    def setup_cache(self):
        volume = super().setup_cache()
        known = particles.known_particles(volume)
        return UseData(volume, noise_estimate(volume).sigma, known, particles.measure_use(volume.data, known))

    def setup(self, data, codec, chunks, zarr_format):
        super().setup(data.volume, codec, chunks, zarr_format)
        if is_noise_tied(codec):
            codec = resolve_noise_tied(codec, data.volume.data, data.sigma)
        self.figures = _use_figures(data, codec, chunks)

    def track_picking_recall(self, data, codec, chunks, zarr_format):
        return self.figures["recall"]

    track_picking_recall.unit = "fraction of known particles found (template matching)"

    def track_picking_precision(self, data, codec, chunks, zarr_format):
        return self.figures["precision"]

    track_picking_precision.unit = "fraction of picks that are particles"

    def track_average_resolution(self, data, codec, chunks, zarr_format):
        return self.figures["resolution"]

    track_average_resolution.unit = "Å (half-set FSC 0.143 of the average at the known positions)"

    def track_criterion_use(self, data, codec, chunks, zarr_format):
        return self.figures["safe"]

    track_criterion_use.unit = "1 = recall, precision and resolution inside the original's 95% intervals"
