"""Turbulence study (cosmic-ray transport from density maps, after the ML_Turb reference notebook).

Athena++ snapshots of each transport class (the user's runs, or the statistical surrogate) become
FITS cubes, then one shard of cubes per (variant, class); the generic dataset stage cuts them into
buffered slabs of 2D maps. Variants classify the transport class or map density to another
variable (image2image); ``flattened`` retrains the classifier on flattened power spectra.
"""

from __future__ import annotations

import functools
import glob
from collections.abc import Mapping
from typing import Any

from sim2model.studies.base import ConfigError, Shard, Study

#: Name of the derived variant with flattened power spectra.
FLATTENED = "flattened"


class TurbulenceStudy(Study):
    name = "turbulence"
    source_env = None  # shards come from the study's own FITS and cube rules

    def source_note(self) -> str:
        if self.source == "surrogate":
            return (
                "the statistical surrogate of MHD + cosmic-ray turbulence (genuine .athdf files, "
                "not a hydrodynamic simulation)"
            )
        return "Athena++ snapshots"

    # -- classes and snapshots ------------------------------------------------------------------
    def classes(self) -> list[str]:
        """Transport class names in class-id order."""
        if self.source == "surrogate":
            return list(self.settings["surrogate"]["classes"])
        return list(self.settings["classes"])

    def surrogate_snapshots(self) -> int:
        """Snapshots the surrogate writes per class."""
        return self.settings["surrogate"]["snapshots"]

    @functools.cache  # noqa: B019 (one study object per workflow; globbed once per class)
    def user_snapshots(self, cls: str) -> tuple[str, ...]:
        """The user's ``.athdf`` files of a class (source athdf), globs expanded in order."""
        paths: list[str] = []
        for pattern in self.settings["classes"][cls]["snapshots"]:
            matches = sorted(glob.glob(pattern))
            if not matches:
                raise ConfigError(
                    f"turbulence.classes.{cls}.snapshots", f"{pattern!r} matches no file"
                )
            paths.extend(matches)
        return tuple(paths)

    def n_snapshots(self, cls: str) -> int:
        if self.source == "surrogate":
            return self.surrogate_snapshots()
        return len(self.user_snapshots(cls))

    # -- variants -------------------------------------------------------------------------------
    def cube_variants(self) -> dict[str, Mapping[str, Any]]:
        """Variants built from cubes (a variant set to null is dropped: config files merge)."""
        return {n: spec for n, spec in self.settings["variants"].items() if spec is not None}

    def flattened_source(self) -> str | None:
        """The classification variant ``flattened`` is derived from (None: no flattened test)."""
        return self.settings.get("flattened_variant")

    def variants(self) -> list[str]:
        return [*self.cube_variants(), *([FLATTENED] if self.flattened_source() else [])]

    def declared_variants(self) -> list[str]:
        return [*self.settings["variants"], FLATTENED]

    def source_variants(self) -> list[str]:
        return list(self.cube_variants())

    def spec(self, variant: str) -> Mapping[str, Any]:
        """A variant's settings; the flattened variant's are its source variant's."""
        name = self.flattened_source() if variant == FLATTENED else variant
        return self.cube_variants()[name]

    def task(self, variant: str) -> str:
        return self.spec(variant)["task"]

    def variant_classes(self, variant: str) -> list[str]:
        """Classes a variant's samples come from (all by default; a grouped variant's: the
        members of its groups, in class order)."""
        spec = self.spec(variant)
        if spec.get("groups"):
            members = {c for group in spec["groups"].values() for c in group}
            return [c for c in self.classes() if c in members]
        return list(spec.get("classes", self.classes()))

    def class_names(self, variant: str) -> list[str]:
        """Label names of a variant's classifier: its groups (e.g. ``{mhd: [mhd], cr: [...]}``
        gives the reference's two-class MHD vs MHD+CR task), else every transport class."""
        groups = self.spec(variant).get("groups")
        return list(groups) if groups else self.classes()

    def class_id(self, variant: str, cls: str) -> int:
        """The label of transport class ``cls``'s samples in ``variant``."""
        groups = self.spec(variant).get("groups")
        if not groups:
            return self.classes().index(cls)
        return next(i for i, members in enumerate(groups.values()) if cls in members)

    def class_variables(self, cls: str) -> list[str]:
        """Variables converted to FITS for a class: inputs and targets of the variants using it."""
        names: list[str] = []
        for variant, spec in self.cube_variants().items():
            if cls in self.variant_classes(variant):
                names += [spec["input"], *([spec["target"]] if "target" in spec else [])]
        return list(dict.fromkeys(names))

    def interpreted_variant(self) -> str | None:
        """The classification variant whose model the saliency and smoothing tests inspect:
        ``interpretation.variant``, else the flattened test's source, else the first one."""
        return (
            self.settings["interpretation"].get("variant")
            or self.flattened_source()
            or next((v for v in self.cube_variants() if self.task(v) == "classification"), None)
        )

    def interpreted_model(self) -> str:
        """The first model trained on :meth:`interpreted_variant`."""
        return self.variant_models(self.interpreted_variant())[0]

    def shards(self, variant: str) -> list[Shard]:
        """One shard of cubes per class (the flattened variant reads its source's)."""
        source = self.flattened_source() if variant == FLATTENED else variant
        classes = self.classes()
        return [Shard(source, classes.index(c), c) for c in self.variant_classes(source)]

    # -- checks ---------------------------------------------------------------------------------
    def check(self) -> None:
        if self.source == "athdf":
            if not self.settings["classes"]:
                raise ConfigError(
                    "turbulence.classes",
                    "is empty but turbulence.source is athdf: list each class's snapshots as "
                    "turbulence.classes.<name>.snapshots",
                )
            for cls in self.classes():
                self.user_snapshots(cls)
        classes = self.classes()
        for name, spec in self.cube_variants().items():
            if spec["task"] == "image2image" and "target" not in spec:
                raise ConfigError(
                    f"turbulence.variants.{name}.target",
                    "an image2image variant needs a target variable (e.g. Ec or emag)",
                )
            unknown = [c for c in spec.get("classes", []) if c not in classes]
            if unknown:
                raise ConfigError(
                    f"turbulence.variants.{name}.classes",
                    f"unknown classes {unknown} (the classes are {classes})",
                )
            self._check_groups(name, spec, classes)
        flattened = self.flattened_source()
        if flattened is not None:
            if self.cube_variants().get(flattened, {}).get("task") != "classification":
                choices = [v for v in self.cube_variants() if self.task(v) == "classification"]
                raise ConfigError(
                    "turbulence.flattened_variant",
                    f"{flattened!r} is not a classification variant (they are {choices})",
                )
        interpreted = self.interpreted_variant()
        if interpreted and (
            interpreted not in self.variants() or self.task(interpreted) != "classification"
        ):
            raise ConfigError(
                "turbulence.interpretation.variant",
                f"{interpreted!r} is not a classification variant of {self.variants()}",
            )
        smoothed = self.settings["interpretation"]["smoothing_class"]
        if interpreted and smoothed not in self.class_names(interpreted):
            raise ConfigError(
                "turbulence.interpretation.smoothing_class",
                f"unknown class {smoothed!r}; the classes of variant {interpreted!r} are "
                f"{self.class_names(interpreted)}",
            )
        super().check()

    @staticmethod
    def _check_groups(name: str, spec: Mapping[str, Any], classes: list[str]) -> None:
        """A grouped variant's groups: classification only, known classes, each in one group."""
        groups = spec.get("groups")
        if not groups:
            return
        key = f"turbulence.variants.{name}.groups"
        if spec["task"] != "classification" or "classes" in spec:
            raise ConfigError(key, "groups label a classification variant and replace `classes`")
        members = [c for group in groups.values() for c in group]
        unknown = [c for c in members if c not in classes]
        if unknown:
            raise ConfigError(key, f"unknown classes {unknown} (the classes are {classes})")
        repeated = sorted({c for c in members if members.count(c) > 1})
        if repeated:
            raise ConfigError(key, f"classes {repeated} are in more than one group")
        if len(groups) < 2:
            raise ConfigError(key, "a classifier needs at least two groups")
