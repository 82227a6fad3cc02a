"""Turbulence interpretation stage: saliency maps and the Gaussian-smoothing test of the CNN."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.ndimage import gaussian_filter

from sim2model.data.normalise import Normaliser
from sim2model.data.select import first_per_class
from sim2model.eval.classification import predicted_fractions
from sim2model.io.dataset import Dataset, read_dataset
from sim2model.plots.style import save_figure
from sim2model.studies.turbulence.interpretation_figures import saliency_figure, smoothing_figure
from sim2model.train.backend import load_trained_model

log = logging.getLogger(__name__)


def _slices(ds: Dataset) -> Dataset:
    """The single-slice maps of a test split (projections left out)."""
    depth = ds.meta.get("slice_depth")
    return ds if depth is None else ds.subset(np.flatnonzero(depth == 1))


def turbulence_saliency(
    model: str,
    norm: str,
    data: str,
    figure: str,
    *,
    per_class: int,
    train_config: Mapping[str, Any],
    seed: int,
    threads: int = 1,
) -> None:
    """Vanilla-gradient saliency maps of ``per_class`` test maps of every class."""
    net = load_trained_model(model, train_config, seed=seed, threads=threads)
    from sim2model.studies.turbulence.saliency import saliency_maps

    ds = _slices(read_dataset(data, extra=False))
    names = list(ds.attrs["class_names"])
    pick = first_per_class(ds.y, len(names), per_class)
    x = Normaliser.load(norm).transform_x(ds.x[pick])
    proba = np.asarray(net.predict(x, verbose=0))
    saliency = saliency_maps(net, x, ds.y[pick])
    titles = [
        f"true: {names[t]}\npred: {names[p]}"
        for t, p in zip(ds.y[pick], proba.argmax(1), strict=True)
    ]
    label = ds.attrs.get("input_name", "input")
    save_figure(saliency_figure(ds.x[pick, ..., 0], saliency, titles, image_label=label), figure)
    log.info("saliency of %d maps -> %s", len(pick), figure)


def smoothed_fractions(
    net: Any, normaliser: Normaliser, x: np.ndarray, sigmas: Sequence[float], batch_size: int
) -> np.ndarray:
    """Fraction of maps ``x`` (N, H, W, C) assigned to each class after Gaussian smoothing.

    Maps are smoothed in their stored units (log10 density) with periodic boundaries, as the
    slices of a periodic box; one row per ``sigma`` (pixels).
    """
    rows = []
    for sigma in sigmas:
        smoothed = gaussian_filter(x, sigma=(0, sigma, sigma, 0), mode="wrap")
        proba = np.asarray(
            net.predict(normaliser.transform_x(smoothed), batch_size=batch_size, verbose=0)
        )
        rows.append(predicted_fractions(proba, proba.shape[1]))
    return np.array(rows)


def turbulence_smoothing(
    model: str,
    norm: str,
    data: str,
    figure: str,
    table: str,
    *,
    smoothed_class: str,
    sigmas: Sequence[float],
    train_config: Mapping[str, Any],
    seed: int,
    threads: int = 1,
) -> None:
    """Classify test maps of ``smoothed_class`` smoothed with increasing sigma (the reference's
    test)."""
    ds = _slices(read_dataset(data, extra=False))
    names = list(ds.attrs["class_names"])
    if smoothed_class not in names:
        raise ValueError(
            f"config turbulence.interpretation.smoothing_class: {smoothed_class!r} is not one of "
            f"the classes {names}"
        )
    net = load_trained_model(model, train_config, seed=seed, threads=threads)
    x = ds.x[ds.y == names.index(smoothed_class)]
    fractions = smoothed_fractions(
        net, Normaliser.load(norm), x, sigmas, train_config["batch_size"]
    )
    frame = pd.DataFrame(fractions, columns=names, index=pd.Index(sigmas, name="sigma_pixels"))
    frame.to_csv(table, float_format="%.6g")
    save_figure(
        smoothing_figure(np.asarray(sigmas), fractions, names, true_class=smoothed_class), figure
    )
    log.info("%d %s maps, fractions per sigma:\n%s", len(x), smoothed_class, frame.to_string())
