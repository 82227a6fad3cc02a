"""GalSim galaxy simulator: contract, prior, SNR cut, determinism, caching and fixed test sets."""

from dataclasses import replace

import galsim
import numpy as np
import pytest

from conftest import SEED_TESTSET as FIXED
from sim2model.io.dataset import read_dataset, write_dataset
from sim2model.stages.source import stamp_shard
from sim2model.studies.galsim import galaxies as gg
from sim2model.studies.galsim.galaxies import (
    limit_threads,
    pixel_variance,
    preload_profiles,
    render_noiseless,
    simulate_shard,
)
from sim2model.studies.galsim.names import TARGET_NAMES
from sim2model.studies.galsim.prior import FIXED_KEYS, GalaxyPrior

limit_threads(1)


@pytest.fixture(scope="module")
def prior():
    # a coarse grid keeps the number of Sérsic tables to build (~40 ms each) small
    return GalaxyPrior(n_grid=20, psf_fwhm=(0.4, 0.8))


@pytest.fixture(scope="module")
def shard(prior):
    return simulate_shard(prior, 24, seed=7, first_id=48)


def test_shard_follows_the_contract(shard, tmp_path):
    n = 24
    assert shard.x.shape == (n, 64, 64, 1) and shard.x.dtype == np.float32
    assert shard.y.shape == (n, 5) and shard.y.dtype == np.float32
    assert set(shard.meta) == {"snr", "sigma", "psf_fwhm", "sample_id", "seed"}
    assert all(v.shape == (n,) for v in shard.meta.values())
    assert shard.meta["sample_id"].dtype == np.int64
    np.testing.assert_array_equal(shard.meta["sample_id"], 48 + np.arange(n))
    for name in ("noiseless", "psf_image"):
        assert shard.extra[name].shape == (n, 64, 64) and shard.extra[name].dtype == np.float32
    assert "study" not in shard.attrs and "task" not in shard.attrs  # source_shard stamps them
    assert shard.attrs["target_names"] == list(TARGET_NAMES)
    assert shard.attrs["class_names"] == []

    complete = stamp_shard(shard, study="galsim", task="regression", config={})
    back = read_dataset(write_dataset(tmp_path / "shard.h5", complete))
    np.testing.assert_array_equal(back.x, shard.x)
    np.testing.assert_array_equal(back.y, shard.y)
    np.testing.assert_array_equal(back.extra["noiseless"], shard.extra["noiseless"])
    assert back.attrs["target_names"] == list(TARGET_NAMES)


def test_draws_respect_the_prior_and_the_snr_cut(shard, prior):
    flux, n, r, g1, g2 = shard.y.T
    assert np.all((flux >= 0.3e5) & (flux <= 4e5))
    assert np.all((r >= np.float32(0.1)) & (r <= np.float32(0.6)))
    assert np.all(np.hypot(g1, g2) <= 0.67 + 1e-6)
    assert np.all(np.isin(n, prior.n_values().astype(np.float32)))
    assert np.all((shard.meta["psf_fwhm"] >= 0.4) & (shard.meta["psf_fwhm"] <= 0.8))
    assert np.all((shard.meta["sigma"] >= 200) & (shard.meta["sigma"] <= 400))
    snr = shard.meta["snr"]
    assert np.all((snr >= 10) & (snr <= 100))
    recomputed = np.sqrt(np.sum(shard.extra["noiseless"].astype(np.float64) ** 2, axis=(1, 2)))
    np.testing.assert_allclose(recomputed / shard.meta["sigma"], snr, rtol=1e-5)
    assert shard.attrs["n_draws"] >= len(shard)


def test_noise_matches_the_recorded_sigma(shard):
    # sigma**2 dominates the variance here (Poisson share ~4e-4): this checks that meta/sigma is
    # the read noise each stamp got, not the Poisson part (test_noise_variance_against_intensity)
    noiseless = shard.extra["noiseless"].astype(np.float64)
    residual = shard.x[..., 0] - noiseless
    variance = shard.meta["sigma"][:, None, None] ** 2 + np.clip(noiseless, 0, None)
    assert np.mean(residual**2 / variance) == pytest.approx(1.0, abs=0.02)  # ~4.5 standard errors
    assert abs(np.mean(residual / np.sqrt(variance))) < 0.01


NOISE_SIGMA = 5.0  # read noise of the bright test galaxy: Poisson dominates wherever I > 25
N_BINS = 16


def _variance_against_intensity(noise: str):
    """Residual mean and variance of 128 noise draws of one bright galaxy (peak ~4e4 counts, read
    noise 5) in 16 bins of 256 pixels by noiseless intensity: (mean I, mean residual and its
    standard error, mean residual**2 and its standard error) per bin, from faint to bright."""
    fixed = {**FIXED, "flux": 1e6, "sigma": NOISE_SIGMA}
    ds = simulate_shard(GalaxyPrior(noise=noise, fixed=fixed), 128, seed=5)
    intensity = ds.extra["noiseless"][0].astype(np.float64)
    residual = ds.x[..., 0] - intensity
    edges = np.quantile(intensity, np.linspace(0, 1, N_BINS + 1))
    bins = np.clip(np.digitize(intensity, edges) - 1, 0, N_BINS - 1)
    stats = []
    for b in range(N_BINS):
        r = residual[:, bins == b].ravel()
        stats.append((intensity[bins == b].mean(), r.mean(), r.std() / np.sqrt(r.size),
                      np.mean(r**2), np.std(r**2) / np.sqrt(r.size)))  # fmt: skip
    return np.array(stats).T


@pytest.mark.parametrize(("noise", "slope"), [("ccd", 1.0), ("gaussian", 0.0)])
def test_noise_variance_against_intensity(noise, slope):
    """Residual variance = sigma**2 + slope * I: Poisson with gain 1 (counts are electrons) for
    ccd, none for gaussian. Over 20 seeds the fitted ccd slope scattered by 0.0066 and the
    intercept by 0.07 (gaussian: 6e-5 and 0.05), matching the fit's own standard errors; the
    tolerances are ~5 of those."""
    intensity, mean, mean_se, var, var_se = _variance_against_intensity(noise)
    # from the wings (I < 1) to a core where Poisson is over 100 times the read-noise variance
    assert intensity[0] < 1 and intensity[-1] > 100 * NOISE_SIGMA**2
    fit_slope, intercept = np.polyfit(intensity, var, 1, w=1 / var_se)
    assert fit_slope == pytest.approx(slope, abs=0.035 if noise == "ccd" else 5e-4)
    assert intercept == pytest.approx(NOISE_SIGMA**2, abs=0.35)
    # a straight line: chi2 of 14 degrees of freedom (99.9% quantile 36) over 20 seeds <= 25
    assert np.sum(((var - intercept - fit_slope * intensity) / var_se) ** 2) < 40
    # the variance the Cramér-Rao bound assumes, bin by bin (16 dof, 99.9% quantile 39)
    predicted = pixel_variance(intensity, NOISE_SIGMA, noise)
    assert np.sum(((var - predicted) / var_se) ** 2) < 45
    assert np.all(np.abs(mean / mean_se) < 5)  # unbiased: the noise has zero mean in every bin


def test_psf_image_is_the_unit_flux_moffat(shard):
    i = 3
    expected = (
        galsim.Moffat(beta=2.0, fwhm=shard.meta["psf_fwhm"][i])
        .drawImage(nx=64, ny=64, scale=0.23)
        .array
    )
    np.testing.assert_allclose(shard.extra["psf_image"][i], expected, rtol=1e-6, atol=1e-9)
    assert shard.extra["psf_image"].sum(axis=(1, 2)) == pytest.approx(1.0, abs=0.02)


def test_same_seed_is_bit_identical_and_other_seeds_differ(prior, shard):
    again = simulate_shard(prior, 24, seed=7, first_id=48)
    for a, b in [(shard.x, again.x), (shard.y, again.y)]:
        assert a.tobytes() == b.tobytes()
    for key in shard.meta:
        assert shard.meta[key].tobytes() == again.meta[key].tobytes()
    for key in shard.extra:
        assert shard.extra[key].tobytes() == again.extra[key].tobytes()
    other = simulate_shard(prior, 24, seed=8)
    assert not np.array_equal(other.y, shard.y)
    assert not np.array_equal(other.x, shard.x)


def test_psf_channel(prior):
    ds = simulate_shard(replace(prior, psf_channel=True), 3, seed=1)
    assert ds.x.shape == (3, 64, 64, 2)
    np.testing.assert_array_equal(ds.x[..., 1], ds.extra["psf_image"])


def test_continuous_n_is_off_grid_and_not_cached():
    before = len(gg._UNIT_SERSIC)
    ds = simulate_shard(GalaxyPrior(n_grid=0), 4, seed=3)
    assert len(gg._UNIT_SERSIC) == before
    grid = GalaxyPrior().n_values().astype(np.float32)
    assert not np.any(np.isin(ds.y[:, 1], grid))


@pytest.mark.parametrize(
    ("n", "r", "g1", "g2", "fwhm"),
    [
        (6.0, 0.1, 0.67, 0.0, 0.5),
        (6.0, 0.6, 0.0, -0.67, 0.5),
        (6.0, 0.6, 0.47, 0.47, 1.2),
        (0.5, 0.1, -0.67, 0.0, 0.3),
        (0.5, 0.6, 0.3, 0.2, 0.5),
        (3.0, 0.3, -0.069, 0.15, 0.5),
    ],
)
def test_cached_profile_matches_a_fresh_sersic(n, r, g1, g2, fwhm):
    prior = GalaxyPrior()
    params = np.array([1e5, n, r, g1, g2])
    cached = render_noiseless(params, fwhm, prior, keep_profile=True)
    again = render_noiseless(params, fwhm, prior, keep_profile=True)
    galaxy = galsim.Sersic(n, half_light_radius=r, flux=1e5).shear(g1=g1, g2=g2)
    fresh = galsim.Convolve(galaxy, galsim.Moffat(beta=2.0, fwhm=fwhm))
    fresh = fresh.drawImage(nx=64, ny=64, scale=0.23).array
    assert cached.shape == (64, 64) and cached.dtype == np.float64
    assert np.all(np.isfinite(cached))
    np.testing.assert_array_equal(cached, again)
    assert np.max(np.abs(cached - fresh)) < 1e-6 * fresh.max()


@pytest.mark.parametrize(("sigma", "snr"), [(400.0, 29.95), (200.0, 59.90)])
def test_fixed_test_sets(sigma, snr):
    prior = GalaxyPrior(fixed={**FIXED, "sigma": sigma})
    ds = simulate_shard(prior, 6, seed=11)
    np.testing.assert_allclose(ds.meta["snr"], snr, atol=0.01)
    np.testing.assert_array_equal(ds.meta["sigma"], sigma)
    expected = np.float32([FIXED[k] for k in TARGET_NAMES])
    np.testing.assert_array_equal(ds.y, np.broadcast_to(expected, ds.y.shape))
    assert np.all(ds.extra["noiseless"] == ds.extra["noiseless"][0])
    assert len({x.tobytes() for x in ds.x}) == 6  # only the noise differs
    assert len(np.unique(ds.meta["seed"])) == 6


def test_snr_cut_can_reject_everything():
    prior = GalaxyPrior(n_grid=1, snr=(1e6, 2e6))
    with pytest.raises(RuntimeError, match="SNR cut"):
        simulate_shard(prior, 1, seed=0)


def test_preload_builds_every_grid_profile():
    prior = GalaxyPrior(sersic_n=(1.0, 2.0), n_grid=5)
    assert preload_profiles(prior) == 5
    assert all((float(n), None) in gg._UNIT_SERSIC for n in prior.n_values())
    assert preload_profiles(replace(prior, n_grid=0)) == 0


def test_prior_validation():
    assert GalaxyPrior(flux=[1.0, 2.0]).flux == (1.0, 2.0)
    with pytest.raises(ValueError, match="lower bound"):
        GalaxyPrior(half_light_radius=(0.6, 0.1))
    with pytest.raises(ValueError, match="n_grid"):
        GalaxyPrior(n_grid=-1)
    with pytest.raises(ValueError, match="fixed"):
        GalaxyPrior(fixed=FIXED)  # sigma missing
    assert set(FIXED_KEYS) == {*FIXED, "sigma"}


def test_unknown_noise_is_refused():
    with pytest.raises(ValueError, match="noise"):
        GalaxyPrior(noise="poisson")


def test_noiseless_variant_sees_the_noiseless_stamp():
    from sim2model.studies.galsim.study import GalsimStudy

    plan = {"prior": {"n_grid": 5, "stamp_size": 16}, "count": 3, "first": 0, "variant": "v0",
            "index": 0, "renderer": "galsim", "input": "noiseless"}  # fmt: skip
    ds = GalsimStudy.build_shard(plan, 5, "")
    np.testing.assert_array_equal(ds.x[..., 0], ds.extra["noiseless"])
    noisy = GalsimStudy.build_shard({**plan, "input": "noisy"}, 5, "")
    np.testing.assert_array_equal(noisy.extra["noiseless"], ds.extra["noiseless"])
    assert not np.array_equal(noisy.x, ds.x)
