"""Evaluation stage: predict a dataset with a trained model, in the targets' original units.

What is scored follows the dataset's task: per-target regression errors, class accuracy,
precision/recall and the confusion matrix (ROC for two classes), or per-channel image errors
and per-image correlations. A neural posterior (:mod:`sim2model.models.posterior`) is scored on
its posterior mean, and its draws, posterior standard deviation and coverage are recorded too.
"""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim2model.data.normalise import Normaliser
from sim2model.eval.calibration import expected_coverage, posterior_summary
from sim2model.eval.classification import classification_report
from sim2model.eval.image2image import image2image_metrics
from sim2model.eval.metrics import regression_metrics
from sim2model.io.dataset import Dataset, read_dataset
from sim2model.io.predictions import Predictions, write_predictions

log = logging.getLogger(__name__)


def score(ds: Dataset, y_pred: np.ndarray) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Metrics of predictions ``y_pred`` (original units; class probabilities) on ``ds``.

    Returns a table (one row per target, class or channel) and a JSON-able summary.
    """
    task = ds.attrs["task"]
    if task == "classification":
        report = classification_report(ds.y, y_pred, list(ds.attrs["class_names"]))
        return report.per_class, report.to_dict()
    if task == "image2image":
        names = list(ds.attrs["target_names"])
        table = image2image_metrics(ds.y, y_pred, names)
        return table, {"channels": table.to_dict("index")}
    table = regression_metrics(ds.y, y_pred, list(ds.attrs["target_names"]))
    return table, {"targets": table.to_dict("index")}


def timed_predict(
    net: Any, x: np.ndarray, batch_size: int, *, seed: int = 0
) -> tuple[np.ndarray, dict[str, Any]]:
    """Predict ``x`` in batches of ``batch_size`` and time it.

    A neural posterior's prediction is its ``(len(x), draws, n_targets)`` posterior draws,
    seeded by ``seed``. One batch is predicted first, untimed, so the timing leaves out building
    (tracing) the predict function. Returns the predictions and ``parameters`` (``count_params``),
    ``inference_seconds`` (wall time of predicting all of ``x``),
    ``inference_seconds_per_sample`` (that over ``len(x)``), ``inference_batch_size``, the
    ``device`` and the ``host`` it ran on.
    """
    from sim2model.models.posterior import is_posterior
    from sim2model.train.backend import describe_devices
    from sim2model.train.fit import predict

    def run(batch: np.ndarray) -> np.ndarray:
        if is_posterior(net):
            return net.draw(batch, seed=seed, batch_size=batch_size)
        return predict(net, batch, batch_size)

    run(x[:batch_size])
    start = time.perf_counter()
    y = run(x)
    seconds = time.perf_counter() - start
    return y, {
        "parameters": int(net.count_params()),
        "inference_seconds": seconds,
        "inference_seconds_per_sample": seconds / len(x),
        "inference_batch_size": int(batch_size),
        "device": describe_devices()["device"],
        "host": socket.gethostname(),
    }


#: Credibility levels whose coverage a posterior's metrics table reports.
TABLE_LEVELS = (0.68, 0.95)


def with_posterior_scores(
    scores: pd.DataFrame, summary: dict[str, Any], pred: Predictions
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """``scores`` and ``summary`` of the posterior mean, plus per target the mean posterior
    standard deviation (``posterior_std``) and the coverage of the central 68 % and 95 %
    credible intervals (``coverage_68``, ``coverage_95``)."""
    coverage = expected_coverage(pred.draws, pred.y_true, TABLE_LEVELS, names=pred.target_names)
    scores = scores.copy()
    scores["posterior_std"] = pred.y_std.mean(axis=0)
    for level in TABLE_LEVELS:
        rows = coverage[coverage["level"] == level].set_index("parameter")["coverage"]
        scores[f"coverage_{round(100 * level)}"] = rows.reindex(scores.index).to_numpy()
    posterior = {"draws": int(pred.draws.shape[1]), "targets": scores.filter(
        ["posterior_std", *(f"coverage_{round(100 * lv)}" for lv in TABLE_LEVELS)]
    ).to_dict("index")}  # fmt: skip
    return scores, {**summary, "targets": scores.to_dict("index"), "posterior": posterior}


def evaluate(
    model: str,
    norm: str,
    data: str,
    predictions: str,
    metrics: str,
    table: str,
    *,
    train_config: Mapping[str, Any],
    seed: int,
    threads: int = 1,
) -> None:
    """Write predictions (HDF5) and metrics (JSON and CSV ``table``) for ``data``.

    ``metrics`` also records what the prediction cost (:func:`timed_predict`): the model's
    ``parameters``, the wall time of predicting ``data`` and the device and threads it ran on.
    """
    from sim2model.models.posterior import is_posterior
    from sim2model.train.backend import load_trained_model

    net = load_trained_model(model, train_config, seed=seed, threads=threads)
    normaliser = Normaliser.load(norm)
    ds = read_dataset(data, extra=False)
    scaled, cost = timed_predict(
        net, normaliser.transform_x(ds.x), train_config["batch_size"], seed=seed
    )
    classification = ds.attrs["task"] == "classification"
    names = list(ds.attrs["class_names" if classification else "target_names"])
    pred = Predictions(
        y_true=ds.y,
        y_pred=normaliser.inverse_y(scaled),
        target_names=names,
        meta=ds.meta,
        units=list(ds.attrs.get("units", [""] * len(names))),
    )
    if is_posterior(net):  # the predictions are posterior draws
        pred.draws = pred.y_pred
        pred.y_pred, pred.y_std = (a.astype(np.float32) for a in posterior_summary(pred.draws))
    write_predictions(predictions, pred)
    scores, summary = score(ds, pred.y_pred)
    if pred.draws is not None:
        scores, summary = with_posterior_scores(scores, summary, pred)
    scores.to_csv(table, float_format="%.6g")
    record = {"n_samples": len(ds), "data": str(data), **cost, "threads": threads, **summary}
    Path(metrics).write_text(json.dumps(record, indent=2) + "\n")
    log.info("metrics on %s (%d samples):\n%s", data, len(ds), scores.to_string())
