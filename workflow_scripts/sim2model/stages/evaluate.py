"""Evaluation stage: predict a dataset with a trained model, in the targets' original units."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sim2model.data.normalise import Normaliser
from sim2model.eval.metrics import regression_metrics
from sim2model.io.dataset import read_dataset
from sim2model.io.predictions import Predictions, write_predictions

log = logging.getLogger(__name__)


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
    """Write predictions (HDF5) and per-target metrics (JSON and CSV ``table``) for ``data``."""
    from sim2model.train.backend import configure_from_settings

    configure_from_settings(train_config, seed=seed, threads=threads)
    from sim2model.train.fit import load_model, predict

    normaliser = Normaliser.load(norm)
    ds = read_dataset(data, extra=False)
    y_pred = normaliser.inverse_y(
        predict(load_model(model), normaliser.transform_x(ds.x), train_config["batch_size"])
    )
    names = list(ds.attrs["target_names"])
    write_predictions(
        predictions,
        Predictions(
            y_true=ds.y,
            y_pred=y_pred,
            target_names=names,
            meta=ds.meta,
            units=list(ds.attrs.get("units", [""] * len(names))),
        ),
    )
    scores = regression_metrics(ds.y, y_pred, names)
    scores.to_csv(table, float_format="%.6g")
    record = {"n_samples": len(ds), "data": str(data), "targets": scores.to_dict("index")}
    Path(metrics).write_text(json.dumps(record, indent=2) + "\n")
    log.info("metrics on %s (%d samples):\n%s", data, len(ds), scores.to_string())
