"""Calibration checks of posterior samples against the true parameters that produced the data.

Any amortized posterior estimator (normalizing flow, flow matching, ...) is checked the same way
from ``posterior_samples`` of shape ``(n_obs, n_draws, n_params)`` (draws of the posterior of each
observation) and ``truths`` of shape ``(n_obs, n_params)``:

* :func:`sbc_ranks`: simulation-based calibration ranks (Talts et al. 2018, arXiv:1804.06788).
  For a calibrated posterior the rank of the truth among the draws is uniform on ``0..n_draws``.
* :func:`rank_uniformity`: a chi-square test of the binned rank histogram and a
  Kolmogorov–Smirnov test of the randomised normalised ranks, per parameter.
* :func:`expected_coverage`: fraction of truths inside central credible intervals, per level.
* :func:`coverage_by_group`: the same per group (e.g. per redshift).
* :func:`posterior_summary`: posterior mean and standard deviation.

Typical failure signatures: an over-confident posterior piles ranks at both ends (U shape) and
under-covers; an under-confident one piles them in the middle and over-covers; a biased one
tilts the histogram.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

DEFAULT_LEVELS = (0.5, 0.68, 0.9, 0.95)
#: Smallest expected count per bin of the chi-square test.
MIN_EXPECTED = 5.0
#: Number of rank-histogram bins used when the caller does not give one (Talts et al. use ~20).
DEFAULT_MAX_BINS = 20


def _as_arrays(posterior_samples: np.ndarray, truths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Check shapes and finiteness; a 2-D ``(n_obs, n_draws)`` input is one parameter."""
    samples = np.asarray(posterior_samples, dtype=np.float64)
    true = np.asarray(truths, dtype=np.float64)
    if samples.ndim == 2:
        samples = samples[:, :, None]
    if true.ndim == 1:
        true = true[:, None]
    if samples.ndim != 3 or true.ndim != 2:
        raise ValueError(
            f"posterior_samples must be (n_obs, n_draws, n_params) and truths (n_obs, n_params); "
            f"got {np.shape(posterior_samples)} and {np.shape(truths)}"
        )
    if samples.shape[0] != true.shape[0] or samples.shape[2] != true.shape[1]:
        raise ValueError(
            f"posterior_samples {samples.shape} do not match truths {true.shape} "
            "(n_obs and n_params must agree)"
        )
    if samples.shape[0] == 0 or samples.shape[1] == 0:
        raise ValueError(f"need at least one observation and one draw, got {samples.shape}")
    if not (np.isfinite(samples).all() and np.isfinite(true).all()):
        raise ValueError("posterior_samples and truths must be finite")
    return samples, true


def _names(names: Sequence[str] | None, n_params: int) -> list[str]:
    """Parameter names, ``param_0 ...`` by default."""
    if names is None:
        return [f"param_{i}" for i in range(n_params)]
    if len(names) != n_params:
        raise ValueError(f"need {n_params} parameter names, got {len(names)}")
    return list(names)


def sbc_ranks(
    posterior_samples: np.ndarray, truths: np.ndarray, *, seed: int | None = 0
) -> np.ndarray:
    """SBC rank of each truth among its posterior draws: ``(n_obs, n_params)`` ints in
    ``0..n_draws``.

    The rank is the number of draws strictly below the truth plus, when some draws equal the
    truth exactly (ties, e.g. for discrete parameters), a uniformly random integer in
    ``0..n_ties`` drawn from ``np.random.default_rng(seed)``. This keeps the ranks of a calibrated
    posterior uniform even with ties; without ties the result does not depend on ``seed``.
    """
    samples, true = _as_arrays(posterior_samples, truths)
    below = (samples < true[:, None, :]).sum(axis=1)
    ties = (samples == true[:, None, :]).sum(axis=1)
    if ties.any():
        rng = np.random.default_rng(seed)
        below = below + rng.integers(0, ties + 1)
    return below.astype(np.int64)


def rank_bin_edges(
    n_obs: int, n_draws: int, n_bins: int | None = None, *, strict: bool = True
) -> np.ndarray:
    """Integer edges of the rank-histogram bins: bin ``k`` holds ranks ``edges[k] <= r <
    edges[k+1]`` and the edges run from 0 to ``n_draws + 1``.

    The ``n_draws + 1`` rank values are split into ``n_bins`` bins of nearly equal width (widths
    differ by at most one). By default ``n_bins`` is the largest number up to
    :data:`DEFAULT_MAX_BINS` (and up to ``n_draws + 1``) for which every bin expects at least
    :data:`MIN_EXPECTED` ranks under uniformity; a given ``n_bins`` that breaks this rule raises.
    ``strict=False`` (for a figure, not a chi-square test) never raises on that rule: too few
    observations then get two bins.
    """
    n_values = n_draws + 1

    def min_expected(bins: int) -> float:
        widths = np.diff(np.round(np.linspace(0, n_values, bins + 1)).astype(np.int64))
        return n_obs * widths.min() / n_values

    if n_bins is None:
        n_bins = min(DEFAULT_MAX_BINS, n_values)
        while n_bins > 2 and min_expected(n_bins) < MIN_EXPECTED:
            n_bins -= 1
    if not 2 <= n_bins <= n_values:
        raise ValueError(f"n_bins must be in 2..{n_values} (n_draws + 1), got {n_bins}")
    if strict and min_expected(n_bins) < MIN_EXPECTED:
        raise ValueError(
            f"{n_bins} bins expect fewer than {MIN_EXPECTED:g} of {n_obs} ranks in some bin; "
            "use fewer bins or more observations"
        )
    return np.round(np.linspace(0, n_values, n_bins + 1)).astype(np.int64)


def rank_uniformity(
    ranks: np.ndarray,
    n_draws: int,
    n_bins: int | None = None,
    *,
    alpha: float = 0.01,
    names: Sequence[str] | None = None,
    seed: int | None = 0,
) -> pd.DataFrame:
    """Tests of uniformity of the SBC ranks, one row per parameter.

    * Chi-square (:func:`scipy.stats.chisquare`) of the rank histogram in the bins of
      :func:`rank_bin_edges`, expected counts proportional to the bin widths.
    * Kolmogorov–Smirnov (:func:`scipy.stats.kstest` against U(0, 1)) of the randomised
      normalised ranks ``u = (rank + V) / (n_draws + 1)`` with ``V ~ U(0, 1)`` drawn from
      ``np.random.default_rng(seed)``: if the rank is uniform on ``0..n_draws``, ``u`` is
      exactly U(0, 1), so the continuous KS test applies without a discreteness correction.

    Columns: ``parameter, n_obs, n_bins, chi2_statistic, chi2_pvalue, ks_statistic, ks_pvalue,
    calibrated``; ``calibrated`` is true when both p-values are at least ``alpha`` (so a
    calibrated posterior is flagged with probability up to about ``2 * alpha``). With fewer
    than ``2 * MIN_EXPECTED`` observations no binning passes the chi-square rule: its columns are
    NaN, ``n_bins`` is 0 and ``calibrated`` follows the KS test alone (with a warning).
    """
    r = np.asarray(ranks)
    if r.ndim == 1:
        r = r[:, None]
    if r.ndim != 2 or len(r) == 0:
        raise ValueError(f"ranks must be (n_obs, n_params), got shape {np.shape(ranks)}")
    if not np.issubdtype(r.dtype, np.integer):
        if not np.array_equal(r, np.round(r)):
            raise ValueError("ranks must be integers")
        r = r.astype(np.int64)
    if r.min() < 0 or r.max() > n_draws:
        raise ValueError(f"ranks must lie in 0..{n_draws} (n_draws)")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    n_obs, n_params = r.shape
    labels = _names(names, n_params)
    binned = n_bins is not None or n_obs >= 2 * MIN_EXPECTED
    if not binned:
        warnings.warn(
            f"{n_obs} observations are too few for the chi-square test of the ranks (need "
            f"{2 * MIN_EXPECTED:g}); the KS test alone decides",
            stacklevel=2,
        )
    edges = rank_bin_edges(n_obs, n_draws, n_bins) if binned else np.array([0, n_draws + 1])
    f_exp = n_obs * np.diff(edges) / (n_draws + 1)
    rng = np.random.default_rng(seed)
    rows = []
    for j, name in enumerate(labels):
        counts = np.histogram(r[:, j], bins=edges)[0]
        chi2_statistic, chi2_pvalue = stats.chisquare(counts, f_exp) if binned else (np.nan, np.nan)
        u = (r[:, j] + rng.uniform(size=n_obs)) / (n_draws + 1)
        ks = stats.kstest(u, "uniform")
        rows.append(
            {
                "parameter": name,
                "n_obs": n_obs,
                "n_bins": len(edges) - 1 if binned else 0,
                "chi2_statistic": float(chi2_statistic),
                "chi2_pvalue": float(chi2_pvalue),
                "ks_statistic": float(ks.statistic),
                "ks_pvalue": float(ks.pvalue),
                "calibrated": bool((chi2_pvalue >= alpha or not binned) and ks.pvalue >= alpha),
            }
        )
    return pd.DataFrame(rows)


def wilson_interval(successes: int, n: int, z: float) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion at ``z`` standard errors."""
    p = successes / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    return float(centre - half), float(centre + half)


def expected_coverage(
    posterior_samples: np.ndarray,
    truths: np.ndarray,
    levels: Sequence[float] = DEFAULT_LEVELS,
    *,
    names: Sequence[str] | None = None,
    n_sigma: float = 3.0,
    method: str = "weibull",
) -> pd.DataFrame:
    """Empirical coverage of central credible intervals, one row per (parameter, level).

    The interval of each observation runs from the ``(1 - level) / 2`` to the
    ``(1 + level) / 2`` quantile of its draws (:func:`numpy.quantile` with ``method``); a truth on
    an end counts as inside. The default ``"weibull"`` quantile (plotting position
    ``q (n_draws + 1)``) makes the coverage of a calibrated posterior equal to ``level`` for any
    number of draws, as long as ``n_draws + 1 >= 2 / (1 - level)`` (else the interval is clamped
    to the extreme draws and a warning is issued). numpy's default ``"linear"`` instead gives an
    expected coverage near ``level (n_draws - 1) / (n_draws + 1)``: 0.931 at level 0.95 with 100
    draws, a spurious failure with thousands of observations.

    ``coverage`` is the fraction of observations whose truth is inside.
    ``stderr = sqrt(level (1 - level) / n_obs)`` is the binomial standard error of the coverage
    of a calibrated posterior (the null hypothesis), and ``within`` is
    ``|coverage - level| <= n_sigma * stderr``. ``ci_low``/``ci_high`` is the Wilson score
    interval of the empirical coverage at ``n_sigma`` standard errors (for error bars).

    Columns: ``parameter, level, n_obs, coverage, stderr, ci_low, ci_high, within``.
    """
    samples, true = _as_arrays(posterior_samples, truths)
    n_obs, _, n_params = samples.shape
    labels = _names(names, n_params)
    levels = [float(level) for level in levels]
    if not levels or not all(0 < level < 1 for level in levels):
        raise ValueError(f"levels must be in (0, 1), got {levels}")
    n_draws = samples.shape[1]
    if method == "weibull" and n_draws + 1 < 2 / (1 - max(levels)):
        warnings.warn(
            f"{n_draws} draws are too few for a central {max(levels):g} interval "
            f"(need {int(np.ceil(2 / (1 - max(levels)))) - 1}); it is clamped to the extreme "
            "draws and its coverage is biased low",
            stacklevel=2,
        )
    inside = {}
    for level in levels:
        lo, hi = np.quantile(samples, [(1 - level) / 2, (1 + level) / 2], axis=1, method=method)
        inside[level] = (lo <= true) & (true <= hi)
    rows = []
    for j, name in enumerate(labels):
        for level in levels:
            hits = int(inside[level][:, j].sum())
            coverage = hits / n_obs
            stderr = float(np.sqrt(level * (1 - level) / n_obs))
            ci_low, ci_high = wilson_interval(hits, n_obs, n_sigma)
            rows.append(
                {
                    "parameter": name,
                    "level": level,
                    "n_obs": n_obs,
                    "coverage": coverage,
                    "stderr": stderr,
                    "ci_low": ci_low,
                    "ci_high": ci_high,
                    "within": bool(abs(coverage - level) <= n_sigma * stderr),
                }
            )
    return pd.DataFrame(rows)


def coverage_by_group(
    posterior_samples: np.ndarray,
    truths: np.ndarray,
    groups: np.ndarray,
    levels: Sequence[float] = DEFAULT_LEVELS,
    *,
    names: Sequence[str] | None = None,
    n_sigma: float = 3.0,
    method: str = "weibull",
) -> pd.DataFrame:
    """:func:`expected_coverage` per group (e.g. per redshift): one row per (group, parameter,
    level), with a leading ``group`` column; groups in sorted order.

    ``groups`` holds one label per observation; bin a continuous quantity beforehand.
    """
    samples, true = _as_arrays(posterior_samples, truths)
    keys = np.asarray(groups)
    if keys.shape != (len(samples),):
        raise ValueError(f"groups must have shape ({len(samples)},), got {keys.shape}")
    tables = []
    for group in np.unique(keys):
        mask = keys == group
        table = expected_coverage(samples[mask], true[mask], levels, names=names,
                                  n_sigma=n_sigma, method=method)  # fmt: skip
        table.insert(0, "group", group.item() if hasattr(group, "item") else group)
        tables.append(table)
    return pd.concat(tables, ignore_index=True)


def posterior_summary(posterior_samples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Posterior mean and standard deviation (``ddof=1``) over the draws: two
    ``(n_obs, n_params)`` arrays (``(n_obs,)`` for a 2-D input)."""
    samples = np.asarray(posterior_samples, dtype=np.float64)
    if samples.ndim not in (2, 3) or samples.shape[1] < 2:
        raise ValueError(f"need (n_obs, n_draws >= 2[, n_params]) samples, got {samples.shape}")
    return samples.mean(axis=1), samples.std(axis=1, ddof=1)
