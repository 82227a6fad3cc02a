"""GalSim study stages: simulate a shard, the Cramér–Rao bound table, the MLE baseline fits."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from sim2model.io.dataset import read_dataset, write_dataset
from sim2model.provenance import stamp_attrs
from sim2model.sims.galsim_galaxies import TARGET_NAMES, GalaxyRecipe

log = logging.getLogger(__name__)


def galaxy_recipe(settings: Mapping[str, Any], name: str) -> GalaxyRecipe:
    """The recipe of dataset variant or fixed-parameter test set ``name`` of the galsim config."""
    scale = settings["flux_scale"]
    common = {
        "flux": tuple(scale * f for f in settings["flux_factor"]),
        "sersic_n": tuple(settings["sersic_n"]),
        "half_light_radius": tuple(settings["half_light_radius"]),
        "shear": (0.0, settings["shear_max"]),
        "snr": tuple(settings["snr_range"]),
        "n_grid": settings["n_grid"],
        "stamp_size": settings["stamp_size"],
        "pixel_scale": settings["pixel_scale"],
    }
    if name in settings["variants"]:
        spec = settings["variants"][name]
        return GalaxyRecipe(
            **common,
            psf_fwhm=tuple(spec["psf_fwhm"]),
            sigma=tuple(spec["sigma"]),
            psf_channel=spec.get("psf_channel", False),
        )
    testsets = settings["testsets"]
    if name not in testsets["sets"]:
        raise KeyError(f"galsim: '{name}' is neither in galsim.variants nor galsim.testsets.sets")
    fixed = {**testsets["fixed"], "sigma": testsets["sets"][name]["sigma"]}
    return GalaxyRecipe(**common, fixed=fixed)


def make_shard(
    shard: str,
    *,
    settings: Mapping[str, Any],
    variant: str,
    shard_index: int,
    n_samples: int,
    seed: int,
    config: object,
) -> None:
    """Simulate shard ``shard_index`` of ``variant`` and write it in the dataset contract."""
    from sim2model.sims.galsim_galaxies import limit_threads, simulate_shard

    limit_threads(1)
    recipe = galaxy_recipe(settings, variant)
    first_id = shard_index * settings["shard_size"]
    ds = simulate_shard(recipe, n_samples, seed, first_id=first_id, progress=True)
    ds.attrs = stamp_attrs(
        {**ds.attrs, "variant": variant, "shard_index": shard_index, "seed": seed},
        config=config,
        created_by="galsim_shard",
    )
    write_dataset(shard, ds)
    log.info(
        "%s: %d stamps, SNR %.1f-%.1f", shard, len(ds), ds.meta["snr"].min(), ds.meta["snr"].max()
    )


def crb_table(table: str, *, settings: Mapping[str, Any]) -> None:
    """Cramér–Rao bound of each target at every fixed-parameter test set (CSV)."""
    from sim2model.eval.crb import cramer_rao_bound

    rows = []
    for name, spec in settings["testsets"]["sets"].items():
        recipe = galaxy_recipe(settings, name)
        fixed = recipe.fixed
        params = np.array([fixed[k] for k in TARGET_NAMES])
        bound = cramer_rao_bound(params, fixed["psf_fwhm"], spec["sigma"], recipe)
        pairs = zip(TARGET_NAMES, bound, strict=True)
        rows += [{"testset": name, "target": target, "crb": crb} for target, crb in pairs]
    pd.DataFrame(rows).to_csv(table, index=False, float_format="%.6g")
    log.info("Cramér–Rao bounds:\n%s", pd.DataFrame(rows).to_string(index=False))


def baseline_fits(data: str, fits: str, *, settings: Mapping[str, Any], n_fits: int) -> None:
    """L-BFGS-B maximum-likelihood fits of the first ``n_fits`` images of a test set (CSV)."""
    from sim2model.eval.mle_fit import fit_images

    ds = read_dataset(data, extra=False)
    n = min(n_fits, len(ds))
    recipe = galaxy_recipe(settings, ds.attrs["variant"])
    images = ds.x[:n, :, :, 0].astype(np.float64)
    fitted = fit_images(
        images, recipe.fixed["psf_fwhm"], recipe.fixed["sigma"], recipe, progress=True
    )
    frame = pd.DataFrame(fitted.reshape(n, len(TARGET_NAMES)), columns=TARGET_NAMES)
    frame.insert(0, "sample_id", ds.meta["sample_id"][:n])
    frame.to_csv(fits, index=False, float_format="%.8g")
    log.info("fitted %d images of %s", n, data)
