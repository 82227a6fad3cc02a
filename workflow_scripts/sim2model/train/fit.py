"""Train a Keras model with early stopping, checkpoints and resumption after a kill.

Import this module after :func:`sim2model.train.backend.configure_backend`: it imports keras.

The caller names both outputs (the workflow's rule declares them); working files live in
``checkpoints/`` beside the model::

    <model_path>              final model (best validation loss), written atomically
    <history_path>            one row per epoch, written atomically after the model
    checkpoints/history.csv   running history (CSVLogger), one row per finished epoch
    checkpoints/best.keras    best model so far, written atomically
    checkpoints/epoch_NNNN.keras  the model after every epoch (``checkpoint_every_epoch``)
    checkpoints/backup/       BackupAndRestore state; removed once both outputs are written

``patience=None`` is the reference notebooks' recipe: every one of ``epochs`` is trained and the
model of the last epoch is kept. An empty validation split (``dataset.fractions.val: 0``, as the
reference notebooks train) needs it: there is then no validation loss to stop on or to choose by.

Everything a resumed run needs lives under ``checkpoints/``, so a workflow manager may delete
the incomplete model and history of a killed job (Snakemake does) and the rerun still resumes.

A job killed mid-training and run again with the same arguments resumes after the last
epoch the backup recorded: history rows of epochs it will redo are dropped first, and early
stopping and the best-model checkpoint carry on from the best validation loss in the history.
Batches are drawn in an order fixed by ``(seed, epoch)``, so a resumed run sees the same data
order as an uninterrupted one.
"""

from __future__ import annotations

import csv
import json
import math
import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pandas as pd

from sim2model.train.losses import POSTERIOR_LOSS
from sim2model.train.timing import EpochTimer

LOSS_METRICS: dict[str, list[str]] = {
    "mse": [],
    "sparse_categorical_crossentropy": ["accuracy"],
    POSTERIOR_LOSS: [],  # the model's own compute_loss
}


class _EpochShuffledBatches(keras.utils.PyDataset):
    """Endless stream of training batches; epoch ``e`` is permuted by ``(seed, e)``.

    Keras draws batch ``i`` of the stream as step ``i % steps`` of epoch
    ``first_epoch + i // steps``. Batches are a pure function of ``i``, so prefetching and
    Keras's shape probing cannot disturb the order. ``workers`` > 0 gathers batches in that many
    background threads ahead of the accelerator (Keras keeps them in order). With
    ``sample_weight`` each batch carries its samples' weights.
    """

    def __init__(
        self,
        x: np.ndarray,
        y: np.ndarray,
        batch_size: int,
        seed: int,
        first_epoch: int,
        workers: int = 0,
        sample_weight: np.ndarray | None = None,
    ) -> None:
        if workers:
            super().__init__(workers=workers, use_multiprocessing=False, max_queue_size=8)
        else:
            super().__init__()
        self.x, self.y, self.sample_weight = x, y, sample_weight
        self.batch_size, self.seed, self.first_epoch = batch_size, seed, first_epoch
        self.steps = math.ceil(len(x) / batch_size)
        self._order: tuple[int, np.ndarray] = (-1, np.empty(0, dtype=np.int64))

    @property
    def num_batches(self) -> None:
        return None

    def order(self, epoch: int) -> np.ndarray:
        """Sample order of ``epoch`` (cached for the epoch being drawn)."""
        if self._order[0] != epoch:
            rng = np.random.default_rng([self.seed, epoch])
            self._order = (epoch, rng.permutation(len(self.x)))
        return self._order[1]

    def __getitem__(self, index: int) -> tuple[np.ndarray, ...]:
        epoch, step = divmod(index, self.steps)
        rows = self.order(self.first_epoch + epoch)[
            step * self.batch_size : (step + 1) * self.batch_size
        ]
        if self.sample_weight is None:
            return self.x[rows], self.y[rows]
        return self.x[rows], self.y[rows], self.sample_weight[rows]


def save_model_atomically(model: keras.Model, path: Path) -> None:
    """Save ``model`` to a temporary file that then replaces ``path``: a job killed while
    saving leaves the previous file whole."""
    tmp = path.with_name(f"{path.stem}.tmp{path.suffix}")
    model.save(tmp)
    os.replace(tmp, path)


class _BestModelCheckpoint(keras.callbacks.Callback):
    """Save the model whenever the validation loss falls below the best so far.

    Each save goes to a temporary file that then replaces ``path``, so a job killed while saving
    leaves the previous best model whole (Keras's ``ModelCheckpoint`` writes in place, and a
    kill mid-save left a truncated file that stopped the resumed run).
    """

    def __init__(self, path: Path, best: float | None) -> None:
        super().__init__()
        self.path, self.best = path, math.inf if best is None else best

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        current = (logs or {}).get("val_loss")
        if current is None or not current < self.best:
            return
        save_model_atomically(self.model, self.path)
        self.best = float(current)


class _EveryEpochCheckpoint(keras.callbacks.Callback):
    """Save the model after every epoch to ``folder/epoch_NNNN.keras`` (1-based, as Keras's
    ``{epoch:04d}``), each file written atomically."""

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.folder = folder

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        save_model_atomically(self.model, self.folder / f"epoch_{epoch + 1:04d}.keras")


class _ResumableEarlyStopping(keras.callbacks.EarlyStopping):
    """EarlyStopping that starts from the best epoch of earlier, interrupted runs."""

    def __init__(self, history: pd.DataFrame, best_path: Path, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.history, self.best_path = history, best_path

    def on_train_begin(self, logs: dict | None = None) -> None:
        super().on_train_begin(logs)
        if self.history.empty or not self.best_path.exists():
            return
        best_row = self.history.loc[self.history[self.monitor].idxmin()]
        self.best = float(best_row[self.monitor])
        self.best_epoch = int(best_row["epoch"])
        self.wait = int(self.history["epoch"].max()) - self.best_epoch
        if self.restore_best_weights:
            self.best_weights = load_model(self.best_path).get_weights()


def _resume_epoch(backup_dir: Path, history_path: Path) -> int:
    """Epoch a rerun starts at: the backup's next epoch, or 0 after discarding a partial backup."""
    metadata = backup_dir / "training_metadata.json"
    if metadata.exists() and history_path.exists():
        return int(json.loads(metadata.read_text())["epoch"])
    shutil.rmtree(backup_dir, ignore_errors=True)
    return 0


def _keep_epochs_before(history_path: Path, epoch: int) -> pd.DataFrame:
    """Drop history rows of epochs >= ``epoch`` (kept rows stay byte-identical); return the rest."""
    if epoch == 0:
        history_path.unlink(missing_ok=True)
        return pd.DataFrame()
    with history_path.open(newline="") as f:
        rows = list(csv.reader(f))
    kept = rows[:1] + [row for row in rows[1:] if int(row[0]) < epoch]
    tmp = history_path.with_name(history_path.name + ".tmp")
    with tmp.open("w", newline="") as f:
        csv.writer(f).writerows(kept)
    os.replace(tmp, history_path)
    return pd.read_csv(history_path)


def train_model(
    model: keras.Model,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_val: np.ndarray,
    y_val: np.ndarray,
    *,
    model_path: str | os.PathLike[str],
    history_path: str | os.PathLike[str],
    epochs: int,
    batch_size: int,
    learning_rate: float = 1e-3,
    patience: int | None = 10,
    seed: int = 0,
    loss: str = "mse",
    verbose: int = 2,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    prefetch_workers: int = 0,
    sample_weight: np.ndarray | None = None,
    val_sample_weight: np.ndarray | None = None,
    checkpoint_every_epoch: bool = False,
) -> pd.DataFrame:
    """Fit ``model`` with Adam on ``loss`` and return the full history (one row per epoch).

    Writes the model to ``model_path`` (a ``.keras`` file) and the history to ``history_path``
    (CSV); checkpoints go to ``checkpoints/`` beside ``model_path``. Stops after ``patience``
    epochs without a lower validation loss and keeps the best weights; ``patience=None`` trains
    every epoch and keeps the last weights, and is required when ``x_val`` is empty (no
    validation). ``checkpoint_every_epoch`` also keeps the model of every epoch. ``seed`` fixes
    the batch order; weight initialisation and other randomness are seeded by
    :func:`~sim2model.train.backend.configure_backend`. Extra ``callbacks`` run before the
    epoch's backup is written. ``prefetch_workers`` threads gather batches ahead of a GPU
    (the batch order, and so the result, does not depend on them). ``sample_weight`` and
    ``val_sample_weight`` weight each sample's loss in training and in the validation loss that
    early stopping and the best model follow (see :mod:`sim2model.train.class_weights`).
    """
    if loss not in LOSS_METRICS:
        raise ValueError(f"loss must be one of {sorted(LOSS_METRICS)}, got {loss!r}")
    validated = len(x_val) > 0
    if not validated and patience is not None:
        raise ValueError(
            "no validation samples to stop early on: set patience to None (train every epoch, "
            "keep the last) or give a validation split"
        )
    model_path, history_path = Path(model_path), Path(history_path)
    checkpoints = model_path.parent / "checkpoints"
    running_history = checkpoints / "history.csv"
    backup_dir, best_path = checkpoints / "backup", checkpoints / "best.keras"
    checkpoints.mkdir(parents=True, exist_ok=True)

    start = _resume_epoch(backup_dir, running_history)
    previous = _keep_epochs_before(running_history, start)
    if start == 0:
        best_path.unlink(missing_ok=True)
    best_so_far = float(previous["val_loss"].min()) if start and validated else None

    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss=None if loss == POSTERIOR_LOSS else loss,
        metrics=LOSS_METRICS[loss],
    )
    batches = _EpochShuffledBatches(
        x_train, y_train, batch_size, seed, start, prefetch_workers, sample_weight
    )
    validation = (x_val, y_val) if val_sample_weight is None else (x_val, y_val, val_sample_weight)
    selection: list[keras.callbacks.Callback] = []
    if patience is not None:
        selection.append(
            _ResumableEarlyStopping(
                previous, best_path, patience=patience, restore_best_weights=True
            )
        )
    if validated:
        selection.append(_BestModelCheckpoint(best_path, best_so_far))
    if checkpoint_every_epoch:
        selection.append(_EveryEpochCheckpoint(checkpoints))
    model.fit(
        batches,
        steps_per_epoch=batches.steps,
        epochs=epochs,
        shuffle=False,
        validation_data=validation if validated else None,
        validation_batch_size=batch_size,
        verbose=verbose,
        callbacks=[
            EpochTimer(),  # before the CSVLogger: it writes the epoch_seconds column
            keras.callbacks.CSVLogger(str(running_history), append=True),
            *selection,
            *callbacks,
            keras.callbacks.BackupAndRestore(str(backup_dir), delete_checkpoint=False),
        ],
    )
    save_model_atomically(model, model_path)
    history_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = history_path.with_name(f"{history_path.name}.tmp")
    shutil.copyfile(running_history, tmp)
    os.replace(tmp, history_path)
    shutil.rmtree(backup_dir)
    return pd.read_csv(running_history)


def load_model(path: str | os.PathLike[str]) -> keras.Model:
    """Load a saved ``.keras`` model for inference (without its optimizer state)."""
    from sim2model.models import register_custom_layers

    register_custom_layers()
    return keras.saving.load_model(path, compile=False)


def predict(model: keras.Model, x: np.ndarray, batch_size: int) -> np.ndarray:
    """Predict ``x`` in batches of ``batch_size``; return a NumPy array."""
    return np.asarray(model.predict(x, batch_size=batch_size, verbose=0))
