"""Posterior predictive check: GalSim re-renders a neural posterior's draws for test galaxies.

For each of the first test galaxies, a set of the posterior's parameter draws is re-rendered
noiselessly with GalSim (same PSF and pixel scale) and shown beside the observed stamp and its
noiseless truth: three single draws, the mean of the re-renders and their pixel-wise spread. A
posterior that has learned the galaxy puts the noiseless truth inside the spread of its
re-renders; a too narrow or biased one shows structure in observed − predictive mean.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np

from sim2model.io.dataset import read_dataset
from sim2model.io.predictions import read_posterior_predictions
from sim2model.studies.galsim.evaluation import rerender
from sim2model.studies.galsim.prior import GalaxyPrior

log = logging.getLogger(__name__)

#: Single posterior draws shown per galaxy.
SHOWN_DRAWS = 3
#: Side of the central cut-out shown, in pixels (the galaxies fill the stamps' centre).
SHOWN_PIXELS = 20


def central_cutout(image: np.ndarray, size: int = SHOWN_PIXELS) -> np.ndarray:
    """The central ``size`` x ``size`` pixels of ``image`` (all of it when smaller)."""
    h, w = image.shape[:2]
    top, left = max(0, (h - size) // 2), max(0, (w - size) // 2)
    return image[top : top + size, left : left + size]


def predictive_rows(
    predictions: str,
    data: str,
    *,
    prior: Mapping[str, Any],
    n_galaxies: int,
    n_rerenders: int,
    seed: int,
) -> tuple[list[dict[str, np.ndarray]], list[str]]:
    """Figure rows (observed, noiseless, draws, predictive mean and σ) and their labels."""
    pred, ds = read_posterior_predictions(predictions), read_dataset(data)
    if not np.array_equal(pred.meta["sample_id"], ds.meta["sample_id"]):
        raise ValueError(f"{predictions} does not predict the samples of {data}")
    if n_rerenders <= SHOWN_DRAWS or n_rerenders > pred.draws.shape[1]:
        raise ValueError(
            f"n_rerenders must be in {SHOWN_DRAWS + 1}..{pred.draws.shape[1]} (the draws kept), "
            f"got {n_rerenders}"
        )
    galaxy_prior, rng = GalaxyPrior(**prior), np.random.default_rng(seed)
    rows, labels = [], []
    for i in range(min(n_galaxies, len(ds))):
        picks = rng.choice(pred.draws.shape[1], size=n_rerenders, replace=False)
        fwhm = np.full(n_rerenders, ds.meta["psf_fwhm"][i])
        renders = rerender(pred.draws[i, picks], fwhm, galaxy_prior)
        images = (
            {"Observed": ds.x[i, :, :, 0], "Noiseless truth": ds.extra["noiseless"][i]}
            | {f"Draw {k + 1}": renders[k] for k in range(SHOWN_DRAWS)}
            | {"Predictive mean": renders.mean(axis=0), "Predictive σ": renders.std(axis=0)}
        )
        rows.append({name: central_cutout(image) for name, image in images.items()})
        labels.append(f"SNR {ds.meta['snr'][i]:.0f}")
        log.info("galaxy %d: %d draws re-rendered", i, n_rerenders)
    return rows, labels


def galsim_posterior_predictive(
    predictions: str,
    data: str,
    figure: str,
    *,
    prior: Mapping[str, Any],
    pixel_scale: float,
    seed: int,
    n_galaxies: int = 3,
    n_rerenders: int = 16,
) -> None:
    """Write the posterior predictive figure of the posterior predictions ``predictions`` on
    the test split ``data`` (whose variant's ``GalaxyPrior`` arguments are ``prior``)."""
    from sim2model.plots.style import save_figure
    from sim2model.studies.galsim.figures import example_stamps_figure

    rows, labels = predictive_rows(
        predictions, data, prior=prior, n_galaxies=n_galaxies, n_rerenders=n_rerenders,
        seed=seed,
    )  # fmt: skip
    save_figure(
        example_stamps_figure(
            rows, pixel_scale=pixel_scale, row_labels=labels, unit="counts",
            title=f"Posterior predictive: {n_rerenders} posterior draws re-rendered with GalSim",
        ),
        figure,
    )  # fmt: skip
