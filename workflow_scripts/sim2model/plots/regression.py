"""Figures for regression studies (predictions, residuals, Cramér–Rao bound) and the training
curves of every study.

Targets are described by display ``labels`` and ``units`` lists (one entry per column of
``y``; ``""`` for dimensionless), so every regression study reuses these functions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection
from matplotlib.colors import LogNorm, Normalize
from matplotlib.figure import Figure

from sim2model.eval.metrics import regression_metrics
from sim2model.plots.style import (
    axis_label,
    display_name,
    new_figure,
    new_panels,
    styled,
)

CRB_COLUMNS = ("testset", "target", "estimator", "bias", "std", "crb")
_TEXT_BOX = {"boxstyle": "round", "facecolor": "white", "alpha": 0.8, "edgecolor": "0.7"}
#: Loss-axis label of each training loss (``loss`` of :func:`sim2model.train.fit.train_model`).
LOSS_LABELS = {
    "mse": "MSE loss (normalised targets)",
    "sparse_categorical_crossentropy": "Cross-entropy loss",
    "summed_binary_crossentropy": "Binary cross-entropy, summed over classes",
    "binary_crossentropy": "Binary cross-entropy loss (weighted sum)",
    "negative_log_posterior": "Negative log posterior density (normalised targets)",
}


def _targets(
    y_true: np.ndarray, y_pred: np.ndarray, labels: Sequence[str], units: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Check shapes and return ``(N, K)`` float arrays."""
    t = np.asarray(y_true, dtype=float).reshape(len(y_true), -1)
    p = np.asarray(y_pred, dtype=float).reshape(len(y_pred), -1)
    if t.shape != p.shape:
        raise ValueError(f"y_true {t.shape} and y_pred {p.shape} differ in shape")
    if len(labels) != t.shape[1] or len(units) != t.shape[1]:
        raise ValueError(f"need {t.shape[1]} labels and units, got {len(labels)} and {len(units)}")
    return t, p


def _finite_pair(t: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The entries where both ``t`` and ``p`` are finite."""
    ok = np.isfinite(t) & np.isfinite(p)
    return t[ok], p[ok]


def _panel_metrics(t: np.ndarray, p: np.ndarray) -> pd.Series:
    """Bias, std, RMSE and R² of one target, as the tables compute them (eval.metrics)."""
    return regression_metrics(t[:, None], p[:, None], ["target"]).iloc[0]


def _finish(
    fig: Figure,
    axes: Sequence[Axes],
    colored: PathCollection | None,
    color_label: str,
    title: str | None,
) -> Figure:
    """One shared colourbar for the ``colored`` points (if any) and the figure's title."""
    if colored is not None:
        fig.colorbar(colored, ax=axes, label=color_label, shrink=0.9)
    if title:
        fig.suptitle(title)
    return fig


def _with_unit(value: float, unit: str) -> str:
    return f"{value:.3g} {unit}".rstrip()


def _annotate(ax: Axes, lines: Sequence[str]) -> None:
    """Write ``lines`` in a box at the top left of ``ax``."""
    ax.text(
        0.04, 0.96, "\n".join(lines), transform=ax.transAxes, va="top", ha="left", bbox=_TEXT_BOX
    )


def _scatter_style(color: np.ndarray | None, color_log: bool = False) -> dict:
    """Scatter options of the per-target panels: points coloured by ``color`` when given."""
    style: dict = {"s": 6, "alpha": 0.7, "linewidths": 0, "rasterized": True}
    if color is not None:
        c = np.asarray(color, dtype=float)
        norm_cls = LogNorm if color_log else Normalize
        style |= {"c": c, "norm": norm_cls(np.nanmin(c), np.nanmax(c)), "cmap": "viridis"}
    return style


@styled
def true_vs_predicted_figure(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    labels: Sequence[str],
    units: Sequence[str],
    color: np.ndarray | None = None,
    color_label: str = "SNR",
    color_log: bool = False,
    title: str | None = "True vs predicted",
) -> Figure:
    """One panel per target: predictions against truth, 1:1 line, RMSE and R² per panel.

    ``color`` (one value per sample, e.g. SNR) colours the points, with one colourbar shared
    by all panels (log-scaled when ``color_log``). Non-finite pairs are skipped.
    """
    t_all, p_all = _targets(y_true, y_pred, labels, units)
    fig, axes = new_panels(t_all.shape[1], panel_size=(3.1, 3.0))
    style = _scatter_style(color, color_log)
    for j, ax in enumerate(axes):
        points = ax.scatter(t_all[:, j], p_all[:, j], **style)
        t, p = _finite_pair(t_all[:, j], p_all[:, j])
        lo, hi = min(t.min(), p.min()), max(t.max(), p.max())
        pad = 0.05 * (hi - lo) or 0.5
        lim = (lo - pad, hi + pad)
        ax.plot(lim, lim, "k--", lw=1)
        ax.set(xlim=lim, ylim=lim, aspect="equal", title=labels[j])
        ax.set_xlabel(axis_label("True", units[j]))
        ax.set_ylabel(axis_label("Predicted", units[j]))
        metrics = _panel_metrics(t, p)
        _annotate(ax, [f"RMSE = {_with_unit(metrics.rmse, units[j])}", f"$R^2$ = {metrics.r2:.3f}"])
    return _finish(fig, axes, points if color is not None else None, color_label, title)


@styled
def true_vs_error_figure(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    labels: Sequence[str],
    units: Sequence[str],
    color: np.ndarray | None = None,
    color_label: str = "SNR",
    title: str | None = "Error against truth",
) -> Figure:
    """One panel per target: ``pred - true`` against truth, zero line, bias and σ per panel.

    Shows where in each parameter's range the estimator is biased (the reference notebook's
    ``true_vs_error``); ``color`` (e.g. SNR) colours the points with one shared colourbar.
    """
    t_all, p_all = _targets(y_true, y_pred, labels, units)
    fig, axes = new_panels(t_all.shape[1], panel_size=(3.1, 3.0))
    style = _scatter_style(color)
    for j, ax in enumerate(axes):
        points = ax.scatter(t_all[:, j], p_all[:, j] - t_all[:, j], **style)
        metrics = _panel_metrics(*_finite_pair(t_all[:, j], p_all[:, j]))
        ax.axhline(0.0, color="k", ls="--", lw=1)
        ax.set(title=labels[j])
        ax.set_xlabel(axis_label("True", units[j]))
        ax.set_ylabel(axis_label("Predicted − true", units[j]))
        _annotate(ax, [f"bias = {_with_unit(metrics.bias, units[j])}",
                       f"σ = {_with_unit(metrics.loc['std'], units[j])}"])  # fmt: skip
    return _finish(fig, axes, points if color is not None else None, color_label, title)


@styled
def error_histograms_figure(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    labels: Sequence[str],
    units: Sequence[str],
    bins: int = 50,
    title: str | None = "Prediction errors",
) -> Figure:
    """One panel per target: histogram of ``pred - true`` with bias and scatter annotated."""
    t_all, p_all = _targets(y_true, y_pred, labels, units)
    fig, axes = new_panels(t_all.shape[1])
    for j, ax in enumerate(axes):
        t, p = _finite_pair(t_all[:, j], p_all[:, j])
        metrics = _panel_metrics(t, p)
        bias, std = float(metrics.bias), float(metrics["std"])
        counts, _, _ = ax.hist(p - t, bins=bins, color="C0", alpha=0.85)
        ax.set_ylim(0, 1.35 * counts.max())  # headroom for the annotation and legend
        ax.axvline(0.0, color="k", ls="--", lw=1, label="zero")
        ax.axvline(bias, color="C3", lw=1.2, label="bias")
        ax.set(title=labels[j], ylabel="Samples", xlabel=axis_label("Predicted − true", units[j]))
        _annotate(ax, [f"bias = {_with_unit(bias, units[j])}", f"σ = {_with_unit(std, units[j])}"])
        ax.legend(loc="upper right")
    if title:
        fig.suptitle(title)
    return fig


@styled
def training_curves_figure(
    histories: Mapping[str, pd.DataFrame],
    losses: Mapping[str, str],
    metric: str = "loss",
    title: str | None = "Training curves",
) -> Figure:
    """Training (solid) and validation (dashed, column ``val_<metric>``) curves per run.

    ``losses`` gives the training loss of each run (same keys as ``histories``, values keys of
    :data:`LOSS_LABELS`), which labels the loss axis. Runs trained on one loss share a panel;
    runs on different losses get one panel per loss, as their values are not comparable.
    Each history is one row per epoch (Keras ``History.history`` or ``CSVLogger`` output);
    its 0-based ``epoch`` column (or row order) is shown 1-based, as Keras prints it.
    """
    if not histories:
        raise ValueError("no training histories to plot")
    if set(losses) != set(histories):
        raise ValueError(f"losses are given for runs {sorted(losses)}, not {sorted(histories)}")
    unknown = sorted(set(losses.values()) - set(LOSS_LABELS))
    if unknown:
        raise ValueError(f"unknown losses {unknown}: expected one of {sorted(LOSS_LABELS)}")
    panels = list(dict.fromkeys(losses[run] for run in histories))  # in order of first run
    fig, axes = new_figure(1, len(panels), panel_size=(5.0, 3.6))
    for i, (run, df) in enumerate(histories.items()):
        if metric not in df:
            raise KeyError(f"history {run!r} has no {metric!r} column: {list(df.columns)}")
        ax = axes[0, panels.index(losses[run])]
        epoch = (df["epoch"].to_numpy() if "epoch" in df else np.arange(len(df))) + 1
        ax.plot(epoch, df[metric], color=f"C{i}", label=f"{run}: train")
        if f"val_{metric}" in df:
            ax.plot(epoch, df[f"val_{metric}"], color=f"C{i}", ls="--", label=f"{run}: validation")
    for ax, loss in zip(axes[0], panels, strict=True):
        ylabel = LOSS_LABELS[loss] if metric == "loss" else display_name(metric)
        ax.set(yscale="log", xlabel="Epoch", ylabel=ylabel)
        ax.legend()
    if title and len(panels) == 1:
        axes[0, 0].set_title(title)
    elif title:
        fig.suptitle(title)
    return fig


@styled
def bias_std_vs_bound_figure(
    table: pd.DataFrame,
    target_labels: Mapping[str, str] | None = None,
    title: str | None = "Estimator scatter relative to the Cramér–Rao bound",
) -> Figure:
    """Grouped bars of ``std / crb`` per target and estimator, one panel per test set.

    ``table`` is tidy with columns :data:`CRB_COLUMNS`; ``crb`` is the bound on the standard
    deviation (same units as ``std``), so the bound sits at 1 on every target (black line).
    Open diamonds show ``|bias| / crb``. Target names are shown via ``target_labels`` or
    :func:`~sim2model.plots.style.display_name`.
    """
    missing = [c for c in CRB_COLUMNS if c not in table]
    if missing:
        raise ValueError(f"CRB table lacks columns {missing}")
    ratios = table.assign(
        sigma=table["std"] / table["crb"], abs_bias=table["bias"].abs() / table["crb"]
    )
    testsets = list(pd.unique(ratios["testset"]))
    targets = list(pd.unique(ratios["target"]))
    estimators = list(pd.unique(ratios["estimator"]))
    names = [(target_labels or {}).get(t, display_name(t)) for t in targets]
    x = np.arange(len(targets))
    width = 0.8 / len(estimators)
    offsets = (np.arange(len(estimators)) - (len(estimators) - 1) / 2) * width
    panel = (max(3.4, 0.25 * len(targets) * (len(estimators) + 1) + 1.0), 3.4)
    fig, axes = new_figure(1, len(testsets), panel_size=panel, sharey=True)
    for ax, testset in zip(axes[0], testsets, strict=True):
        wide = ratios[ratios["testset"] == testset].pivot(
            index="target", columns="estimator", values=["sigma", "abs_bias"]
        )
        sigma, bias = (  # (targets, estimators); NaN where a pair was not evaluated
            wide[v].reindex(index=targets, columns=estimators).to_numpy()
            for v in ("sigma", "abs_bias")
        )
        for i, est in enumerate(estimators):
            bars = ax.bar(x + offsets[i], sigma[:, i], width, color=f"C{i}", label=est)
            texts = [f"{v:.2f}" if np.isfinite(v) else "" for v in sigma[:, i]]
            ax.bar_label(bars, texts, fontsize=6)
        ax.hlines(np.ones_like(x), x - 0.45, x + 0.45, colors="k", lw=1.5, label="CRB")
        xb = (x[:, None] + offsets).ravel()
        ax.plot(xb, bias.ravel(), "D", mfc="none", mec="k", ms=4, ls="none", label="|bias| / CRB")
        ax.set_xticks(x, names, rotation=30, ha="right")
        ax.grid(axis="x", visible=False)
        ax.set(title=str(testset), xlabel="Target")
    axes[0, 0].set_ylabel("σ / CRB")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=len(handles))
    if title:
        fig.suptitle(title)
    return fig
