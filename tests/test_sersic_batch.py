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

PEAK_TOL = 1e-4  # max |batched - GalSim| as a fraction of the stamp's peak (measured <= 3e-5)
FLUX_TOL = 1e-4  # relative difference of the stamp's total flux
COMPACT_TOL = 5e-6  # the same as PEAK_TOL for compact galaxies (measured <= 2.2e-6)
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


def test_compact_galaxies_match_galsim_closely():
    """Compact galaxies' transforms reach the PSF's maxk, so the summed k square must be GalSim's
    (maxk rounded up to the lattice, or Nyquist when that is larger: FWHM >~ 0.8) to the last
    column; over a FWHM grid that moves maxk across the lattice."""
    params, fwhm = [], []
    for f in np.linspace(0.5, 1.0, 11):
        for n, r, g1, g2 in ((1.0, 0.1, 0.3, 0.0), (3.0, 0.12, -0.2, 0.4), (6.0, 0.1, 0.0, 0.0)):
            params.append([1e5, n, r, g1, g2])
            fwhm.append(f)
    params, fwhm = np.array(params), np.array(fwhm)
    peak, flux = compare(params, fwhm)
    worst = int(np.argmax(peak))
    assert peak.max() <= COMPACT_TOL, f"worst {params[worst]} psf {fwhm[worst]}: {peak[worst]}"
    assert np.abs(flux).max() <= FLUX_TOL


def galsim_fft_sizes(monkeypatch, params: np.ndarray, fwhm: np.ndarray) -> list[int]:
    """The FFT size GalSim's ``drawImage`` uses for each galaxy."""
    used = []
    original = galsim.GSObject.drawFFT_makeKImage

    def spy(self, image):
        kimage, wrap_size = original(self, image)
        used.append(wrap_size)
        return kimage, wrap_size

    with monkeypatch.context() as patch:
        patch.setattr(galsim.GSObject, "drawFFT_makeKImage", spy)
        for p, f in zip(params, fwhm, strict=True):
            galsim_render(p, f, PRIOR)
    return used


def test_fft_sizes_are_galsims(monkeypatch):
    params, fwhm = prior_draws(30, seed=5)
    corner_params, corner_fwhm = corners()
    params, fwhm = np.concatenate([params, corner_params]), np.concatenate([fwhm, corner_fwhm])
    used = galsim_fft_sizes(monkeypatch, params, fwhm)
    sizes = sb.fft_sizes(params, fwhm, PRIOR, sb.build_tables(np.unique(params[:, 1])))
    np.testing.assert_array_equal(sizes, used)
    assert sizes.max() > 2 * sizes.min()  # both the shared and the split lattices are exercised


def test_fft_sizes_jump_where_galsims_do(monkeypatch):
    """At each radius where N jumps (128 -> 192 -> 256 -> 384), located to 1e-9 by bisection,
    GalSim draws with the same N just below and just above: the half-pixel offset and the pixel
    terms of the stepk rule move these radii by ~1e-4."""
    tables = sb.build_tables(np.array([3.0, 6.0]))

    def galaxies(n, g1, g2, r):
        ones = np.ones_like(r)
        return np.column_stack([1e5 * ones, n * ones, r, g1 * ones, g2 * ones])

    params, fwhm = [], []
    for n, g1, g2, f in ((6.0, 0.0, 0.0, 0.5), (3.0, 0.3, -0.4, 1.0)):
        r = np.linspace(0.1, 0.6, 101)
        sizes = sb.fft_sizes(galaxies(n, g1, g2, r), f, PRIOR, tables)
        jumps = np.flatnonzero(np.diff(sizes))
        lo, hi = r[jumps], r[jumps + 1]
        while np.any(hi - lo > 1e-9 * hi):
            mid = 0.5 * (lo + hi)
            above = sb.fft_sizes(galaxies(n, g1, g2, mid), f, PRIOR, tables) > sizes[jumps]
            lo, hi = np.where(above, lo, mid), np.where(above, mid, hi)
        params.append(galaxies(n, g1, g2, np.concatenate([lo, hi])))
        fwhm += [f] * (2 * jumps.size)
    params, fwhm = np.concatenate(params), np.array(fwhm)
    sizes = sb.fft_sizes(params, fwhm, PRIOR, tables)
    assert set(sizes) == {128, 192, 256, 384}
    np.testing.assert_array_equal(sizes, galsim_fft_sizes(monkeypatch, params, fwhm))


@pytest.mark.parametrize("fftlog_points", [2**14, 3**8])  # the default, and an odd count
def test_tables_are_exact_for_gaussian_and_exponential(fftlog_points):
    tables = sb.build_tables(np.array([0.5, 1.0]), sb.TableSettings(fftlog_points=fftlog_points))
    k = np.sqrt(tables.settings.edges())
    gaussian = np.exp(-(k**2) / (4 * np.log(2.0)))  # exp(-ln2 r^2) has half-light radius 1
    r0 = 1 / 1.6783469900166608  # exponential scale length for a unit half-light radius
    exponential = (1 + (k * r0) ** 2) ** -1.5
    np.testing.assert_allclose(tables.values, [gaussian, exponential], rtol=0, atol=2e-7)


def test_sersic_lookup_interpolates_linearly_in_q_and_clamps_to_the_table():
    """The float32-bits lookup is linear interpolation in q between the bin edges, within the
    row of each galaxy, and holds the end values outside ``[2**q_min_log2, 2**q_max_log2)``.
    Fine bins (2**16 per octave, 7 low bits) on random values make any slip in the bit masks,
    the clamp or the row offset visible."""
    settings = sb.TableSettings(bins_log2=16, q_min_log2=0, q_max_log2=1)
    rng = np.random.default_rng(0)
    values = rng.normal(size=(2, settings.n_bins + 1)).astype(np.float32)
    tables = sb.SersicTables(np.array([1.0, 2.0]), values, np.ones(2), settings)
    edges = settings.edges()
    assert (edges[0], edges[-1], edges.size) == (1.0, 2.0, 2**16 + 1)
    inside = rng.uniform(1.0, 2.0, size=(2, 200))
    below, top = np.nextafter(np.float32([1.0, 2.0]), np.float32(0.0))  # float32s below 1, 2
    outside = np.array([0.0, 1e-3, 0.5, below, top, 2.0, 3.0, 1e6])
    q = np.concatenate([inside, np.tile(outside, (2, 1))], axis=1).astype(np.float32)
    rows = np.array([0, 1])
    got = sb._sersic(q.copy(), rows, tables)
    # the top of the table is the float32 just below 2**q_max_log2
    clamped = np.clip(q.astype(np.float64), 1.0, top)
    expected = [np.interp(clamped[i], edges, values[row]) for i, row in enumerate(rows)]
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-5)


def test_rows_match_the_grid_within_1e9_only():
    grid = np.linspace(0.5, 6.0, 12)
    tables = sb.SersicTables(grid, np.zeros((12, 2)), np.ones(12), sb.TableSettings())
    rows = np.arange(12)
    for n in (grid, grid + 1e-10, grid - 1e-10, grid + 0.4e-9, grid - 0.4e-9):
        np.testing.assert_array_equal(tables.rows(n), rows)
    np.testing.assert_array_equal(tables.rows(grid[::-1]), rows[::-1])
    for n in (0.4, 0.5 - 1e-8, 0.5 + 1e-8, 3.0 + 1e-8, 6.0 + 1e-8, 6.5, 100.0):
        with pytest.raises(ValueError, match=f"Sérsic index {n} is not in"):
            tables.rows(np.array([0.5, n, 6.0]))


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
    tmp_path = tmp_path / "not" / "yet"  # load_tables makes the cache folder and its parents

    first = sb.load_tables(grid, tmp_path)
    (path,) = tmp_path.glob("sersic_tables_*.npz")
    stamp = path.stat().st_mtime_ns
    second = sb.load_tables(grid, tmp_path)
    assert (len(builds), first.from_cache, second.from_cache) == (1, False, True)
    assert path.stat().st_mtime_ns == stamp
    np.testing.assert_array_equal(second.n_values, grid)
    np.testing.assert_array_equal(second.rows(grid[::-1]), np.arange(7)[::-1])
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
    with pytest.raises(ValueError, match=r"shape \(B, 5\), got \(1, 4\)"):
        sb.render_batch([[1e5, 1.0, 0.3, 0.0]], 0.5, PRIOR, tables)
    for r in (0.0, -0.3):
        with pytest.raises(ValueError, match="half-light radii must be positive"):
            sb.render_batch([[1e5, 1.0, r, 0.0, 0.0]], 0.5, PRIOR, tables)
    for g1, g2 in ((1.0, 0.0), (0.0, -1.0)):  # |g| = 1 exactly
        with pytest.raises(ValueError, match="shears"):
            sb.render_batch([[1e5, 1.0, 0.3, g1, g2]], 0.5, PRIOR, tables)
    for n_values in ([2.0, 1.0], [1.0, 1.0], [], [[1.0, 2.0]]):
        with pytest.raises(ValueError, match="non-empty, strictly increasing 1-d"):
            sb.build_tables(np.array(n_values))
    assert sb.build_tables(np.array([2.0])).values.shape == (1, tables.values.shape[1])


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
