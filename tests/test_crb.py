"""Cramér-Rao bound against the reference values of the original study, and the Fisher matrix
of the Poisson + Gaussian (ccd) noise against a Monte-Carlo estimate of the score covariance."""

import galsim
import numpy as np
import pytest

from sim2model.studies.galsim.crb import (
    bound_from_fisher,
    cramer_rao_bound,
    default_steps,
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


# Small stamps, no module-scoped fixtures: each test below calls the functions it checks itself
# (mutmut only reruns the tests it saw calling a function, and a cached fixture hides the call).
SMALL = GalaxyPrior(stamp_size=16, noise="gaussian")
PARAMS = np.array([2e4, 1.5, 0.4, 0.1, -0.2])
#: coarse steps: the n derivative differs from the default steps' by ~5 per cent
STEPS = np.array([5e3, 0.5, 0.05, 0.05, 0.05])


def test_default_steps_are_the_documented_ones():
    """1e-3 of the flux, 0.01 in n, 1e-3 in r, g1 and g2 (whatever the other parameters)."""
    np.testing.assert_allclose(
        default_steps(np.array([2e4, 4.0, 0.7, 0.3, -0.5])), [20.0, 0.01, 1e-3, 1e-3, 1e-3],
        rtol=1e-12,
    )  # fmt: skip
    np.testing.assert_allclose(default_steps(TRUTH)[0], 100.0, rtol=1e-12)


def _central_difference(params, steps, prior):
    """(I(p + h_i e_i) - I(p - h_i e_i)) / (2 h_i), one row per parameter, by hand."""
    rows = []
    for i in range(5):
        up, down = np.array(params, dtype=float), np.array(params, dtype=float)
        up[i] += steps[i]
        down[i] -= steps[i]
        plus = render_noiseless(up, PSF_FWHM, prior)
        minus = render_noiseless(down, PSF_FWHM, prior)
        rows.append(((plus - minus) / (2 * steps[i])).ravel())
    return np.array(rows)


def test_jacobian_uses_the_given_steps_and_float_parameters():
    expected = _central_difference(PARAMS, STEPS, SMALL)
    jacobian = image_jacobian(PARAMS, PSF_FWHM, SMALL, STEPS)
    assert jacobian.shape == (5, 16 * 16)
    np.testing.assert_allclose(jacobian, expected, rtol=1e-12, atol=0)
    default = image_jacobian(PARAMS, PSF_FWHM, SMALL)
    np.testing.assert_allclose(default, _central_difference(PARAMS, default_steps(PARAMS), SMALL))
    assert np.abs(default[1] - jacobian[1]).max() > 1e-2 * np.abs(default[1]).max()
    # integer parameters (a YAML ``flux: 20000``) are not truncated steps of 0
    as_ints = image_jacobian([20000, 2, 1, 0, 0], PSF_FWHM, SMALL, STEPS)
    as_floats = image_jacobian([2e4, 2.0, 1.0, 0.0, 0.0], PSF_FWHM, SMALL, STEPS)
    np.testing.assert_array_equal(as_ints, as_floats)
    assert np.all(np.abs(as_floats).max(axis=1) > 0)


def test_fisher_matrix_and_bound_pass_the_steps_on():
    jacobian = image_jacobian(PARAMS, PSF_FWHM, SMALL, STEPS)
    image = render_noiseless(PARAMS, PSF_FWHM, SMALL)
    for noise in ("gaussian", "ccd"):
        fisher = fisher_matrix(PARAMS, PSF_FWHM, 10.0, SMALL, steps=STEPS, noise=noise)
        expected = fisher_from_jacobian(jacobian, image, 10.0, noise)
        np.testing.assert_allclose(fisher, expected, rtol=1e-12)
        bound = cramer_rao_bound(PARAMS, PSF_FWHM, 10.0, SMALL, steps=STEPS, noise=noise)
        np.testing.assert_allclose(bound, bound_from_fisher(expected), rtol=1e-12)
        default = cramer_rao_bound(PARAMS, PSF_FWHM, 10.0, SMALL, noise=noise)
        assert np.abs(bound / default - 1).max() > 1e-2  # the steps made a difference


@pytest.mark.parametrize("gain", [1.0, 2.0])
def test_fisher_of_heteroscedastic_gaussian_pixels_by_hand(monkeypatch, gain):
    """F_ij = sum_p J_ip J_jp (1 / v_p + (1/2) / (gain v_p)^2), v = sigma^2 + I / gain (ccd);
    the second term (dv = dI / gain) is absent for gaussian noise, where v = sigma^2."""
    monkeypatch.setattr("sim2model.studies.galsim.crb.CCD_GAIN", gain)
    monkeypatch.setattr("sim2model.studies.galsim.galaxies.CCD_GAIN", gain)
    jacobian = np.array([[1.0, 2.0, 0.0, 3.0], [0.0, 1.0, 1.0, -1.0]])
    image = np.array([[0.0, 3.0], [12.0, 5.0]])
    sigma = 2.0
    v = 4.0 + np.array([0.0, 3.0, 12.0, 5.0]) / gain
    w = 1 / v + 0.5 / (gain * v) ** 2
    # gain 1: v = 4, 7, 16, 9 and w = 9/32, 15/98, 33/512, 19/162
    if gain == 1.0:
        np.testing.assert_allclose(w, [9 / 32, 15 / 98, 33 / 512, 19 / 162], rtol=1e-15)
    expected = np.array(
        [
            [w[0] + 4 * w[1] + 9 * w[3], 2 * w[1] - 3 * w[3]],
            [2 * w[1] - 3 * w[3], w[1] + w[2] + w[3]],
        ]
    )
    np.testing.assert_allclose(
        fisher_from_jacobian(jacobian, image, sigma, "ccd"), expected, rtol=1e-14
    )
    gaussian = np.array([[1 + 4 + 9, 2 - 3], [2 - 3, 1 + 1 + 1]]) / 4.0
    np.testing.assert_allclose(
        fisher_from_jacobian(jacobian, image, sigma, "gaussian"), gaussian, rtol=1e-14
    )
