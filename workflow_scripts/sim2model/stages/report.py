"""Generic report stage: figures shared by every study of a task (regression, classification,
image-to-image) and the training curves.

Run labels (e.g. ``"v1 / xception"``) and losses come from the rules, one per input path in the
same order; nothing here reads a label back out of a path.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from sim2model.data.select import first_per_class
from sim2model.data.spectrum import radial_power_spectrum
from sim2model.eval.classification import classification_report
from sim2model.eval.image2image import per_image_correlation
from sim2model.io.dataset import read_dataset
from sim2model.io.predictions import read_predictions
from sim2model.plots.classification import (
    confusion_matrix_figure,
    example_grid_figure,
    roc_figure,
)
from sim2model.plots.image2image import image_panels_figure, power_spectrum_figure
from sim2model.plots.regression import (
    error_histograms_figure,
    training_curves_figure,
    true_vs_error_figure,
    true_vs_predicted_figure,
)
from sim2model.plots.style import display_name, save_figure


def regression_figures(
    predictions: str,
    scatter: str,
    errors: str,
    error_vs_true: str,
    *,
    color_by: str | None = None,
) -> None:
    """True-vs-predicted and error-vs-true scatters (coloured by ``meta/<color_by>``) and error
    histograms."""
    pred = read_predictions(predictions)
    labels = [display_name(n) for n in pred.target_names]
    color = pred.meta.get(color_by) if color_by else None
    figure = true_vs_predicted_figure(
        pred.y_true, pred.y_pred, labels, pred.units,
        color=color, color_label=display_name(color_by) if color is not None else "",
    )  # fmt: skip
    save_figure(figure, scatter)
    figure = true_vs_error_figure(
        pred.y_true, pred.y_pred, labels, pred.units,
        color=color, color_label=display_name(color_by) if color is not None else "",
    )  # fmt: skip
    save_figure(figure, error_vs_true)
    save_figure(error_histograms_figure(pred.y_true, pred.y_pred, labels, pred.units), errors)


def labelled(paths: Sequence[str], labels: Sequence[str]) -> dict[str, str]:
    """``label -> path`` for paths and their labels given in the same order (labels unique)."""
    if len(labels) != len(paths):
        raise ValueError(f"{len(labels)} labels {list(labels)} for {len(paths)} inputs {paths}")
    if len(set(labels)) != len(labels):
        raise ValueError(f"labels must be unique, got {list(labels)}")
    return dict(zip(labels, paths, strict=True))


def training_curves(
    histories: Sequence[str], figure: str, *, labels: Sequence[str], losses: Sequence[str]
) -> None:
    """Training and validation loss of every run of a study in one figure.

    ``labels[i]`` names the run of ``histories[i]`` and ``losses[i]`` is the loss it was
    trained on (e.g. ``"mse"``), which labels the loss axis.
    """
    runs = labelled(histories, labels)
    if len(losses) != len(histories):
        raise ValueError(f"{len(losses)} losses {list(losses)} for {len(histories)} histories")
    frames = {label: pd.read_csv(path) for label, path in runs.items()}
    save_figure(training_curves_figure(frames, dict(zip(labels, losses, strict=True))), figure)


def classification_figures(predictions: str, confusion: str) -> None:
    """Confusion matrix of a classifier on its test split."""
    pred = read_predictions(predictions)
    report = classification_report(pred.y_true, pred.y_pred, pred.target_names)
    figure = confusion_matrix_figure(report.confusion, pred.target_names)
    save_figure(figure, confusion)


def example_indices(n_samples: int, n_examples: int) -> np.ndarray:
    """``n_examples`` sample indices spread evenly over a split (deterministic)."""
    return np.unique(np.linspace(0, n_samples - 1, min(n_examples, n_samples)).astype(int))


def image2image_figures(
    predictions: str, data: str, panels: str, spectra: str, *, n_examples: int = 4
) -> None:
    """Input / true / predicted / residual maps of a few test images and their power spectra."""
    pred = read_predictions(predictions)
    ds = read_dataset(data, extra=False)
    input_label = display_name(ds.attrs.get("input_name", "input"))
    target = display_name(pred.target_names[0])
    pick = example_indices(len(ds), n_examples)
    correlation = per_image_correlation(pred.y_true, pred.y_pred)[:, 0]
    figure = image_panels_figure(
        ds.x[pick, ..., 0], pred.y_true[pick, ..., 0], pred.y_pred[pick, ..., 0],
        input_label=input_label, target_label=target, correlations=correlation[pick],
    )  # fmt: skip
    save_figure(figure, panels)
    k, p_true = radial_power_spectrum(pred.y_true[..., 0])
    _, p_pred = radial_power_spectrum(pred.y_pred[..., 0])
    figure = power_spectrum_figure(
        k, {"true": p_true, "predicted": p_pred}, ylabel=f"P(k) of {target}",
        ratio_to="true", title=f"Test split, {len(ds)} maps",
    )  # fmt: skip
    save_figure(figure, spectra)


def classification_table(
    predictions: Sequence[str],
    csv: str,
    md: str,
    *,
    labels: Sequence[str],
    caption: str,
    goal: float | None = None,
) -> None:
    """Test accuracy, per-class recall and (two classes) ROC AUC of every classifier of a study.

    One row per input, indexed by its label (``labels[i]`` names the run of ``predictions[i]``);
    ``caption`` (the source and split used) heads the Markdown table. ``goal``: the test
    accuracy the study's reference asks for; a column says whether each run reaches it.
    """
    rows = {}
    for label, path in labelled(predictions, labels).items():
        pred = read_predictions(path)
        report = classification_report(pred.y_true, pred.y_pred, pred.target_names)
        row = {"accuracy": report.accuracy, "n_test": len(pred.y_true)}
        if report.roc is not None:
            row["roc_auc"] = report.roc["auc"]
        if goal is not None:
            row["meets_goal"] = "yes" if report.accuracy >= goal else "no"
        row |= {f"recall {name}": value for name, value in report.per_class["recall"].items()}
        rows[label] = row
    table = pd.DataFrame.from_dict(rows, orient="index").astype({"n_test": int})
    table.index.name = "run"
    table.to_csv(csv, float_format="%.4f")
    formats = ["", *(".0f" if column == "n_test" else ".3f" for column in table.columns)]
    target = "" if goal is None else f"The reference's goal is test accuracy >= {goal:.0%}. "
    Path(md).write_text(
        f"Classifiers on the test split. {target}{caption}\n\n"
        + table.to_markdown(floatfmt=formats)
        + "\n"
    )


def roc_curves(predictions: Sequence[str], figure: str, *, labels: Sequence[str]) -> None:
    """ROC curves of every binary classifier of a study, named by ``labels`` (input order)."""
    curves = {}
    for label, path in labelled(predictions, labels).items():
        pred = read_predictions(path)
        roc = classification_report(pred.y_true, pred.y_pred, pred.target_names).roc
        if roc is None:
            raise ValueError(f"{path}: ROC curves need two classes, got {pred.target_names}")
        curves[label] = (roc["fpr"], roc["tpr"], roc["auc"])
    save_figure(roc_figure(curves), figure)


def classification_examples(predictions: str, data: str, figure: str, *, per_class: int) -> None:
    """Grid of ``per_class`` test images of every class with true and predicted labels."""
    pred = read_predictions(predictions)
    ds = read_dataset(data, extra=False)
    names = list(pred.target_names)
    pick = first_per_class(pred.y_true, len(names), per_class)
    predicted = pred.y_pred[pick].argmax(axis=1)
    images = ds.x[pick] if ds.x.shape[-1] in (1, 3) else ds.x[pick, ..., 0]
    grid = example_grid_figure(
        images, [names[c] for c in pred.y_true[pick]], [names[c] for c in predicted],
        per_row=per_class,
    )  # fmt: skip
    save_figure(grid, figure)
