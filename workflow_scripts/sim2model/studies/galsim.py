"""GalSim study (Sérsic galaxy parameters, after the reference notebook on GalSim stamps).

Variants ``v1``-``v3`` differ in PSF and noise priors; a variant with ``input: noiseless`` (the
reference's upper bound) trains on the noiseless stamps instead of the noisy ones. The
fixed-parameter test sets (``snr30``,
``snr60``) hold one galaxy under many noise realisations for the Cramér–Rao comparison.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sim2model.sharding import fixed_size_spans
from sim2model.studies.base import ConfigError, Shard, Study, numbered_shards

if TYPE_CHECKING:
    from sim2model.io.dataset import Dataset

#: Regression targets of every stamp and their units.
TARGET_NAMES = ("flux", "sersic_n", "half_light_radius", "g1", "g2")
TARGET_UNITS = ("counts", "", "arcsec", "", "")


class GalsimStudy(Study):
    name = "galsim"
    source_env = "galsim"

    def source_note(self) -> str:
        return "GalSim Sérsic galaxies x Moffat PSF with Poisson and Gaussian noise (simulated)"

    def variants(self) -> list[str]:
        return list(self.settings["variants"])

    def testsets(self) -> list[str]:
        """Fixed-parameter test sets (evaluated with the model of ``testsets.model_variant``)."""
        return list(self.settings["testsets"]["sets"])

    def source_variants(self) -> list[str]:
        return [*self.variants(), *self.testsets()]

    def recipe(self, name: str) -> dict[str, Any]:
        """Keyword arguments of the ``GalaxyRecipe`` of a variant or fixed-parameter test set."""
        settings = self.settings
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
            "noise": self.noise(),
        }
        if name in settings["variants"]:
            spec = settings["variants"][name]
            return {
                **common,
                "psf_fwhm": tuple(spec["psf_fwhm"]),
                "sigma": tuple(spec["sigma"]),
                "psf_channel": spec.get("psf_channel", False),
            }
        testsets = settings["testsets"]
        fixed = {**testsets["fixed"], "sigma": testsets["sets"][name]["sigma"]}
        return {**common, "fixed": fixed}

    def noise(self) -> str:
        """Noise of every stamp: ``ccd`` (Poisson + Gaussian) or ``gaussian`` (the reference)."""
        return self.settings.get("noise", "ccd")

    def variant_input(self, name: str) -> str:
        """What a variant's models see: ``noisy`` stamps or the ``noiseless`` ones."""
        return self.settings["variants"].get(name, {}).get("input", "noisy")

    def n_samples(self, name: str) -> int:
        sets = {**self.settings["variants"], **self.settings["testsets"]["sets"]}
        return sets[name]["n_samples"]

    def shards(self, variant: str) -> list[Shard]:
        spans = fixed_size_spans(self.n_samples(variant), self.settings["shard_size"])
        recipe = {
            "variant": variant,
            "recipe": self.recipe(variant),
            "renderer": self.renderer(),
            "input": self.variant_input(variant),
        }
        return numbered_shards(variant, spans, recipe)

    def renderer(self) -> str:
        """``galsim`` (the reference) or ``batched`` (the NumPy renderer validated against it)."""
        return self.settings.get("renderer", "galsim")

    @staticmethod
    def build_shard(recipe: Mapping[str, Any], seed: int, cache_dir: str) -> Dataset:
        from sim2model.sims.galsim_galaxies import GalaxyRecipe, limit_threads, simulate_shard

        limit_threads(1)
        ds = simulate_shard(
            GalaxyRecipe(**recipe["recipe"]),
            recipe["count"],
            seed,
            recipe["first"],
            progress=True,
            tables_dir=cache_dir if recipe.get("renderer") == "batched" else None,
        )
        if recipe.get("input", "noisy") == "noiseless":
            ds.x[..., 0] = ds.extra["noiseless"]
        ds.attrs = {
            **ds.attrs,
            "variant": recipe["variant"],
            "shard_index": recipe["index"],
            "seed": seed,
        }
        return ds

    def check(self) -> None:
        super().check()
        testsets = self.settings["testsets"]
        if testsets["model_variant"] not in self.variants():
            raise ConfigError(
                "galsim.testsets.model_variant",
                f"{testsets['model_variant']!r} is not a variant (they are {self.variants()})",
            )
        clash = sorted(set(self.variants()) & set(self.testsets()))
        if clash:
            raise ConfigError(
                "galsim.testsets.sets", f"{clash} are also dataset variants; use other names"
            )
