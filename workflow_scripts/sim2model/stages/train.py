"""Training stage: fit one model variant on a dataset's train split, validate on val."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Mapping
from typing import Any

from sim2model.io.dataset import Dataset, read_dataset
from sim2model.train.job import start_training_job
from sim2model.train.losses import LOSS_BY_TASK, POSTERIOR_LOSS

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


def study_trainer(name: str) -> Callable[..., Any]:
    """The training procedure a study names as ``module:function`` in its train settings.

    Resolved by name so that this shared stage never imports a study package.
    """
    module, _, function = name.partition(":")
    return getattr(importlib.import_module(module), function)


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
    nested: tuple[int, int] | None = None,
) -> None:
    """Train ``model_config['arch']`` and write ``model`` (.keras) and ``history`` (CSV).

    ``train_config['trainer']``, when set, names a study's own training procedure as
    ``module:function`` (the Galaxy10 reference notebook's SGD recipe, for one); it is called as
    ``function(net, x_train, y_train, x_val, y_val, x_monitor, y_monitor, model_path=,
    history_path=, settings=train_config, learning_rate=, seed=)`` with ``monitor`` (a split the
    procedure only reports on; empty when unused) normalised like the others. ``nested``:
    ``(n, seed)`` trains on a nested subset of n training samples (a budget sweep's point).
    """
    job = start_training_job(
        train, val, norm, train_config, seed=seed, threads=threads, nested=nested
    )
    from sim2model.models import build_model
    from sim2model.models.posterior import is_posterior
    from sim2model.train.fit import train_model

    arch = dict(model_config)
    net = build_model(arch.pop("arch"), job.x_train.shape[1:], n_model_outputs(job.train), **arch)
    learning_rate = scaled_learning_rate(train_config)
    log.info(
        "model %s: %d parameters, compute dtype %s, learning rate %g",
        net.name, net.count_params(), net.dtype_policy.compute_dtype,
        learning_rate,
    )  # fmt: skip
    log.info("%d training samples, %d validation samples", len(job.x_train), len(job.x_val))
    if train_config.get("trainer"):
        monitor_ds = read_dataset(monitor, extra=False) if monitor else None  # [] when unused
        study_trainer(train_config["trainer"])(
            net, job.x_train, job.y_train, job.x_val, job.y_val,
            None if monitor_ds is None else job.normaliser.transform_x(monitor_ds.x),
            None if monitor_ds is None else monitor_ds.y,
            model_path=model, history_path=history, settings=train_config,
            learning_rate=learning_rate, seed=seed,
        )  # fmt: skip
        return
    weights = (None, None)
    balanced = train_config.get("class_weight", "none") == "balanced"
    if balanced and job.train.attrs["task"] == "classification":
        from sim2model.train.class_weights import balanced_sample_weights

        weights = balanced_sample_weights(job.y_train, job.y_val, job.train.attrs["class_names"])
    train_model(
        net,
        job.x_train,
        job.y_train,
        job.x_val,
        job.y_val,
        model_path=model,
        history_path=history,
        epochs=train_config["epochs"],
        batch_size=train_config["batch_size"],
        learning_rate=learning_rate,
        patience=train_config["patience"],
        seed=seed,
        loss=POSTERIOR_LOSS if is_posterior(net) else LOSS_BY_TASK[job.train.attrs["task"]],
        prefetch_workers=2 if train_config["gpus"] else 0,
        sample_weight=weights[0],
        val_sample_weight=weights[1],
        checkpoint_every_epoch=train_config.get("checkpoint_every_epoch", False),
    )
