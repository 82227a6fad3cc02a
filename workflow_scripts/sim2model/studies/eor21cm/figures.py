"""Figures of the EoR 21cm study: xHI distributions per redshift and example maps."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim2model.plots.style import new_figure, new_panels, styled


@styled
def xhi_histograms_figure(
    datasets: Mapping[str, pd.DataFrame], bins: int = 10, value_range: tuple[float, float] = (0, 1)
) -> Figure:
    """One panel per redshift: step histograms of map xHI for each named dataset.

    Each frame has columns ``xHI`` and ``redshift``.
    """
    redshifts = sorted(set().union(*(set(d["redshift"]) for d in datasets.values())))
    fig, axes = new_panels(len(redshifts), max_cols=4)
    edges = np.linspace(*value_range, bins + 1)
    for ax, z in zip(axes, redshifts, strict=True):
        for label, frame in datasets.items():
            ax.hist(frame.loc[frame["redshift"] == z, "xHI"], bins=edges, histtype="step", lw=1.5,
                    label=label)  # fmt: skip
        ax.set_title(f"z = {z:g}")
        ax.set_xlabel("Map neutral fraction xHI")
        ax.set_ylabel("Maps per bin")
    axes[0].legend(loc="upper left", fontsize="small")
    fig.suptitle("xHI distribution per redshift")
    return fig


def pick_examples(xhi: np.ndarray, redshift: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Indices (rows x cols): up to ``rows`` redshifts, maps spanning xHI at each (-1: none)."""
    chosen = np.full((rows, cols), -1)
    levels = np.unique(redshift)
    for i, z in enumerate(
        levels[np.linspace(0, len(levels) - 1, min(rows, len(levels))).astype(int)]
    ):
        at_z = np.flatnonzero(redshift == z)
        at_z = at_z[np.argsort(xhi[at_z], kind="stable")]
        picks = at_z[np.linspace(0, len(at_z) - 1, min(cols, len(at_z))).astype(int)]
        chosen[i, : len(picks)] = picks
    return chosen


@styled
def map_grid_figure(
    maps: np.ndarray, xhi: np.ndarray, redshift: np.ndarray, rows: int = 3, cols: int = 4
) -> Figure:
    """Example brightness-temperature maps at a few redshifts, ordered by their xHI."""
    chosen = pick_examples(xhi, redshift, rows, cols)
    used = chosen[(chosen >= 0).any(axis=1)]
    fig, axes = new_figure(len(used), cols, panel_size=(2.6, 2.3))
    vmax = float(np.percentile(maps[used[used >= 0]], 99.5))
    for ax, index in zip(axes.flat, used.flat, strict=True):
        ax.set_axis_off()
        if index < 0:
            continue
        shown = ax.imshow(maps[index], origin="lower", cmap="magma", vmin=0, vmax=vmax)
        ax.set_title(f"z = {redshift[index]:g}, xHI = {xhi[index]:.2f}", fontsize="small")
    fig.colorbar(shown, ax=axes, label="Brightness temperature δT_b [mK]", shrink=0.8)
    fig.suptitle("Example 21cm maps (test split)")
    return fig
