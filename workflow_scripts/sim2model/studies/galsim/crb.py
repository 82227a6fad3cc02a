"""Cramér-Rao bound on ``(flux, n, r, g1, g2)`` for a GalSim galaxy stamp.

The pixels are independent and Gaussian with mean ``I(theta)`` (GalSim's noiseless image) and
variance ``v = sigma**2`` (``gaussian`` noise, the reference values) or ``v = sigma**2 + I / gain``
(``ccd`` noise: the Poisson part of GalSim's ``CCDNoise`` has the variance of its mean). The Fisher
information of a Gaussian whose variance depends on the parameters is

    F_ij = sum_p dI_p/dtheta_i dI_p/dtheta_j / v_p + (1/2) dv_p/dtheta_i dv_p/dtheta_j / v_p**2

(the second term vanishes for ``gaussian``; for ``ccd`` ``dv = dI / gain`` and it is ~1/(2 v)
of the first, i.e. negligible for thousands of counts). The image derivatives are central finite
differences of GalSim's noiseless images.
"""

from __future__ import annotations

import numpy as np

from sim2model.studies.galsim.galaxies import CCD_GAIN, pixel_variance, render_noiseless
from sim2model.studies.galsim.prior import GalaxyPrior


def default_steps(params: np.ndarray) -> np.ndarray:
    """Finite-difference steps: 1e-3 of the flux, 0.01 in n, 1e-3 in r (arcsec), g1 and g2."""
    return np.array([1e-3 * params[0], 1e-2, 1e-3, 1e-3, 1e-3])


def image_jacobian(
    params: np.ndarray,
    psf_fwhm: float,
    prior: GalaxyPrior,
    steps: np.ndarray | None = None,
) -> np.ndarray:
    """Derivatives ``(5, H * W)`` of the noiseless stamp in each parameter (physical units)."""
    params = np.asarray(params, dtype=np.float64)
    steps = default_steps(params) if steps is None else np.asarray(steps, dtype=np.float64)
    rows = []
    for i, step in enumerate(steps):
        delta = np.zeros_like(params)
        delta[i] = step
        plus = render_noiseless(params + delta, psf_fwhm, prior)
        minus = render_noiseless(params - delta, psf_fwhm, prior)
        rows.append(((plus - minus) / (2 * step)).ravel())
    return np.array(rows)


def fisher_from_jacobian(
    jacobian: np.ndarray, image: np.ndarray, sigma: float, noise: str
) -> np.ndarray:
    """Fisher matrix of independent Gaussian pixels of mean ``image`` and the noise's variance."""
    variance = pixel_variance(np.ravel(image), sigma, noise)
    weight = 1.0 / variance
    if noise == "ccd":
        weight = weight + 0.5 / (CCD_GAIN * variance) ** 2
    return (jacobian * weight) @ jacobian.T


def fisher_matrix(
    params: np.ndarray,
    psf_fwhm: float,
    sigma: float,
    prior: GalaxyPrior,
    steps: np.ndarray | None = None,
    noise: str | None = None,
) -> np.ndarray:
    """The ``(5, 5)`` Fisher information of ``params`` (``TARGET_NAMES`` order, physical units).

    ``noise`` (``gaussian`` or ``ccd``) defaults to the prior's.
    """
    jacobian = image_jacobian(params, psf_fwhm, prior, steps)
    image = render_noiseless(np.asarray(params, dtype=np.float64), psf_fwhm, prior)
    return fisher_from_jacobian(jacobian, image, sigma, noise or prior.noise)


def bound_from_fisher(fisher: np.ndarray) -> np.ndarray:
    """Lowest standard deviation of any unbiased estimator of each parameter: ``(5,)``."""
    return np.sqrt(np.diag(np.linalg.inv(fisher)))


def cramer_rao_bound(
    params: np.ndarray,
    psf_fwhm: float,
    sigma: float,
    prior: GalaxyPrior,
    steps: np.ndarray | None = None,
    noise: str | None = None,
) -> np.ndarray:
    """Lowest standard deviation of any unbiased estimator of each parameter: ``(5,)``.

    ``noise`` (``gaussian`` or ``ccd``) defaults to the prior's.
    """
    return bound_from_fisher(fisher_matrix(params, psf_fwhm, sigma, prior, steps, noise))
