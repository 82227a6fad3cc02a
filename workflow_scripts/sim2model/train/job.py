"""The preamble every training job shares: backend, normaliser and normalised splits."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim2model.data.normalise import Normaliser
from sim2model.data.subsets import nested_group_rows, nested_rows
from sim2model.io.dataset import Dataset, count_samples, read_dataset
from sim2model.train.backend import configure_from_settings, log_devices

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainingSplits:
    """The train and val splits as read (attributes, raw targets, extras), the normaliser and
    the splits' samples and targets normalised by it."""

    train: Dataset
    val: Dataset
    normaliser: Normaliser
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray


def start_training_job(
    train: str,
    val: str,
    norm: str,
    train_config: Mapping[str, Any],
    *,
    seed: int,
    threads: int | None = None,
    subset: int | None = None,
    nested: tuple[int, int] | tuple[int, int, str] | None = None,
    extra: bool | Iterable[str] = False,
) -> TrainingSplits:
    """Configure and seed the backend from ``train_config`` (a ``train`` block) and log its
    device, then read the ``train`` and ``val`` splits and normalise them by ``norm``.

    Call it before anything imports keras. ``subset``: keep the first ``subset`` training
    samples and the same share (at least one) of the first validation samples; None keeps both
    splits whole. ``nested``: ``(n, seed)`` keeps the training samples of
    :func:`~sim2model.data.subsets.nested_rows` (a budget sweep's point) and the whole
    validation split; ``(n, seed, unit)`` with ``unit`` a ``meta/`` column (e.g. ``box_id``)
    keeps the samples of ``n`` whole groups of it (:func:`nested_group_rows`), ``unit``
    ``"samples"`` counts samples. ``extra``: the ``extra/`` arrays to read (see
    :func:`read_dataset`).
    """
    configure_from_settings(train_config, seed=seed, threads=threads)
    log_devices(log)
    normaliser = Normaliser.load(norm)
    n_train, n_val = count_samples(train), count_samples(val)
    if subset is not None and subset < n_train:
        n_val = max(1, math.ceil(n_val * subset / n_train))
        n_train = subset
    train_ds = read_dataset(train, extra=extra, rows=n_train)  # the subset alone is read
    if nested is not None:
        train_ds = train_ds.subset(_nested_subset(train, train_ds, *nested))
    val_ds = read_dataset(val, extra=extra, rows=n_val)
    return TrainingSplits(
        train=train_ds,
        val=val_ds,
        normaliser=normaliser,
        x_train=normaliser.transform_x(train_ds.x),
        y_train=normaliser.transform_y(train_ds.y),
        x_val=normaliser.transform_x(val_ds.x),
        y_val=normaliser.transform_y(val_ds.y),
    )


def _nested_subset(path: str, ds: Dataset, n: int, seed: int, unit: str = "samples") -> np.ndarray:
    """Rows of a sweep point's nested subset of ``ds`` (read from ``path``): ``n`` samples, or
    ``n`` whole groups of the ``meta/`` column ``unit``."""
    if unit == "samples":
        if n > len(ds):
            raise ValueError(f"{path}: asked for {n} training samples, the split has {len(ds)}")
        return nested_rows(len(ds), n, seed)
    if unit not in ds.meta:
        raise ValueError(
            f"{path}: no meta column {unit!r} to count a sweep's budget in (sweep.<model>.unit); "
            f"the split has {sorted(ds.meta)}"
        )
    n_groups = np.unique(ds.meta[unit]).size
    if n > n_groups:
        raise ValueError(f"{path}: asked for {n} training {unit} groups, the split has {n_groups}")
    return nested_group_rows(ds.meta[unit], n, seed)
