"""GalSim study stages: the Cramér–Rao bound table and the L-BFGS-B baseline fits."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from sim2model.io.dataset import read_dataset
from sim2model.sims.galsim_galaxies import TARGET_NAMES, GalaxyRecipe

log = logging.getLogger(__name__)


def galsim_crb(table: str, *, recipes: Mapping[str, Mapping[str, Any]]) -> None:
    """Cramér–Rao bound of each target at every fixed-parameter test set (CSV).

    ``recipes`` maps each test set's name to its ``GalaxyRecipe`` keyword arguments. ``crb`` is
    the bound for the recipe's noise (named in column ``noise``); ``crb_gaussian`` and
    ``crb_ccd`` give both, so the table shows how far the Poisson term moves the bound.
    """
    from sim2model.eval.crb import bound_from_fisher, fisher_from_jacobian, image_jacobian
    from sim2model.sims.galsim_galaxies import NOISE_MODELS, render_noiseless

    rows = []
    for name, options in recipes.items():
        recipe = GalaxyRecipe(**options)
        fixed = recipe.fixed
        params = np.array([fixed[k] for k in TARGET_NAMES])
        jacobian = image_jacobian(params, fixed["psf_fwhm"], recipe)
        image = render_noiseless(params, fixed["psf_fwhm"], recipe)
        bounds = {
            noise: bound_from_fisher(fisher_from_jacobian(jacobian, image, fixed["sigma"], noise))
            for noise in NOISE_MODELS
        }
        for j, target in enumerate(TARGET_NAMES):
            rows.append(
                {"testset": name, "target": target, "crb": bounds[recipe.noise][j],
                 "noise": recipe.noise}
                | {f"crb_{noise}": bound[j] for noise, bound in bounds.items()}
            )  # fmt: skip
    frame = pd.DataFrame(rows)
    frame["poisson_shift"] = frame["crb_ccd"] / frame["crb_gaussian"] - 1.0
    frame.to_csv(table, index=False, float_format="%.6g")
    log.info("Cramér–Rao bounds:\n%s", frame.to_string(index=False))


def galsim_baseline(data: str, fits: str, *, recipe: Mapping[str, Any], n_fits: int) -> None:
    """L-BFGS-B maximum-likelihood fits of the first ``n_fits`` images of a test set (CSV).

    ``recipe`` holds the test set's ``GalaxyRecipe`` keyword arguments.
    """
    from sim2model.eval.mle_fit import fit_images

    ds = read_dataset(data, extra=False)
    n = min(n_fits, len(ds))
    recipe = GalaxyRecipe(**recipe)
    images = ds.x[:n, :, :, 0].astype(np.float64)
    fitted = fit_images(
        images, recipe.fixed["psf_fwhm"], recipe.fixed["sigma"], recipe, progress=True
    )
    frame = pd.DataFrame(fitted.reshape(n, len(TARGET_NAMES)), columns=TARGET_NAMES)
    frame.insert(0, "sample_id", ds.meta["sample_id"][:n])
    frame.to_csv(fits, index=False, float_format="%.8g")
    log.info("fitted %d images of %s", n, data)
