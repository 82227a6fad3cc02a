"""Figures of posterior calibration (tables and ranks of :mod:`sim2model.eval.calibration`).

:func:`rank_histograms_figure`: one panel per parameter, the SBC rank histogram against the
uniform expectation and its 99% binomial band.
:func:`coverage_figure`: empirical against nominal coverage of central credible intervals, with
the diagonal of perfect calibration; one panel per parameter when the table has groups.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from scipy import stats

from sim2model.eval.calibration import rank_bin_edges
from sim2model.plots.style import axis_label, display_name, new_panels, styled

#: Two-sided probability of the band drawn around the uniform expectation.
BAND = 0.99
COVERAGE_COLUMNS = ("parameter", "level", "coverage", "ci_low", "ci_high")


@styled
def rank_histograms_figure(
    ranks: np.ndarray,
    n_draws: int,
    names: Sequence[str],
    *,
    n_bins: int | None = None,
    title: str | None = None,
) -> Figure:
    """SBC rank histograms, one panel per parameter (column of ``ranks``).

    Bins are those of :func:`sim2model.eval.calibration.rank_bin_edges`. The grey band holds
    each bin's count with probability :data:`BAND` under uniform ranks (binomial quantiles).
    """
    r = np.asarray(ranks)
    if r.ndim == 1:
        r = r[:, None]
    if r.ndim != 2 or r.shape[1] != len(names):
        raise ValueError(f"ranks {np.shape(ranks)} do not match {len(names)} names")
    n_obs = len(r)
    edges = rank_bin_edges(n_obs, n_draws, n_bins, strict=False)
    p_bin = np.diff(edges) / (n_draws + 1)
    expected = n_obs * p_bin
    lo = stats.binom.ppf((1 - BAND) / 2, n_obs, p_bin)
    hi = stats.binom.ppf((1 + BAND) / 2, n_obs, p_bin)
    fig, axes = new_panels(len(names))
    for j, (ax, name) in enumerate(zip(axes, names, strict=True)):
        counts = np.histogram(r[:, j], bins=edges)[0]
        ax.fill_between(edges, np.append(lo, lo[-1]), np.append(hi, hi[-1]), step="post",
                        color="0.8", label=f"{BAND:.0%} band (uniform)")  # fmt: skip
        ax.stairs(expected, edges, color="k", ls="--", lw=1, label="Uniform expectation")
        ax.stairs(counts, edges, color="C0", lw=1.5, label="Ranks")
        ax.set(
            title=display_name(name),
            xlabel=axis_label(f"Rank of truth among {n_draws} draws"),
            ylabel="Count",
            xlim=(0, n_draws + 1),
        )
        ax.set_ylim(bottom=0)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=3)
    if title:
        fig.suptitle(title)
    return fig


def _coverage_series(ax: Axes, table: pd.DataFrame, label: str, color: str) -> None:
    """Empirical coverage against level with the table's ``ci_low``/``ci_high`` error bars."""
    table = table.sort_values("level")
    yerr = np.vstack([table["coverage"] - table["ci_low"], table["ci_high"] - table["coverage"]])
    ax.errorbar(table["level"], table["coverage"], yerr=np.clip(yerr, 0, None), marker="o",
                ms=3, capsize=2, lw=1, color=color, label=label)  # fmt: skip


@styled
def coverage_figure(
    coverage_table: pd.DataFrame, *, group_label: str = "group", title: str | None = None
) -> Figure:
    """Empirical vs nominal coverage from :func:`~sim2model.eval.calibration.expected_coverage`.

    One panel with a series per parameter; for a table of
    :func:`~sim2model.eval.calibration.coverage_by_group` (a ``group`` column), one panel per
    parameter with a series per group, labelled ``"{group_label} = {group}"`` (e.g.
    ``group_label="z"``). Error bars: the table's ``ci_low``/``ci_high`` (Wilson interval).
    """
    missing = [c for c in COVERAGE_COLUMNS if c not in coverage_table.columns]
    if missing or coverage_table.empty:
        raise ValueError(f"coverage table lacks columns {missing} or has no rows")
    params = list(dict.fromkeys(coverage_table["parameter"]))
    grouped = "group" in coverage_table.columns
    fig, axes = new_panels(len(params) if grouped else 1)
    if grouped:
        panels = [(ax, coverage_table[coverage_table["parameter"] == p], display_name(p))
                  for ax, p in zip(axes, params, strict=True)]  # fmt: skip
    else:
        panels = [(axes[0], coverage_table, None)]
    for ax, table, panel_title in panels:
        ax.plot([0, 1], [0, 1], color="k", ls="--", lw=1, label="Calibrated (diagonal)")
        key = "group" if grouped else "parameter"
        for i, (value, series) in enumerate(table.groupby(key, sort=grouped)):
            label = f"{group_label} = {value}" if grouped else display_name(str(value))
            _coverage_series(ax, series, label, f"C{i % 10}")
        # the axes start a little below the lowest level or interval shown, not at zero
        low = min(table["level"].min(), table["ci_low"].min())
        lower = max(0.0, np.floor(10 * low - 1) / 10)
        ax.set(xlabel="Nominal credible level", ylabel="Empirical coverage", xlim=(lower, 1),
               ylim=(lower, 1), aspect="equal")  # fmt: skip
        if panel_title:
            ax.set_title(panel_title)
        ax.legend(loc="upper left", fontsize="small")
    if title:
        fig.suptitle(title)
    return fig
