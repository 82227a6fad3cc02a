"""Cramér-Rao bound on ``(flux, n, r, g1, g2)`` for a GalSim galaxy stamp.

The noise model is Gaussian with the same variance ``sigma**2`` in every pixel (the simulator's
Poisson part is ignored, as in the reference values), so the Fisher matrix is
``J J^T / sigma**2`` with ``J`` the image derivatives, taken here by central finite differences
of GalSim's noiseless images.
"""

from __future__ import annotations

import numpy as np

from sim2model.sims.galsim_galaxies import GalaxyRecipe, render_noiseless


def default_steps(params: np.ndarray) -> np.ndarray:
    """Finite-difference steps: 1e-3 of the flux, 0.01 in n, 1e-3 in r (arcsec), g1 and g2."""
    return np.array([1e-3 * params[0], 1e-2, 1e-3, 1e-3, 1e-3])


def fisher_matrix(
    params: np.ndarray,
    psf_fwhm: float,
    sigma: float,
    recipe: GalaxyRecipe,
    steps: np.ndarray | None = None,
) -> np.ndarray:
    """The ``(5, 5)`` Fisher information of ``params`` (``TARGET_NAMES`` order, physical units)."""
    params = np.asarray(params, dtype=np.float64)
    steps = default_steps(params) if steps is None else np.asarray(steps, dtype=np.float64)
    rows = []
    for i, step in enumerate(steps):
        delta = np.zeros_like(params)
        delta[i] = step
        plus = render_noiseless(params + delta, psf_fwhm, recipe)
        minus = render_noiseless(params - delta, psf_fwhm, recipe)
        rows.append(((plus - minus) / (2 * step)).ravel())
    jacobian = np.array(rows)
    return jacobian @ jacobian.T / sigma**2


def cramer_rao_bound(
    params: np.ndarray,
    psf_fwhm: float,
    sigma: float,
    recipe: GalaxyRecipe,
    steps: np.ndarray | None = None,
) -> np.ndarray:
    """Lowest standard deviation of any unbiased estimator of each parameter: ``(5,)``."""
    fisher = fisher_matrix(params, psf_fwhm, sigma, recipe, steps)
    return np.sqrt(np.diag(np.linalg.inv(fisher)))
