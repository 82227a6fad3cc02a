"""Cramér-Rao bound against the reference values of the original study."""

import numpy as np
import pytest

from sim2model.eval.crb import cramer_rao_bound, fisher_matrix
from sim2model.sims.galsim_galaxies import GalaxyRecipe, limit_threads, render_noiseless

TRUTH = np.array([1e5, 3.0, 0.3, -0.069, 0.15])
PSF_FWHM = 0.5
# (sigma, reference CRB of flux, n, r, g1, g2) from the original study
REFERENCE = [
    (200.0, [0.056e5, 0.78, 0.028, 0.054, 0.054]),
    (400.0, [0.11e5, 1.56, 0.056, 0.11, 0.11]),
]

limit_threads(1)


@pytest.fixture(scope="module")
def recipe():
    return GalaxyRecipe()


@pytest.fixture(scope="module")
def fisher_200(recipe):
    return fisher_matrix(TRUTH, PSF_FWHM, 200.0, recipe)


@pytest.mark.parametrize(("sigma", "reference"), REFERENCE)
def test_crb_reproduces_the_reference(recipe, sigma, reference):
    bound = cramer_rao_bound(TRUTH, PSF_FWHM, sigma, recipe)
    np.testing.assert_allclose(bound, reference, rtol=0.05)


def test_fisher_matrix_is_symmetric_positive_definite(fisher_200):
    assert fisher_200.shape == (5, 5)
    np.testing.assert_allclose(fisher_200, fisher_200.T, rtol=1e-12)
    assert np.all(np.linalg.eigvalsh(fisher_200) > 0)


def test_flux_information_alone_is_snr_over_flux(recipe, fisher_200):
    snr = np.sqrt(np.sum(render_noiseless(TRUTH, PSF_FWHM, recipe) ** 2)) / 200.0
    assert snr == pytest.approx(59.90, abs=0.01)
    assert 1 / np.sqrt(fisher_200[0, 0]) == pytest.approx(TRUTH[0] / snr, rel=1e-6)


def test_bound_scales_with_sigma_and_not_with_steps(recipe, fisher_200):
    bound = np.sqrt(np.diag(np.linalg.inv(fisher_200)))
    coarse = cramer_rao_bound(TRUTH, PSF_FWHM, 400.0, recipe, steps=[1e3, 0.05, 5e-3, 5e-3, 5e-3])
    np.testing.assert_allclose(coarse, 2 * bound, rtol=1e-2)
