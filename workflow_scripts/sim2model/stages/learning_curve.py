"""Learning-curve stage of a budget sweep: per-budget table, power-law fits and figure.

The rule passes one ``metrics.json`` (the evaluate stage's) per (budget, run) and evaluation
set (the test split, and a study's fixed-parameter test sets), the points aligned with
``budgets`` and ``runs``, and the metrics as plain dicts (:class:`CurveMetric` fields). Outputs:

* CSV: one row per (budget, metric) with columns ``budget, metric, runs, mean, std, min, max,
  reference`` (:data:`~sim2model.eval.learning_curve.TABLE_COLUMNS`; the metric itself, e.g.
  accuracy, not its shortfall; ``std`` with ddof=1, empty for one run);
* Markdown: the caption sentence and how the numbers were made, the same per-budget table,
  then a second section, "Power-law fits", with one row per metric: exponent b ± err,
  amplitude a of the fitted quantity, the reference and where it is stated, and the budget at
  which the fit reaches the reference with its 68% interval, or in words why not. The fit
  summary is in the Markdown only (:func:`~sim2model.eval.learning_curve.fit_summary`
  rebuilds it from the same inputs);
* the figure (:func:`~sim2model.plots.learning_curve.learning_curve_figure`).

With the points' training histories (``histories``, aligned), the Markdown also gives each
size's training time (the sum of the history's ``epoch_seconds``) and, from a power law of time
against size, the training time a run would need at the budget that reaches the reference: the
cost of going beyond this machine, on the machine and threads the points ran on.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from sim2model.eval.learning_curve import (
    EXTRAPOLATION_FACTOR,
    CurveMetric,
    budget_table,
    curve_points,
    fit_curves,
    fit_power_law,
    fit_summary,
)
from sim2model.plots.learning_curve import learning_curve_figure
from sim2model.plots.style import save_figure
from sim2model.stages.cost import epoch_costs
from sim2model.train import EPOCH_SECONDS


def read_records(
    metrics: Sequence[str],
    budgets: Sequence[int],
    runs: Sequence[str],
    evalsets: Sequence[str] = ("test",),
) -> list[tuple[int, str, str, dict[str, Any]]]:
    """``(budget, run, evalset, record)`` of each ``metrics.json`` path: the points (``budgets``
    and ``runs``, aligned) in order, each point's ``evalsets`` in order."""
    if len(budgets) != len(runs) or len(metrics) != len(budgets) * len(evalsets):
        raise ValueError(
            f"{len(metrics)} metrics files need one per point and evaluation set: "
            f"{len(budgets)} budgets, {len(runs)} runs, evaluation sets {list(evalsets)}"
        )
    keys = [(b, r, e) for b, r in zip(budgets, runs, strict=True) for e in evalsets]
    return [
        (int(budget), str(run), str(evalset), json.loads(Path(path).read_text()))
        for path, (budget, run, evalset) in zip(metrics, keys, strict=True)
    ]


def read_crb(path: str) -> dict[tuple[str, str], float]:
    """Cramér–Rao bounds by (test set, target) from a CSV with columns testset, target, crb."""
    table = pd.read_csv(path)
    missing = {"testset", "target", "crb"} - set(table.columns)
    if missing:
        raise KeyError(f"{path}: no column(s) {sorted(missing)} (testset, target, crb)")
    return {(row.testset, row.target): float(row.crb) for row in table.itertuples(index=False)}


def _number(value: float, fmt: str) -> str:
    """``value`` formatted, ``–`` for NaN and ``∞`` for infinity."""
    if math.isnan(value):
        return "–"
    return "∞" if math.isinf(value) else format(value, fmt)


def per_budget_markdown(table: pd.DataFrame) -> str:
    """The per-budget table as Markdown (4 significant figures, blanks as ``–``)."""
    shown = table.astype({"budget": int, "runs": int}).copy()
    for column in ("mean", "std", "min", "max", "reference"):
        shown[column] = [_number(v, ".4g") for v in table[column]]
    align = ["left" if column == "metric" else "right" for column in shown.columns]
    return shown.to_markdown(index=False, colalign=align)


def _reach_cells(row: Any) -> tuple[str, str]:
    """Budget to the reference and its 68% interval, shown only where it is reached."""
    if not row.reached:
        return "–", "–"
    interval = f"{_number(row.budget_low, ',.0f')}–{_number(row.budget_high, ',.0f')}"
    return _number(row.budget_to_reference, ",.0f"), interval


def summary_markdown(summary: pd.DataFrame) -> str:
    """The fit summary (:func:`fit_summary`) as Markdown."""
    rows = []
    for row in summary.itertuples(index=False):
        budget, interval = _reach_cells(row)
        rows.append(
            {
                "metric": row.metric,
                "fitted": row.fitted,
                "exponent b": "–"
                if math.isnan(row.exponent)
                else f"{row.exponent:.3f} ± {row.exponent_err:.3f}",
                "amplitude a": _number(row.amplitude, ".4g"),
                "reference": _number(row.reference, ".4g"),
                "where stated": row.where or "–",
                "budget to reference": budget,
                "68% interval": interval,
                "note": row.note or "–",
            }
        )
    return pd.DataFrame(rows).to_markdown(index=False)


def training_costs(histories: Sequence[str], budgets: Sequence[int]) -> pd.DataFrame:
    """Per size: runs, mean epochs and mean training seconds (sum of ``epoch_seconds``)."""
    rows = []
    for path, budget in zip(histories, budgets, strict=True):
        history = pd.read_csv(path)
        if EPOCH_SECONDS not in history:
            raise KeyError(f"{path}: no {EPOCH_SECONDS!r} column (a history without timings)")
        cost = epoch_costs(history)
        rows.append({"budget": int(budget), "epochs": cost["epochs"],
                     "seconds": cost["training_seconds"]})  # fmt: skip
    frame = pd.DataFrame(rows)
    return frame.groupby("budget").agg(
        runs=("seconds", "size"), epochs=("epochs", "mean"), seconds=("seconds", "mean")
    )


def duration(seconds: float) -> str:
    """``seconds`` in words: seconds, minutes or hours."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min" if seconds < 7200 else f"{seconds / 3600:,.1f} h"


def cost_markdown(
    costs: pd.DataFrame, summary: pd.DataFrame, budget_label: str = "training samples"
) -> str:
    """Training time per size, and per run at each reached budget from ``t = c n^k``."""
    fit = fit_power_law(costs.index, costs["seconds"])
    shown = costs.reset_index().rename(columns={"seconds": "training s (mean)"})
    lines = [
        "## Cost",
        "",
        shown.to_markdown(index=False, floatfmt=(",.0f", ".0f", ".1f", ".1f")),
        "",
        f"Training time grows as n^{-fit.exponent:.2f} over these sizes.",
    ]
    for row in summary.itertuples(index=False):
        if math.isfinite(row.budget_to_reference):
            seconds = float(fit.predict(row.budget_to_reference))
            trust = "" if row.reached else " (beyond the trusted range: a rough extrapolation)"
            lines.append(
                f"Reaching the reference's {row.metric} ({row.budget_to_reference:,.0f} "
                f"{budget_label}{trust}) would take about {duration(seconds)} per run on the same "
                "machine and threads."
            )
    return "\n".join(lines)


def method_note(points: pd.DataFrame, budget_label: str = "training samples") -> str:
    """How the tables were made, in words."""
    runs = points.groupby("budget")["run"].nunique()
    counts = f"{runs.min()}" if runs.min() == runs.max() else f"{runs.min()}–{runs.max()}"
    return (
        f"Budgets {', '.join(f'{b:,}' for b in runs.index)} {budget_label}, "
        f"{counts} run(s) (training seeds) each; mean, standard deviation "
        "(ddof=1) and range over the runs. Fits: value = a n^(-b) by least squares of log value "
        "on log n over every run, for an error metric itself and for a score its shortfall "
        f"1 - score; uncertainties from the residual scatter (68%). The budget that reaches the "
        f"reference is trusted from the smallest budget up to {EXTRAPOLATION_FACTOR:g} x the "
        "largest."
    )


def learning_curve(
    metrics: Sequence[str],
    table_csv: str,
    table_md: str,
    figure: str,
    *,
    budgets: Sequence[int],
    runs: Sequence[str],
    curve_metrics: Sequence[Mapping[str, Any]],
    caption: str,
    histories: Sequence[str] = (),
    evalsets: Sequence[str] = ("test",),
    crb: str | None = None,
    budget_label: str = "training samples",
) -> None:
    """Write the learning curves of ``metrics`` (``metrics.json`` paths aligned with
    ``budgets`` and ``runs``) as CSV, Markdown and figure (layout: module docstring).

    ``curve_metrics``: :class:`CurveMetric` fields as dicts; ``caption``: the sentence that
    opens the Markdown and titles the figure; ``histories``: the points' ``history.csv``, aligned
    (empty: no cost section); ``evalsets``: the evaluation sets of every point (``metrics``
    holds each point's in this order); ``crb``: a CSV of Cramér–Rao bounds (columns testset,
    target, crb) for the metrics divided by them; ``budget_label``: what the budgets count. A
    key missing from a ``metrics.json`` is a ``KeyError`` naming the file and the key path.
    """
    specs = [CurveMetric.from_mapping(spec) for spec in curve_metrics]
    records = read_records(metrics, budgets, runs, evalsets)
    sources = [str(path) for path in metrics]
    points = curve_points(records, specs, sources, read_crb(crb) if crb else None)
    table = budget_table(points, specs)
    fits = fit_curves(points, specs)
    summary = fit_summary(fits, specs)
    costs = training_costs(histories, budgets) if histories else None
    cost = "" if costs is None else f"\n{cost_markdown(costs, summary, budget_label)}\n"
    table.to_csv(table_csv, index=False, float_format="%.6g")
    Path(table_md).write_text(
        f"{caption} {method_note(points, budget_label)}\n\n{per_budget_markdown(table)}\n\n"
        f"## Power-law fits\n\n{summary_markdown(summary)}\n{cost}"
    )
    drawn = learning_curve_figure(
        table, fits, specs, caption, points=points, budget_label=budget_label
    )
    save_figure(drawn, figure)
