"""GalSim Sérsic galaxy stamps: the prior, a shard simulator and a noiseless renderer.

Each draw is a Sérsic galaxy (flux, index n, half-light radius, reduced shear g1/g2) convolved
with a Moffat (beta=2) PSF and the pixel, drawn on a square stamp (64x64 at 0.23"/px by default).
Noise (``GalaxyPrior.noise``) is ``ccd``, ``galsim.CCDNoise(sky_level=0, gain=1,
read_noise=sigma)``: Poisson noise on the galaxy counts plus Gaussian noise of standard deviation
``sigma`` (per-pixel variance ``sigma**2 + I / gain``), or ``gaussian``,
``galsim.GaussianNoise(sigma=sigma)`` as in the reference notebook. The SNR,
``sqrt(sum(I**2)) / sigma`` of the noiseless image ``I``, counts the Gaussian part only; draws
outside the prior's SNR window are rejected before any noise is drawn. Fixed-parameter priors
(``fixed``) skip the cut.

Speed: a Sérsic profile builds lookup tables (~40 ms) the first time it is drawn and GalSim keeps
only 100 of them, so with a discretised index (``n_grid > 0``) one unit-flux, unit-radius profile
per grid value is kept alive in this module and every galaxy is made from it by
``dilate``/``withFlux``/``shear`` (~15x the accepted images per second of continuous n). Building
the 1000 tables of the default grid takes ~50 s once per process (:func:`preload_profiles` does it
up front, e.g. before forking workers), so give each process shards of thousands of images.
GalSim's C++ layer uses OpenMP: call :func:`limit_threads` once in each worker process, as one
thread per process is fastest.

Determinism: all randomness comes from ``np.random.default_rng(seed)``; each accepted sample's
noise comes from a ``galsim.BaseDeviate`` seeded from it (stored as ``meta/seed``).
"""

from __future__ import annotations

import os
from functools import lru_cache

import galsim
import numpy as np

from sim2model.io.dataset import Dataset
from sim2model.progress import progress as progress_bar
from sim2model.studies.galsim.names import TARGET_NAMES, TARGET_UNITS
from sim2model.studies.galsim.prior import GalaxyPrior

MIN_ACCEPTANCE = 1e-3  # give up when fewer draws than this pass the SNR cut
CCD_GAIN = 1.0  # electrons per count of the ccd noise model

_UNIT_SERSIC: dict[tuple[float, galsim.GSParams | None], galsim.Sersic] = {}


def limit_threads(n_threads: int = 1) -> int:
    """Cap GalSim's OpenMP threads in this process; return the number OpenMP will use."""
    return galsim.set_omp_threads(n_threads)


def _unit_sersic(n: float, keep: bool, gsparams: galsim.GSParams | None) -> galsim.Sersic:
    """Unit-flux, unit-half-light-radius Sérsic profile; kept alive (tables and all) if ``keep``."""
    profile = _UNIT_SERSIC.get((n, gsparams))
    if profile is None:
        profile = galsim.Sersic(n, half_light_radius=1.0, gsparams=gsparams)
        if keep:
            _UNIT_SERSIC[n, gsparams] = profile
    return profile


@lru_cache(maxsize=16)
def _psf(fwhm: float, gsparams: galsim.GSParams | None = None) -> galsim.Moffat:
    return galsim.Moffat(beta=2.0, fwhm=fwhm, gsparams=gsparams)


@lru_cache(maxsize=16)
def _psf_image(fwhm: float, size: int, scale: float) -> np.ndarray:
    image = galsim.ImageD(size, size, scale=scale)
    array = _psf(fwhm).drawImage(image).array
    array.flags.writeable = False
    return array


def render_noiseless(
    params: np.ndarray,
    psf_fwhm: float,
    prior: GalaxyPrior,
    keep_profile: bool = False,
    gsparams: galsim.GSParams | None = None,
) -> np.ndarray:
    """Noiseless stamp (float64, ``(size, size)``) for ``params`` in :data:`TARGET_NAMES` order.

    Any n is allowed. ``keep_profile`` keeps the unit Sérsic profile of this n (and its tables)
    alive in the module cache: use it only for a bounded set of n values. ``gsparams`` (default:
    GalSim's, as in :func:`simulate_shard`) sets the accuracy of galaxy and PSF.
    """
    flux, n, r, g1, g2 = (float(p) for p in params)
    unit = _unit_sersic(n, keep_profile, gsparams)
    galaxy = unit.dilate(r).withFlux(flux).shear(g1=g1, g2=g2)
    size = prior.stamp_size
    image = galsim.ImageD(size, size, scale=prior.pixel_scale)
    galsim.Convolve(galaxy, _psf(float(psf_fwhm), gsparams)).drawImage(image)
    return image.array


def noise_model(noise: str, deviate: galsim.BaseDeviate, sigma: float) -> galsim.BaseNoise:
    """The GalSim noise of ``GalaxyPrior.noise`` with Gaussian standard deviation ``sigma``."""
    if noise == "ccd":
        return galsim.CCDNoise(deviate, sky_level=0.0, gain=CCD_GAIN, read_noise=sigma)
    return galsim.GaussianNoise(deviate, sigma=sigma)


def pixel_variance(noiseless: np.ndarray, sigma: float, noise: str) -> np.ndarray:
    """Per-pixel noise variance of a stamp: ``sigma**2``, plus ``I / gain`` for ``ccd`` noise."""
    variance = np.full(np.shape(noiseless), float(sigma) ** 2)
    if noise == "ccd":
        variance += np.clip(noiseless, 0.0, None) / CCD_GAIN
    return variance


def preload_profiles(prior: GalaxyPrior) -> int:
    """Build and keep the Sérsic tables of every grid value of n; return how many.

    Costs ~40 ms per value; processes forked afterwards inherit the tables.
    """
    grid = prior.n_values()
    for n in grid if grid is not None else ():
        params = np.array([1.0, n, np.mean(prior.half_light_radius), 0.0, 0.0])
        render_noiseless(params, prior.psf_fwhm[0], prior, keep_profile=True)
    return 0 if grid is None else grid.size


def _draw_params(
    rng: np.random.Generator, prior: GalaxyPrior, grid: np.ndarray | None
) -> tuple[np.ndarray, float, float]:
    """One prior draw: (params in TARGET_NAMES order, PSF FWHM, noise sigma)."""
    if prior.fixed is not None:
        fixed = prior.fixed
        params = np.array([fixed[k] for k in TARGET_NAMES], dtype=np.float64)
        return params, float(fixed["psf_fwhm"]), float(fixed["sigma"])
    n = grid[rng.integers(grid.size)] if grid is not None else rng.uniform(*prior.sersic_n)
    r = rng.uniform(*prior.half_light_radius)
    flux = rng.uniform(*prior.flux)
    g = rng.uniform(*prior.shear)
    beta = rng.uniform(0.0, np.pi)
    params = np.array([flux, n, r, g * np.cos(2 * beta), g * np.sin(2 * beta)])
    return params, rng.uniform(*prior.psf_fwhm), rng.uniform(*prior.sigma)


#: Candidate draws rendered together; the same for every renderer, so they accept the same draws.
DRAW_CHUNK = 64


def _galsim_renderer(prior: GalaxyPrior, grid: np.ndarray | None):
    """Render a chunk of draws one by one with GalSim (the reference)."""

    def render(params: np.ndarray, fwhm: np.ndarray) -> np.ndarray:
        return np.stack(
            [render_noiseless(p, f, prior, keep_profile=grid is not None) for p, f in
             zip(params, fwhm, strict=True)]
        )  # fmt: skip

    return render


def simulate_shard(
    prior: GalaxyPrior,
    n_samples: int,
    seed: int,
    first_id: int = 0,
    progress: bool = False,
    tables_dir: str | os.PathLike | None = None,
) -> Dataset:
    """Simulate ``n_samples`` accepted stamps; ``meta/sample_id`` runs from ``first_id``.

    Galaxies are drawn from the prior in chunks of :data:`DRAW_CHUNK` and rendered by GalSim, or,
    when ``tables_dir`` is given, by the batched renderer of
    :mod:`sim2model.studies.galsim.sersic_batch` (its Sérsic tables cached in that folder; n must be
    on the prior's grid). Draws, the SNR cut and the noise use separate random streams of ``seed``,
    so both renderers accept the same draws and add the same noise. The returned attributes hold
    study, task, target and class names and units only; the caller adds the provenance attributes
    the contract requires.
    """
    params_rng, noise_rng = (np.random.default_rng([seed, stream]) for stream in (0, 1))
    grid = prior.n_values()
    if tables_dir is None:
        render = _galsim_renderer(prior, grid)
    else:
        from sim2model.studies.galsim.sersic_batch import load_tables, render_batch

        if prior.fixed is not None:
            n_values = np.array([prior.fixed["sersic_n"]], dtype=np.float64)
        elif grid is None:
            raise ValueError("the batched renderer needs a grid of n (galsim.n_grid > 0)")
        else:
            n_values = grid
        tables = load_tables(n_values, tables_dir)

        def render(params: np.ndarray, fwhm: np.ndarray) -> np.ndarray:
            return render_batch(params, fwhm, prior, tables)

    size, channels = prior.stamp_size, 2 if prior.psf_channel else 1
    x = np.empty((n_samples, size, size, channels), dtype=np.float32)
    y = np.empty((n_samples, len(TARGET_NAMES)), dtype=np.float32)
    noiseless = np.empty((n_samples, size, size), dtype=np.float32)
    psf_image = np.empty((n_samples, size, size), dtype=np.float32)
    meta = {
        "snr": np.empty(n_samples),
        "sigma": np.empty(n_samples),
        "psf_fwhm": np.empty(n_samples),
        "seed": np.empty(n_samples, dtype=np.int64),
    }
    n_draws = i = 0
    with progress_bar(n_samples, "galsim stamps", enabled=progress) as bar:
        while i < n_samples:
            if n_draws > n_samples / MIN_ACCEPTANCE:
                raise RuntimeError(f"under {MIN_ACCEPTANCE:.1%} of draws pass the SNR cut")
            draws = [_draw_params(params_rng, prior, grid) for _ in range(DRAW_CHUNK)]
            params = np.array([d[0] for d in draws])
            fwhms = np.array([d[1] for d in draws])
            images = render(params, fwhms)
            for (p, fwhm, sigma), image in zip(draws, images, strict=True):
                if i == n_samples:
                    break
                n_draws += 1
                snr = float(np.sqrt(np.sum(image**2)) / sigma)
                if prior.fixed is None and not prior.snr[0] <= snr <= prior.snr[1]:
                    continue
                noise_seed = int(noise_rng.integers(1, 2**31))
                noisy = galsim.ImageD(image.copy(), scale=prior.pixel_scale)
                deviate = galsim.BaseDeviate(noise_seed)
                noisy.addNoise(noise_model(prior.noise, deviate, sigma))
                x[i, :, :, 0] = noisy.array
                psf_image[i] = _psf_image(fwhm, size, prior.pixel_scale)
                if prior.psf_channel:
                    x[i, :, :, 1] = psf_image[i]
                y[i] = p
                noiseless[i] = image
                for key, value in zip(meta, (snr, sigma, fwhm, noise_seed), strict=True):
                    meta[key][i] = value
                i += 1
                bar.update()
    meta["sample_id"] = first_id + np.arange(n_samples, dtype=np.int64)
    return Dataset(
        x=x,
        y=y,
        meta=meta,
        extra={"noiseless": noiseless, "psf_image": psf_image},
        attrs={
            "target_names": list(TARGET_NAMES),
            "class_names": [],
            "units": list(TARGET_UNITS),
            "n_draws": n_draws,
        },
    )
