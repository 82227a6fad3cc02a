"""Calibration stage: is a neural posterior honest on its test split?

Reads the posterior draws the evaluation stage stored beside the true targets and writes the
SBC rank statistics with their uniformity tests and the expected coverage of central credible
intervals (:mod:`sim2model.eval.calibration`), overall and per group (e.g. per redshift), as a
table and two figures.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from sim2model.eval.calibration import (
    DEFAULT_LEVELS,
    coverage_by_group,
    expected_coverage,
    rank_uniformity,
    sbc_ranks,
)
from sim2model.io.predictions import Predictions, read_posterior_predictions
from sim2model.plots.calibration import coverage_figure, rank_histograms_figure
from sim2model.plots.style import display_name, save_figure

log = logging.getLogger(__name__)

#: Most distinct values of a metadata column that are used as coverage groups as they are.
MAX_GROUPS = 12


def coverage_groups(pred: Predictions, group_by: str | None) -> np.ndarray | None:
    """Labels of the coverage groups: the ``group_by`` metadata column when the predictions
    have it with at most :data:`MAX_GROUPS` values, else None (no grouped coverage)."""
    if group_by is None or group_by not in pred.meta:
        return None
    labels = np.asarray(pred.meta[group_by])
    if labels.ndim != 1 or len(np.unique(labels)) > MAX_GROUPS:
        log.info("coverage is not grouped by %s: not one label of few values per sample", group_by)
        return None
    return labels


def calibration_tables(
    pred: Predictions,
    *,
    group_by: str | None = None,
    levels: Sequence[float] = DEFAULT_LEVELS,
    seed: int = 0,
) -> tuple[np.ndarray, pd.DataFrame, pd.DataFrame]:
    """SBC ranks, their uniformity tests (one row per target) and the coverage table (a
    ``group`` column: ``all``, then each value of ``group_by``)."""
    if pred.draws is None:
        raise ValueError("the predictions hold no posterior draws (not a posterior model)")
    names = pred.target_names
    ranks = sbc_ranks(pred.draws, pred.y_true, seed=seed)
    uniformity = rank_uniformity(ranks, pred.draws.shape[1], names=names, seed=seed)
    uniformity.insert(1, "posterior_std", pred.y_std.mean(axis=0))
    coverage = expected_coverage(pred.draws, pred.y_true, levels, names=names)
    coverage.insert(0, "group", "all")
    groups = coverage_groups(pred, group_by)
    if groups is not None:
        grouped = coverage_by_group(pred.draws, pred.y_true, groups, levels, names=names)
        grouped["group"] = grouped["group"].astype(str)
        coverage = pd.concat([coverage, grouped], ignore_index=True)
    return ranks, uniformity, coverage


def calibration_markdown(
    uniformity: pd.DataFrame, coverage: pd.DataFrame, n_draws: int, caption: str
) -> str:
    """The table's Markdown: coverage per target and level, the rank tests, and the grouped
    coverage when there is one."""
    overall = coverage[coverage["group"] == "all"]
    wide = overall.pivot_table(index="parameter", columns="level", values="coverage", sort=False)
    wide.columns = [f"{100 * level:g} %" for level in wide.columns]
    tests = uniformity.set_index("parameter")[
        ["posterior_std", "chi2_pvalue", "ks_pvalue", "calibrated"]
    ]
    lines = [
        f"Calibration of the posterior on the test split ({int(overall['n_obs'].iloc[0])} "
        f"samples, {n_draws} draws each). Coverage: the fraction of true values inside the "
        "central credible interval of each level (a calibrated posterior matches the level, to "
        f"within ±{3 * overall['stderr'].max():.3f} at 3σ here). Rank tests: chi-square and "
        "Kolmogorov–Smirnov p-values of the uniformity of the SBC ranks (Talts et al. 2018); "
        "'calibrated' when both are at least 0.01. posterior_std: the mean posterior standard "
        f"deviation in the targets' units. {caption}",
        "",
        wide.join(tests).to_markdown(floatfmt=".3g"),
    ]
    grouped = coverage[coverage["group"] != "all"]
    if len(grouped):
        by_group = grouped.pivot_table(
            index=["group", "parameter"], columns="level", values="coverage", sort=False
        )
        by_group.columns = [f"{100 * level:g} %" for level in by_group.columns]
        lines += [
            "", "Coverage per group:", "",
            by_group.reset_index().to_markdown(index=False, floatfmt=".3f"),
        ]  # fmt: skip
    return "\n".join(lines) + "\n"


def posterior_calibration(
    predictions: str,
    table_csv: str,
    table_md: str,
    ranks_figure: str,
    coverage_figure_path: str,
    *,
    caption: str = "",
    group_by: str | None = None,
    seed: int = 0,
) -> None:
    """Write the calibration table (CSV: the coverage rows; Markdown) and figures of the
    posterior draws in ``predictions``; coverage is also grouped by metadata ``group_by``."""
    pred = read_posterior_predictions(predictions)
    ranks, uniformity, coverage = calibration_tables(pred, group_by=group_by, seed=seed)
    coverage.to_csv(table_csv, index=False, float_format="%.6g")
    n_draws = pred.draws.shape[1]
    Path(table_md).write_text(calibration_markdown(uniformity, coverage, n_draws, caption))
    labels = [display_name(name) for name in pred.target_names]
    save_figure(rank_histograms_figure(ranks, n_draws, labels), ranks_figure)
    grouped = coverage[coverage["group"] != "all"]
    shown = grouped if len(grouped) else coverage.drop(columns="group")
    save_figure(
        coverage_figure(shown, group_label=display_name(group_by or "group")),
        coverage_figure_path,
    )
    log.info("calibration:\n%s", uniformity.to_string())
