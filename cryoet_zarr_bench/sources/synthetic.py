"""A deterministic synthetic volume that compresses like a CryoET Data Portal tomogram.

The project's offline default source. :func:`synthetic_volume` builds a float32 volume from
``(shape, seed)`` alone, in the same way every time, with numpy only (asv benchmark environments have
numpy, zarr and numcodecs and nothing else):

1. White Gaussian noise (float32, :func:`numpy.random.Generator.standard_normal`).
2. Dense particles: a few hundred solid spheres per 128³ voxels (:data:`PARTICLES_PER_128_CUBE`), radius
   :data:`PARTICLE_RADIUS` voxels, subtracted from the noise (dense matter is dark, i.e. negative, in
   portal tomograms) with a contrast of :data:`PARTICLE_CONTRAST` times the noise's standard deviation.
3. One pass through Fourier space multiplies the spectrum by

   - a Gaussian low-pass of width :data:`LOWPASS_SIGMA` cycles/voxel, i.e. a Gaussian blur of
     ``1 / (2π · 0.21)`` = 0.76 voxel (the correlation between neighbouring voxels, which is what the
     compression ratios respond to),
   - the missing wedge of a single-axis tilt series of ±:data:`TILT_RANGE_DEGREES`° about y: every
     component with ``|kz| > tan(60°)·|kx|`` (direction within 30° of the beam axis z in the kz-kx plane)
     is set to zero, as is the mean.
4. A faint low-frequency background is added in Fourier space: random components under a Gaussian of
   width :data:`BACKGROUND_SIGMA` cycles/voxel (features of about 64 voxels), missing wedge included,
   with :data:`BACKGROUND_RELATIVE_STD` times the noise's standard deviation.
5. The result is scaled to a standard deviation of :data:`NOISE_STD`, the scale of portal tomograms.

Calibration
-----------
The reference is a real 128³ crop of a portal tomogram (TS_100_3, dataset 10445), written with 64³ chunks
(compression ratio = raw bytes / summed compressed bytes of the eight C-order chunks, one Blosc thread):

=============================  =========  ==========================  =================
codec (numcodecs 0.16)         real crop  this volume (128³, seed 0)  seeds 0-4
=============================  =========  ==========================  =================
Blosc(zstd, 5, SHUFFLE)        1.17       1.166                       1.166 - 1.168
Blosc(lz4, 5, SHUFFLE)         1.09       1.094                       1.093 - 1.094
Zstd(level=5)                  1.08       1.080                       1.080
=============================  =========  ==========================  =================

White Gaussian noise gives 1.15 / 1.07 / 1.08.  Correlation between neighbouring voxels raises both
shuffled Blosc ratios (the sign-and-exponent byte plane gets runs) and leaves plain Zstd where it is.
:data:`LOWPASS_SIGMA` is the knob that sets them (Blosc-Zstd / Blosc-LZ4 at seed 0):

======================  ===============
``LOWPASS_SIGMA``       ratios
======================  ===============
0.15                    1.181 / 1.113
0.21 (chosen)           1.166 / 1.094
0.25                    1.160 / 1.084
0.5                     1.153 / 1.068
======================  ===============

LZ4 gains faster than Blosc-Zstd as the correlation grows, so no value hits both centres; 0.21 splits the
difference.  Particles and background move the ratios by 0.003 or less.  ``tests/test_synthetic.py``
checks all three ratios to ±0.02.

Statistics at 128³ (seed 0): mean 0, standard deviation 1e-5, range -6.2e-5 ... +4.9e-5.  The negative
tail is the particles; the positive one is the noise (about 2 million near-Gaussian samples reach ±5σ)
plus the particles' missing-wedge side lobes, so the real crop's maximum of about +2e-5 is not reproduced.

The output is bit-identical for the same ``(shape, seed)``, numpy version and platform; the generator's
numpy version is recorded in the provenance.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from cryoet_zarr_bench.volume import Volume

__all__ = [
    "DEFAULT_SEED",
    "DEFAULT_SHAPE",
    "VOXEL_SPACING",
    "synthetic_half_volumes",
    "synthetic_labels",
    "synthetic_volume",
]

DEFAULT_SHAPE = (128, 128, 128)
DEFAULT_SEED = 0

#: Nominal voxel size in ångström (the portal's standard tomograms are reconstructed at about 10 Å).
VOXEL_SPACING = 10.0
#: Standard deviation of the output, in the portal tomograms' units.
NOISE_STD = 1e-5
#: Width (standard deviation) of the Gaussian low-pass, in cycles/voxel; the calibration knob.
LOWPASS_SIGMA = 0.21
#: Tilt range of the simulated tilt series, ± degrees about the y axis.
TILT_RANGE_DEGREES = 60.0
#: Mean number of particles in 128³ voxels; larger or smaller volumes get proportionally more or fewer.
PARTICLES_PER_128_CUBE = 300
#: Particle radii are uniform in this range, in voxels.
PARTICLE_RADIUS = (4.0, 8.0)
#: Particle contrasts are uniform in this range, in units of the filtered noise's standard deviation.
PARTICLE_CONTRAST = (1.5, 3.0)
#: Width of the low-frequency background band, in cycles/voxel (features of about 1 / 0.016 = 64 voxels).
BACKGROUND_SIGMA = 1 / 64
#: Standard deviation of the background relative to that of the noise.
BACKGROUND_RELATIVE_STD = 0.2
#: :func:`synthetic_labels` labels every this-many-th particle (a mask of one kind among ten).
LABELLED_EVERY = 10

_GENERATOR = "cryoet_zarr_bench.synthetic"


def synthetic_volume(shape: int | tuple[int, int, int] = DEFAULT_SHAPE, seed: int = DEFAULT_SEED) -> Volume:
    """Generate the synthetic tomogram for ``(shape, seed)``.

    Parameters
    ----------
    shape
        ``(z, y, x)`` size in voxels, or one integer for a cube.
    seed
        Non-negative integer seeding :func:`numpy.random.default_rng`.

    Returns
    -------
    Volume
        C-contiguous float32 data with standard deviation :data:`NOISE_STD` and mean zero,
        :data:`VOXEL_SPACING` Å voxels, source ``synthetic?shape=Z,Y,X&seed=N`` and the generator's
        parameters as provenance.

    Raises
    ------
    ValueError
        If ``shape`` is not one or three positive integers (or is a single column, ``(n, 1, 1)``), or
        ``seed`` is not a non-negative integer.
    """
    shape = _as_shape(shape)
    seed = _as_seed(seed)
    noise_rng, particle_rng, background_rng = np.random.default_rng(seed).spawn(3)
    spectral_filter = _Filter(shape)

    volume = noise_rng.standard_normal(shape, dtype=np.float32)
    particle_count = _subtract_particles(volume, particle_rng, unit=spectral_filter.noise_std)
    spectrum = _forward_fft(volume)
    del volume
    spectral_filter.apply_lowpass(spectrum)
    background_std = BACKGROUND_RELATIVE_STD * spectral_filter.noise_std
    spectral_filter.add_background(spectrum, background_rng, std=background_std)
    data = _inverse_fft(spectrum, shape)
    del spectrum
    data *= np.float32(NOISE_STD / _std(data))

    z, y, x = shape
    provenance = {
        "generator": _GENERATOR,
        "shape": list(shape),
        "seed": seed,
        "numpy": np.__version__,
        "std": NOISE_STD,
        "lowpass_sigma_cycles_per_voxel": LOWPASS_SIGMA,
        "tilt_range_degrees": TILT_RANGE_DEGREES,
        "particles": particle_count,
        "particle_radius_voxels": list(PARTICLE_RADIUS),
        "particle_contrast_noise_std": list(PARTICLE_CONTRAST),
        "background_relative_std": BACKGROUND_RELATIVE_STD,
        "calibrated_against": {
            "shape": [128, 128, 128],
            "chunks": [64, 64, 64],
            "ratios": {"blosc-zstd-5-shuffle": 1.17, "blosc-lz4-5-shuffle": 1.09, "zstd-5": 1.08},
        },
    }
    return Volume(
        data=data,
        voxel_spacing=(VOXEL_SPACING,) * 3,
        source=f"synthetic?shape={z},{y},{x}&seed={seed}",
        provenance=provenance,
    )


def synthetic_half_volumes(
    shape: int | tuple[int, int, int] = DEFAULT_SHAPE, seed: int = DEFAULT_SEED
) -> tuple[Volume, Volume, np.ndarray]:
    """Two half-volumes with the same particles and background and independent noise, and their signal.

    Built like :func:`synthetic_volume` (same particles and background for the same seed; each half's noise
    from its own generator), from the linearity of the filter: each half is ``signal + filtered noise``.  Both
    are scaled by one factor, which gives half 1 a standard deviation of :data:`NOISE_STD`.  Returns
    ``(half1, half2, signal)``, the signal scaled alike, so a test knows the signal and noise spectra exactly.
    The default volume is not one of the halves (its noise is drawn from a different generator).
    """
    shape = _as_shape(shape)
    seed = _as_seed(seed)
    _, particle_rng, background_rng, *noise_rngs = np.random.default_rng(seed).spawn(5)
    spectral_filter = _Filter(shape)

    signal = np.zeros(shape, dtype=np.float32)
    particle_count = _subtract_particles(signal, particle_rng, unit=spectral_filter.noise_std)
    spectrum = _forward_fft(signal)
    spectral_filter.apply_lowpass(spectrum)
    background_std = BACKGROUND_RELATIVE_STD * spectral_filter.noise_std
    spectral_filter.add_background(spectrum, background_rng, std=background_std)
    signal = _inverse_fft(spectrum, shape)
    halves = []
    for rng in noise_rngs:
        spectrum = _forward_fft(rng.standard_normal(shape, dtype=np.float32))
        spectral_filter.apply_lowpass(spectrum)
        halves.append(signal + _inverse_fft(spectrum, shape))
    scale = np.float32(NOISE_STD / _std(halves[0]))
    z, y, x = shape
    volumes = tuple(
        Volume(
            data=half * scale,
            voxel_spacing=(VOXEL_SPACING,) * 3,
            source=f"synthetic?shape={z},{y},{x}&seed={seed}&half={i}",
            provenance={"generator": _GENERATOR, "shape": list(shape), "seed": seed, "half": i,
                        "particles": particle_count, "numpy": np.__version__},
        )
        for i, half in enumerate(halves, start=1)
    )
    return volumes[0], volumes[1], signal * scale


def _as_shape(shape: object) -> tuple[int, int, int]:
    sizes = (shape,) * 3 if _is_integer(shape) else shape
    try:
        sizes = tuple(sizes)  # type: ignore[arg-type]
    except TypeError:
        sizes = ()
    if len(sizes) != 3 or not all(_is_integer(n) and n > 0 for n in sizes):
        raise ValueError(
            f"synthetic volume shape must be a positive integer or three of them (z, y, x), got {shape!r}"
        )
    if sizes[1] == sizes[2] == 1:
        raise ValueError(
            f"synthetic volume shape {shape!r} is a single column along z, which the missing wedge "
            "reduces to its mean; make y or x at least 2 voxels"
        )
    return tuple(int(n) for n in sizes)  # type: ignore[return-value]


def _as_seed(seed: object) -> int:
    if not (_is_integer(seed) and seed >= 0):
        raise ValueError(f"synthetic volume seed must be a non-negative integer, got {seed!r}")
    return int(seed)  # type: ignore[arg-type]


def _is_integer(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


class _Filter:
    """Fourier-space operations on the half spectrum of :func:`numpy.fft.rfftn`, one kz plane at a time.

    Every profile is a Gaussian of ``|k|`` and so separates into per-axis factors; with the missing wedge
    depending on (kz, kx) only, no full-size array is ever built.
    """

    def __init__(self, shape: tuple[int, int, int]) -> None:
        nz, ny, nx = shape
        self._frequencies = (np.fft.fftfreq(nz), np.fft.fftfreq(ny), np.fft.rfftfreq(nx))
        kz, _, kx = self._frequencies
        self._wedge = np.abs(kz)[:, None] <= math.tan(math.radians(TILT_RANGE_DEGREES)) * kx[None, :]
        # Each rfft column kx stands for itself and its conjugate, except kx = 0 and the even Nyquist.
        self._multiplicity = np.where((kx == 0) | (kx == 0.5), 1.0, 2.0)
        self._size = nz * ny * nx
        self._lowpass = self._profile(LOWPASS_SIGMA)
        # Mean of (wedge · lowpass)² over the full spectrum, less the mean (k = 0) where every factor is 1.
        lz, ly, lx = (p**2 for p in self._lowpass)
        zx = self._wedge * lz[:, None] * (lx * self._multiplicity)[None, :]
        noise_power = (float(zx.sum() * ly.sum()) - 1.0) / self._size
        #: Standard deviation the filter gives unit white noise (the particles' contrast unit).
        self.noise_std = math.sqrt(noise_power)

    def _profile(self, sigma: float) -> list[np.ndarray]:
        return [np.exp(-0.5 * (k / sigma) ** 2) for k in self._frequencies]

    def apply_lowpass(self, spectrum: np.ndarray) -> None:
        """Multiply the spectrum by the low-pass and the missing wedge and remove its mean, in place."""
        lz, ly, lx = self._lowpass
        lowpass_yx = np.outer(ly, lx)
        for iz in range(len(lz)):
            spectrum[iz] *= (lz[iz] * lowpass_yx * self._wedge[iz]).astype(np.float32)
        spectrum[0, 0, 0] = 0

    def transfer(self) -> np.ndarray:
        """The low-pass and missing wedge as one multiplier on the whole half spectrum (mean removed),
        float64: what :meth:`apply_lowpass` does to every particle."""
        lz, ly, lx = self._lowpass
        multiplier = lz[:, None, None] * np.outer(ly, lx)[None] * self._wedge[:, None, :]
        multiplier[0, 0, 0] = 0.0
        return multiplier

    def add_background(self, spectrum: np.ndarray, rng: np.random.Generator, std: float) -> None:
        """Add Gaussian random low-frequency components with standard deviation ``std``, in place.

        Only the box of frequencies within four widths of zero is drawn; the profile is below 3e-4
        outside it.
        """
        profile = self._profile(BACKGROUND_SIGMA)
        box = [np.flatnonzero(np.abs(k) <= 4 * BACKGROUND_SIGMA) for k in self._frequencies]
        iz, iy, ix = np.ix_(*box)
        pz, py, px = (p[b] for p, b in zip(profile, box, strict=True))
        envelope = pz[:, None, None] * py[None, :, None] * px[None, None, :] * self._wedge[iz, ix]
        envelope[0, 0, 0] = 0.0
        power = float((envelope**2 * self._multiplicity[ix]).sum()) / self._size
        if power == 0.0:
            return  # the volume is too small to hold a single background feature
        envelope *= std / math.sqrt(power)
        # Unit complex Gaussians have the spectrum statistics of unit white noise under norm="ortho".
        real, imaginary = rng.standard_normal((2, *envelope.shape))
        spectrum[iz, iy, ix] += (envelope * (real + 1j * imaginary) * math.sqrt(0.5)).astype(np.complex64)


def _particles(shape: tuple[int, ...], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Centres (voxels), radii (voxels) and contrasts (noise units) of the particles, drawn from ``rng``."""
    count = round(PARTICLES_PER_128_CUBE * math.prod(shape) / 128**3)
    centres = rng.uniform(0.0, np.array(shape), size=(count, 3))
    radii = rng.uniform(*PARTICLE_RADIUS, size=count)
    contrasts = rng.uniform(*PARTICLE_CONTRAST, size=count)
    return centres, radii, contrasts


def _sphere(shape: np.ndarray, centre: np.ndarray, radius: float) -> tuple[tuple[slice, ...], np.ndarray]:
    """The bounding box of a sphere inside an array of ``shape``, and the sphere's mask within it."""
    low = np.maximum(np.floor(centre - radius).astype(int), 0)
    high = np.minimum(np.ceil(centre + radius).astype(int) + 1, shape)
    box = tuple(slice(lo, hi) for lo, hi in zip(low, high, strict=True))
    grid = np.ogrid[box]
    distance2 = sum((axis - c) ** 2 for axis, c in zip(grid, centre, strict=True))
    return box, distance2 <= radius * radius


def _subtract_particles(volume: np.ndarray, rng: np.random.Generator, unit: float) -> int:
    """Subtract solid spheres from ``volume`` in place; return how many were drawn.

    Contrasts are in units of ``unit``, the standard deviation the filter gives the noise, so they keep
    their meaning whatever the filter.
    """
    centres, radii, contrasts = _particles(volume.shape, rng)
    shape = np.array(volume.shape)
    for centre, radius, contrast in zip(centres, radii, contrasts * unit, strict=True):
        box, sphere = _sphere(shape, centre, radius)
        volume[box] -= np.float32(contrast) * sphere
    return len(radii)


def synthetic_labels(
    shape: int | tuple[int, int, int] = DEFAULT_SHAPE, seed: int = DEFAULT_SEED, every: int = LABELLED_EVERY
) -> Volume:
    """A segmentation mask of the synthetic tomogram for ``(shape, seed)``: uint8, mostly zero.

    Every ``every``-th particle of :func:`synthetic_volume` (same positions and radii) is labelled 1, as a
    mask of one kind of particle would be; everything else is 0.
    """
    shape = _as_shape(shape)
    seed = _as_seed(seed)
    _, particle_rng, _ = np.random.default_rng(seed).spawn(3)
    centres, radii, _ = _particles(shape, particle_rng)
    labels = np.zeros(shape, dtype=np.uint8)
    for centre, radius in zip(centres[::every], radii[::every], strict=True):
        box, sphere = _sphere(np.array(shape), centre, radius)
        labels[box] |= sphere.astype(np.uint8)
    z, y, x = shape
    return Volume(
        data=labels,
        voxel_spacing=(VOXEL_SPACING,) * 3,
        source=f"synthetic-labels?shape={z},{y},{x}&seed={seed}&every={every}",
        provenance={"generator": _GENERATOR, "shape": list(shape), "seed": seed, "labelled_every": every},
    )


# norm="ortho" everywhere: with numpy 2.x's default norm the forward transforms run in double precision
# (measured: 5x slower and 4x the memory for float32 input).  Planes are transformed one at a time and the
# z axis in place, so the peak is one real and one complex volume.


def _forward_fft(volume: np.ndarray) -> np.ndarray:
    nz, ny, nx = volume.shape
    spectrum = np.empty((nz, ny, nx // 2 + 1), dtype=np.complex64)
    for iz in range(nz):
        spectrum[iz] = np.fft.rfft2(volume[iz], norm="ortho")
    np.fft.fft(spectrum, axis=0, norm="ortho", out=spectrum)
    return spectrum


def _inverse_fft(spectrum: np.ndarray, shape: tuple[int, int, int]) -> np.ndarray:
    np.fft.ifft(spectrum, axis=0, norm="ortho", out=spectrum)
    data = np.empty(shape, dtype=np.float32)
    for iz in range(shape[0]):
        data[iz] = np.fft.irfft2(spectrum[iz], s=shape[1:], norm="ortho")
    return data


def _std(data: np.ndarray) -> float:
    """Standard deviation about zero (the filter removed the mean), summed in float64 one plane at a time."""
    sum_of_squares = sum(float(np.square(plane, dtype=np.float64).sum()) for plane in data)
    return math.sqrt(sum_of_squares / data.size)
