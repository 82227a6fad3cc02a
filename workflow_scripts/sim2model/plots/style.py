"""Shared figure style: one place for resolution, font sizes, axis labels and saving.

Figures are built as :class:`matplotlib.figure.Figure` objects (no pyplot, so no global
figure registry and no GUI backend); PNGs are rendered by the Agg canvas.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, ParamSpec

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

DPI = 170
PANEL_SIZE = (3.4, 3.0)  # inches per panel (width, height)
RC = {
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8,
    "figure.titlesize": 11,
    "axes.formatter.limits": (-3, 4),
    "axes.grid": True,
    "grid.alpha": 0.3,
    "image.cmap": "viridis",
}

# Display names for target names that appear in configs; unknown names are shown as given.
DISPLAY_NAMES = {
    "flux": "Flux",
    "sersic_n": "Sérsic index n",
    "half_light_radius": "Half-light radius",
    "snr": "SNR",
    "xHI": "Neutral fraction xHI",
    "redshift": "Redshift z",
}

P = ParamSpec("P")


def display_name(name: str) -> str:
    """Pretty label for a target name (the name itself when not in :data:`DISPLAY_NAMES`)."""
    return DISPLAY_NAMES.get(name, name)


def axis_label(label: str, unit: str = "") -> str:
    """``"label [unit]"``, or just ``label`` for a dimensionless quantity."""
    return f"{label} [{unit}]" if unit else label


def styled(build: Callable[P, Figure]) -> Callable[P, Figure]:
    """Decorate a figure builder so its artists are created under :data:`RC`."""

    @functools.wraps(build)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Figure:
        with mpl.rc_context(RC):
            return build(*args, **kwargs)

    return wrapper


def new_figure(
    nrows: int = 1,
    ncols: int = 1,
    panel_size: tuple[float, float] = PANEL_SIZE,
    **subplots_kw: Any,
) -> tuple[Figure, np.ndarray]:
    """A constrained-layout figure and its ``(nrows, ncols)`` array of axes."""
    fig = Figure(figsize=(ncols * panel_size[0], nrows * panel_size[1]), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, **subplots_kw)
    return fig, axes


def new_panels(
    n: int, max_cols: int = 3, panel_size: tuple[float, float] = PANEL_SIZE
) -> tuple[Figure, list[Axes]]:
    """A figure with ``n`` panels on a grid at most ``max_cols`` wide; unused cells removed."""
    ncols = min(n, max_cols)
    fig, axes = new_figure(math.ceil(n / ncols), ncols, panel_size)
    flat = list(axes.flat)
    for ax in flat[n:]:
        ax.remove()
    return fig, flat[:n]


def save_figure(fig: Figure, path: str | os.PathLike, dpi: int = DPI) -> Path:
    """Render ``fig`` to ``path`` via a temporary file and rename, then clear ``fig``.

    The format follows the suffix (``.png`` normally); parent directories are created.
    Returns the path.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Not mkstemp: its 0600 mode would survive the rename; this name is unique per process.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with mpl.rc_context(RC):
            fig.savefig(tmp, dpi=dpi, format=path.suffix.lstrip(".") or "png")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
        fig.clear()
    return path
