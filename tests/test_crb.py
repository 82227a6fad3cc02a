"""Cramér-Rao bound against the reference values of the original study, and the Fisher matrix
of the Poisson + Gaussian (ccd) noise against a Monte-Carlo estimate of the score covariance."""

import galsim
import numpy as np
import pytest

from sim2model.studies.galsim.crb import (
    cramer_rao_bound,
    fisher_from_jacobian,
    fisher_matrix,
    image_jacobian,
)
from sim2model.studies.galsim.galaxies import (
    limit_threads,
    noise_model,
    pixel_variance,
    render_noiseless,
)
from sim2model.studies.galsim.prior import GalaxyPrior

TRUTH = np.array([1e5, 3.0, 0.3, -0.069, 0.15])
PSF_FWHM = 0.5
# (sigma, reference CRB of flux, n, r, g1, g2) from the original study
REFERENCE = [
    (200.0, [0.056e5, 0.78, 0.028, 0.054, 0.054]),
    (400.0, [0.11e5, 1.56, 0.056, 0.11, 0.11]),
]

limit_threads(1)


@pytest.fixture(scope="module")
def prior():
    return GalaxyPrior(noise="gaussian")  # the reference bounds are for Gaussian noise


@pytest.fixture(scope="module")
def fisher_200(prior):
    return fisher_matrix(TRUTH, PSF_FWHM, 200.0, prior)


@pytest.mark.parametrize(("sigma", "reference"), REFERENCE)
def test_crb_reproduces_the_reference(prior, sigma, reference):
    bound = cramer_rao_bound(TRUTH, PSF_FWHM, sigma, prior)
    np.testing.assert_allclose(bound, reference, rtol=0.05)


def test_fisher_matrix_is_symmetric_positive_definite(fisher_200):
    assert fisher_200.shape == (5, 5)
    np.testing.assert_allclose(fisher_200, fisher_200.T, rtol=1e-12)
    assert np.all(np.linalg.eigvalsh(fisher_200) > 0)


def test_flux_information_alone_is_snr_over_flux(prior, fisher_200):
    snr = np.sqrt(np.sum(render_noiseless(TRUTH, PSF_FWHM, prior) ** 2)) / 200.0
    assert snr == pytest.approx(59.90, abs=0.01)
    assert 1 / np.sqrt(fisher_200[0, 0]) == pytest.approx(TRUTH[0] / snr, rel=1e-6)


def test_bound_scales_with_sigma_and_not_with_steps(prior, fisher_200):
    bound = np.sqrt(np.diag(np.linalg.inv(fisher_200)))
    coarse = cramer_rao_bound(TRUTH, PSF_FWHM, 400.0, prior, steps=[1e3, 0.05, 5e-3, 5e-3, 5e-3])
    np.testing.assert_allclose(coarse, 2 * bound, rtol=1e-2)


def test_poisson_term_raises_the_bound_by_the_pixel_variance(prior):
    # at sigma 200 the brightest pixels of the SNR-60 galaxy add a few per cent to sigma**2
    ccd = cramer_rao_bound(TRUTH, PSF_FWHM, 200.0, prior, noise="ccd")
    gaussian = cramer_rao_bound(TRUTH, PSF_FWHM, 200.0, prior, noise="gaussian")
    assert np.all(ccd > gaussian)
    peak = render_noiseless(TRUTH, PSF_FWHM, prior).max()
    assert np.all(ccd / gaussian < np.sqrt(1 + peak / 200.0**2))


def test_ccd_fisher_matches_the_monte_carlo_score_covariance():
    """Score of the heteroscedastic Gaussian likelihood, averaged over GalSim's CCDNoise draws."""
    prior = GalaxyPrior(stamp_size=16, noise="ccd")
    truth = np.array([3e4, 1.5, 0.35, 0.1, -0.2])
    sigma = 20.0  # bright galaxy, low read noise: the Poisson term dominates the variance
    image = render_noiseless(truth, PSF_FWHM, prior)
    jacobian = image_jacobian(truth, PSF_FWHM, prior)
    fisher = fisher_from_jacobian(jacobian, image, sigma, "ccd")
    gaussian_only = fisher_from_jacobian(jacobian, image, sigma, "gaussian")
    variance = pixel_variance(image, sigma, "ccd").ravel()
    n_draws = 4000
    noisy = np.empty((n_draws, image.size))
    deviate = galsim.BaseDeviate(11)
    for k in range(n_draws):
        draw = galsim.ImageD(image.copy(), scale=prior.pixel_scale)
        draw.addNoise(noise_model("ccd", deviate, sigma))
        noisy[k] = draw.array.ravel()
    residual = noisy - image.ravel()
    # d log L / d theta for N(I, v(theta)), dv = dI (gain 1)
    score = (residual / variance + 0.5 * (residual**2 / variance**2 - 1 / variance)) @ jacobian.T
    mc = np.cov(score, rowvar=False)
    diagonal = np.sqrt(np.diag(fisher))
    # relative to sqrt(F_ii F_jj): Monte-Carlo error ~ sqrt(2 / n_draws) ~ 0.02
    np.testing.assert_allclose(mc / np.outer(diagonal, diagonal),
                               fisher / np.outer(diagonal, diagonal), atol=0.08)  # fmt: skip
    np.testing.assert_allclose(np.diag(mc), np.diag(fisher), rtol=0.08)
    # the Gaussian-only Fisher misses the Poisson variance: far from the simulated scatter
    assert np.all(np.diag(gaussian_only) > 1.5 * np.diag(mc))
