"""Figures for classification studies: confusion matrix, ROC curves, per-class accuracy, examples.

Builders take plain arrays (counts, rates, labels), never model objects, so the evaluation
stage decides how numbers are computed and these functions only draw them. The confusion
matrix is coloured by the row-normalised fraction (the share of each *true* class assigned to
each predicted class, i.e. per-class recall on the diagonal), which keeps rare classes
readable; the raw counts are written in every cell next to the percentage.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

from sim2model.plots.style import new_figure, styled

WRONG_COLOR = "red"  # title colour of misclassified examples
RIGHT_COLOR = "black"
EXAMPLE_PANEL_SIZE = (1.7, 1.9)  # inches per example image, two-line title included


def row_fractions(confusion: np.ndarray) -> np.ndarray:
    """Each row of ``confusion`` divided by its sum (rows without samples stay 0)."""
    counts = np.asarray(confusion, dtype=float)
    totals = counts.sum(axis=1, keepdims=True)
    return np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)


def _count(value: float) -> str:
    """A count as an integer when it is one (``1234567``), else to 3 significant figures."""
    return str(int(value)) if float(value).is_integer() else f"{value:.3g}"


def _check_confusion(confusion: np.ndarray, class_names: Sequence[str]) -> np.ndarray:
    counts = np.asarray(confusion)
    if counts.ndim != 2 or counts.shape[0] != counts.shape[1]:
        raise ValueError(f"confusion must be a square (C, C) matrix, got shape {counts.shape}")
    if len(class_names) != counts.shape[0]:
        raise ValueError(
            f"class_names has {len(class_names)} names for a {counts.shape[0]}-class confusion"
        )
    if not np.all(np.isfinite(counts)) or np.any(counts < 0):
        raise ValueError("confusion must hold finite, non-negative counts")
    return counts


@styled
def confusion_matrix_figure(
    confusion: np.ndarray, class_names: Sequence[str], *, title: str = ""
) -> Figure:
    """Confusion matrix (rows = true class, columns = predicted class).

    Cells are coloured by the fraction of their true class and annotated ``"count\\n(xx.x%)"``;
    the overall accuracy (trace / total) is given below the title.
    """
    counts = _check_confusion(confusion, class_names)
    fractions = row_fractions(counts)
    n = len(class_names)
    side = max(3.4, 0.65 * n + 1.8)
    fig, axes = new_figure(1, 1, panel_size=(side + 0.8, side))
    ax = axes[0, 0]
    shown = ax.imshow(fractions, cmap="Blues", vmin=0.0, vmax=1.0, interpolation="nearest")
    has_samples = counts.sum(axis=1) > 0
    for i in range(n):
        for j in range(n):
            percent = f"\n({100 * fractions[i, j]:.1f}%)" if has_samples[i] else ""
            ax.text(
                j,
                i,
                f"{_count(counts[i, j])}{percent}",
                ha="center",
                va="center",
                fontsize=7 if n > 6 else 8,
                color="white" if fractions[i, j] > 0.5 else "black",
            )
    ax.set_xticks(range(n), class_names, rotation=45, ha="right", rotation_mode="anchor")
    ax.set_yticks(range(n), class_names, rotation=45, va="center", rotation_mode="anchor")
    ax.set(xlabel="Predicted class", ylabel="True class")
    ax.grid(visible=False)
    fig.colorbar(shown, ax=ax, label="Fraction of true class", shrink=0.85)
    total = counts.sum()
    summary = (
        f"Overall accuracy {100 * np.trace(counts) / total:.1f}% (N = {_count(total)})"
        if total > 0
        else "No samples"
    )
    ax.set_title(f"{title}\n{summary}" if title else summary)
    return fig


@styled
def roc_figure(curves: Mapping[str, tuple[np.ndarray, np.ndarray, float]]) -> Figure:
    """Receiver operating characteristic curves: ``name -> (fpr, tpr, auc)``.

    One line per curve, labelled ``"name (AUC = 0.973)"``, and the chance diagonal.
    """
    if not curves:
        raise ValueError("curves is empty: no ROC curve to plot")
    fig, axes = new_figure(1, 1, panel_size=(4.0, 4.0))
    ax = axes[0, 0]
    for i, (name, (fpr, tpr, auc)) in enumerate(curves.items()):
        fpr, tpr = np.asarray(fpr, dtype=float), np.asarray(tpr, dtype=float)
        if fpr.ndim != 1 or fpr.shape != tpr.shape:
            raise ValueError(
                f"curves[{name!r}]: fpr {fpr.shape} and tpr {tpr.shape} must be equal 1-D arrays"
            )
        if np.any((fpr < 0) | (fpr > 1) | (tpr < 0) | (tpr > 1)):
            raise ValueError(f"curves[{name!r}]: rates must lie in [0, 1]")
        ax.plot(fpr, tpr, color=f"C{i}", lw=1.6, label=f"{name} (AUC = {auc:.3f})")
    ax.plot([0, 1], [0, 1], color="0.4", ls="--", lw=1, label="Chance (AUC = 0.500)")
    ax.set(
        xlim=(-0.01, 1.01),
        ylim=(-0.01, 1.01),
        aspect="equal",
        xlabel="False positive rate",
        ylabel="True positive rate",
    )
    ax.legend(loc="lower right")
    return fig


@styled
def per_class_accuracy_figure(
    accuracies: Mapping[str, Mapping[str, float]],
    *,
    ylabel: str = "Accuracy",
    chance: float | None = None,
    title: str = "",
) -> Figure:
    """Grouped bars: one group per class, one bar per series (e.g. slices vs projections).

    ``accuracies`` maps series -> (class -> accuracy); every series must name the same classes
    (the first series sets their order). Values are written on the bars; ``chance`` draws the
    chance level as a dotted line.
    """
    if not accuracies:
        raise ValueError("accuracies is empty: no series to plot")
    series = list(accuracies)
    classes = list(accuracies[series[0]])
    for name in series:
        if set(accuracies[name]) != set(classes):
            raise ValueError(
                f"accuracies[{name!r}] has classes {sorted(accuracies[name])}, "
                f"expected {sorted(classes)} as in accuracies[{series[0]!r}]"
            )
    values = np.array([[accuracies[s][c] for c in classes] for s in series], dtype=float)
    x = np.arange(len(classes))
    width = 0.8 / len(series)
    offsets = (np.arange(len(series)) - (len(series) - 1) / 2) * width
    panel = (max(3.6, 0.3 * len(classes) * (len(series) + 1) + 1.2), 3.4)
    fig, axes = new_figure(1, 1, panel_size=panel)
    ax = axes[0, 0]
    handles = []
    for i, name in enumerate(series):
        bars = ax.bar(x + offsets[i], values[i], width, color=f"C{i}", label=name)
        ax.bar_label(bars, [f"{v:.2f}" for v in values[i]], fontsize=6, padding=1)
        handles.append(bars)
    if chance is not None:
        handles.append(
            ax.axhline(chance, color="k", ls=":", lw=1.2, label=f"Chance ({chance:.2f})")
        )
    ax.set_ylim(0.0, 1.08 * max(1.0, float(np.nanmax(values))))  # headroom for value labels
    ax.set_xticks(x, classes, rotation=30 if len(classes) > 3 else 0, ha="right")
    ax.grid(axis="x", visible=False)
    ax.set(xlabel="Class", ylabel=ylabel)
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles))
    if title:
        ax.set_title(title)
    return fig


def _display_images(images: np.ndarray) -> np.ndarray:
    """``(N, H, W)`` single-channel or ``(N, H, W, 3)`` RGB min-max scaled per image to [0, 1]."""
    stack = np.asarray(images, dtype=float)
    if stack.ndim == 4 and stack.shape[-1] == 1:
        stack = stack[..., 0]
    if stack.ndim == 3:
        return stack
    if stack.ndim != 4 or stack.shape[-1] != 3:
        raise ValueError(
            f"images must be (N, H, W), (N, H, W, 1) or (N, H, W, 3); got {stack.shape}"
        )
    lo = np.nanmin(stack, axis=(1, 2, 3), keepdims=True)
    span = np.nanmax(stack, axis=(1, 2, 3), keepdims=True) - lo
    scaled = np.divide(stack - lo, span, out=np.zeros_like(stack), where=span > 0)
    return np.clip(np.nan_to_num(scaled), 0.0, 1.0)


@styled
def example_grid_figure(
    images: np.ndarray,
    true_labels: Sequence[str],
    predicted_labels: Sequence[str] | None,
    *,
    per_row: int = 6,
    cmap: str = "gray",
    title: str = "",
) -> Figure:
    """Grid of example images titled ``"true: X\\npred: Y"``; misclassified titles in red.

    Without ``predicted_labels`` each panel is titled with its true class only. RGB images are
    min-max scaled per image; single-channel images are shown with ``cmap``.
    """
    shown = _display_images(images)
    n = len(shown)
    if n == 0:
        raise ValueError("images is empty: no example to plot")
    if len(true_labels) != n:
        raise ValueError(f"true_labels has {len(true_labels)} entries for {n} images")
    if predicted_labels is not None and len(predicted_labels) != n:
        raise ValueError(f"predicted_labels has {len(predicted_labels)} entries for {n} images")
    if per_row < 1:
        raise ValueError(f"per_row must be >= 1, got {per_row}")
    ncols = min(n, per_row)
    fig, axes = new_figure(math.ceil(n / ncols), ncols, panel_size=EXAMPLE_PANEL_SIZE)
    flat = list(axes.flat)
    for ax in flat[n:]:
        ax.remove()
    n_wrong = 0
    for i, (ax, image) in enumerate(zip(flat[:n], shown, strict=True)):
        ax.imshow(image, cmap=cmap, interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(visible=False)
        if predicted_labels is None:
            ax.set_title(str(true_labels[i]), fontsize=8)
            continue
        wrong = str(predicted_labels[i]) != str(true_labels[i])
        n_wrong += wrong
        ax.set_title(
            f"true: {true_labels[i]}\npred: {predicted_labels[i]}",
            fontsize=8,
            color=WRONG_COLOR if wrong else RIGHT_COLOR,
        )
    lines = [title] if title else []
    if predicted_labels is not None:
        lines.append(f"Misclassified (red titles): {n_wrong} of {n}")
    if lines:
        fig.suptitle("\n".join(lines))
    return fig


@styled
def accuracy_curve_figure(
    curves: Mapping[str, tuple[np.ndarray, np.ndarray]],
    *,
    xlabel: str,
    ylabel: str,
    goal: float | None = None,
) -> Figure:
    """Accuracy against training progress: ``name -> (x, accuracy)``, and the ``goal`` line."""
    if not curves:
        raise ValueError("curves is empty: no accuracy curve to plot")
    fig, axes = new_figure(1, 1, panel_size=(5.5, 3.8))
    ax = axes[0, 0]
    for i, (name, (x, accuracy)) in enumerate(curves.items()):
        ax.plot(np.asarray(x), np.asarray(accuracy), color=f"C{i}", marker=".", lw=1.4, label=name)
    if goal is not None:
        ax.axhline(goal, color="0.3", ls="--", lw=1, label=f"Goal ({goal:.0%})")
    ax.set(xlabel=xlabel, ylabel=ylabel, ylim=(0, 1))
    ax.ticklabel_format(axis="x", style="plain", useOffset=False)  # steps in full, no "1e5"
    ax.legend(loc="lower right")
    return fig
