"""Generic report stage: figures every regression study shares."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from sim2model.io.predictions import read_predictions
from sim2model.plots.regression import (
    plot_error_histograms,
    plot_training_curves,
    plot_true_vs_predicted,
)
from sim2model.plots.style import display_name


def regression_figures(
    predictions: str, scatter: str, errors: str, *, color_by: str | None = None
) -> None:
    """True-vs-predicted scatter (coloured by ``meta/<color_by>``) and error histograms."""
    pred = read_predictions(predictions)
    labels = [display_name(n) for n in pred.target_names]
    color = pred.meta.get(color_by) if color_by else None
    plot_true_vs_predicted(
        pred.y_true, pred.y_pred, labels, pred.units, scatter,
        color=color, color_label=display_name(color_by) if color is not None else "",
    )  # fmt: skip
    plot_error_histograms(pred.y_true, pred.y_pred, labels, pred.units, errors)


def run_label(history_path: str) -> str:
    """``<variant>/<model>`` from ``.../models/<variant>/<model>/history.csv``."""
    parts = Path(history_path).parts
    return f"{parts[-3]} / {parts[-2]}"


def training_curves(histories: Sequence[str], figure: str) -> None:
    """Training and validation loss of every run of a study in one figure."""
    plot_training_curves({run_label(p): pd.read_csv(p) for p in histories}, figure)
