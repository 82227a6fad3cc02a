"""Training stage: fit one model variant on a dataset's train split, validate on val."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from sim2model.data.normalise import Normaliser
from sim2model.io.dataset import Dataset, count_samples, read_dataset
from sim2model.train.losses import LOSS_BY_TASK

log = logging.getLogger(__name__)


def scaled_learning_rate(settings: Mapping[str, Any]) -> float:
    """``learning_rate`` scaled by ``batch_size / reference_batch_size`` as ``settings`` ask.

    ``scale_learning_rate``: ``none`` (default), ``linear`` or ``sqrt``.
    """
    rule = settings.get("scale_learning_rate", "none")
    ratio = settings["batch_size"] / settings.get("reference_batch_size", 32)
    power = {"none": 0.0, "linear": 1.0, "sqrt": 0.5}[rule]
    return float(settings["learning_rate"] * ratio**power)


def n_model_outputs(ds: Dataset) -> int:
    """Outputs the network needs: targets, classes or target channels."""
    task = ds.attrs["task"]
    if task == "classification":
        return len(ds.attrs["class_names"])
    return int(ds.y.shape[-1])


def normalised_splits(
    train: str, val: str, norm: str, *, subset: int | None = None
) -> tuple[Dataset, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The train split (its attributes tell the task), then ``x_train, y_train, x_val, y_val``
    normalised by ``norm``.

    ``subset``: keep the first ``subset`` training samples and the same share (at least one) of
    the first validation samples; None keeps both splits whole.
    """
    normaliser = Normaliser.load(norm)
    n_train, n_val = count_samples(train), count_samples(val)
    if subset is not None and subset < n_train:
        n_val = max(1, math.ceil(n_val * subset / n_train))
        n_train = subset
    train_ds = read_dataset(train, extra=False, rows=n_train)  # the subset alone is read
    val_ds = read_dataset(val, extra=False, rows=n_val)
    return (
        train_ds,
        normaliser.transform_x(train_ds.x),
        normaliser.transform_y(train_ds.y),
        normaliser.transform_x(val_ds.x),
        normaliser.transform_y(val_ds.y),
    )


def train(
    train: str,
    val: str,
    norm: str,
    model: str,
    history: str,
    *,
    model_config: Mapping[str, Any],
    train_config: Mapping[str, Any],
    seed: int,
    threads: int = 1,
    monitor: str | None = None,
) -> None:
    """Train ``model_config['arch']`` and write ``model`` (.keras) and ``history`` (CSV).

    ``train_config['recipe'] == 'reference'`` trains by the Galaxy10 reference notebook's recipe
    (:mod:`sim2model.train.reference_sgd`), recording the accuracy on ``monitor`` (the test
    split; empty when unused) as it goes.
    """
    from sim2model.train.backend import configure_from_settings, log_devices

    configure_from_settings(train_config, seed=seed, threads=threads)
    log_devices(log)
    from sim2model.models import build_model
    from sim2model.train.fit import train_model

    train_ds, x_train, y_train, x_val, y_val = normalised_splits(train, val, norm)
    reference = train_config.get("recipe") == "reference"
    arch = {**model_config, **({"output_activation": "sigmoid"} if reference else {})}
    net = build_model(arch.pop("arch"), x_train.shape[1:], n_model_outputs(train_ds), **arch)
    learning_rate = scaled_learning_rate(train_config)
    log.info(
        "model %s: %d parameters, compute dtype %s, learning rate %g",
        net.name, net.count_params(), net.dtype_policy.compute_dtype,
        learning_rate,
    )  # fmt: skip
    if reference:
        from sim2model.train.reference_sgd import train_reference_sgd

        test_ds = read_dataset(monitor, extra=False) if monitor else None  # [] when unused
        train_reference_sgd(
            net, x_train, y_train, x_val, y_val,
            None if test_ds is None else Normaliser.load(norm).transform_x(test_ds.x),
            None if test_ds is None else test_ds.y,
            model_path=model, history_path=history, rounds=train_config["rounds"],
            steps_per_round=train_config["steps_per_round"], learning_rate=learning_rate,
            seed=seed,
        )  # fmt: skip
        return
    train_model(
        net,
        x_train,
        y_train,
        x_val,
        y_val,
        model_path=model,
        history_path=history,
        epochs=train_config["epochs"],
        batch_size=train_config["batch_size"],
        learning_rate=learning_rate,
        patience=train_config["patience"],
        seed=seed,
        loss=LOSS_BY_TASK[train_ds.attrs["task"]],
        prefetch_workers=2 if train_config["gpus"] else 0,
    )
