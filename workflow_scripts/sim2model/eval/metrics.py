"""Metrics comparing predictions with true targets, per target column."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


def regression_metrics(
    y_true: np.ndarray, y_pred: np.ndarray, names: Sequence[str]
) -> pd.DataFrame:
    """Bias, standard deviation of the error, RMSE and R^2 for each target (rows)."""
    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64)
    if y_true.shape != y_pred.shape or y_true.shape[1] != len(names):
        raise ValueError(f"shapes {y_true.shape}, {y_pred.shape} do not match {len(names)} targets")
    err = y_pred - y_true
    total = ((y_true - y_true.mean(axis=0)) ** 2).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = np.where(total > 0, 1.0 - (err**2).sum(axis=0) / total, np.nan)
    return pd.DataFrame(
        {
            "bias": err.mean(axis=0),
            "std": err.std(axis=0),
            "rmse": np.sqrt((err**2).mean(axis=0)),
            "r2": r2,
        },
        index=pd.Index(list(names), name="target"),
    )
