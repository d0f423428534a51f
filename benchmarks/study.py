"""The codec study: what each lossy codec costs in fidelity, judged the cryo-EM way; the limits beside ratios.

Every figure here is deterministic, so each is a ``track_`` benchmark measured once; none is a timing.  Stores
are in memory.  Each write is checked against the codec's own guarantee (``codecs.check_error_bound``: exact
for lossless codecs, the stated bound for lossy ones); a broken guarantee fails the benchmark.  A ratio is raw
bytes / chunk bytes (the metadata documents never enter it), as everywhere in the suite.

Noise σ (``cryoet_zarr_bench.noise``, through ``sources.halves.noise_estimate``): stated by the source's
``?sigma=``, else from its half-volumes (the synthetic source's own, or ``?halves=odd.mrc,even.mrc``), else
the spectral estimate; ``Limits`` records every estimate.  Without half-volumes the half-map criteria are
n/a: those benchmarks return NaN, which asv records and shows as a skipped case (a ``NotImplementedError``
raised in a benchmark's body, not its setup, would be recorded as a failure).  A stack of 2-D images (an
``.mrcs`` file) is judged image by image with 2-D FRCs.  Fidelity does not depend on the Zarr format, so
it is measured once, in Zarr format 3 (zarr 2.18 environments skip the study).  Noise-tied settings
(``step-1%+pcodec-8``, ``zfp-accuracy-0.1sigma``) are resolved against σ per volume.

The codec study is opt-in: ``CRYOET_ZARR_BENCH_STUDIES=codec``.  Its codecs are the ``study`` set unless
``CRYOET_ZARR_BENCH_CODECS`` names others; the fidelity classes take its lossy codecs, ``LosslessLimit`` its
lossless ones, and a class with none defines no benchmarks.  ``study_use.UseFidelity`` judges the same
settings by use.
"""

import math
from dataclasses import dataclass

from cryoet_zarr_bench import fidelity, information
from cryoet_zarr_bench.codecs import (
    NOISE_TIED,
    check_error_bound,
    is_noise_tied,
    parse_codec,
    resolve_noise_tied,
)
from cryoet_zarr_bench.codecs.filters import Step
from cryoet_zarr_bench.noise import HALVES, MAD, SPECTRAL, NoiseEstimate
from cryoet_zarr_bench.sources.halves import is_image_stack, noise_estimate
from cryoet_zarr_bench.stores import MemoryStore, parse_chunks

from . import CHUNKS, SETTINGS, VolumeBenchmark, is_lossless, only_if

SELECTED = SETTINGS.runs("codec")
LOSSY = [name for name in SETTINGS.study_codecs if not is_lossless(name)]
LOSSLESS = [name for name in SETTINGS.study_codecs if is_lossless(name)]
#: The noise-tied settings measured beside the lossy codecs of the set (those it does not hold itself).
NOISE_TIED_EXTRA = [name for name in NOISE_TIED if name not in LOSSY]
#: Fidelity does not depend on the Zarr format: one format, the one the portal is moving to.
STUDY_FORMATS = [3]


@dataclass(frozen=True)
class StudyData:
    """The volume, its noise estimate (σ, every estimate, half-volumes if any), its Gaussian reference and
    whether it is a stack of 2-D images."""

    volume: object
    noise: NoiseEstimate
    reference: information.GaussianReference
    images: bool

    @property
    def sigma(self):
        return self.noise.sigma

    @property
    def halves(self):
        return self.noise.halves


class _StudyBase(VolumeBenchmark):
    """The study data once per environment (one ``setup_cache`` for every study class) and checked writes."""

    def setup_cache(self):
        volume = super().setup_cache()
        reference = information.GaussianReference.of(volume.data)
        return StudyData(volume, noise_estimate(volume), reference, is_image_stack(volume))

    def _write_volume(self, study, codec, chunks, zarr_format):
        """One checked write of the volume with ``codec``; keeps the decoded copy and the stored bytes."""
        self.study = study
        self.codec = codec
        self.chunk_shape = parse_chunks(chunks)
        self.decoded, self.stored = self._write_read(study.volume.data, zarr_format)

    @property
    def _ratio(self):
        """The volume's compression ratio with the codec: raw bytes / chunk bytes."""
        return self.study.volume.nbytes / self.stored.chunks

    def _write_read(self, data, zarr_format):
        store = MemoryStore()
        store.write(data, codec=self.codec, chunks=self.chunk_shape, zarr_format=zarr_format)
        decoded = store.read()
        check_error_bound(self.codec, data, decoded)
        return decoded, store.stored_bytes()


def _criterion(assessed, name):
    """1 if the verdict's criterion ``name`` passed, 0 if it failed, NaN where it could not be judged."""
    passed = assessed.verdict.get(name).passed
    return math.nan if passed is None else int(passed)


@only_if(SELECTED and LOSSY)
class LossyFidelity(_StudyBase):
    """Fidelity of every lossy codec of the study: one checked write of the volume per case (and of both
    half-volumes for the half-map figures)."""

    version = "2"
    params = [LOSSY, CHUNKS, STUDY_FORMATS]

    def setup(self, study, codec, chunks, zarr_format):
        super().setup(study.volume, codec, chunks, zarr_format)
        self._write_volume(study, self.resolve(study, codec), chunks, zarr_format)
        self._format = zarr_format
        self._assessed = None

    def resolve(self, study, codec):
        """The concrete pipeline name for ``codec`` (noise-tied names resolved against σ)."""
        return resolve_noise_tied(codec, study.volume.data, study.sigma) if is_noise_tied(codec) else codec

    def _fidelity(self):
        """Every figure and the verdict, the half-volumes compressed alike when there are any (SSIM left out);
        computed once per case and process."""
        if self._assessed is None:
            halves = self.study.halves
            decoded = None
            if halves is not None:
                decoded = tuple(self._write_read(half, self._format)[0] for half in halves)
            self._assessed = fidelity.assess(
                self.study.volume.data,
                self.decoded,
                sigma=self.study.sigma,
                voxel_spacing=self.study.volume.voxel_spacing[0],
                halves=halves,
                halves_decoded=decoded,
                images=self.study.images,
                with_ssim=False,
            )
        return self._assessed

    def _original(self):
        return self.study.volume.data

    def track_compression_ratio(self, study, codec, chunks, zarr_format):
        return self._ratio

    track_compression_ratio.unit = "ratio (raw bytes / chunk bytes)"

    def track_mse(self, study, codec, chunks, zarr_format):
        return fidelity.mse(self._original(), self.decoded)

    track_mse.unit = "(data units)^2"

    def track_max_abs_error(self, study, codec, chunks, zarr_format):
        return fidelity.max_abs_error(self._original(), self.decoded)

    track_max_abs_error.unit = "data units"

    def track_psnr(self, study, codec, chunks, zarr_format):
        return fidelity.psnr(self._original(), self.decoded)

    track_psnr.unit = "dB (peak = original max - min)"

    def track_ssim(self, study, codec, chunks, zarr_format):
        if min(self._original().shape) < 7:
            return math.nan
        return fidelity.ssim(self._original(), self.decoded)

    track_ssim.unit = "SSIM (7^3 uniform window)"

    def track_added_noise(self, study, codec, chunks, zarr_format):
        return 100 * fidelity.added_noise_fraction(self._original(), self.decoded, study.sigma)

    track_added_noise.unit = "% of noise variance"

    def track_worst_shell_added_power(self, study, codec, chunks, zarr_format):
        return 100 * self._fidelity().worst_shell_error_fraction

    track_worst_shell_added_power.unit = "% of data power (worst Fourier shell; worst image of a stack)"

    def track_worst_shell_frequency(self, study, codec, chunks, zarr_format):
        return self._fidelity().worst_shell_frequency

    track_worst_shell_frequency.unit = "cycles/voxel (the worst shell's)"

    def track_half_map_shift(self, study, codec, chunks, zarr_format):
        change = self._fidelity().half_map
        return math.nan if change is None else change.shift_angstrom

    track_half_map_shift.unit = "Å (half-map FSC 0.143 after - before)"

    def track_half_map_deviation(self, study, codec, chunks, zarr_format):
        change = self._fidelity().half_map
        return math.nan if change is None else change.worst_deviation

    track_half_map_deviation.unit = "worst |FSC after - before| / 1/sqrt(n), shells up to the crossing"

    def track_safe(self, study, codec, chunks, zarr_format):
        safe = self._fidelity().safe
        return math.nan if safe is None else int(safe)

    track_safe.unit = "1 = every criterion passed (track_criterion_*), 0 = one failed"

    def track_criterion_added_noise(self, study, codec, chunks, zarr_format):
        return _criterion(self._fidelity(), fidelity.ADDED_NOISE)

    track_criterion_added_noise.unit = "1 = at most 1% of the noise variance added"

    def track_criterion_half_map(self, study, codec, chunks, zarr_format):
        return _criterion(self._fidelity(), fidelity.HALF_MAP)

    track_criterion_half_map.unit = "1 = half-map FSC unchanged within its uncertainty, no resolution shift"

    def track_criterion_signal_kept(self, study, codec, chunks, zarr_format):
        return _criterion(self._fidelity(), fidelity.SIGNAL_KEPT)

    track_criterion_signal_kept.unit = "1 = FSC(original, decoded) >= 0.99 up to the half-map resolution"

    def track_fraction_of_gaussian_reference(self, study, codec, chunks, zarr_format):
        fraction = study.reference.fraction(self._ratio, fidelity.mse(self._original(), self.decoded))
        return math.nan if fraction is None else fraction  # n/a: the setting was exact on these data

    track_fraction_of_gaussian_reference.unit = (
        "ratio / the Gaussian reference's at the same MSE (reverse water-filling over the measured spectrum; "
        "a reference, not a bound)"
    )


@only_if(SELECTED and LOSSY and NOISE_TIED_EXTRA)
class NoiseTiedFidelity(LossyFidelity):
    """Settings chosen from the volume's noise, resolved to a pipeline per volume:

    ``step-<f>%``      uniform quantiser with Δ = √(12 f)·σ rounded down (adds at most f·σ² of variance)
    ``bitround-<f>%``  the fewest mantissa bits whose rounding adds at most f·σ² of variance
    ``bitinfo-<p>%``   the mantissa bits holding p% of the bitwise real information (Klöwer et al. 2021)

    They run beside the study's lossy codecs; a setting the codec set holds itself is measured by
    ``LossyFidelity`` only.
    """

    version = "2"
    params = [NOISE_TIED_EXTRA, CHUNKS, STUDY_FORMATS]

    def track_resolved_setting(self, study, codec, chunks, zarr_format):
        """Δ for step settings (data units), kept mantissa bits for BitRound ones."""
        stage = parse_codec(self.codec).filters[0]
        return stage.size if isinstance(stage, Step) else stage.keepbits

    track_resolved_setting.unit = "step (data units) or kept mantissa bits"


@only_if(SELECTED)
class Limits(_StudyBase):
    """What the volume allows, whatever the codec: the order-0 byte-plane entropy limit, the noise estimates,
    the half-map resolution and the Gaussian reference at 1% added noise."""

    version = "2"
    params = []
    param_names = []

    def setup(self, study):
        self.study = study

    def teardown(self, study):
        pass

    def track_entropy_ratio_limit(self, study):
        return information.entropy_ratio_limit(study.volume.data)

    track_entropy_ratio_limit.unit = "ratio (order-0 entropy per byte plane after shuffle)"

    def track_noise_sigma(self, study):
        return study.sigma

    track_noise_sigma.unit = "data units (the estimate used: stated, else half-volumes, else spectral)"

    def track_noise_sigma_half_volumes(self, study):
        return study.noise.estimates.get(HALVES, math.nan)

    track_noise_sigma_half_volumes.unit = "data units (std(half1 - half2) / sqrt(2), scaled to the volume)"

    def track_noise_sigma_spectral(self, study):
        return study.noise.estimates[SPECTRAL]

    track_noise_sigma_spectral.unit = "data units (mean power at |k| >= 0.4 cycles/voxel)"

    def track_noise_sigma_mad(self, study):
        return study.noise.estimates[MAD]

    track_noise_sigma_mad.unit = "data units (1.4826 MAD of neighbour differences / sqrt(2))"

    def track_data_std(self, study):
        return study.noise.data_std

    track_data_std.unit = "data units"

    def _half_map(self, study):
        if study.halves is None:  # n/a: no half-volumes
            return None
        voxel = study.volume.voxel_spacing[0]
        if study.images:  # the first image's 2-D FRC stands for the stack
            return fidelity.crossing(fidelity.fsc(study.halves[0][0], study.halves[1][0]), 0.143, voxel)
        return fidelity.crossing(fidelity.fsc(*study.halves), 0.143, voxel)

    def track_half_map_resolution(self, study):
        crossing = self._half_map(study)
        return math.nan if crossing is None else crossing.resolution

    track_half_map_resolution.unit = "Å (half-map FSC < 0.143, interpolated)"

    def track_half_map_resolution_uncertainty(self, study):
        crossing = self._half_map(study)
        return math.nan if crossing is None else crossing.resolution_uncertainty

    track_half_map_resolution_uncertainty.unit = "Å (the FSC's 1/sqrt(n) carried through its slope)"

    def track_gaussian_reference_at_1pct(self, study):
        return study.reference.ratio(0.01 * study.sigma**2)

    track_gaussian_reference_at_1pct.unit = "ratio (Gaussian source of the measured spectrum, 1% added noise)"


@only_if(SELECTED and LOSSLESS)
class LosslessLimit(_StudyBase):
    """Each lossless codec's ratio as a fraction of the entropy estimate."""

    version = "2"
    params = [LOSSLESS, CHUNKS, STUDY_FORMATS]

    def setup(self, study, codec, chunks, zarr_format):
        super().setup(study.volume, codec, chunks, zarr_format)
        self._write_volume(study, codec, chunks, zarr_format)

    def track_fraction_of_entropy_limit(self, study, codec, chunks, zarr_format):
        return self._ratio / information.entropy_ratio_limit(study.volume.data)

    track_fraction_of_entropy_limit.unit = "fraction of the order-0 byte-plane entropy ratio"
