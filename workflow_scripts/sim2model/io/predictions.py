"""Model predictions beside the true targets and per-sample metadata, as one HDF5 file."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import h5py
import numpy as np

from sim2model.io.dataset import decode_attr, encode_attr


@dataclass
class Predictions:
    """``y_true`` and ``y_pred`` in the targets' original units, plus ``meta`` columns.

    A neural posterior's predictions also hold its ``draws`` ``(n, n_draws, n_targets)`` and
    their standard deviation ``y_std`` (``y_pred`` is then the posterior mean); both are None
    for a point estimator.
    """

    y_true: np.ndarray
    y_pred: np.ndarray
    target_names: list[str]
    meta: dict[str, np.ndarray] = field(default_factory=dict)
    units: list[str] = field(default_factory=list)
    y_std: np.ndarray | None = None
    draws: np.ndarray | None = None


def write_predictions(path: str | os.PathLike, pred: Predictions) -> None:
    """Write ``pred`` to ``path`` (atomically, without timestamps)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with h5py.File(tmp, "w") as f:
        f.create_dataset("y_true", data=pred.y_true, track_times=False)
        f.create_dataset("y_pred", data=pred.y_pred, track_times=False)
        for name in ("y_std", "draws"):
            if getattr(pred, name) is not None:
                f.create_dataset(
                    name, data=getattr(pred, name), compression="gzip", track_times=False
                )
        meta = f.create_group("meta")
        for name in sorted(pred.meta):
            meta.create_dataset(name, data=pred.meta[name], track_times=False)
        f.attrs["target_names"] = encode_attr(pred.target_names)
        f.attrs["units"] = encode_attr(pred.units)
    os.replace(tmp, path)


def read_predictions(path: str | os.PathLike) -> Predictions:
    """Read a file written by :func:`write_predictions`."""
    with h5py.File(path, "r") as f:
        return Predictions(
            y_true=f["y_true"][()],
            y_pred=f["y_pred"][()],
            target_names=decode_attr("target_names", f.attrs["target_names"]),
            meta={k: v[()] for k, v in f["meta"].items()},
            units=decode_attr("units", f.attrs["units"]),
            y_std=f["y_std"][()] if "y_std" in f else None,
            draws=f["draws"][()] if "draws" in f else None,
        )


def read_posterior_predictions(path: str | os.PathLike) -> Predictions:
    """Read a neural posterior's predictions; an error names ``path`` when it holds no draws."""
    pred = read_predictions(path)
    if pred.draws is None:
        raise ValueError(f"{path}: holds no posterior draws (is the model a posterior?)")
    return pred
