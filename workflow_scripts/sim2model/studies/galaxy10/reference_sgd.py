"""The Galaxy10 reference notebook's training recipe: plain SGD, one image at a time.

The notebook trains ``sigmoid(W2 tanh(W1 v + b1) + b2)`` on one-hot labels with the summed
binary cross-entropy ``sum_i -y_i log a_i - (1 - y_i) log(1 - a_i)``, and repeatedly picks a
random training image (with replacement) and moves the parameters by ``learning_rate`` (0.001)
times the gradient of that image's loss. Every 2000 steps it records the test-set accuracy and
plots it against the step, for 100 x 2000 steps.

:func:`train_reference_sgd` does the same for any Keras classifier built with sigmoid outputs:
``rounds`` rounds of ``steps_per_round`` single-image steps, the images of round ``r`` drawn by
``(seed, r)``. After each round the history gets one row (``epoch`` = round, ``step``, mean
training ``loss`` and ``accuracy`` of the round, validation ``val_loss`` / ``val_accuracy`` (when
there is a validation split), and
``test_accuracy`` on the monitored test split). The test split is only watched, as in the
notebook: nothing is chosen by it; the model written is the one after the last step.
``epoch_seconds`` is the round's wall time (its steps and validation, not the test watch).

Import after :func:`sim2model.train.backend.configure_backend`: it imports keras.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pandas as pd
from keras import ops

from sim2model.progress import progress
from sim2model.train.fit import save_model_atomically


@keras.saving.register_keras_serializable(package="sim2model")
def summed_binary_crossentropy(y_true: Any, y_pred: Any) -> Any:
    """Per-sample ``sum_i -y_i log a_i - (1 - y_i) log(1 - a_i)`` over the class outputs."""
    eps = keras.config.epsilon()
    a = ops.clip(y_pred, eps, 1.0 - eps)
    y = ops.cast(y_true, a.dtype)
    return ops.sum(-y * ops.log(a) - (1.0 - y) * ops.log(1.0 - a), axis=-1)


def one_hot(labels: np.ndarray, n_classes: int) -> np.ndarray:
    """Float32 one-hot rows of integer ``labels``."""
    return np.eye(n_classes, dtype=np.float32)[np.asarray(labels, dtype=np.int64)]


def compile_reference(model: keras.Model, learning_rate: float) -> keras.Model:
    """Compile ``model`` for the recipe: plain SGD (no momentum) on the summed cross-entropy."""
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=learning_rate, momentum=0.0),
        loss=summed_binary_crossentropy,
        metrics=[keras.metrics.CategoricalAccuracy(name="accuracy")],
    )
    return model


def round_samples(n_train: int, steps: int, seed: int, round_index: int) -> np.ndarray:
    """Indices of the ``steps`` training images of one round, drawn with replacement."""
    return np.random.default_rng([seed, round_index]).integers(0, n_train, size=steps)


def _accuracy(model: keras.Model, x: np.ndarray, y: np.ndarray) -> float:
    proba = np.asarray(model.predict(x, batch_size=256, verbose=0))
    return float(np.mean(proba.argmax(axis=1) == y))


def train_reference_sgd(
    model: keras.Model,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_val: np.ndarray,
    y_val: np.ndarray,
    x_test: np.ndarray | None,
    y_test: np.ndarray | None,
    *,
    model_path: str | os.PathLike[str],
    history_path: str | os.PathLike[str],
    rounds: int,
    steps_per_round: int,
    learning_rate: float,
    seed: int,
) -> pd.DataFrame:
    """Train by the reference recipe (see the module docstring); write the model and history.

    ``y_*`` are integer class labels; the model's outputs must be per-class sigmoids. Returns
    the history (one row per round).
    """
    n_classes = int(model.output.shape[-1])
    compile_reference(model, learning_rate)
    y_val_hot = one_hot(y_val, n_classes)
    rows = []
    bar = progress(rounds * steps_per_round, "reference SGD steps")
    for r in range(rounds):
        start = time.perf_counter()
        pick = round_samples(len(x_train), steps_per_round, seed, r)
        fit = model.fit(
            x_train[pick], one_hot(y_train[pick], n_classes), batch_size=1, epochs=1,
            shuffle=False, verbose=0,
        )  # fmt: skip
        row = {
            "epoch": r,
            "step": (r + 1) * steps_per_round,
            "loss": float(fit.history["loss"][-1]),
            "accuracy": float(fit.history["accuracy"][-1]),
        }
        if len(x_val):  # the reference itself has no validation split (fractions.val: 0)
            val_loss, val_accuracy = model.evaluate(x_val, y_val_hot, batch_size=256, verbose=0)
            row |= {"val_loss": float(val_loss), "val_accuracy": float(val_accuracy)}
        row["epoch_seconds"] = time.perf_counter() - start  # steps and validation, as in Keras
        if x_test is not None:
            row["test_accuracy"] = _accuracy(model, x_test, y_test)
        rows.append(row)
        bar.update(steps_per_round)
    bar.close()
    history = pd.DataFrame(rows)
    model_path, history_path = Path(model_path), Path(history_path)
    model_path.parent.mkdir(parents=True, exist_ok=True)
    save_model_atomically(model, model_path)
    tmp = history_path.with_name(f"{history_path.name}.tmp")
    history.to_csv(tmp, index=False)
    os.replace(tmp, history_path)
    return history


def fit_by_reference(
    model: keras.Model,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_val: np.ndarray,
    y_val: np.ndarray,
    x_monitor: np.ndarray | None,
    y_monitor: np.ndarray | None,
    *,
    model_path: str | os.PathLike[str],
    history_path: str | os.PathLike[str],
    settings: Mapping[str, Any],
    learning_rate: float,
    seed: int,
) -> pd.DataFrame:
    """:func:`train_reference_sgd` as the generic train stage calls a study's trainer
    (``settings``: the train settings with ``rounds`` and ``steps_per_round``)."""
    return train_reference_sgd(
        model, x_train, y_train, x_val, y_val, x_monitor, y_monitor,
        model_path=model_path, history_path=history_path, rounds=settings["rounds"],
        steps_per_round=settings["steps_per_round"], learning_rate=learning_rate, seed=seed,
    )  # fmt: skip
