"""Learning curves of a budget sweep: how a test metric falls with the training-set size.

A sweep trains one model on nested training subsets of growing size (the *budgets*, in training
samples), each budget over several training seeds (the *runs*), and evaluates every
(budget, run) on the same test split. This module reads one metric per ``metrics.json`` record
(:class:`CurveMetric`), tabulates it per budget (:func:`learning_curve_table`) and fits the
power law ``value = a * n**(-b)`` (:func:`fit_power_law`) to every run's value:

* an ``"error"`` metric (RMSE, ...) is fitted as it is; a ``"score"`` metric (accuracy, R^2)
  through its shortfall ``1 - value``, so both fitted quantities fall towards 0;
* the fit is weighted least squares of ``log value = log a - b log n``; its covariance in
  ``(log a, b)`` gives the 68% bands and the budget at which the fitted curve reaches the
  reference notebook's value (:meth:`PowerLawFit.budget_for`), trusted only between the
  smallest budget and 10 x the largest one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any, Literal

import numpy as np
import pandas as pd

from sim2model.reference_numbers import read_value

#: How far beyond the largest budget :meth:`PowerLawFit.budget_for` still trusts the curve.
EXTRAPOLATION_FACTOR = 10.0
#: Columns of :func:`learning_curve_table`, in order.
TABLE_COLUMNS = ("budget", "metric", "runs", "mean", "std", "min", "max", "reference")
#: Columns of :func:`fit_summary`, in order.
SUMMARY_COLUMNS = (
    "metric", "fitted", "exponent", "exponent_err", "amplitude", "n_points", "budget_min",
    "budget_max", "reference", "where", "budget_to_reference", "budget_low", "budget_high",
    "reached", "note",
)  # fmt: skip
_SAMPLES = 20_000  # draws of (log a, b) behind the interval of budget_for
_SEED = 0


@dataclass(frozen=True)
class BudgetEstimate:
    """Training budget ``n`` at which a fitted curve reaches a target, its interval
    ``[low, high]`` (``inf``: some draws never reach it), whether ``n`` lies in the trusted
    range, and ``note``: why not, in words (empty when it does)."""

    n: float
    low: float
    high: float
    within_range: bool
    note: str = ""


@dataclass(frozen=True)
class PowerLawFit:
    """``value = amplitude * n**(-exponent)`` fitted on budgets ``budget_min..budget_max``.

    ``covariance`` is that of ``(log amplitude, exponent)`` (NaN where the points cannot
    give it: two points without ``sigmas``).
    """

    amplitude: float
    exponent: float
    covariance: np.ndarray = field(compare=False, repr=False)
    n_points: int
    budget_min: float
    budget_max: float

    @property
    def exponent_err(self) -> float:
        """One-sigma uncertainty of the exponent."""
        return math.sqrt(self.covariance[1, 1])

    def predict(self, n: Any) -> np.ndarray:
        """The fitted curve at budgets ``n``."""
        return self.amplitude * np.asarray(n, dtype=float) ** (-self.exponent)

    def predict_interval(self, n: Any, level: float = 0.68) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper edges of the central ``level`` band of the curve at ``n``
        (Gaussian in ``log value``, from the covariance)."""
        log_n = np.log(np.asarray(n, dtype=float))
        gradient = np.stack([np.ones_like(log_n), -log_n])
        sd = np.sqrt(np.einsum("i...,ij,j...->...", gradient, self.covariance, gradient))
        centre = np.log(self.predict(n))
        z = _z(level)
        return np.exp(centre - z * sd), np.exp(centre + z * sd)

    def budget_for(self, target: float, level: float = 0.68) -> BudgetEstimate:
        """The budget where the fitted curve reaches ``target``: ``(target / a)**(-1 / b)``.

        Its central ``level`` interval comes from draws of the Gaussian of ``(log a, b)``
        (fixed seed). ``within_range`` is False when the curve does not fall (``b <= 0``, then
        ``n`` is ``inf``) or ``n`` lies below the smallest budget or beyond
        :data:`EXTRAPOLATION_FACTOR` times the largest.
        """
        if target <= 0:
            raise ValueError(f"target {target} must be positive: the power law never reaches it")
        log_n = _log_budget(math.log(self.amplitude), np.array(self.exponent), math.log(target))
        with np.errstate(over="ignore"):
            n = float(np.exp(log_n))
        low, high = self._budget_interval(math.log(target), _check_level(level))
        note = self._outside(n)
        return BudgetEstimate(n, low, high, within_range=not note, note=note)

    def _budget_interval(self, log_target: float, level: float) -> tuple[float, float]:
        """Quantiles of the budget over draws of ``(log a, b)`` (NaN without a covariance)."""
        if not np.all(np.isfinite(self.covariance)):
            return math.nan, math.nan
        rng = np.random.default_rng(_SEED)
        draws = rng.multivariate_normal(
            [math.log(self.amplitude), self.exponent], self.covariance, size=_SAMPLES
        )
        log_n = _log_budget(draws[:, 0], draws[:, 1], log_target)
        tails = [(1 - level) / 2, (1 + level) / 2]
        with np.errstate(over="ignore"):
            low, high = np.exp(np.quantile(log_n, tails, method="inverted_cdf"))
        return float(low), float(high)

    def _outside(self, n: float) -> str:
        """Why budget ``n`` is not trusted, in words; empty when it is."""
        if self.exponent <= 0:
            return f"not reached: the fitted curve does not fall (b = {self.exponent:.3g})"
        if n < self.budget_min:
            return (
                f"reached below the smallest budget {self.budget_min:,.0f} (extrapolated "
                f"n = {n:,.3g})"
            )
        limit = EXTRAPOLATION_FACTOR * self.budget_max
        if n > limit:
            return (
                f"not reached within the fitted range (extrapolated n = {n:,.3g} lies beyond "
                f"{EXTRAPOLATION_FACTOR:g} x the largest budget, {limit:,.0f})"
            )
        return ""


def _check_level(level: float) -> float:
    """``level`` when it is a probability strictly between 0 and 1."""
    if not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1), got {level}")
    return level


def _z(level: float) -> float:
    """Half-width in standard deviations of a central Gaussian interval of ``level``."""
    return NormalDist().inv_cdf(0.5 + _check_level(level) / 2)


def _log_budget(log_a: Any, b: np.ndarray, log_target: float) -> np.ndarray:
    """``log n`` where ``a * n**(-b)`` equals the target; ``inf`` where ``b <= 0``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b > 0, (log_a - log_target) / b, np.inf)


def _positive(values: Any, name: str) -> np.ndarray:
    """``values`` as a finite, positive 1-D float array."""
    array = np.asarray(values, dtype=float)
    if array.ndim != 1 or not np.all(np.isfinite(array) & (array > 0)):
        raise ValueError(
            f"{name} must be a 1-D array of finite, positive numbers (a power law is fitted "
            f"in log-log), got {array!r}"
        )
    return array


def _covariance_scale(chi2: float, dof: int, weighted: bool) -> float:
    """Factor on the covariance: the residual variance without sigmas (NaN without degrees
    of freedom); with sigmas, chi^2 / dof when that exceeds 1 (scatter beyond the sigmas)."""
    if dof <= 0:
        return 1.0 if weighted else math.nan
    return max(1.0, chi2 / dof) if weighted else chi2 / dof


def fit_power_law(budgets: Any, values: Any, sigmas: Any = None) -> PowerLawFit:
    """Fit ``values = a * budgets**(-b)`` by least squares of ``log values`` on ``log budgets``.

    Points may repeat a budget (one per run). ``sigmas`` (same shape, optional) are the
    values' uncertainties: the weight of a point is ``values / sigmas``, the inverse sigma of
    its log. Raises ``ValueError`` for fewer than two distinct budgets or non-positive numbers.
    """
    n, v = _positive(budgets, "budgets"), _positive(values, "values")
    if n.shape != v.shape:
        raise ValueError(f"budgets {n.shape} and values {v.shape} differ in shape")
    if np.unique(n).size < 2:
        raise ValueError(
            f"a power law needs at least 2 distinct budgets, got {np.unique(n).tolist()}"
        )
    weights = np.ones_like(v) if sigmas is None else v / _positive(sigmas, "sigmas")
    if weights.shape != v.shape:
        raise ValueError(f"sigmas {weights.shape} and values {v.shape} differ in shape")
    design = np.column_stack([np.ones_like(n), -np.log(n)])
    params, *_ = np.linalg.lstsq(design * weights[:, None], np.log(v) * weights, rcond=None)
    chi2 = float(np.sum((weights * (np.log(v) - design @ params)) ** 2))
    covariance = np.linalg.inv((design * weights[:, None]).T @ (design * weights[:, None]))
    covariance = covariance * _covariance_scale(chi2, len(v) - 2, sigmas is not None)
    covariance.setflags(write=False)
    return PowerLawFit(
        amplitude=float(math.exp(params[0])),
        exponent=float(params[1]),
        covariance=covariance,
        n_points=len(v),
        budget_min=float(n.min()),
        budget_max=float(n.max()),
    )


@dataclass(frozen=True)
class CurveMetric:
    """One metric of a learning curve.

    ``label``: its name in tables and figures (e.g. ``"RMSE flux"``); ``path``: the keys of
    its value in ``metrics.json`` (e.g. ``("targets", "flux", "rmse")`` or ``("accuracy",)``);
    ``kind``: ``"error"`` (fitted as it is) or ``"score"`` (fitted as ``1 - value``);
    ``reference``: the reference notebook's value of the metric, None where it states none;
    ``where``: where the reference states it; ``unit``: the metric's unit (``""``: none);
    ``evalset``: the evaluation set whose ``metrics.json`` holds it (``"test"``: the test
    split; else a fixed-parameter test set); ``over_crb``: the value is divided by the
    Cramér–Rao bound of (``evalset``, ``path[1]``) (a target's estimator scatter over its
    bound); ``reference_name``: what the reference line is, in the figure's legend.
    """

    label: str
    path: tuple[str, ...]
    kind: Literal["error", "score"]
    reference: float | None = None
    where: str = ""
    unit: str = ""
    evalset: str = "test"
    over_crb: bool = False
    reference_name: str = "reference notebook"

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", tuple(self.path))
        if self.kind not in ("error", "score"):
            raise ValueError(f"metric {self.label!r}: kind must be 'error' or 'score'")
        if not self.path:
            raise ValueError(f"metric {self.label!r}: path is empty")
        if self.over_crb and (len(self.path) != 3 or self.path[0] != "targets"):
            raise ValueError(
                f"metric {self.label!r}: a value over the Cramér–Rao bound needs a per-target "
                f"path ('targets', <target>, <score>), got {self.path}"
            )

    @classmethod
    def from_mapping(cls, spec: Mapping[str, Any]) -> CurveMetric:
        """From a plain dict (as Snakemake params pass it): the fields by name."""
        return cls(**spec)

    @property
    def fitted_label(self) -> str:
        """Name of the fitted quantity: the label, or ``"1 - label"`` for a score."""
        return f"1 - {self.label}" if self.kind == "score" else self.label

    def fitted(self, values: Any) -> np.ndarray:
        """The fitted quantity of metric ``values``: themselves, or ``1 - values`` (score)."""
        values = np.asarray(values, dtype=float)
        return 1.0 - values if self.kind == "score" else values

    def target(self) -> float | None:
        """The reference as a fitted quantity (None without a reference)."""
        return None if self.reference is None else float(self.fitted(self.reference))


def curve_points(
    records: Sequence[tuple[int, str, Mapping[str, Any]] | tuple[int, str, str, Mapping[str, Any]]],
    metrics: Sequence[CurveMetric],
    sources: Sequence[str] | None = None,
    crb: Mapping[tuple[str, str], float] | None = None,
) -> pd.DataFrame:
    """Every run's value of every metric: columns budget, run, metric, value, fitted, and
    ``resolution``: 1 / the samples it was measured on (its record's ``n_samples``; NaN where
    the record lacks it), the smallest shortfall a score there can show.

    ``records`` are ``(budget, run, metrics.json record)`` of the test split, or
    ``(budget, run, evalset, record)``: each metric reads the record of its ``evalset``;
    ``sources`` names where each was read (a missing key is a ``KeyError`` naming it and the key
    path); ``crb``: the Cramér–Rao bound by (evalset, target), for ``over_crb`` metrics.
    """
    records = [r if len(r) == 4 else (r[0], r[1], "test", r[2]) for r in records]
    if sources is None:
        sources = [f"budget {b}, run {run}, {evalset}" for b, run, evalset, _ in records]
    by_point: dict[tuple[int, str, str], tuple[Mapping[str, Any], str]] = {}
    for (budget, run, evalset, record), source in zip(records, sources, strict=True):
        if (budget, run, evalset) in by_point:
            raise ValueError(f"{source}: budget {budget}, run {run!r}, {evalset} appears twice")
        by_point[(int(budget), run, evalset)] = (record, source)
    points = dict.fromkeys((budget, run) for budget, run, _ in by_point)
    rows = []
    for budget, run in points:
        for metric in metrics:
            found = by_point.get((budget, run, metric.evalset))
            if found is None:
                raise KeyError(f"budget {budget}, run {run!r}: no metrics of {metric.evalset}")
            value = read_value(found[0], metric.path, found[1])
            if metric.over_crb:
                value = value / _bound(crb, metric.evalset, metric.path[1])
            resolution = 1.0 / found[0]["n_samples"] if found[0].get("n_samples") else math.nan
            fitted = float(metric.fitted(value))
            rows.append((budget, run, metric.label, value, fitted, resolution))
    columns = ["budget", "run", "metric", "value", "fitted", "resolution"]
    return pd.DataFrame(rows, columns=columns)


def _bound(crb: Mapping[tuple[str, str], float] | None, evalset: str, target: str) -> float:
    """The Cramér–Rao bound of ``target`` on ``evalset`` (a ``KeyError`` naming what lacks)."""
    if crb is None or (evalset, target) not in crb:
        known = sorted(crb or {})
        raise KeyError(f"no Cramér–Rao bound of {target} on {evalset} (known: {known})")
    return crb[(evalset, target)]


def learning_curve_table(
    records: Sequence[tuple[int, str, Mapping[str, Any]]],
    metrics: Sequence[CurveMetric],
    sources: Sequence[str] | None = None,
) -> pd.DataFrame:
    """One row per (budget, metric): the number of runs and the mean, std (ddof=1, NaN for one
    run), min and max of the metric itself over them, and the reference's value."""
    return budget_table(curve_points(records, metrics, sources), metrics)


def budget_table(points: pd.DataFrame, metrics: Sequence[CurveMetric]) -> pd.DataFrame:
    """:func:`learning_curve_table` from the runs' values (``points``: :func:`curve_points`),
    rows in the order of ``metrics``, then of budget."""
    rank = {m.label: i for i, m in enumerate(metrics)}
    points = points.assign(rank=points["metric"].map(rank)).sort_values(
        ["rank", "budget"], kind="stable"
    )
    table = (
        points.groupby(["rank", "budget", "metric"], sort=False)["value"]
        .agg(runs="count", mean="mean", std=lambda v: v.std(ddof=1), min="min", max="max")
        .reset_index()
    )
    table["reference"] = table["metric"].map({m.label: m.reference for m in metrics})
    return table.astype({"reference": float})[list(TABLE_COLUMNS)]


def fit_curves(points: pd.DataFrame, metrics: Sequence[CurveMetric]) -> dict[str, PowerLawFit]:
    """The power law of each metric's fitted quantity over every run (``points``: as
    :func:`curve_points` returns), by metric label; unweighted: every run counts once.

    A run whose fitted quantity is not positive (a perfect score: its shortfall is below what
    the test set resolves) cannot enter a log-log fit and is left out; a metric with fewer than
    two sizes left gets no fit (:func:`fit_summary` says why)."""
    fits = {}
    for metric in metrics:
        mine = points[(points["metric"] == metric.label) & (points["fitted"] > 0)]
        if mine["budget"].nunique() >= 2:
            fits[metric.label] = fit_power_law(mine["budget"], mine["fitted"])
    return fits


def fit_summary(fits: Mapping[str, PowerLawFit], metrics: Sequence[CurveMetric]) -> pd.DataFrame:
    """One row per metric: exponent ± err, amplitude (of the fitted quantity), the reference
    and the budget at which the fitted curve reaches it (``budget_*``, NaN without a
    reference), whether that lies in the trusted range (``reached``) and why not (``note``)."""
    rows = []
    for metric in metrics:
        if metric.label not in fits:
            rows.append({
                "metric": metric.label, "fitted": metric.fitted_label, "n_points": 0,
                "reference": math.nan if metric.reference is None else metric.reference,
                "where": metric.where, "reached": False,
                "note": f"not fitted: fewer than two sizes with a positive {metric.fitted_label}",
            })  # fmt: skip
            continue
        fit = fits[metric.label]
        target = metric.target()
        estimate = None if target is None or target <= 0 else fit.budget_for(target)
        rows.append(
            {
                "metric": metric.label,
                "fitted": metric.fitted_label,
                "exponent": fit.exponent,
                "exponent_err": fit.exponent_err,
                "amplitude": fit.amplitude,
                "n_points": fit.n_points,
                "budget_min": fit.budget_min,
                "budget_max": fit.budget_max,
                "reference": math.nan if metric.reference is None else metric.reference,
                "where": metric.where,
                "budget_to_reference": math.nan if estimate is None else estimate.n,
                "budget_low": math.nan if estimate is None else estimate.low,
                "budget_high": math.nan if estimate is None else estimate.high,
                "reached": estimate is not None and estimate.within_range,
                "note": _reach_note(metric, estimate),
            }
        )
    return pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))


def _reach_note(metric: CurveMetric, estimate: BudgetEstimate | None) -> str:
    """Words on reaching the reference: empty when reached within the trusted range."""
    if metric.reference is None:
        return "no reference value"
    if estimate is None:
        return f"not reached: {metric.fitted_label} = {metric.target():.3g} is not positive"
    return estimate.note
