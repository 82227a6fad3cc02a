"""Batched Sérsic renderer against GalSim: stamps, FFT sizes, Cramér-Rao bounds, table cache."""

import galsim
import numpy as np
import pytest

from sim2model.studies.galsim import sersic_batch as sb
from sim2model.studies.galsim.crb import default_steps, fisher_matrix
from sim2model.studies.galsim.galaxies import _draw_params, limit_threads
from sim2model.studies.galsim.galaxies import render_noiseless as galsim_render
from sim2model.studies.galsim.prior import GalaxyPrior

limit_threads(1)

PEAK_TOL = 1e-3  # max |batched - GalSim| as a fraction of the stamp's peak
FLUX_TOL = 1e-4  # relative difference of the stamp's total flux
CRB_TOL = 0.01

PRIOR = GalaxyPrior(psf_fwhm=(0.5, 1.0), n_grid=12)


def corners() -> tuple[np.ndarray, np.ndarray]:
    """Extreme n and radius, round and maximally sheared at three angles, both PSFs."""
    params, fwhm = [], []
    for n in (0.5, 6.0):
        for r in (0.1, 0.6):
            for g, beta in ((0.0, 0.0), (0.67, 0.0), (0.67, 0.7), (0.67, 2.0)):
                for f in (0.5, 1.0):
                    params.append([1e5, n, r, g * np.cos(2 * beta), g * np.sin(2 * beta)])
                    fwhm.append(f)
    return np.array(params), np.array(fwhm)


def prior_draws(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    draws = [_draw_params(rng, PRIOR, PRIOR.n_values()) for _ in range(count)]
    return np.array([d[0] for d in draws]), np.array([d[1] for d in draws])


def compare(params: np.ndarray, fwhm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per stamp: max |difference| / GalSim's peak, and the relative flux difference."""
    tables = sb.build_tables(np.unique(params[:, 1]))
    batched = sb.render_batch(params, fwhm, PRIOR, tables)
    reference = np.array([galsim_render(p, f, PRIOR) for p, f in zip(params, fwhm, strict=True)])
    peak = np.abs(batched - reference).max(axis=(1, 2)) / reference.max(axis=(1, 2))
    flux = batched.sum(axis=(1, 2)) / reference.sum(axis=(1, 2)) - 1
    return peak, flux


@pytest.mark.parametrize("sample", ["corners", "prior"])
def test_stamps_match_galsim(sample):
    params, fwhm = corners() if sample == "corners" else prior_draws(40, seed=3)
    peak, flux = compare(params, fwhm)
    worst = int(np.argmax(peak))
    assert peak.max() <= PEAK_TOL, f"worst stamp {params[worst]} psf {fwhm[worst]}: {peak[worst]}"
    assert np.abs(flux).max() <= FLUX_TOL


def test_fft_sizes_are_galsims(monkeypatch):
    params, fwhm = prior_draws(30, seed=5)
    corner_params, corner_fwhm = corners()
    params, fwhm = np.concatenate([params, corner_params]), np.concatenate([fwhm, corner_fwhm])
    used = []
    original = galsim.GSObject.drawFFT_makeKImage

    def spy(self, image):
        kimage, wrap_size = original(self, image)
        used.append(wrap_size)
        return kimage, wrap_size

    monkeypatch.setattr(galsim.GSObject, "drawFFT_makeKImage", spy)
    for p, f in zip(params, fwhm, strict=True):
        galsim_render(p, f, PRIOR)
    sizes = sb.fft_sizes(params, fwhm, PRIOR, sb.build_tables(np.unique(params[:, 1])))
    np.testing.assert_array_equal(sizes, used)
    assert sizes.max() > 2 * sizes.min()  # both the shared and the split lattices are exercised


def test_tables_are_exact_for_gaussian_and_exponential():
    tables = sb.build_tables(np.array([0.5, 1.0]))
    k = np.sqrt(tables.settings.edges())
    gaussian = np.exp(-(k**2) / (4 * np.log(2.0)))  # exp(-ln2 r^2) has half-light radius 1
    r0 = 1 / 1.6783469900166608  # exponential scale length for a unit half-light radius
    exponential = (1 + (k * r0) ** 2) ** -1.5
    np.testing.assert_allclose(tables.values, [gaussian, exponential], rtol=0, atol=2e-7)


def fisher(render, params: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian-noise Fisher matrix from central differences of ``render`` (all 10 shifted
    stamps at once)."""
    steps = default_steps(params)
    shifted = np.concatenate([params + np.diag(steps), params - np.diag(steps)])
    images = render(shifted)
    jacobian = ((images[:5] - images[5:]) / (2 * steps[:, None, None])).reshape(5, -1)
    return jacobian @ jacobian.T / sigma**2


@pytest.mark.parametrize(
    ("truth", "psf_fwhm"),
    [
        ([1e5, 3.0, 0.3, -0.069, 0.15], 0.5),  # the reference galaxy of tests/test_crb.py
        ([2e5, 6.0, 0.6, 0.4, -0.3], 1.0),  # a split-lattice galaxy (GalSim's N = 384)
        ([5e4, 0.6, 0.12, 0.2, 0.5], 0.5),
    ],
)
def test_cramer_rao_bounds_agree(truth, psf_fwhm):
    truth, sigma = np.array(truth), 200.0
    n, dn = truth[1], default_steps(truth)[1]
    tables = sb.build_tables(np.array([n - dn, n, n + dn]))
    batched = fisher(lambda p: sb.render_batch(p, psf_fwhm, PRIOR, tables), truth, sigma)
    # GalSim, same differences, and the same Gaussian pixel noise as `fisher` above
    reference = fisher_matrix(truth, psf_fwhm, sigma, PRIOR, noise="gaussian")
    bound = np.sqrt(np.diag(np.linalg.inv(batched)))
    np.testing.assert_allclose(bound, np.sqrt(np.diag(np.linalg.inv(reference))), rtol=CRB_TOL)


def test_table_cache_is_reused_and_rebuilt_when_the_grid_changes(tmp_path, monkeypatch):
    builds = []
    build = sb.build_tables
    monkeypatch.setattr(sb, "build_tables", lambda *a, **k: builds.append(1) or build(*a, **k))
    grid = np.linspace(0.5, 6.0, 7)

    first = sb.load_tables(grid, tmp_path)
    (path,) = tmp_path.glob("sersic_tables_*.npz")
    stamp = path.stat().st_mtime_ns
    second = sb.load_tables(grid, tmp_path)
    assert (len(builds), first.from_cache, second.from_cache) == (1, False, True)
    assert path.stat().st_mtime_ns == stamp
    np.testing.assert_array_equal(second.values, first.values)
    np.testing.assert_array_equal(second.stepk, first.stepk)

    other = sb.load_tables(np.linspace(0.5, 6.0, 8), tmp_path)
    assert len(builds) == 2 and not other.from_cache
    assert len(list(tmp_path.glob("sersic_tables_*.npz"))) == 2
    finer = sb.load_tables(grid, tmp_path, sb.TableSettings(bins_log2=7))
    assert len(builds) == 3 and finer.values.shape[1] == 2 * (first.values.shape[1] - 1) + 1


def test_rejects_bad_input():
    tables = sb.build_tables(np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="not in the tables"):
        sb.render_batch([[1e5, 1.5, 0.3, 0.0, 0.0]], 0.5, PRIOR, tables)
    odd = GalaxyPrior(stamp_size=63)
    with pytest.raises(ValueError, match="even"):
        sb.render_batch([[1e5, 1.0, 0.3, 0.0, 0.0]], 0.5, odd, tables)
    with pytest.raises(ValueError, match="shears"):
        sb.render_batch([[1e5, 1.0, 0.3, 0.8, 0.7]], 0.5, PRIOR, tables)
    with pytest.raises(ValueError, match="increasing"):
        sb.build_tables(np.array([2.0, 1.0]))


def test_both_renderers_accept_the_same_draws_and_add_the_same_noise(tmp_path):
    """simulate_shard with GalSim and with the batched renderer: same galaxies, same noise."""
    from sim2model.studies.galsim.galaxies import simulate_shard

    prior = GalaxyPrior(n_grid=50, psf_fwhm=(0.5, 1.0), sigma=(200.0, 400.0))
    reference = simulate_shard(prior, 80, seed=7)
    batched = simulate_shard(prior, 80, seed=7, tables_dir=tmp_path)
    assert reference.attrs["n_draws"] == batched.attrs["n_draws"] > 80  # the SNR cut rejected some
    np.testing.assert_array_equal(reference.y, batched.y)
    np.testing.assert_array_equal(reference.meta["seed"], batched.meta["seed"])
    peak = reference.extra["noiseless"].max(axis=(1, 2))
    diff = np.abs(reference.extra["noiseless"] - batched.extra["noiseless"]).max(axis=(1, 2))
    assert np.all(diff <= 1e-3 * peak)
    np.testing.assert_allclose(reference.meta["snr"], batched.meta["snr"], rtol=1e-4)
