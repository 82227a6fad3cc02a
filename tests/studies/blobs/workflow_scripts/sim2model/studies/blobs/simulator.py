"""The blobs simulator: Gaussian blobs in white noise, round or elongated along x."""

from __future__ import annotations

import numpy as np

from sim2model.io.dataset import Dataset
from sim2model.studies.blobs.names import CLASS_NAMES


def simulate_blobs(count: int, seed: int, *, first_id: int, noise: float) -> Dataset:
    """``count`` 16x16 stamps with ids from ``first_id``: label 1 blobs are 2.5x wider in x."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, len(CLASS_NAMES), count)
    yy, xx = np.mgrid[-8:8, -8:8] + 0.5
    width = np.where(labels == 1, 5.0, 2.0)[:, None, None]
    images = np.exp(-0.5 * ((xx / width) ** 2 + (yy / 2.0) ** 2))
    images = images + noise * rng.standard_normal(images.shape)
    return Dataset(
        x=images[..., None].astype(np.float32),
        y=labels.astype(np.int64),
        meta={"sample_id": np.arange(first_id, first_id + count)},
        attrs={
            "study": "blobs",
            "task": "classification",
            "class_names": list(CLASS_NAMES),
            "target_names": [],
        },
    )
