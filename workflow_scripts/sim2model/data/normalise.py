"""Normalisation fitted on the training split only, saved as JSON, applied to every split.

Targets of regression tasks are scaled per column to [-1, 1] (as the reference notebooks'
MinMaxScaler), image-to-image targets are standardised per channel; both are inverted on
predictions. Images are scaled by one of :data:`IMAGE_SCALINGS`.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

IMAGE_SCALINGS = ("none", "standard", "per_channel", "asinh")


@dataclass
class Normaliser:
    """Fitted statistics; ``x_*`` have one entry per channel (or one for all)."""

    image_scaling: str
    x_shift: list[float] = field(default_factory=lambda: [0.0])
    x_scale: list[float] = field(default_factory=lambda: [1.0])
    y_min: list[float] | None = None
    y_max: list[float] | None = None
    y_shift: list[float] | None = None
    y_scale: list[float] | None = None

    def __post_init__(self) -> None:
        if self.image_scaling not in IMAGE_SCALINGS:
            raise ValueError(
                f"image_scaling must be one of {IMAGE_SCALINGS}, got {self.image_scaling!r}"
            )

    def transform_x(self, x: np.ndarray) -> np.ndarray:
        """Scale samples ``(N, ..., C)`` to float32 model inputs."""
        x = np.asarray(x, dtype=np.float32)
        if self.image_scaling == "asinh":
            x = np.arcsinh(x / np.float32(self.x_scale[0])).astype(np.float32)
            return x
        shift = np.asarray(self.x_shift, dtype=np.float32)
        scale = np.asarray(self.x_scale, dtype=np.float32)
        return (x - shift) / scale

    def inverse_x(self, x: np.ndarray) -> np.ndarray:
        """Map scaled samples (e.g. generated maps) back to the inputs' units, as float32."""
        x64 = np.asarray(x, dtype=np.float64)
        if self.image_scaling == "asinh":
            return (np.sinh(x64) * self.x_scale[0]).astype(np.float32)
        return (x64 * np.asarray(self.x_scale) + np.asarray(self.x_shift)).astype(np.float32)

    def transform_y(self, y: np.ndarray) -> np.ndarray:
        """Scale regression targets to [-1, 1] and standardise image targets per channel.

        Class labels pass unchanged.
        """
        if self.y_min is not None:
            lo, hi = np.asarray(self.y_min), np.asarray(self.y_max)
            return (2.0 * (y - lo) / (hi - lo) - 1.0).astype(np.float32)
        if self.y_shift is not None:
            shift = np.asarray(self.y_shift, dtype=np.float32)
            return (np.asarray(y, dtype=np.float32) - shift) / np.asarray(self.y_scale, np.float32)
        return y

    def inverse_y(self, y: np.ndarray) -> np.ndarray:
        """Map model outputs back to the targets' original units (class scores pass unchanged)."""
        if self.y_min is not None:
            lo, hi = np.asarray(self.y_min), np.asarray(self.y_max)
            y64 = np.asarray(y, dtype=np.float64)
            return ((y64 + 1.0) / 2.0 * (hi - lo) + lo).astype(np.float32)
        if self.y_shift is not None:
            y64 = np.asarray(y, dtype=np.float64)
            return (y64 * np.asarray(self.y_scale) + np.asarray(self.y_shift)).astype(np.float32)
        return y

    def save(self, path: str | os.PathLike) -> None:
        """Write the statistics as JSON."""
        Path(path).write_text(json.dumps(asdict(self), indent=2) + "\n")

    @classmethod
    def load(cls, path: str | os.PathLike) -> Normaliser:
        """Read statistics written by :meth:`save`."""
        try:
            return cls(**json.loads(Path(path).read_text()))
        except (OSError, ValueError, TypeError) as err:
            raise ValueError(f"{path}: not a sim2model normalisation file ({err})") from err


def fit_normaliser(x: np.ndarray, y: np.ndarray, *, task: str, image_scaling: str) -> Normaliser:
    """Fit statistics on training samples ``x`` (N, ..., C) and targets ``y``."""
    norm = Normaliser(image_scaling=image_scaling)
    x64 = np.asarray(x, dtype=np.float64)
    if image_scaling == "standard":
        norm.x_shift, norm.x_scale = [float(x64.mean())], [float(x64.std() or 1.0)]
    elif image_scaling == "per_channel":
        norm.x_shift, norm.x_scale = _channel_statistics(x64)
    elif image_scaling == "asinh":
        norm.x_scale = [float(x64.std() or 1.0)]
    if task == "regression":
        lo, hi = y.min(axis=0).astype(np.float64), y.max(axis=0).astype(np.float64)
        hi = np.where(hi > lo, hi, lo + 1.0)  # a constant target maps to -1 instead of NaN
        norm.y_min, norm.y_max = lo.tolist(), hi.tolist()
    elif task == "image2image":
        norm.y_shift, norm.y_scale = _channel_statistics(np.asarray(y, dtype=np.float64))
    return norm


def _channel_statistics(values: np.ndarray) -> tuple[list[float], list[float]]:
    """Mean and standard deviation (1 where constant) of each channel (last axis)."""
    axes = tuple(range(values.ndim - 1))
    std = values.std(axis=axes)
    return values.mean(axis=axes).tolist(), np.where(std > 0, std, 1.0).tolist()
