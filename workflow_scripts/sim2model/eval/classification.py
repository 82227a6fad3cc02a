"""Classification metrics from predicted class probabilities.

The predicted class of a sample is the arg max of its probabilities. The report holds the
overall accuracy, per-class precision, recall (the per-class accuracy the turbulence paper
quotes), F1 and support, the confusion matrix (rows: true class, columns: predicted class)
and, for two classes, the ROC curve of the class-1 probability with its area. Classes absent
from the predictions get precision 0 (``zero_division=0``) instead of a warning.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import (
    confusion_matrix,
    precision_recall_fscore_support,
    roc_auc_score,
    roc_curve,
)

log = logging.getLogger(__name__)


@dataclass
class ClassificationReport:
    """Accuracy, per-class table, confusion matrix and (binary only) ROC curve."""

    accuracy: float
    per_class: pd.DataFrame
    confusion: np.ndarray
    roc: dict | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form: plain floats, ints and lists."""
        per_class = {
            str(name): {
                "precision": float(row["precision"]),
                "recall": float(row["recall"]),
                "f1": float(row["f1"]),
                "support": int(row["support"]),
            }
            for name, row in self.per_class.iterrows()
        }
        roc = None
        if self.roc is not None:
            roc = {
                "fpr": [float(v) for v in self.roc["fpr"]],
                "tpr": [float(v) for v in self.roc["tpr"]],
                "auc": float(self.roc["auc"]),
            }
        return {
            "accuracy": float(self.accuracy),
            "class_names": [str(name) for name in self.per_class.index],
            "per_class": per_class,
            "confusion": self.confusion.astype(int).tolist(),
            "roc": roc,
        }


def _check(y_true: np.ndarray, proba: np.ndarray, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Validate shapes and labels; return ``y_true`` as int64 and ``proba`` as float64."""
    proba = np.asarray(proba, dtype=np.float64)
    y_true = np.asarray(y_true)
    if proba.ndim != 2 or proba.shape[1] != n_classes:
        raise ValueError(
            f"proba must have shape (N, {n_classes}) for {n_classes} classes, got {proba.shape}"
        )
    if y_true.ndim != 1 or len(y_true) != len(proba):
        raise ValueError(
            f"y_true must have shape ({len(proba)},) to match proba {proba.shape}, "
            f"got {y_true.shape}"
        )
    if len(y_true) == 0:
        raise ValueError("y_true and proba hold no samples")
    if not np.issubdtype(y_true.dtype, np.integer):
        if not np.array_equal(y_true, np.round(y_true)):
            raise ValueError(f"y_true must hold integer class labels, got dtype {y_true.dtype}")
    y_true = y_true.astype(np.int64)
    if y_true.min() < 0 or y_true.max() >= n_classes:
        raise ValueError(
            f"y_true labels must lie in [0, {n_classes}), got {y_true.min()}..{y_true.max()}"
        )
    return y_true, proba


def classification_report(
    y_true: np.ndarray, proba: np.ndarray, class_names: Sequence[str]
) -> ClassificationReport:
    """Report for integer labels ``y_true`` (N,) and class probabilities ``proba`` (N, C).

    ``class_names`` names the C classes in label order. The ROC curve (two classes only)
    scores samples by ``proba[:, 1]``; it is ``None`` when the samples hold one class only.
    """
    class_names = [str(name) for name in class_names]
    n_classes = len(class_names)
    y_true, proba = _check(y_true, proba, n_classes)
    y_pred = proba.argmax(axis=1)
    labels = np.arange(n_classes)
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, zero_division=0
    )
    per_class = pd.DataFrame(
        {"precision": precision, "recall": recall, "f1": f1, "support": support},
        index=pd.Index(class_names, name="class"),
    )
    roc = None
    if n_classes == 2:
        if len(np.unique(y_true)) == 2:
            fpr, tpr, _ = roc_curve(y_true, proba[:, 1])
            roc = {"fpr": fpr, "tpr": tpr, "auc": float(roc_auc_score(y_true, proba[:, 1]))}
        else:
            log.warning("ROC curve undefined: the samples hold only class %s", y_true[0])
    return ClassificationReport(
        accuracy=float(np.mean(y_pred == y_true)),
        per_class=per_class,
        confusion=confusion_matrix(y_true, y_pred, labels=labels),
        roc=roc,
    )


def predicted_fractions(proba: np.ndarray, n_classes: int) -> np.ndarray:
    """Fraction of the samples whose arg max probability is each of the ``n_classes``."""
    proba = np.asarray(proba)
    if proba.ndim != 2 or proba.shape[1] != n_classes or len(proba) == 0:
        raise ValueError(f"proba must have shape (N > 0, {n_classes}), got {proba.shape}")
    counts = np.bincount(proba.argmax(axis=1), minlength=n_classes)
    return counts / len(proba)


def second_choice_table(
    y_true: np.ndarray, proba: np.ndarray, class_names: Sequence[str]
) -> pd.DataFrame:
    """For the misclassified samples of each true class: how often the true class came second.

    One row per class (and ``all``): ``n_test`` samples, ``n_misclassified`` (arg max is not the
    true class), ``n_second`` of those whose second-highest output is the true class, and
    ``second_choice_fraction`` = ``n_second / n_misclassified`` (NaN when none is misclassified).
    Ties are ranked by class order, as ``argmax`` does.
    """
    class_names = [str(name) for name in class_names]
    y_true, proba = _check(y_true, proba, len(class_names))
    ranking = np.argsort(-proba, axis=1, kind="stable")
    wrong = ranking[:, 0] != y_true
    second = wrong & (ranking[:, 1] == y_true)
    rows = {}
    for label, name in [*enumerate(class_names), (None, "all")]:
        mine = np.ones(len(y_true), bool) if label is None else y_true == label
        n_wrong, n_second = int(wrong[mine].sum()), int(second[mine].sum())
        rows[name] = {
            "n_test": int(mine.sum()),
            "n_misclassified": n_wrong,
            "n_second": n_second,
            "second_choice_fraction": n_second / n_wrong if n_wrong else float("nan"),
        }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("class")
