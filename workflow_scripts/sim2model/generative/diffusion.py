"""DDPM training of the denoiser (predict the noise) and seeded DDIM sampling with guidance.

Import this module after :func:`sim2model.train.backend.configure_backend`: it imports keras.

Training draws, for every batch, a step ``t`` uniform in ``1 .. T``, standard normal noise and
the noised images; with probability ``class_dropout`` a sample's class is replaced by the null
class, so one network learns both the conditional and the unconditional noise (Ho & Salimans
2022). Every draw is a pure function of ``(seed, epoch, step)``. Sampling starts from standard
normal noise drawn from ``seed`` and applies DDIM steps with the guided noise
``eps = eps_null + guidance * (eps_class - eps_null)`` (``guidance = 1``: plain conditional).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import keras
import numpy as np
import pandas as pd

from sim2model.generative.denoiser import time_embedding
from sim2model.generative.schedule import CosineSchedule
from sim2model.progress import progress
from sim2model.train.timing import EpochTimer


class _NoisedBatches(keras.utils.PyDataset):
    """Endless stream of ``([x_t, time embedding, class], eps)`` training batches.

    Batch ``i`` is step ``i % steps`` of epoch ``i // steps``; its samples, steps, noise and class
    dropout come from ``(seed, epoch, step)``, so the stream does not depend on prefetching.
    """

    def __init__(
        self,
        x: np.ndarray,
        labels: np.ndarray,
        schedule: CosineSchedule,
        *,
        n_classes: int,
        embedding_dim: int,
        batch_size: int,
        class_dropout: float,
        seed: int,
    ) -> None:
        super().__init__()
        self.x, self.labels, self.schedule = x, labels, schedule
        self.n_classes, self.embedding_dim = n_classes, embedding_dim
        self.batch_size, self.class_dropout, self.seed = batch_size, class_dropout, seed
        self.steps = math.ceil(len(x) / batch_size)

    @property
    def num_batches(self) -> None:
        return None

    def __getitem__(self, index: int) -> tuple[tuple[np.ndarray, ...], np.ndarray]:
        epoch, step = divmod(index, self.steps)
        order = np.random.default_rng([self.seed, epoch]).permutation(len(self.x))
        rows = order[step * self.batch_size : (step + 1) * self.batch_size]
        rng = np.random.default_rng([self.seed, epoch, step])
        return noised_batch(
            self.x[rows], self.labels[rows], self.schedule, rng,
            n_classes=self.n_classes, embedding_dim=self.embedding_dim,
            class_dropout=self.class_dropout,
        )  # fmt: skip


def noised_batch(
    x0: np.ndarray,
    labels: np.ndarray,
    schedule: CosineSchedule,
    rng: np.random.Generator,
    *,
    n_classes: int,
    embedding_dim: int,
    class_dropout: float,
) -> tuple[tuple[np.ndarray, ...], np.ndarray]:
    """Network inputs and noise target of one DDPM training batch of clean images ``x0``."""
    t = rng.integers(1, schedule.timesteps + 1, size=len(x0))
    eps = rng.standard_normal(x0.shape).astype(np.float32)
    dropped = rng.random(len(x0)) < class_dropout
    classes = np.where(dropped, n_classes, labels)
    x_t = schedule.q_sample(x0, eps, t)
    return network_inputs(x_t, t, classes, schedule, embedding_dim), eps


def network_inputs(
    x_t: np.ndarray,
    t: np.ndarray,
    classes: np.ndarray,
    schedule: CosineSchedule,
    embedding_dim: int,
) -> tuple[np.ndarray, ...]:
    """The denoiser's inputs for noised images ``x_t`` at steps ``t`` of classes ``classes``."""
    alpha_bar = schedule.alpha_bar[t].reshape(-1, 1)
    return (
        np.asarray(x_t, dtype=np.float32),
        time_embedding(t, embedding_dim),
        np.asarray(classes, dtype=np.int32).reshape(-1, 1),
        np.sqrt(alpha_bar).astype(np.float32),
        np.sqrt(1.0 - alpha_bar).astype(np.float32),
    )


def train_denoiser(
    net: keras.Model,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_val: np.ndarray,
    y_val: np.ndarray,
    schedule: CosineSchedule,
    *,
    n_classes: int,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    class_dropout: float,
    seed: int,
) -> pd.DataFrame:
    """Fit ``net`` to predict the noise (mean squared error) with Adam; return the history.

    The validation loss uses one fixed draw of steps and noise for the val maps (seeded), so its
    epochs are comparable. History columns: ``epoch``, ``loss``, ``val_loss``,
    ``epoch_seconds`` (the epoch's wall time).
    """
    embedding_dim = int(net.inputs[1].shape[-1])
    batches = _NoisedBatches(
        x_train, y_train, schedule, n_classes=n_classes, embedding_dim=embedding_dim,
        batch_size=batch_size, class_dropout=class_dropout, seed=seed,
    )  # fmt: skip
    val_inputs, val_eps = noised_batch(
        x_val, y_val, schedule, np.random.default_rng([seed, 2**31]),
        n_classes=n_classes, embedding_dim=embedding_dim, class_dropout=class_dropout,
    )  # fmt: skip
    net.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="mse")
    fit = net.fit(
        batches,
        steps_per_epoch=batches.steps,
        epochs=epochs,
        shuffle=False,
        validation_data=(val_inputs, val_eps),
        validation_batch_size=batch_size,
        verbose=2,
        callbacks=[EpochTimer()],
    )
    history = pd.DataFrame(fit.history)
    history.insert(0, "epoch", np.arange(len(history)))
    return history


def sample_ddim(
    net: keras.Model,
    schedule: CosineSchedule,
    labels: Sequence[int] | np.ndarray,
    *,
    n_classes: int,
    steps: int,
    guidance: float = 1.0,
    eta: float = 0.0,
    seed: int = 0,
    clip: tuple[float, float] | None = None,
    batch_size: int = 64,
    show_progress: bool = True,
) -> np.ndarray:
    """Generate one image per class id in ``labels`` with ``steps`` DDIM steps.

    The initial noise (and, for ``eta > 0``, every step's noise) is drawn from ``seed``, so the
    same arguments give the same images. ``clip`` bounds the predicted clean images (e.g. the
    range of the training maps). Returns float32 ``(N, H, W, C)``.
    """
    labels = np.asarray(labels, dtype=np.int32)
    image_shape = tuple(int(n) for n in net.inputs[0].shape[1:])
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((len(labels), *image_shape)).astype(np.float32)
    times = schedule.sampling_steps(steps)
    n_batches = math.ceil(len(labels) / batch_size)
    with progress(n_batches * steps, "DDIM sampling", enabled=show_progress, unit="step") as bar:
        for t, s in zip(times[:-1], times[1:], strict=True):
            noise = rng.standard_normal(x.shape).astype(np.float32) if eta > 0 else None
            for start in range(0, len(labels), batch_size):
                rows = slice(start, start + batch_size)
                eps = _guided_noise(
                    net, schedule, x[rows], int(t), labels[rows], n_classes, guidance
                )
                x[rows] = schedule.ddim_step(
                    x[rows], eps, int(t), int(s), eta=eta,
                    noise=None if noise is None else noise[rows], clip=clip,
                )  # fmt: skip
                bar.update(1)
    return x


def _guided_noise(
    net: keras.Model,
    schedule: CosineSchedule,
    x_t: np.ndarray,
    t: int,
    labels: np.ndarray,
    n_classes: int,
    guidance: float,
) -> np.ndarray:
    """Classifier-free guided noise prediction for one batch (one pass when ``guidance == 1``)."""
    n = len(x_t)
    classes = labels if guidance == 1.0 else np.concatenate([labels, np.full(n, n_classes)])
    x_in = x_t if guidance == 1.0 else np.concatenate([x_t, x_t])
    steps = np.full(len(classes), t)
    embedding_dim = int(net.inputs[1].shape[-1])
    outputs = net.predict_on_batch(network_inputs(x_in, steps, classes, schedule, embedding_dim))
    eps = np.asarray(outputs, dtype=np.float32)
    if guidance == 1.0:
        return eps
    conditional, unconditional = eps[:n], eps[n:]
    return unconditional + guidance * (conditional - unconditional)
