"""Generate stage: a class-conditional diffusion model of a study's image maps, judged by physics.

``train_generator`` fits the denoiser (DDPM, predict the noise) on the normalised maps of a
classification variant's train split; ``generate_maps`` samples ``n_per_class`` maps of every
class with DDIM, writes them as a contract dataset in the maps' own units, and compares them with
the test maps of the same class (never seen by the generator): power-spectrum ratio, Wasserstein-1
distance of the pixel PDF and the study's classifier's agreement with the conditioning class;
:mod:`sim2model.stages.generate_report` draws the figures and the table.

Settings (``<study>.generative``, see config/schema.yaml): ``model`` (denoiser options),
``timesteps``, ``epochs``, ``batch_size``, ``learning_rate``, ``class_dropout``,
``max_train_maps``, ``steps``, ``eta``, ``guidance``, ``n_per_class`` and ``test_where``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from sim2model.data.normalise import Normaliser
from sim2model.eval.generative import generative_metrics, select_where
from sim2model.io.dataset import Dataset, DatasetError, read_dataset, write_dataset
from sim2model.provenance import stamp_attrs
from sim2model.train.job import start_training_job

log = logging.getLogger(__name__)


def image_classes(ds: Dataset, path: str) -> list[str]:
    """Class names of a classification dataset of 2D maps ``(N, H, W, C)``; else DatasetError."""
    if ds.attrs["task"] != "classification" or ds.x.ndim != 4:
        raise DatasetError(
            f"{path}: the generate stage needs a classification dataset of (N, H, W, C) maps, "
            f"got a {ds.attrs['task']} dataset with x of shape {ds.x.shape}"
        )
    return list(ds.attrs["class_names"])


def train_generator(
    train: str,
    val: str,
    norm: str,
    model: str,
    generator: str,
    history: str,
    *,
    settings: Mapping[str, Any],
    train_config: Mapping[str, Any],
    seed: int,
    threads: int = 1,
) -> None:
    """Fit the denoiser on (at most ``max_train_maps`` of) the train maps; write the model
    (.keras), its sampling record ``generator`` (JSON) and the loss ``history`` (CSV)."""
    job = start_training_job(train, val, norm, train_config, seed=seed, threads=threads)
    from sim2model.generative.denoiser import build_denoiser
    from sim2model.generative.diffusion import train_denoiser
    from sim2model.generative.schedule import CosineSchedule

    class_names = image_classes(job.train, train)
    x_train, y_train = job.x_train, job.train.y
    limit = settings.get("max_train_maps")
    if limit is not None and limit < len(x_train):
        rows = np.sort(np.random.default_rng(seed).choice(len(x_train), limit, replace=False))
        x_train, y_train = x_train[rows], y_train[rows]
    net = build_denoiser(x_train.shape[1:], len(class_names), **settings["model"])
    schedule = CosineSchedule(settings["timesteps"])
    log.info(
        "denoiser: %d parameters, %d train maps of %s, %d classes",
        net.count_params(), len(x_train), x_train.shape[1:], len(class_names),
    )  # fmt: skip
    losses = train_denoiser(
        net, x_train, y_train, job.x_val, job.val.y, schedule,
        n_classes=len(class_names), epochs=settings["epochs"],
        batch_size=settings["batch_size"], learning_rate=settings["learning_rate"],
        class_dropout=settings["class_dropout"], seed=seed,
    )  # fmt: skip
    net.save(model)
    losses.to_csv(history, index=False, float_format="%.6g")
    record = {
        "timesteps": schedule.timesteps,
        "class_names": class_names,
        "clip": [float(x_train.min()), float(x_train.max())],
        "n_train_maps": len(x_train),
        "parameters": net.count_params(),  # for the cost table
    }
    Path(generator).write_text(json.dumps(record, indent=2) + "\n")


def generate_maps(
    model: str,
    generator: str,
    norm: str,
    train: str,
    test: str,
    generated: str,
    csv: str,
    *,
    settings: Mapping[str, Any],
    train_config: Mapping[str, Any],
    config: Any,
    seed: int,
    classifier: str | None = None,
    threads: int = 1,
) -> None:
    """Sample ``n_per_class`` maps per class, write them (contract dataset ``generated``) and
    their per-class comparison with the test maps (``csv``; the ``train`` maps give the floor).

    The predicted clean maps are clipped to the range of the normalised training maps.
    ``classifier`` (a .keras model trained on the same variant) judges the generated maps.
    """
    from sim2model.train.backend import load_trained_model

    net = load_trained_model(model, train_config, seed=seed, threads=threads)
    from sim2model.generative.diffusion import sample_ddim
    from sim2model.generative.schedule import CosineSchedule
    from sim2model.train.fit import load_model, predict

    record = json.loads(Path(generator).read_text())
    class_names = record["class_names"]
    normaliser = Normaliser.load(norm)
    labels = np.repeat(np.arange(len(class_names)), settings["n_per_class"])
    scaled = sample_ddim(
        net, CosineSchedule(record["timesteps"]), labels, n_classes=len(class_names),
        steps=settings["steps"], guidance=settings["guidance"], eta=settings["eta"],
        seed=seed, clip=tuple(record["clip"]), batch_size=settings["batch_size"],
    )  # fmt: skip
    test_ds = select_where(read_dataset(test, extra=False), settings.get("test_where"), test)
    if image_classes(test_ds, test) != class_names:
        raise DatasetError(f"{test}: classes {test_ds.attrs['class_names']} != {class_names}")
    maps = normaliser.inverse_x(scaled)
    attrs = {
        "study": test_ds.attrs["study"],
        "task": "classification",
        "class_names": class_names,
        "target_names": [],
        "generator": f"DDIM, {settings['steps']} steps, eta {settings['eta']:g}, "
        f"guidance {settings['guidance']:g}",
        **({"input_name": test_ds.attrs["input_name"]} if "input_name" in test_ds.attrs else {}),
    }
    write_dataset(
        generated,
        Dataset(
            x=maps,
            y=labels.astype(np.int64),
            meta={"class_id": labels.astype(np.int64), "sample_id": np.arange(len(labels))},
            attrs=stamp_attrs(attrs, config=config, created_by="generate_maps"),
        ),
    )
    predicted = {}
    if classifier is not None:
        judge = load_model(classifier)
        for name, x in (("real", test_ds.x), ("generated", maps)):
            scores = predict(judge, normaliser.transform_x(x), train_config["batch_size"])
            predicted[f"{name}_predicted"] = np.argmax(scores, axis=1)
    train_ds = read_dataset(train, extra=False)
    table = generative_metrics(
        test_ds.x, test_ds.y, maps, labels, class_names,
        train=(train_ds.x, train_ds.y), **predicted,
    )  # fmt: skip
    table.to_csv(csv, float_format="%.5g")
    log.info("generated vs test maps:\n%s", table.to_string())
