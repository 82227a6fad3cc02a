"""Metrics for image-to-image models (U-Net maps of CR and magnetic energy density).

Arrays are ``(N, *spatial, C)``: N images with C channels. Per channel we report the mean
squared error over all pixels of all images and the distribution over images of the Pearson
correlation between true and predicted pixels, which measures how well a map's structure
is recovered whatever its amplitude and offset. An image whose true or predicted
channel is constant has no correlation (NaN); such images are left out of the mean and
median (and logged), while ``n_images`` counts all images. Pass arrays in the units to be
judged (de-normalised maps for physical MSEs).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)


def _pair(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Check matching ``(N, *spatial, C)`` shapes; return both as ``(N, pixels, C)`` float64."""
    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true shape {y_true.shape} differs from y_pred shape {y_pred.shape}")
    if y_true.ndim < 3 or y_true.shape[0] == 0:
        raise ValueError(f"expected (N > 0, *spatial, channels) arrays, got shape {y_true.shape}")
    n, channels = y_true.shape[0], y_true.shape[-1]
    return y_true.reshape(n, -1, channels), y_pred.reshape(n, -1, channels)


def per_image_correlation(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Pearson r between true and predicted pixels, per image and channel: shape (N, C).

    NaN where either image channel is constant.
    """
    y_true, y_pred = _pair(y_true, y_pred)
    dt = y_true - y_true.mean(axis=1, keepdims=True)
    dp = y_pred - y_pred.mean(axis=1, keepdims=True)
    norm = np.sqrt((dt**2).sum(axis=1) * (dp**2).sum(axis=1))
    covariance = (dt * dp).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(norm > 0, covariance / norm, np.nan)


def image2image_metrics(
    y_true: np.ndarray, y_pred: np.ndarray, channel_names: Sequence[str]
) -> pd.DataFrame:
    """Per channel (rows): mse, rmse, mean and median per-image correlation, n_images."""
    channel_names = [str(name) for name in channel_names]
    flat_true, flat_pred = _pair(y_true, y_pred)
    if flat_true.shape[-1] != len(channel_names):
        raise ValueError(
            f"{len(channel_names)} channel_names for {flat_true.shape[-1]} channels in the maps"
        )
    mse = ((flat_pred - flat_true) ** 2).mean(axis=(0, 1))
    r = per_image_correlation(y_true, y_pred)
    undefined = np.isnan(r).sum(axis=0)
    mean_r = np.full(len(channel_names), np.nan)
    median_r = np.full(len(channel_names), np.nan)
    for c, name in enumerate(channel_names):
        if undefined[c]:
            log.warning(
                "channel %s: %d of %d images are constant; their correlation is left out",
                name,
                undefined[c],
                len(r),
            )
        finite = r[~np.isnan(r[:, c]), c]
        if finite.size:
            mean_r[c], median_r[c] = finite.mean(), np.median(finite)
    return pd.DataFrame(
        {
            "mse": mse,
            "rmse": np.sqrt(mse),
            "mean_correlation": mean_r,
            "median_correlation": median_r,
            "n_images": np.full(len(channel_names), len(r), dtype=np.int64),
        },
        index=pd.Index(channel_names, name="channel"),
    )
