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

    ``recipes`` maps each test set's name to its ``GalaxyRecipe`` keyword arguments.
    """
    from sim2model.eval.crb import cramer_rao_bound

    rows = []
    for name, options in recipes.items():
        recipe = GalaxyRecipe(**options)
        fixed = recipe.fixed
        params = np.array([fixed[k] for k in TARGET_NAMES])
        bound = cramer_rao_bound(params, fixed["psf_fwhm"], fixed["sigma"], recipe)
        pairs = zip(TARGET_NAMES, bound, strict=True)
        rows += [{"testset": name, "target": target, "crb": crb} for target, crb in pairs]
    pd.DataFrame(rows).to_csv(table, index=False, float_format="%.6g")
    log.info("Cramér–Rao bounds:\n%s", pd.DataFrame(rows).to_string(index=False))


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
