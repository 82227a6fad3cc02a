"""Turbulence report stage: per-class accuracy (slices, projections, flattened), U-Net table."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from sim2model.io.predictions import read_predictions
from sim2model.plots.classification import per_class_accuracy_figure
from sim2model.plots.style import save_figure
from sim2model.stages.report import labelled

log = logging.getLogger(__name__)


def per_class_accuracy(predictions: Sequence[str], labels: Sequence[str]) -> pd.DataFrame:
    """Accuracy per true class of each classifier, on single slices and on projections.

    Columns are ``"<label> slices"`` and ``"<label> projections"``, ``labels[i]`` naming the
    run of ``predictions[i]``.
    """
    columns = {}
    for label, path in labelled(predictions, labels).items():
        pred = read_predictions(path)
        names = list(pred.target_names)
        correct = pred.y_pred.argmax(axis=1) == pred.y_true
        depth = pred.meta.get("slice_depth", np.ones(len(correct), dtype=int))
        for kind, mask in (("slices", depth == 1), ("projections", depth > 1)):
            if not mask.any():
                continue
            columns[f"{label} {kind}"] = {
                name: float(correct[mask & (pred.y_true == c)].mean())
                if np.any(mask & (pred.y_true == c))
                else np.nan
                for c, name in enumerate(names)
            }
            columns[f"{label} {kind}"]["all"] = float(correct[mask].mean())
    return pd.DataFrame(columns)


def turbulence_tables(
    classifications: Sequence[str],
    image2image: Sequence[str],
    accuracy_csv: str,
    accuracy_md: str,
    accuracy_figure: str,
    image2image_csv: str,
    image2image_md: str,
    *,
    classification_labels: Sequence[str],
    image2image_labels: Sequence[str],
    caption: str,
) -> None:
    """Per-class accuracy (slices, projections, flattened spectra) and U-Net metrics tables.

    ``caption`` (the source and split used) heads both Markdown tables.

    ``classification_labels`` and ``image2image_labels`` name the run (e.g. ``"transport/cnn"``)
    of each input of ``classifications`` and ``image2image``, in the same order.
    """
    accuracy = per_class_accuracy(classifications, classification_labels)
    accuracy.to_csv(accuracy_csv, float_format="%.4f")
    Path(accuracy_md).write_text(
        f"Test accuracy per transport class. {caption}\n\n"
        + accuracy.to_markdown(floatfmt=".3f")
        + "\n"
    )
    per_class = accuracy.drop(index="all")
    # classifiers of grouped variants (e.g. mhd vs cr) have other classes: no common chance level
    chance = None if per_class.isna().to_numpy().any() else 1.0 / len(per_class)
    save_figure(per_class_accuracy_figure(per_class.to_dict(), chance=chance), accuracy_figure)
    frames = [
        pd.read_csv(path, index_col=0).assign(run=label)
        for label, path in labelled(image2image, image2image_labels).items()
    ]
    metrics = pd.concat(frames) if frames else pd.DataFrame()
    metrics.to_csv(image2image_csv, float_format="%.6g")
    Path(image2image_md).write_text(
        f"Image-to-image models on the test split. {caption}\n\n"
        + metrics.to_markdown(floatfmt=".4g")
        + "\n"
    )
    log.info("per-class accuracy:\n%s\n%s", accuracy.to_string(), metrics.to_string())
