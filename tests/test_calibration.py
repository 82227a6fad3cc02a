"""Calibration layer: SBC ranks, rank-uniformity tests, coverage, and their figures.

The reference case is a linear-Gaussian model with an exact posterior: theta ~ N(0, 1),
x = theta + N(0, sigma^2), so theta | x ~ N(x / (1 + sigma^2), sigma^2 / (1 + sigma^2)).
Draws from it must pass; over-confident, under-confident and biased versions must fail.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim2model.eval.calibration import (
    DEFAULT_LEVELS,
    coverage_by_group,
    expected_coverage,
    posterior_summary,
    rank_bin_edges,
    rank_uniformity,
    sbc_ranks,
    wilson_interval,
)
from sim2model.plots.calibration import coverage_figure, rank_histograms_figure
from sim2model.plots.style import save_figure

SIGMAS = (0.5, 2.0)  # noise std of the two parameters
NAMES = ["xHI", "tau"]
N_OBS, N_DRAWS = 2000, 200
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def linear_gaussian(
    n_obs: int = N_OBS,
    n_draws: int = N_DRAWS,
    *,
    scale: float = 1.0,
    shift: float = 0.0,
    seed: int = 1,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Draws ``(n_obs, n_draws, 2)`` of the exact posterior with its std times ``scale`` and its
    mean moved by ``shift`` posterior stds; also the truths and the exact posterior mean/std."""
    rng = np.random.default_rng(seed)
    sigma = np.asarray(SIGMAS)
    theta = rng.normal(size=(n_obs, len(sigma)))
    x = theta + sigma * rng.normal(size=theta.shape)
    mean = x / (1 + sigma**2)
    std = np.sqrt(sigma**2 / (1 + sigma**2)) * np.ones_like(mean)
    noise = rng.normal(size=(n_obs, n_draws, len(sigma)))
    draws = mean[:, None, :] + std[:, None, :] * (shift + scale * noise)
    return draws, theta, mean, std


# --- (a) the exact posterior is calibrated -----------------------------------------------------


def test_exact_posterior_has_uniform_ranks_and_nominal_coverage():
    draws, theta, _, _ = linear_gaussian()
    ranks = sbc_ranks(draws, theta)
    assert ranks.shape == (N_OBS, 2) and ranks.min() >= 0 and ranks.max() <= N_DRAWS
    tests = rank_uniformity(ranks, N_DRAWS, names=NAMES)
    assert list(tests["parameter"]) == NAMES
    assert tests["calibrated"].all(), tests
    assert (tests[["chi2_pvalue", "ks_pvalue"]] > 0.01).all().all()
    coverage = expected_coverage(draws, theta, names=NAMES)
    assert len(coverage) == 2 * len(DEFAULT_LEVELS)
    assert list(coverage["level"]) == list(DEFAULT_LEVELS) * 2
    assert coverage["within"].all(), coverage
    assert np.allclose(coverage["coverage"], coverage["level"], atol=0.03)
    assert (coverage["ci_low"] <= coverage["level"]).all()
    assert (coverage["level"] <= coverage["ci_high"]).all()


def test_posterior_summary_recovers_the_exact_mean_and_std():
    draws, _, mean, std = linear_gaussian(n_obs=200, n_draws=2000)
    got_mean, got_std = posterior_summary(draws)
    assert got_mean.shape == got_std.shape == (200, 2)
    # Monte Carlo errors: std/sqrt(2000) for the mean, std/sqrt(2*2000) for the std.
    assert np.abs(got_mean - mean).max() < 5 * std.max() / np.sqrt(2000)
    assert np.abs(got_std / std - 1).max() < 5 / np.sqrt(2 * 2000)
    one_mean, one_std = posterior_summary(draws[:, :, 0])
    assert one_mean.shape == (200,) and np.allclose(one_std, got_std[:, 0])


# --- (b) miscalibrated posteriors fail ---------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "scale", "shift"),
    [("over-confident", 0.5, 0.0), ("under-confident", 2.0, 0.0), ("biased", 1.0, 0.5)],
)
def test_miscalibrated_posteriors_fail(case, scale, shift):
    draws, theta, _, _ = linear_gaussian(scale=scale, shift=shift)
    ranks = sbc_ranks(draws, theta)
    tests = rank_uniformity(ranks, N_DRAWS, names=NAMES)
    assert not tests["calibrated"].any(), tests
    assert (tests["chi2_pvalue"] < 1e-6).all() and (tests["ks_pvalue"] < 1e-6).all()
    coverage = expected_coverage(draws, theta, names=NAMES)
    assert not coverage["within"].any(), coverage
    u = ranks / N_DRAWS
    tails = np.mean((u < 0.05) | (u > 0.95))
    if case == "over-confident":  # U-shaped ranks, intervals too narrow
        assert (coverage["coverage"] < coverage["level"]).all()
        assert tails > 0.3
    elif case == "under-confident":  # ranks pile in the middle, intervals too wide
        assert (coverage["coverage"] > coverage["level"]).all()
        assert tails < 0.02
    else:  # draws too high: the truth ranks low, and intervals miss it
        assert (coverage["coverage"] < coverage["level"]).all()
        assert u.mean() < 0.4


# --- (c) hand-computed small example -----------------------------------------------------------

# Three observations, nine draws each: 1..9 for the first parameter, 10..90 for the second.
SMALL_DRAWS = np.stack(
    [np.tile(np.arange(1.0, 10.0), (3, 1)), np.tile(np.arange(10.0, 100.0, 10.0), (3, 1))], axis=-1
)
# Truths 2.5, 25 and 84 sit exactly on interval ends (exact in floating point here).
SMALL_TRUTHS = np.array([[2.5, 0.0], [1.5, 25.0], [9.5, 84.0]])


def test_small_example_ranks_are_counts_of_draws_below():
    assert sbc_ranks(SMALL_DRAWS, SMALL_TRUTHS).tolist() == [[2, 0], [1, 2], [9, 8]]


def test_small_example_coverage_by_hand():
    # Weibull quantiles of 9 draws sit at positions q * 10: the 50% interval of 1..9 is
    # [2.5, 7.5], the 68% one [1.6, 8.4], and the 90% and 95% ones are clamped to [1, 9].
    with pytest.warns(UserWarning, match="clamped"):
        table = expected_coverage(SMALL_DRAWS, SMALL_TRUTHS, (0.5, 0.68, 0.9), names=NAMES)
    got = table.set_index(["parameter", "level"])["coverage"]
    expected = {
        ("xHI", 0.5): 1 / 3,  # [2.5, 7.5] holds its lower end 2.5 only
        ("xHI", 0.68): 1 / 3,  # 1.5 < 1.6
        ("xHI", 0.9): 2 / 3,  # 9.5 > 9
        ("tau", 0.5): 1 / 3,  # [25, 75] holds its lower end 25 only
        ("tau", 0.68): 2 / 3,  # [16, 84] holds 25 and its upper end 84
        ("tau", 0.9): 2 / 3,  # [10, 90] misses 0
    }
    assert got.to_dict() == pytest.approx(expected)
    assert table["stderr"].tolist() == pytest.approx(
        [np.sqrt(level * (1 - level) / 3) for level in (0.5, 0.68, 0.9)] * 2
    )


def test_ties_are_broken_at_random_but_reproducibly():
    draws = np.zeros((4000, 9, 1))
    truths = np.zeros((4000, 1))
    ranks = sbc_ranks(draws, truths, seed=3)
    assert np.array_equal(ranks, sbc_ranks(draws, truths, seed=3))
    # All draws tie with the truth: the rank is uniform on 0..9.
    counts = np.bincount(ranks[:, 0], minlength=10)
    assert len(counts) == 10 and counts.min() > 300
    assert rank_uniformity(ranks, 9)["calibrated"].all()
    # One draw below, one tie: rank 1 or 2.
    mixed = sbc_ranks(np.array([[[-1.0], [0.0], [1.0]]] * 200), np.zeros((200, 1)))
    assert set(mixed[:, 0]) == {1, 2}


def test_chi2_expects_counts_in_proportion_to_bin_widths():
    # Each of the 21 rank values 10 times: 20 bins, one of them two values wide, all exact.
    ranks = np.repeat(np.arange(21), 10)[:, None]
    assert np.diff(rank_bin_edges(210, 20)).tolist().count(2) == 1
    row = rank_uniformity(ranks, 20).iloc[0]
    assert row["n_bins"] == 20 and row["chi2_statistic"] == pytest.approx(0.0, abs=1e-12)
    assert row["calibrated"]


def _ranks_from_density(weights: np.ndarray, n_obs: int = 2000) -> np.ndarray:
    """Deterministic ranks (evenly spaced quantiles) of a distribution on 0..len(weights)-1."""
    cdf = np.cumsum(weights) / np.sum(weights)
    return np.searchsorted(cdf, (np.arange(n_obs) + 0.5) / n_obs)[:, None]


def test_calibrated_needs_both_tests_to_pass():
    values = np.arange(100)  # 99 draws: 20 bins of 5 rank values
    # A gentle tilt: every bin within noise (chi-square passes) but the CDF drifts (KS fails).
    tilt = rank_uniformity(_ranks_from_density(1 + 0.18 * (1 - 2 * (values + 0.5) / 100)), 99)
    assert tilt["chi2_pvalue"].item() > 0.1 and tilt["ks_pvalue"].item() < 1e-3
    # A comb of heavy and light bins: chi-square fails, the CDF stays close (KS passes).
    comb = rank_uniformity(_ranks_from_density(np.where(values // 5 % 2 == 0, 1.4, 0.6)), 99)
    assert comb["chi2_pvalue"].item() < 1e-6 and comb["ks_pvalue"].item() > 0.1
    assert not tilt["calibrated"].item() and not comb["calibrated"].item()


# --- binning, standard errors, groups, validation ----------------------------------------------


@pytest.mark.parametrize(("n_obs", "n_draws"), [(2000, 200), (60, 200), (37, 9), (12, 1000)])
def test_default_bins_expect_at_least_five_ranks(n_obs, n_draws):
    edges = rank_bin_edges(n_obs, n_draws)
    assert edges[0] == 0 and edges[-1] == n_draws + 1 and np.all(np.diff(edges) > 0)
    assert n_obs * np.diff(edges).min() / (n_draws + 1) >= 5
    assert len(edges) - 1 <= 20


def test_too_many_bins_or_too_few_ranks_raise():
    with pytest.raises(ValueError, match="fewer than 5"):
        rank_bin_edges(50, 99, n_bins=20)
    with pytest.raises(ValueError, match="fewer than 5"):
        rank_bin_edges(9, 99)
    with pytest.raises(ValueError, match="0..9"):
        rank_uniformity(np.array([[10]] * 100), 9)


def test_weibull_quantiles_avoid_the_finite_draw_bias_of_linear_ones():
    draws, theta, _, _ = linear_gaussian(n_draws=39, seed=4)
    assert expected_coverage(draws, theta)["within"].all()
    linear = expected_coverage(draws, theta, method="linear")
    # numpy's default shrinks the interval by about (n_draws - 1) / (n_draws + 1) = 0.95.
    assert not linear.loc[linear["level"] == 0.95, "within"].any()
    with pytest.warns(UserWarning, match="too few"):
        expected_coverage(draws[:, :19], theta)


def test_wilson_interval_brackets_the_proportion():
    low, high = wilson_interval(0, 100, 3.0)
    assert low == pytest.approx(0.0, abs=1e-12) and 0 < high < 0.1
    low, high = wilson_interval(50, 100, 1.96)
    assert low == pytest.approx(0.4038, abs=1e-3) and high == pytest.approx(0.5962, abs=1e-3)


def test_coverage_by_group_flags_the_miscalibrated_redshift():
    good, theta_good, _, _ = linear_gaussian(n_obs=1000, seed=5)
    bad, theta_bad, _, _ = linear_gaussian(n_obs=1000, scale=0.5, seed=6)
    draws = np.concatenate([good, bad])
    truths = np.concatenate([theta_good, theta_bad])
    redshift = np.repeat([8.0, 7.0], 1000)
    table = coverage_by_group(draws, truths, redshift, names=NAMES)
    assert len(table) == 2 * 2 * len(DEFAULT_LEVELS)
    assert list(table.columns[:3]) == ["group", "parameter", "level"]
    assert list(dict.fromkeys(table["group"])) == [7.0, 8.0]
    assert not table.loc[table["group"] == 7.0, "within"].any()
    assert table.loc[table["group"] == 8.0, "within"].all()
    with pytest.raises(ValueError, match="groups"):
        coverage_by_group(draws, truths, redshift[:10])


def test_shape_mismatches_raise():
    draws, theta, _, _ = linear_gaussian(n_obs=20, n_draws=10)
    with pytest.raises(ValueError, match="do not match"):
        sbc_ranks(draws, theta[:, :1])
    with pytest.raises(ValueError, match="do not match"):
        expected_coverage(draws[:5], theta)
    with pytest.raises(ValueError, match="finite"):
        sbc_ranks(np.full_like(draws, np.nan), theta)
    with pytest.raises(ValueError, match="names"):
        expected_coverage(draws, theta, names=["only one"])


# --- (d) figures ---------------------------------------------------------------------------------


def test_rank_histogram_figure_is_a_labelled_png(tmp_path):
    draws, theta, _, _ = linear_gaussian(n_obs=500, n_draws=50, scale=0.5)
    fig = rank_histograms_figure(sbc_ranks(draws, theta), 50, NAMES)
    assert len(fig.axes) == 2
    for ax, title in zip(fig.axes, ["Neutral fraction xHI", "tau"], strict=True):
        assert ax.get_title() == title
        assert "Rank" in ax.get_xlabel() and ax.get_ylabel() == "Count"
    (legend,) = fig.legends
    labels = {text.get_text() for text in legend.get_texts()}
    assert labels == {"Ranks", "Uniform expectation", "99% band (uniform)"}
    path = save_figure(fig, tmp_path / "ranks.png")
    assert path.read_bytes()[:8] == PNG_MAGIC and path.stat().st_size > 5000


def test_coverage_figure_is_a_labelled_png(tmp_path):
    draws, theta, _, _ = linear_gaussian(n_obs=500, n_draws=50)
    fig = coverage_figure(expected_coverage(draws, theta, names=NAMES))
    (ax,) = fig.axes
    assert ax.get_xlabel() == "Nominal credible level"
    assert ax.get_ylabel() == "Empirical coverage"
    labels = ax.get_legend_handles_labels()[1]
    assert labels == ["Calibrated (diagonal)", "Neutral fraction xHI", "tau"]
    path = save_figure(fig, tmp_path / "coverage.png")
    assert path.read_bytes()[:8] == PNG_MAGIC and path.stat().st_size > 5000


def test_grouped_coverage_figure_has_a_panel_per_parameter(tmp_path):
    draws, theta, _, _ = linear_gaussian(n_obs=400, n_draws=50)
    table = coverage_by_group(draws, theta, np.repeat([7.0, 8.0], 200), names=NAMES)
    fig = coverage_figure(table, group_label="z", title="Coverage per redshift")
    assert [ax.get_title() for ax in fig.axes] == ["Neutral fraction xHI", "tau"]
    assert fig.axes[0].get_legend_handles_labels()[1][1:] == ["z = 7.0", "z = 8.0"]
    assert save_figure(fig, tmp_path / "grouped.png").read_bytes()[:8] == PNG_MAGIC
    with pytest.raises(ValueError, match="lacks columns"):
        coverage_figure(pd.DataFrame({"parameter": ["a"]}))


def test_too_few_observations_for_chi_square_leave_the_ks_test_alone():
    """Nine observations (a SimFast21 run's test maps) cannot fill two bins of five: the
    chi-square columns are NaN, a warning says so, and the KS test still decides; the figure
    draws them in two bins."""
    rng = np.random.default_rng(0)
    ranks = rng.integers(0, 100, size=(9, 1))
    with pytest.warns(UserWarning, match="too few for the chi-square"):
        table = rank_uniformity(ranks, 99)
    row = table.iloc[0]
    assert row["n_bins"] == 0 and np.isnan(row["chi2_pvalue"]) and row["calibrated"]
    with pytest.warns(UserWarning):
        piled = rank_uniformity(np.zeros((9, 1), dtype=int), 99)  # every truth below every draw
    assert not piled.iloc[0]["calibrated"]
    np.testing.assert_array_equal(rank_bin_edges(9, 99, strict=False), [0, 50, 100])
