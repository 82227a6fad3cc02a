"""galaxy10 report stage: second-choice statistics and accuracy against training progress."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from sim2model.eval.classification import second_choice_table
from sim2model.io.predictions import read_predictions
from sim2model.stages.report import labelled

log = logging.getLogger(__name__)


def accuracy_curves(histories: dict[str, pd.DataFrame]) -> tuple[dict, str, str]:
    """Curves, x label and y label: test accuracy per SGD step (reference recipe histories,
    which carry ``step`` and ``test_accuracy``), else validation accuracy per epoch."""
    if all({"step", "test_accuracy"} <= set(h.columns) for h in histories.values()):
        curves = {k: (h["step"], h["test_accuracy"]) for k, h in histories.items()}
        return curves, "SGD step (one training image each)", "Test accuracy"
    curves = {k: (h["epoch"] + 1, h["val_accuracy"]) for k, h in histories.items()}
    return curves, "Epoch", "Validation accuracy"


def galaxy10_report(
    predictions: Sequence[str],
    histories: Sequence[str],
    second_csv: str,
    second_md: str,
    accuracy: str,
    *,
    labels: Sequence[str],
    goal: float,
    caption: str,
) -> None:
    """Second-choice table of every classifier and its accuracy curve against the ``goal``.

    ``labels[i]`` names the run of ``predictions[i]`` and ``histories[i]``.
    """
    from sim2model.plots.classification import accuracy_curve_figure
    from sim2model.plots.style import save_figure

    tables = {}
    for label, path in labelled(predictions, labels).items():
        pred = read_predictions(path)
        tables[label] = second_choice_table(pred.y_true, pred.y_pred, pred.target_names)
    table = pd.concat(tables, names=["run"])
    table.to_csv(second_csv, float_format="%.4f")
    Path(second_md).write_text(
        "Misclassified test images per true class, and how often the true class was the "
        f"network's second choice (runner-up output). {caption}\n\n"
        + table.reset_index().to_markdown(index=False, floatfmt=".3f")
        + "\n"
    )
    frames = {label: pd.read_csv(path) for label, path in labelled(histories, labels).items()}
    curves, xlabel, ylabel = accuracy_curves(frames)
    save_figure(accuracy_curve_figure(curves, xlabel=xlabel, ylabel=ylabel, goal=goal), accuracy)
    log.info("second-choice statistics:\n%s", table.to_string())
