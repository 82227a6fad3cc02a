"""How well generated maps reproduce the statistics of simulated maps of the same class.

Maps are ``(N, H, W[, C])`` in the dataset's units (the turbulence study stores log10 density);
channels are pooled. Per class we compare generated maps with real ones by

* the azimuthally averaged power spectrum (:func:`sim2model.data.spectrum.radial_power_spectrum`,
  averaged over maps): the ratio ``P_gen(k) / P_real(k)`` at every resolved wavenumber ``k = 1 ..
  min(H, W) // 2`` and its geometric mean (1: the spectrum is reproduced; a map that is too
  smooth has ratios below 1 at high ``k``);
* the one-point PDF of pixel values: the Wasserstein-1 distance between the pooled pixel values
  (0 for identical distributions; in the maps' units, also given relative to the real pixels'
  standard deviation);
* a trained classifier's predictions: the fraction of generated maps it assigns to the class
  they were generated for (agreement), its accuracy on the real maps of the class for reference,
  and the distribution of its predicted classes on the generated maps.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import wasserstein_distance

from sim2model.data.spectrum import radial_power_spectrum
from sim2model.io.dataset import Dataset, DatasetError


def map_stack(maps: np.ndarray) -> np.ndarray:
    """Maps ``(N, H, W)`` or ``(N, H, W, C)`` as a float64 stack ``(N * C, H, W)``."""
    maps = np.asarray(maps, dtype=np.float64)
    if maps.ndim == 4:
        maps = np.moveaxis(maps, -1, 1).reshape(-1, *maps.shape[1:3])
    if maps.ndim != 3 or len(maps) == 0:
        raise ValueError(f"maps must be a non-empty (N, H, W[, C]) stack, got shape {maps.shape}")
    return maps


def spectrum_comparison(
    real: np.ndarray, generated: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Wavenumbers ``k`` and the mean radial power spectra of ``real`` and ``generated`` maps."""
    real, generated = map_stack(real), map_stack(generated)
    if real.shape[1:] != generated.shape[1:]:
        raise ValueError(f"real maps are {real.shape[1:]}, generated maps {generated.shape[1:]}")
    k, p_real = radial_power_spectrum(real)
    _, p_generated = radial_power_spectrum(generated)
    return k, p_real, p_generated


def spectral_ratio(real: np.ndarray, generated: np.ndarray) -> np.ndarray:
    """``P_gen(k) / P_real(k)`` at the resolved wavenumbers ``k = 1 .. min(H, W) // 2``."""
    _, p_real, p_generated = spectrum_comparison(real, generated)
    return p_generated / p_real


def pdf_distance(real: np.ndarray, generated: np.ndarray) -> float:
    """Wasserstein-1 distance between the one-point distributions of the maps' pixel values."""
    return float(wasserstein_distance(map_stack(real).ravel(), map_stack(generated).ravel()))


def generative_metrics(
    real: np.ndarray,
    real_labels: np.ndarray,
    generated: np.ndarray,
    generated_labels: np.ndarray,
    class_names: Sequence[str],
    *,
    real_predicted: np.ndarray | None = None,
    generated_predicted: np.ndarray | None = None,
    train: tuple[np.ndarray, np.ndarray] | None = None,
) -> pd.DataFrame:
    """One row per generated class: spectral ratio, PDF distance and classifier agreement.

    ``*_predicted`` are a classifier's predicted class ids of the real and generated maps (None:
    no classifier columns). Columns: ``n_real``, ``n_generated``, ``spectral_ratio`` (geometric
    mean over the resolved ``k``), ``spectral_ratio_min`` and ``_max``, ``w1`` and
    ``w1_over_std``; with the generator's ``train`` maps and labels, ``train_spectral_ratio`` and
    ``train_w1``: the same statistics of the real training maps against the test maps, the score
    of a generator that reproduced its training set (slab-to-slab variance sets this floor); with
    a classifier ``agreement``, ``real_accuracy`` and ``predicted_<class>`` (fraction of
    generated maps assigned to each class).
    """
    rows = {}
    for cls in np.unique(generated_labels):
        name = str(class_names[cls])
        real_cls, gen_cls = real[real_labels == cls], generated[generated_labels == cls]
        if len(real_cls) == 0:
            raise ValueError(f"no real maps of class {name!r} to compare the generated ones with")
        ratio = spectral_ratio(real_cls, gen_cls)
        w1 = pdf_distance(real_cls, gen_cls)
        row = {
            "n_real": len(real_cls),
            "n_generated": len(gen_cls),
            "spectral_ratio": float(np.exp(np.log(ratio).mean())),
            "spectral_ratio_min": float(ratio.min()),
            "spectral_ratio_max": float(ratio.max()),
            "w1": w1,
            "w1_over_std": w1 / float(map_stack(real_cls).std()),
        }
        if train is not None:
            train_cls = train[0][train[1] == cls]
            row["train_spectral_ratio"] = float(
                np.exp(np.log(spectral_ratio(real_cls, train_cls)).mean())
            )
            row["train_w1"] = pdf_distance(real_cls, train_cls)
        if real_predicted is not None and generated_predicted is not None:
            gen_pred = generated_predicted[generated_labels == cls]
            row["agreement"] = float(np.mean(gen_pred == cls))
            row["real_accuracy"] = float(np.mean(real_predicted[real_labels == cls] == cls))
            counts = np.bincount(gen_pred, minlength=len(class_names)) / len(gen_pred)
            row |= {f"predicted_{c}": float(f) for c, f in zip(class_names, counts, strict=True)}
        rows[name] = row
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("class")


def select_where(ds: Dataset, where: Mapping[str, Any] | None, path: str) -> Dataset:
    """The samples whose ``meta`` values equal ``where``'s (all when None or empty)."""
    keep = np.ones(len(ds), dtype=bool)
    for key, value in (where or {}).items():
        if key not in ds.meta:
            raise DatasetError(f"{path}: no meta/{key} to select test maps by (test_where)")
        keep &= ds.meta[key] == value
    if not keep.any():
        raise DatasetError(f"{path}: no sample has meta values {dict(where or {})}")
    return ds.subset(np.flatnonzero(keep))
