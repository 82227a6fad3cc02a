"""Learning-curve figure of a budget sweep: the fitted quantity of each metric against the
number of training samples, on log-log axes, with its power-law fit.

The fitted quantity is the metric itself for an error (RMSE, ...) and ``1 - metric`` for a
score (accuracy, R^2), as :mod:`sim2model.eval.learning_curve` fits them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter

from sim2model.eval.learning_curve import CurveMetric, PowerLawFit
from sim2model.plots.style import axis_label, new_panels, styled

_GRID = 200  # points of the drawn fit curve


def _fitted_range(rows: pd.DataFrame, metric: CurveMetric) -> tuple[np.ndarray, np.ndarray]:
    """Mean of the fitted quantity from a metric's per-budget rows and its error bars down to
    the smallest and up to the largest run (a score's shortfall ``1 - value`` swaps min and
    max). A range reaching zero (a perfect run) gets no lower bar: a log axis cannot draw it,
    and the run is marked at the test set's resolution instead."""
    mean = metric.fitted(rows["mean"].to_numpy())
    ends = np.sort(metric.fitted(rows[["min", "max"]].to_numpy(dtype=float)), axis=1)
    below = np.where(ends[:, 0] > 0, mean - ends[:, 0], 0.0)
    return mean, np.vstack([below, ends[:, 1] - mean])


def _curve_span(fit: PowerLawFit, reach: float | None) -> np.ndarray:
    """Budgets to draw the fit over: the fitted range, widened to the reached budget."""
    high = max(fit.budget_max, reach or 0.0) * 1.2
    return np.geomspace(fit.budget_min / 1.2, high, _GRID)


def _draw_panel(
    ax: Axes,
    rows: pd.DataFrame,
    points: pd.DataFrame | None,
    fit: PowerLawFit | None,
    metric: CurveMetric,
    budget_label: str,
) -> None:
    """Runs, their mean and range, fit with its 68% band, reference and the budget reaching
    it (the measured points alone when ``fit`` is None: too few positive values to fit); the
    swept budgets label the x axis."""
    if points is not None:
        ax.scatter(points["budget"], points["fitted"], s=9, color="0.55", alpha=0.7,
                   label="runs (seeds)", zorder=2)  # fmt: skip
        _draw_perfect_runs(ax, points)
    mean, span = _fitted_range(rows, metric)
    ax.errorbar(rows["budget"], mean, yerr=span, fmt="o", color="C0", ms=4,
                capsize=3, label="mean, range of runs", zorder=3)  # fmt: skip
    target = metric.target()
    positive = target is not None and target > 0
    estimate = fit.budget_for(target) if fit is not None and positive else None
    reach = estimate.n if estimate is not None and estimate.within_range else None
    if fit is not None:
        grid = _curve_span(fit, reach)
        low, high = fit.predict_interval(grid)
        ax.fill_between(grid, low, high, color="C1", alpha=0.25, lw=0, label="fit 68% band")
        exponent = f"b = {fit.exponent:.2f} ± {fit.exponent_err:.2f}"
        ax.plot(
            grid, fit.predict(grid), color="C1", lw=1.5,
            label=rf"fit $\propto n^{{-b}}$, {exponent}",
        )  # fmt: skip
    if positive:
        reference = f"{metric.reference_name} ({metric.label} = {metric.reference:.3g})"
        ax.axhline(target, color="k", ls="--", lw=1, label=reference)
    if reach is not None:
        ax.axvline(reach, color="C3", ls=":", lw=1.5, label=f"reaches it at n ≈ {reach:,.0f}")
    ax.set(xscale="log", yscale="log", title=metric.label, xlabel=budget_label,
           ylabel=axis_label(metric.fitted_label, metric.unit))  # fmt: skip
    ax.set_xticks(rows["budget"], [f"{b:,}" for b in rows["budget"]])
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.legend(loc="best", fontsize="small")


def _draw_perfect_runs(ax: Axes, points: pd.DataFrame) -> None:
    """Runs with a perfect score (no shortfall: not drawable in log-log, not fitted) as upper
    limits at the test set's resolution, 1 / its size: the shortfall is below it."""
    perfect = points[(points["fitted"] <= 0) & np.isfinite(points["resolution"])]
    if perfect.empty:
        return
    ax.scatter(perfect["budget"], perfect["resolution"], marker="v", s=36, color="C2",
               label="perfect runs: below 1 / test size", zorder=3)  # fmt: skip


@styled
def learning_curve_figure(
    table: pd.DataFrame,
    fits: Mapping[str, PowerLawFit],
    metrics: Sequence[CurveMetric],
    caption: str,
    *,
    points: pd.DataFrame | None = None,
    budget_label: str = "training samples",
) -> Figure:
    """One log-log panel per metric of its fitted quantity against training samples.

    ``table``: per-budget rows (:func:`~sim2model.eval.learning_curve.learning_curve_table`);
    ``fits``: the power law of each metric by label; ``points`` (optional): every run's value
    (:func:`~sim2model.eval.learning_curve.curve_points`), drawn as small grey dots;
    ``caption``: the figure's title; ``budget_label``: what the budgets count (x axis).
    """
    if not metrics:
        raise ValueError("metrics is empty: no learning curve to draw")
    fig, axes = new_panels(len(metrics), max_cols=2, panel_size=(4.6, 3.8))
    for ax, metric in zip(axes, metrics, strict=True):
        rows = table[table["metric"] == metric.label].sort_values("budget")
        if rows.empty:
            raise ValueError(f"table holds no rows of metric {metric.label!r}")
        mine = None if points is None else points[points["metric"] == metric.label]
        _draw_panel(ax, rows, mine, fits.get(metric.label), metric, budget_label)
    fig.suptitle(caption, wrap=True, fontsize="small")
    return fig
