"""Figures for image-to-image studies (e.g. gas density -> cosmic-ray or magnetic energy maps).

:func:`image_panels_figure` shows, per example, the input map, the true and predicted target
maps on one shared colour scale (so a difference in colour is a difference in value) and the
residual ``predicted - true`` on a diverging scale symmetric about 0.
:func:`power_spectrum_figure` compares azimuthally averaged power spectra on log-log axes, with
an optional panel of ratios to a reference spectrum (1 = the reference is reproduced).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.image import AxesImage

from sim2model.plots.style import new_figure, styled

MAX_EXAMPLES = 6
PANEL_SIZE = (2.7, 2.3)  # inches per map panel, colour bar included
_TEXT_BOX = {"boxstyle": "round", "facecolor": "white", "alpha": 0.8, "edgecolor": "0.7"}


def single_channel(images: np.ndarray, name: str) -> np.ndarray:
    """``images`` as a float ``(N, H, W)`` stack; ``(N, H, W, 1)`` is accepted.

    Raises ValueError naming ``name`` for any other shape.
    """
    stack = np.asarray(images, dtype=float)
    if stack.ndim == 4 and stack.shape[-1] == 1:
        stack = stack[..., 0]
    if stack.ndim != 3:
        raise ValueError(f"{name} must be (N, H, W) or (N, H, W, 1), got shape {stack.shape}")
    return stack


def _finite_range(*arrays: np.ndarray) -> tuple[float, float]:
    """Smallest and largest finite value over ``arrays`` ((0, 1) when there is none)."""
    values = np.concatenate([a[np.isfinite(a)] for a in arrays])
    return (float(values.min()), float(values.max())) if values.size else (0.0, 1.0)


def _show(ax: Axes, image: np.ndarray, **kwargs: Any) -> AxesImage:
    """Map ``image`` in pixel coordinates with the origin at the lower left."""
    ax.grid(visible=False)
    return ax.imshow(image, origin="lower", interpolation="nearest", **kwargs)


@styled
def image_panels_figure(
    inputs: np.ndarray,
    truth: np.ndarray,
    predicted: np.ndarray,
    *,
    input_label: str,
    target_label: str,
    correlations: np.ndarray | None = None,
) -> Figure:
    """One row per example: input | true target | predicted target | residual.

    True and predicted maps share one colour scale per row; the residual uses a diverging
    colour map centred on 0. ``correlations`` (one per example, e.g. Pearson r between true
    and predicted maps) are written on the predicted panels.
    """
    x = single_channel(inputs, "inputs")
    t = single_channel(truth, "truth")
    p = single_channel(predicted, "predicted")
    n = len(x)
    if t.shape != p.shape:
        raise ValueError(f"truth {t.shape} and predicted {p.shape} differ in shape")
    if len(t) != n:
        raise ValueError(f"inputs has {n} examples but truth has {len(t)}")
    if not 1 <= n <= MAX_EXAMPLES:
        raise ValueError(f"inputs must hold 1 to {MAX_EXAMPLES} examples, got {n}")
    r = None
    if correlations is not None:
        r = np.asarray(correlations, dtype=float).ravel()
        if r.shape != (n,):
            raise ValueError(f"correlations has {r.size} values for {n} examples")
    fig, axes = new_figure(n, 4, panel_size=PANEL_SIZE)
    titles = ("Input", "True target", "Predicted target", "Residual (pred − true)")
    for j, column_title in enumerate(titles):
        axes[0, j].set_title(column_title)
        axes[-1, j].set_xlabel("x [pixel]")
    for i in range(n):
        ax_in, ax_true, ax_pred, ax_res = axes[i]
        ax_in.set_ylabel(f"Example {i + 1}\ny [pixel]")
        lo, hi = _finite_range(x[i])
        fig.colorbar(_show(ax_in, x[i], vmin=lo, vmax=hi), ax=ax_in, label=input_label)
        lo, hi = _finite_range(t[i], p[i])
        _show(ax_true, t[i], vmin=lo, vmax=hi)
        shared = _show(ax_pred, p[i], vmin=lo, vmax=hi)
        fig.colorbar(shared, ax=[ax_true, ax_pred], label=target_label)
        residual = p[i] - t[i]
        span = max(np.abs(_finite_range(residual)).max(), np.finfo(float).tiny)
        shown = _show(ax_res, residual, cmap="RdBu_r", vmin=-span, vmax=span)
        fig.colorbar(shown, ax=ax_res, label=f"Δ {target_label}")
        if r is not None:
            ax_pred.text(
                0.04, 0.96, f"r = {r[i]:.3f}", transform=ax_pred.transAxes,
                va="top", ha="left", fontsize=7, bbox=_TEXT_BOX,
            )  # fmt: skip
    return fig


@styled
def power_spectrum_figure(
    k: np.ndarray,
    spectra: Mapping[str, np.ndarray],
    *,
    xlabel: str = "Wavenumber k [cycles per image]",
    ylabel: str = "P(k)",
    ratio_to: str | None = None,
    title: str = "",
) -> Figure:
    """Log-log power spectra, one line per name; below them, ratios to ``spectra[ratio_to]``."""
    k = np.asarray(k, dtype=float)
    if k.ndim != 1 or k.size == 0:
        raise ValueError(f"k must be a non-empty 1-D array, got shape {k.shape}")
    if np.any(k <= 0):
        raise ValueError("k must be positive for a logarithmic axis")
    if not spectra:
        raise ValueError("spectra is empty: no power spectrum to plot")
    curves = {name: np.asarray(s, dtype=float) for name, s in spectra.items()}
    for name, s in curves.items():
        if s.shape != k.shape:
            raise ValueError(f"spectra[{name!r}] has shape {s.shape}, k has {k.shape}")
    if ratio_to is not None and ratio_to not in curves:
        raise ValueError(f"ratio_to {ratio_to!r} is not one of the spectra {list(curves)}")
    if ratio_to is None:
        fig, axes = new_figure(1, 1, panel_size=(4.6, 3.6))
    else:
        fig, axes = new_figure(
            2, 1, panel_size=(4.6, 2.4), sharex=True, gridspec_kw={"height_ratios": [3, 1]}
        )
    ax = axes[0, 0]
    for i, (name, s) in enumerate(curves.items()):
        ax.loglog(k, s, color=f"C{i}", lw=1.5, marker="o", ms=2.5, label=name)
    ax.set_ylabel(ylabel)
    ax.legend()
    if title:
        ax.set_title(title)
    if ratio_to is None:
        ax.set_xlabel(xlabel)
        return fig
    ratio_ax = axes[1, 0]
    reference = curves[ratio_to]
    ratio_ax.axhline(1.0, color="k", ls="--", lw=1)
    for i, (name, s) in enumerate(curves.items()):
        if name != ratio_to:
            ratio = np.divide(s, reference, out=np.full_like(s, np.nan), where=reference != 0)
            ratio_ax.plot(k, ratio, color=f"C{i}", lw=1.5, marker="o", ms=2.5, label=name)
    ratio_ax.set(xscale="log", xlabel=xlabel, ylabel=f"Ratio to {ratio_to}")
    return fig
