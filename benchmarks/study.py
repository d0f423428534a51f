"""The codec study: what each lossy codec costs in fidelity, judged the cryo-EM way; the limits beside ratios.

Every figure here is deterministic, so each is a ``track_`` benchmark measured once; none is a timing.  Stores
are in memory.  Each write is checked against the codec's own guarantee (``codecs.check_error_bound``: exact
for lossless codecs, the stated bound for lossy ones); a broken guarantee fails the benchmark.

Noise σ: from the synthetic source's two half-volumes (same particles, independent noise, same scale as the
default volume) when the volume is synthetic; otherwise a robust estimate from the volume alone
(``fidelity.noise_sigma_mad``, an underestimate for spatially correlated noise), and the half-map figures are
n/a: those benchmarks return NaN, which asv records and shows as a skipped case (a ``NotImplementedError``
raised in a benchmark's body, not its setup, would be recorded as a failure).  PSNR's peak is the original
volume's range (max - min).

The codec study is opt-in: ``CRYOET_ZARR_BENCH_STUDIES=codec``.  Its codecs are the ``study`` set unless
``CRYOET_ZARR_BENCH_CODECS`` names others; the fidelity classes take its lossy codecs, ``LosslessLimit`` its
lossless ones, and a class with none defines no benchmarks.  Fidelity does not depend on the Zarr format, so
the study writes format 3 only (zarr 2.18 environments skip it).
"""

import math
from dataclasses import dataclass

import numpy as np

from cryoet_zarr_bench import fidelity, information
from cryoet_zarr_bench.codecs import NOISE_TIED, check_error_bound, parse_codec, resolve_noise_tied
from cryoet_zarr_bench.codecs.filters import Step
from cryoet_zarr_bench.stores import MemoryStore, parse_chunks

from . import CHUNKS, SETTINGS, VolumeBenchmark, only_if

SELECTED = SETTINGS.runs("codec")
LOSSY = [name for name in SETTINGS.study_codecs if not parse_codec(name).lossless]
LOSSLESS = [name for name in SETTINGS.study_codecs if parse_codec(name).lossless]
#: Fidelity is the same in both formats; format 3 is the one the portal is moving to.
STUDY_FORMATS = [3]


@dataclass(frozen=True)
class StudyData:
    """The volume and its noise reference (σ, how it was estimated, half-volumes if any)."""

    volume: object
    noise: fidelity.NoiseReference

    @property
    def sigma(self):
        return self.noise.sigma

    @property
    def halves(self):
        return self.noise.halves


def _fsc_resolution(a, b, threshold, voxel_spacing):
    """The resolution (Å) where the Fourier shell correlation of ``a`` and ``b`` first falls below ``threshold``."""
    return fidelity.crossing(fidelity.fsc(a, b), threshold, voxel_spacing).resolution


class _StudyBase(VolumeBenchmark):
    """The study data once per environment (one ``setup_cache`` for every study class) and checked writes."""

    def setup_cache(self):
        volume = super().setup_cache()
        return StudyData(volume, fidelity.noise_reference(volume))

    def _write_volume(self, study, codec, chunks, zarr_format):
        """One checked write of the volume with ``codec``; keeps the decoded copy and the stored bytes."""
        self.study = study
        self.codec = codec
        self.chunk_shape = parse_chunks(chunks)
        self.decoded, self.stored = self._write_read(study.volume.data, zarr_format)

    @property
    def _ratio(self):
        """The volume's compression ratio with the codec: raw bytes / stored bytes."""
        return self.study.volume.nbytes / self.stored.total

    def _write_read(self, data, zarr_format):
        store = MemoryStore()
        store.write(data, codec=self.codec, chunks=self.chunk_shape, zarr_format=zarr_format)
        decoded = store.read()
        check_error_bound(self.codec, data, decoded)
        return decoded, store.stored_bytes()


@only_if(SELECTED and LOSSY)
class LossyFidelity(_StudyBase):
    """Fidelity of every lossy codec of the study: one checked write of the volume per case (and of both
    half-volumes for the half-map figures)."""

    version = "1"
    params = [LOSSY, CHUNKS, STUDY_FORMATS]

    def setup(self, study, codec, chunks, zarr_format):
        super().setup(study.volume, codec, chunks, zarr_format)
        self._write_volume(study, self.resolve(study, codec), chunks, zarr_format)

    def resolve(self, study, codec):
        """The concrete pipeline name for ``codec`` (the identity here)."""
        return codec

    def _halves_decoded(self, zarr_format):
        return tuple(self._write_read(half, zarr_format)[0] for half in self.study.halves)

    def _half_map_fidelity(self, zarr_format):
        """The figures that need the half-volumes, each compressed with the codec (SSIM left out); None
        without half-volumes (any volume but the synthetic one)."""
        if self.study.halves is None:
            return None
        return fidelity.assess(
            self.study.volume.data,
            self.decoded,
            sigma=self.study.sigma,
            voxel_spacing=self.study.volume.voxel_spacing[0],
            halves=self.study.halves,
            halves_decoded=self._halves_decoded(zarr_format),
            with_ssim=False,
        )

    def _original(self):
        return self.study.volume.data

    def track_compression_ratio(self, study, codec, chunks, zarr_format):
        return self._ratio

    track_compression_ratio.unit = "ratio"

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
        return fidelity.ssim(self._original(), self.decoded)

    track_ssim.unit = "SSIM (7^3 uniform window)"

    def track_added_noise(self, study, codec, chunks, zarr_format):
        return 100 * fidelity.added_noise_fraction(self._original(), self.decoded, study.sigma)

    track_added_noise.unit = "% of noise variance"

    def track_worst_shell_added_power(self, study, codec, chunks, zarr_format):
        curve = fidelity.shell_error_fraction(self._original(), self.decoded)
        return 100 * float(np.nanmax(curve.values))

    track_worst_shell_added_power.unit = "% of data power (worst Fourier shell)"

    def track_fsc_0143_resolution(self, study, codec, chunks, zarr_format):
        return _fsc_resolution(self._original(), self.decoded, 0.143, study.volume.voxel_spacing[0])

    track_fsc_0143_resolution.unit = "Å (FSC original vs decoded < 0.143)"

    def track_fsc_05_resolution(self, study, codec, chunks, zarr_format):
        return _fsc_resolution(self._original(), self.decoded, 0.5, study.volume.voxel_spacing[0])

    track_fsc_05_resolution.unit = "Å (FSC original vs decoded < 0.5)"

    def track_half_map_shift(self, study, codec, chunks, zarr_format):
        assessed = self._half_map_fidelity(zarr_format)
        return math.nan if assessed is None else assessed.half_map_shift_angstrom

    track_half_map_shift.unit = "Å (half-map FSC 0.143 after - before)"

    def track_half_map_shift_shells(self, study, codec, chunks, zarr_format):
        assessed = self._half_map_fidelity(zarr_format)
        return math.nan if assessed is None else assessed.half_map_shift_shells

    track_half_map_shift_shells.unit = "Fourier shells"

    def track_safe(self, study, codec, chunks, zarr_format):
        assessed = self._half_map_fidelity(zarr_format)
        return math.nan if assessed is None else int(assessed.safe)

    track_safe.unit = "1 = safe (<=1% added noise, FSC>=0.99 to half-map resolution, resolution unmoved)"

    def track_ratio_of_rate_distortion_bound(self, study, codec, chunks, zarr_format):
        added = fidelity.added_noise_fraction(self._original(), self.decoded, study.sigma)
        bound = information.rate_distortion_ratio(added, 8 * study.volume.dtype.itemsize)
        return self._ratio / bound

    track_ratio_of_rate_distortion_bound.unit = (
        "fraction of R(D) = 1/2 log2(sigma^2/D) at the same added noise"
    )


@only_if(SELECTED and LOSSY)
class NoiseTiedFidelity(LossyFidelity):
    """Settings chosen from the volume's noise, resolved to a pipeline per volume:

    ``step-<f>%``      uniform quantiser with Δ = √(12 f)·σ (adds f·σ² of variance)
    ``bitround-<f>%``  the fewest mantissa bits whose rounding adds at most f·σ² of variance
    ``bitinfo-<p>%``   the mantissa bits holding p% of the bitwise real information (Klöwer et al. 2021)

    They run beside the study's lossy codecs.
    """

    version = "1"
    params = [list(NOISE_TIED), CHUNKS, STUDY_FORMATS]

    def resolve(self, study, codec):
        return resolve_noise_tied(codec, study.volume.data, study.sigma)

    def track_resolved_setting(self, study, codec, chunks, zarr_format):
        """Δ for step settings (data units), kept mantissa bits for BitRound ones."""
        stage = parse_codec(self.codec).filters[0]
        return stage.size if isinstance(stage, Step) else stage.keepbits

    track_resolved_setting.unit = "step (data units) or kept mantissa bits"


@only_if(SELECTED)
class Limits(_StudyBase):
    """What the volume allows, whatever the codec: the order-0 byte-plane entropy limit and the noise."""

    version = "1"
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

    track_noise_sigma.unit = "data units"

    def track_half_map_resolution(self, study):
        if study.halves is None:  # n/a: only the synthetic source makes half-volumes
            return math.nan
        return _fsc_resolution(*study.halves, 0.143, study.volume.voxel_spacing[0])

    track_half_map_resolution.unit = "Å (half-map FSC < 0.143)"

    def track_rate_distortion_bound_at_1pct(self, study):
        return information.rate_distortion_ratio(0.01, 8 * study.volume.dtype.itemsize)

    track_rate_distortion_bound_at_1pct.unit = "ratio (Gaussian source, 1% added noise)"


@only_if(SELECTED and LOSSLESS)
class LosslessLimit(_StudyBase):
    """Each lossless codec's ratio as a fraction of the entropy estimate."""

    version = "1"
    params = [LOSSLESS, CHUNKS, STUDY_FORMATS]

    def setup(self, study, codec, chunks, zarr_format):
        super().setup(study.volume, codec, chunks, zarr_format)
        self._write_volume(study, codec, chunks, zarr_format)

    def track_fraction_of_entropy_limit(self, study, codec, chunks, zarr_format):
        return self._ratio / information.entropy_ratio_limit(study.volume.data)

    track_fraction_of_entropy_limit.unit = "fraction of the order-0 byte-plane entropy ratio"
