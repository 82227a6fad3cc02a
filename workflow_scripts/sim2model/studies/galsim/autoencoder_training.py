"""Three-step training of the conditional autoencoder, as in the reference notebook.

Each step fits the autoencoder (outputs ``params`` and ``image``, binary cross-entropy on both)
with its own loss weights, Adam and early stopping on the validation loss (patience 5 in the
reference), restoring the best weights:

1. ``encoder``: loss weights params 1 / image 0, decoder frozen;
2. ``decoder``: 0 / 1, encoder frozen (its batch normalisation then runs in inference mode);
3. ``autoencoder``: 5 / 1, both trained, learning rate decaying by ``decay`` every epoch.

A part whose output has weight 0 is frozen, so a step changes only the weights its loss weights
reach. Import after :func:`sim2model.train.backend.configure_backend` (this imports keras).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import keras
import numpy as np
import pandas as pd

from sim2model.train.timing import EpochTimer


@dataclass(frozen=True)
class Step:
    """One training step: its name and the loss weights of the params and image outputs."""

    name: str
    params_weight: float
    image_weight: float
    scheduled: bool = False


#: The reference notebook's three steps.
STEPS = (
    Step("encoder", 1.0, 0.0),
    Step("decoder", 0.0, 1.0),
    Step("autoencoder", 5.0, 1.0, scheduled=True),
)


def compile_step(
    autoencoder: keras.Model,
    encoder: keras.Model,
    decoder: keras.Model,
    step: Step,
    learning_rate: float,
    steps_per_epoch: int,
    decay: float = 0.9,
) -> None:
    """Freeze the part whose loss weight is 0 and compile ``autoencoder`` for ``step``."""
    encoder.trainable = step.params_weight > 0
    decoder.trainable = step.image_weight > 0
    rate: float | keras.optimizers.schedules.LearningRateSchedule = learning_rate
    if step.scheduled:
        rate = keras.optimizers.schedules.ExponentialDecay(
            learning_rate, decay_steps=max(steps_per_epoch, 1), decay_rate=decay, staircase=True
        )
    autoencoder.compile(
        optimizer=keras.optimizers.Adam(rate),
        loss={"params": "binary_crossentropy", "image": "binary_crossentropy"},
        loss_weights={"params": step.params_weight, "image": step.image_weight},
    )


def train_autoencoder(
    autoencoder: keras.Model,
    encoder: keras.Model,
    decoder: keras.Model,
    x: np.ndarray,
    targets: Mapping[str, np.ndarray],
    x_val: np.ndarray,
    val_targets: Mapping[str, np.ndarray],
    *,
    epochs: Sequence[int],
    batch_size: int,
    learning_rate: float,
    patience: int = 5,
    steps: Sequence[Step] = STEPS,
    verbose: int = 2,
) -> pd.DataFrame:
    """Run ``steps`` (``epochs[i]`` at most for step i); return one history row per epoch.

    ``targets`` and ``val_targets`` map ``params`` (in [0, 1]) and ``image`` (in [0, 1]) to
    arrays. The history has columns ``step``, ``epoch`` (counted over all steps), ``loss``,
    ``val_loss`` (each step's weighted loss), the per-output losses and ``epoch_seconds``.
    """
    if len(epochs) != len(steps):
        raise ValueError(f"{len(epochs)} epoch counts for {len(steps)} steps")
    frames, first = [], 0
    steps_per_epoch = -(-len(x) // batch_size)
    for step, n_epochs in zip(steps, epochs, strict=True):
        if n_epochs <= 0:
            continue
        compile_step(autoencoder, encoder, decoder, step, learning_rate, steps_per_epoch)
        stop = keras.callbacks.EarlyStopping(patience=patience, restore_best_weights=True)
        fit = autoencoder.fit(
            x,
            dict(targets),
            validation_data=(x_val, dict(val_targets)),
            epochs=n_epochs,
            batch_size=batch_size,
            shuffle=True,
            verbose=verbose,
            callbacks=[EpochTimer(), stop],
        )
        frame = pd.DataFrame(fit.history)
        frame = frame[[c for c in frame.columns if c != "learning_rate"]]
        frame.insert(0, "epoch", first + np.arange(len(frame)))
        frame.insert(0, "step", step.name)
        frames.append(frame)
        first += len(frame)
    encoder.trainable = decoder.trainable = True
    return pd.concat(frames, ignore_index=True)
