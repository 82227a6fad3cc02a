"""Wall time of every training epoch, recorded by the training job itself.

:class:`EpochTimer` adds ``epoch_seconds`` (wall seconds from the start of an epoch to its end,
validation included) to the epoch's logs. Keras hands the same logs dict to every callback in
list order, so a ``CSVLogger`` (or the ``History`` Keras adds last) listed after the timer
writes the column. The cost table (:mod:`sim2model.stages.cost`) reads it back.

Import after :func:`sim2model.train.backend.configure_backend`: it imports keras.
"""

from __future__ import annotations

import time

import keras

from sim2model.train import EPOCH_SECONDS


class EpochTimer(keras.callbacks.Callback):
    """Write the epoch's wall seconds into its logs as ``epoch_seconds``; list it before the
    callbacks that record the logs."""

    def __init__(self) -> None:
        super().__init__()
        self._start: float | None = None

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if logs is not None and self._start is not None:
            logs[EPOCH_SECONDS] = time.perf_counter() - self._start
