"""GalSim renders of the reference's five Galaxy10 morphologies as SDSS-like 69x69 cutouts.

The embedded stand-in for Galaxy10 SDSS (the real file cannot be downloaded here). Every galaxy
is an exponential disk (``galsim.InclinedExponential``, thickness ``scale_h_over_r``) plus a
Sérsic spheroid holding the fraction ``bulge_fraction`` of the g-band flux; the smooth classes
are the spheroid alone (``bulge_fraction = 1``, disk values NaN). Per class (remapped label):

0. ``disk_face_on``: disk within 50 deg of face-on (uniform cos i), small n=4 bulge (B/T < 0.2);
1. ``smooth_round``: Sérsic n 3.5-5, axis ratio 0.85-1;
2. ``smooth_in_between``: Sérsic n 2.5-4, axis ratio 0.5-0.8;
3. ``disk_edge_on``: thin disk at 80-90 deg plus a round n=4 bulge (B/T 0.15-0.4);
4. ``spiral_tight``: a class-0-like disk whose light is modulated by a two-arm logarithmic
   spiral, ``1 + A cos(2 (phi - ln(r / r_s) / tan(pitch)) - phase)`` with pitch 8-15 deg and
   ``A`` 0.2-0.6, tapered inside the disk scale radius ``r_s``.

Shared priors (:class:`RenderSettings`): half-light radius log-uniform over 5-10 px, position
angle, centre offset, a Moffat PSF (beta 3, truncated at 4 FWHM; FWHM 1.3-1.8 px at SDSS's
0.396"/px) and the g-band SNR ``sqrt(sum I**2) / sqrt(sky + read_noise**2)`` of the noiseless
image ``I`` (log-uniform 50-500), which sets the flux. The smooth components are drawn by GalSim
(PSF and pixel convolution by FFT). The arm modulation, a zero-mean perturbation of the disk, is
sampled on a 2x oversampled grid (thin-disk projection, and a low-pass where the arms wind
tighter than a pixel so the centre cannot alias), convolved with the GalSim-drawn PSF by FFT and
binned to pixels; this agrees with a ``galsim.InterpolatedImage`` rendering to better than 10%
of the arm amplitude at a fifth of its cost.

Noise: Poisson on galaxy + sky (gain 1, then sky-subtracted) plus Gaussian read noise. Like an
SDSS JPEG cutout, each image is stretched by ``asinh(Q I / peak) / asinh(Q)`` (``peak``: maximum
of the 3x3-smoothed band-mean image, shared by the bands), clipped to [0, 1], quantised to 0..255
and divided by 256 as the reference scales the real data. With ``bands="gri"`` (channels g, r, i)
spheroids are red (g-r 0.7-0.85), disks blue (g-r 0.35-0.6) and arms bluer still; PSF, sky and
read noise are shared by the bands. The g channel's noise does not depend on ``bands``, its
stretch does (the peak is band-mean).

Speed (~300 images/s on one core): Sérsic indices are discretised to :data:`SERSIC_N_GRID`,
profiles truncated at :data:`SERSIC_TRUNCATION` half-light radii, and GalSim's FFT accuracy is
relaxed (:data:`GSPARAMS`; errors ~1e-4 of the peak, far below the 8-bit quantisation step).
Determinism: all randomness comes from ``np.random.default_rng(seed)``; each image's noise from
a generator seeded from it (``meta/seed``).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from functools import lru_cache

import galsim
import numpy as np
from scipy.ndimage import uniform_filter
from scipy.signal import fftconvolve

from sim2model.io.dataset import Dataset
from sim2model.progress import progress as progress_bar
from sim2model.studies.galaxy10.readers import (
    CLASS_NAMES,
    REFERENCE_CLASSES,
    band_channels,
    dataset_attrs,
)

Range = tuple[float, float]

SERSIC_N_GRID = np.round(np.arange(2.5, 5.0 + 1e-9, 0.25), 2)
SERSIC_TRUNCATION = 5.0  # in half-light radii
BULGE_SERSIC_N = 4.0
EXP_HLR_OVER_SCALE = 1.6783469900166608  # half-light radius / scale radius of an exponential
ARM_OVERSAMPLING = 2
ARM_BLUER = (0.2, 0.1)  # arms' (g-r, r-i) minus the disk's, in mag
PSF_BETA = 3.0
PSF_TRUNCATION = 4.0  # in FWHM
GSPARAMS = galsim.GSParams(folding_threshold=1e-2, maxk_threshold=1e-2)
RANGE_FIELDS = ("half_light_radius", "psf_fwhm", "snr", "sky_level")


@dataclass(frozen=True)
class RenderSettings:
    """Observation priors shared by all classes.

    Radii and FWHM in arcsec, ``sky_level`` and ``read_noise`` in counts (gain 1),
    ``max_offset`` in pixels (uniform in each axis), ``stretch`` the asinh softening ``Q``.
    ``half_light_radius`` and ``snr`` are drawn log-uniformly, the others uniformly.
    """

    stamp_size: int = 69
    pixel_scale: float = 0.396
    half_light_radius: Range = (2.0, 4.0)
    psf_fwhm: Range = (0.5, 0.7)
    snr: Range = (150.0, 1000.0)
    sky_level: Range = (50.0, 200.0)
    read_noise: float = 5.0
    max_offset: float = 1.5
    stretch: float = 10.0

    def __post_init__(self) -> None:
        for name in RANGE_FIELDS:
            lo, hi = (float(v) for v in getattr(self, name))
            if not 0 < lo <= hi:
                raise ValueError(
                    f"RenderSettings.{name} must satisfy 0 < low <= high, got {lo, hi}"
                )
            object.__setattr__(self, name, (lo, hi))
        for name in ("stamp_size", "pixel_scale", "stretch"):
            if getattr(self, name) <= 0:
                raise ValueError(f"RenderSettings.{name} must be positive")
        if self.read_noise < 0 or self.max_offset < 0:
            raise ValueError("RenderSettings.read_noise and max_offset must be >= 0")


@dataclass(frozen=True)
class GalaxyParams:
    """One galaxy: sizes in arcsec, angles in degrees (``arm_phase`` in rad), colours in mag.

    ``half_light_radius`` is the disk's (the spheroid's when ``bulge_fraction == 1``); the
    ``bulge_*`` values describe the Sérsic spheroid; disk values are NaN without a disk, arm
    values (``pitch_angle``, ``arm_phase``) NaN and ``spiral_amplitude`` 0 without arms.
    """

    label: int
    half_light_radius: float
    bulge_fraction: float
    sersic_n: float
    bulge_half_light_radius: float
    bulge_axis_ratio: float
    inclination: float
    scale_h_over_r: float
    spiral_amplitude: float
    pitch_angle: float
    arm_phase: float
    position_angle: float
    offset_x: float
    offset_y: float
    psf_fwhm: float
    snr: float
    sky_level: float
    disk_g_r: float
    disk_r_i: float
    bulge_g_r: float
    bulge_r_i: float


META_KEYS = tuple(f.name for f in fields(GalaxyParams) if f.name != "label")


def _log_uniform(rng: np.random.Generator, bounds: Range) -> float:
    return float(np.exp(rng.uniform(np.log(bounds[0]), np.log(bounds[1]))))


def _face_on_inclination(rng: np.random.Generator) -> float:
    """Inclination (deg) of a disk seen within 50 deg of face-on, isotropic (uniform cos i)."""
    return float(np.degrees(np.arccos(rng.uniform(np.cos(np.radians(50.0)), 1.0))))


def draw_params(rng: np.random.Generator, label: int, settings: RenderSettings) -> GalaxyParams:
    """Draw one galaxy of remapped class ``label`` (0..4) from the class and observation priors."""
    nan = float("nan")
    hlr = _log_uniform(rng, settings.half_light_radius)
    disk = {
        "inclination": nan,
        "scale_h_over_r": nan,
        "disk_g_r": nan,
        "disk_r_i": nan,
        "spiral_amplitude": 0.0,
        "pitch_angle": nan,
        "arm_phase": nan,
    }
    if label in (1, 2):  # smooth: the spheroid alone
        n_range, q_range = ((3.5, 5.0), (0.85, 1.0)) if label == 1 else ((2.5, 4.0), (0.5, 0.8))
        grid = SERSIC_N_GRID[(SERSIC_N_GRID >= n_range[0]) & (SERSIC_N_GRID <= n_range[1])]
        spheroid = {
            "bulge_fraction": 1.0,
            "sersic_n": float(rng.choice(grid)),
            "bulge_half_light_radius": hlr,
            "bulge_axis_ratio": rng.uniform(*q_range),
        }
    elif label in (0, 3, 4):
        edge_on = label == 3
        fraction = {0: (0.0, 0.2), 3: (0.15, 0.4), 4: (0.05, 0.3)}[label]
        spheroid = {
            "bulge_fraction": rng.uniform(*fraction),
            "sersic_n": BULGE_SERSIC_N,
            "bulge_half_light_radius": hlr * rng.uniform(*((0.2, 0.4) if edge_on else (0.1, 0.25))),
            "bulge_axis_ratio": rng.uniform(0.8, 1.0),
        }
        disk["inclination"] = rng.uniform(80.0, 90.0) if edge_on else _face_on_inclination(rng)
        disk["scale_h_over_r"] = rng.uniform(*((0.08, 0.15) if edge_on else (0.1, 0.2)))
        disk["disk_g_r"], disk["disk_r_i"] = rng.uniform(0.35, 0.6), rng.uniform(0.2, 0.35)
        if label == 4:
            disk["spiral_amplitude"] = rng.uniform(0.2, 0.6)
            disk["pitch_angle"] = rng.uniform(8.0, 15.0)
            disk["arm_phase"] = rng.uniform(0.0, 2 * np.pi)
    else:
        raise ValueError(f"label must be in 0..{len(CLASS_NAMES) - 1}, got {label}")
    offset = rng.uniform(-settings.max_offset, settings.max_offset, 2)
    values = {
        "label": int(label),
        "half_light_radius": hlr,
        **spheroid,
        **disk,
        "position_angle": rng.uniform(0.0, 180.0),
        "offset_x": offset[0],
        "offset_y": offset[1],
        "psf_fwhm": rng.uniform(*settings.psf_fwhm),
        "snr": _log_uniform(rng, settings.snr),
        "sky_level": rng.uniform(*settings.sky_level),
        "bulge_g_r": rng.uniform(0.7, 0.85),
        "bulge_r_i": rng.uniform(0.35, 0.45),
    }
    return GalaxyParams(**{k: float(v) if k != "label" else v for k, v in values.items()})


@lru_cache(maxsize=len(SERSIC_N_GRID) + 1)
def _unit_sersic(n: float) -> galsim.Sersic:
    """Unit-flux, unit-half-light-radius truncated Sérsic profile (tables built once per n)."""
    return galsim.Sersic(n, half_light_radius=1.0, trunc=SERSIC_TRUNCATION, gsparams=GSPARAMS)


UNIT_PSF = galsim.Moffat(beta=PSF_BETA, fwhm=1.0, trunc=PSF_TRUNCATION, gsparams=GSPARAMS)


def _band_ratios(g_r: float, r_i: float, channels: tuple[int, ...]) -> np.ndarray:
    """Flux in each band of ``channels`` relative to g for colours ``g-r`` and ``r-i`` (mag)."""
    return 10.0 ** (0.4 * np.array([0.0, g_r, g_r + r_i]))[list(channels)]


def _spiral_modulation(x: np.ndarray, y: np.ndarray, p: GalaxyParams, sigma: float) -> np.ndarray:
    """Face-on surface brightness of the arms of a unit-flux exponential disk at ``(x, y)``.

    The disk's light times ``A cos(2 (phi - ln(r / r_s) / tan(pitch)) - phase)``, tapered by
    ``1 - exp(-(r / r_s)**2)`` and damped by ``exp(-2 pi**2 sigma**2 / lambda**2)`` where the
    local radial wavelength ``lambda = pi tan(pitch) r`` is unresolved (Gaussian low-pass of
    width ``sigma``), so the pattern winding ever faster towards the centre cannot alias.
    """
    r_s = p.half_light_radius / EXP_HLR_OVER_SCALE
    r = np.maximum(np.hypot(x, y), 1e-6 * r_s)
    tan_pitch = math.tan(math.radians(p.pitch_angle))
    phase = 2 * (np.arctan2(y, x) - np.log(r / r_s) / tan_pitch) - p.arm_phase
    damping = np.exp(-2 * (np.pi * sigma / (np.pi * tan_pitch * r)) ** 2)
    disk = np.exp(-r / r_s) / (2 * np.pi * r_s**2)
    return p.spiral_amplitude * disk * -np.expm1(-((r / r_s) ** 2)) * damping * np.cos(phase)


def _arms_image(p: GalaxyParams, settings: RenderSettings, psf: galsim.GSObject) -> np.ndarray:
    """Arms of a unit-flux disk on the stamp: PSF-convolved and pixel-integrated, ``(size, size)``.

    The inclined (thin-disk) modulation is sampled on an ``ARM_OVERSAMPLING``-times finer grid,
    convolved by FFT with the PSF drawn there by GalSim, and binned back to the stamp's pixels.
    """
    k, size = ARM_OVERSAMPLING, settings.stamp_size
    fine = settings.pixel_scale / k
    centres = (np.arange(size * k) + 0.5) / k - 0.5 - (size - 1) / 2  # in stamp pixels
    dx = (centres - p.offset_x) * settings.pixel_scale
    dy = (centres - p.offset_y) * settings.pixel_scale
    angle, cos_i = math.radians(p.position_angle), math.cos(math.radians(p.inclination))
    x = dx[None, :] * math.cos(angle) + dy[:, None] * math.sin(angle)
    y = (dy[:, None] * math.cos(angle) - dx[None, :] * math.sin(angle)) / cos_i
    flux = _spiral_modulation(x, y, p, settings.pixel_scale / 2) * fine**2 / cos_i
    half = math.ceil(PSF_TRUNCATION * p.psf_fwhm / 2 / fine)
    kernel = psf.drawImage(nx=2 * half + 1, ny=2 * half + 1, scale=fine, method="no_pixel").array
    blurred = fftconvolve(flux, kernel / kernel.sum(), mode="same")
    return blurred.reshape(size, k, size, k).sum(axis=(1, 3))


def _components(
    p: GalaxyParams, channels: tuple[int, ...]
) -> list[tuple[galsim.GSObject, np.ndarray]]:
    """The smooth components (total g flux 1, galaxy frame) and their flux ratios per band."""
    bulge = _unit_sersic(p.sersic_n).dilate(p.bulge_half_light_radius)
    parts = [
        (
            bulge.shear(q=p.bulge_axis_ratio, beta=0.0 * galsim.degrees).withFlux(p.bulge_fraction),
            _band_ratios(p.bulge_g_r, p.bulge_r_i, channels),
        )
    ]
    if p.bulge_fraction < 1:
        disk = galsim.InclinedExponential(
            p.inclination * galsim.degrees,
            half_light_radius=p.half_light_radius,
            scale_h_over_r=p.scale_h_over_r,
            flux=1.0 - p.bulge_fraction,
            gsparams=GSPARAMS,
        )
        parts.append((disk, _band_ratios(p.disk_g_r, p.disk_r_i, channels)))
    return parts


def render_noiseless(
    p: GalaxyParams, settings: RenderSettings, bands: str = "g"
) -> tuple[np.ndarray, float]:
    """Noiseless PSF-convolved image in counts, float64 ``(size, size, C)``, and its g flux.

    The g-band flux is set so that the g image has the SNR ``p.snr`` against the per-pixel
    noise ``sqrt(sky + read_noise**2)``.
    """
    channels = band_channels(bands)
    size, scale = settings.stamp_size, settings.pixel_scale
    psf = UNIT_PSF.dilate(p.psf_fwhm)
    shift = (p.offset_x * scale, p.offset_y * scale)
    unit = np.zeros((size, size, len(channels)))
    for profile, ratios in _components(p, channels):
        placed = profile.rotate(p.position_angle * galsim.degrees).shift(*shift)
        image = galsim.Convolve(placed, psf).drawImage(galsim.ImageD(size, size, scale=scale))
        unit += image.array[:, :, None] * ratios
    if p.spiral_amplitude > 0:
        ratios = _band_ratios(p.disk_g_r - ARM_BLUER[0], p.disk_r_i - ARM_BLUER[1], channels)
        arms = _arms_image(p, settings, psf) * (1.0 - p.bulge_fraction)
        unit += arms[:, :, None] * ratios
    sigma = math.sqrt(p.sky_level + settings.read_noise**2)
    flux = p.snr * sigma / math.sqrt(float(np.sum(unit[:, :, 0] ** 2)))
    return flux * unit, flux


def add_noise(image: np.ndarray, sky_level: float, read_noise: float, seed: int) -> np.ndarray:
    """Sky-subtracted CCD noise: Poisson on image + sky (gain 1) plus Gaussian read noise.

    Bands are drawn in order from one generator, so a band's noise does not depend on the
    bands after it.
    """
    rng = np.random.default_rng(seed)
    noisy = np.empty_like(image)
    for band in range(image.shape[-1]):
        counts = rng.poisson(np.maximum(image[:, :, band] + sky_level, 0.0))
        noisy[:, :, band] = counts - sky_level + rng.normal(0.0, read_noise, counts.shape)
    return noisy


def asinh_stretch(image: np.ndarray, softening: float) -> np.ndarray:
    """uint8 ``round(255 * asinh(Q I / peak) / asinh(Q))`` of a ``(H, W, C)`` image.

    ``peak`` is the maximum of the 3x3-smoothed band-mean image (robust to single noisy
    pixels) and is shared by all bands, which keeps colours; values are clipped to [0, 1].
    """
    peak = float(uniform_filter(image.mean(axis=-1), size=3, mode="constant").max())
    peak = max(peak, np.finfo(np.float64).tiny)
    scaled = np.arcsinh(softening * image / peak) / np.arcsinh(softening)
    return np.rint(255 * np.clip(scaled, 0.0, 1.0)).astype(np.uint8)


def render_galaxy10_like(
    n_samples: int,
    seed: int,
    *,
    first_id: int = 0,
    bands: str = "g",
    settings: RenderSettings | None = None,
    progress: bool = False,
) -> Dataset:
    """Render ``n_samples`` Galaxy10-like images of the five seed classes, balanced and shuffled.

    ``x`` is float32 ``(N, 69, 69, C)`` of ``uint8 / 256`` values like the real data, ``y`` the
    remapped labels (class counts differ by at most one). ``meta`` holds the :class:`GalaxyParams`
    (:data:`META_KEYS`), the g-band ``flux`` (counts), the noise ``seed``, ``sample_id`` (from
    ``first_id``), ``galaxy10_class`` and ``source_index`` (the render order). The same
    arguments always give bit-identical arrays.
    """
    settings = settings or RenderSettings()
    channels = band_channels(bands)
    if n_samples < 0:
        raise ValueError(f"n_samples must be >= 0, got {n_samples}")
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(n_samples) % len(CLASS_NAMES))
    size = settings.stamp_size
    x = np.empty((n_samples, size, size, len(channels)), dtype=np.float32)
    rows: list[dict[str, float]] = []
    with progress_bar(n_samples, "galaxy10 renders", enabled=progress) as bar:
        for i, label in enumerate(labels):
            params = draw_params(rng, int(label), settings)
            noise_seed = int(rng.integers(1, 2**31))
            image, flux = render_noiseless(params, settings, bands)
            noisy = add_noise(image, params.sky_level, settings.read_noise, noise_seed)
            x[i] = asinh_stretch(noisy, settings.stretch).astype(np.float32) / np.float32(256)
            rows.append({**asdict(params), "flux": flux, "seed": noise_seed})
            bar.update()
    meta = {k: np.array([row[k] for row in rows], dtype=np.float64) for k in META_KEYS}
    meta["flux"] = np.array([row["flux"] for row in rows], dtype=np.float64)
    meta["seed"] = np.array([row["seed"] for row in rows], dtype=np.int64)
    meta["sample_id"] = first_id + np.arange(n_samples, dtype=np.int64)
    meta["galaxy10_class"] = np.asarray(REFERENCE_CLASSES, dtype=np.int64)[labels]
    meta["source_index"] = np.arange(n_samples, dtype=np.int64)
    attrs = {**dataset_attrs(bands, "rendered"), "pixel_scale": settings.pixel_scale}
    return Dataset(x=x, y=labels.astype(np.int64), meta=meta, attrs=attrs)
