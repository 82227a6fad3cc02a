"""Turbulence study (cosmic-ray transport from density maps, after the ML_Turb reference notebook).

Athena++ snapshots of each transport class (runs this workflow builds and runs, the user's own
runs, or the statistical surrogate) become FITS cubes, then one shard of cubes per (variant,
class); the generic dataset stage cuts them into buffered slabs of 2D maps. Variants classify
the transport class (or groups of classes) or map density to another variable (image2image);
``flattened`` retrains the classifier on flattened power spectra.
"""

from __future__ import annotations

import functools
import glob
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sim2model.errors import ConfigError
from sim2model.layout import SPLITS
from sim2model.reference_numbers import ReferenceNumber, for_runs
from sim2model.studies.turbulence.geometry import (
    Mesh,
    athdf_mesh,
    athdf_variables,
    check_slabs,
    cut_axis,
)
from sim2model.studies.turbulence.names import FLATTENED, REFERENCE_ACCURACY_WHERE
from sim2model.study import Shard, Study, simulated_variant, split_simulated_variant

#: The embedded default config: its turbulence values are chosen for the built-in sources' classes
#: and boxes, so a user's own runs (source athdf) may need others (see :meth:`smoothing_class`).
EMBEDDED_CONFIG = Path(__file__).resolve().parents[4] / "config" / "config.yaml"


@functools.cache
def embedded_setting(*keys: str) -> Any:
    """The embedded default's ``turbulence.<keys...>`` setting (None where it sets none)."""
    import yaml

    try:
        node = yaml.safe_load(EMBEDDED_CONFIG.read_text())["turbulence"]
    except (OSError, KeyError, TypeError):
        return None
    for key in keys:
        node = node.get(key) if isinstance(node, Mapping) else None
    return node


#: The reference's transport classes (Bustard & Wu 2024), in its words.
REFERENCE_CLASSES = (
    "MHD", "CR advection only", "CR diffusion", "CR diffusion x100", "CR streaming",
)  # fmt: skip
#: The surrogate's classes in the reference's terms (see surrogate.CLASS_PHYSICS).
SURROGATE_LABELS = {
    "mhd": "MHD",
    "diffusion_slow": "CR diffusion",
    "diffusion_fast": "CR diffusion, faster (as the reference's CR diffusion x100)",
    "streaming": "CR streaming",
    "streaming_fast": "CR streaming at 4 v_A (no reference class)",
}


#: Settings a simulation sweep may vary, per source, with what each counts (an axis label).
#: Snapshots per class grow with the runs per class; the snapshots of one run are not a sweep
#: setting, as a point's rules write the study's number of snapshots per run.
SIMULATION_SETTINGS = {
    "athena": {
        "cells": "cells per side of the simulated box",
        "realisations": "Athena++ runs per class",
    },
    "surrogate": {"cells": "cells per side of the simulated box"},
}
#: The wildcard of the rules that run a simulation sweep's points (``*_point``).
POINT_WILDCARD = "{point}"
#: The key of each source's meshblock size, which must divide its cells.
BLOCK_KEYS = {"athena": "meshblock_cells", "surrogate": "block_cells"}


def blocks_per_side(section: Mapping[str, Any], source: str) -> int:
    """Meshblocks along each side of a source's mesh (``turbulence.athena`` or ``.surrogate``)."""
    return section["cells"] // section[BLOCK_KEYS[source]]


def simulation_override(section: Mapping[str, Any], source: str, point: str) -> dict[str, Any]:
    """A source's settings (``turbulence.athena`` or ``turbulence.surrogate``) at simulation
    sweep point ``<setting><value>``: cells keep the number of meshblocks per side."""
    setting, value = re.fullmatch(r"([a-z_]+)(\d+)", point).groups()
    value = int(value)
    if setting == "cells":
        blocks = blocks_per_side(section, source)
        return {**section, "cells": value, BLOCK_KEYS[source]: value // blocks}
    return {**section, setting: value}


def athena_reference_labels(classes: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """Athena++ classes (``turbulence.athena.classes``) in the reference's terms: ``mhd`` is
    MHD, ``advection`` CR advection only, ``streaming`` CR streaming; the diffusion class of the
    smallest kappa_par is CR diffusion (the fiducial) and the others CR diffusion x(ratio), the
    reference's x100 class named where the ratio differs."""
    kappas = [s["kappa_par"] for s in classes.values() if s["transport"] == "diffusion"]
    labels = {}
    for cls, spec in classes.items():
        transport, kappa = spec["transport"], spec.get("kappa_par", 0.0)
        if transport == "mhd":
            labels[cls] = "MHD"
        elif transport == "advection":
            labels[cls] = "CR advection only"
        elif transport == "streaming":
            labels[cls] = "CR streaming" + (f" + diffusion (kappa_par {kappa:g})" if kappa else "")
        else:
            ratio = kappa / min(kappas)
            if ratio == 1:
                labels[cls] = f"CR diffusion (kappa_par {kappa:g})"
            else:
                note = "" if ratio == 100 else "; the reference's fast class is x100"
                labels[cls] = f"CR diffusion x{ratio:.3g} (kappa_par {kappa:g}{note})"
    return labels


def reference_counterpart(label: str) -> str | None:
    """The reference class a label of :func:`athena_reference_labels` or
    :data:`SURROGATE_LABELS` stands for (None: no counterpart)."""
    if "no reference class" in label:
        return None
    if label.startswith("CR diffusion") and ("x100" in label or label.startswith("CR diffusion x")):
        return "CR diffusion x100"
    return next((ref for ref in REFERENCE_CLASSES if label.startswith(ref)), None)


def reference_classes_note(labels: Mapping[str, str]) -> str:
    """Caption sentence naming each class in the reference's words and the reference classes
    without a counterpart ('' without labels)."""
    if not labels:
        return ""
    named = "; ".join(f"{cls} = {label}" for cls, label in labels.items())
    covered = {reference_counterpart(label) for label in labels.values()}
    missing = [ref for ref in REFERENCE_CLASSES if ref not in covered]
    return f"Classes in the reference's terms: {named}." + (
        f" No counterpart here of the reference's {', '.join(missing)}." if missing else ""
    )


class TurbulenceStudy(Study):
    name = "turbulence"
    source_env = None  # shards come from the study's own FITS and cube rules

    def source_note(self) -> str:
        if self.source == "surrogate":
            return (
                "SURROGATE: the statistical surrogate of MHD + cosmic-ray turbulence (genuine "
                ".athdf files, not a simulation; class differences are built in)"
            )
        if self.source == "athena":
            athena = self.settings["athena"]
            return (
                f"Athena++ runs of this workflow (driven MHD turbulence with cosmic rays, "
                f"{athena['cells']}^3 cells, Mach {athena['physics']['mach']:g}, beta "
                f"{athena['physics']['beta']:g}, {athena['realisations']} realisation(s) per class)"
            )
        return "Athena++ snapshots"

    def describe(self, variant: str | None = None) -> str:
        """The source and split, then the classes in the reference's words (where known)."""
        note = reference_classes_note(self.reference_labels())
        return f"{super().describe(variant)} {note}".rstrip()

    def reference_labels(self) -> dict[str, str]:
        """Each class named in the reference's terms (Bustard & Wu 2024: MHD, CR advection only,
        CR diffusion, CR diffusion x100, CR streaming): from the transport settings of Athena++
        runs, from the class names of the surrogate; none for a user's own runs (source athdf),
        whose class names say nothing of their physics."""
        if self.source == "athena":
            return athena_reference_labels(self.settings["athena"]["classes"])
        if self.source == "surrogate":
            return {c: SURROGATE_LABELS[c] for c in self.classes() if c in SURROGATE_LABELS}
        return {}

    # -- classes and snapshots ------------------------------------------------------------------
    def classes(self) -> list[str]:
        """Transport class names in class-id order."""
        if self.source == "surrogate":
            return list(self.settings["surrogate"]["classes"])
        if self.source == "athena":
            return list(self.settings["athena"]["classes"])
        return list(self.settings["classes"])

    def simulation(self, point: str | None = None) -> Mapping[str, Any]:
        """The built-in source's settings (``turbulence.<source>``), at simulation-sweep point
        ``point`` where given (:func:`simulation_override`)."""
        section = self.settings[self.source]
        if point is None or point == POINT_WILDCARD:  # a rule's pattern: the study's counts
            return section
        return simulation_override(section, self.source, point)

    @staticmethod
    def point_of(wildcards: Any) -> str | None:
        """The sweep point of a simulation job (its ``point`` wildcard; None: the study's own)."""
        return getattr(wildcards, "point", None)

    def run_settings(self, point: str | None = None) -> dict[str, Any]:
        """What one run of ``point``'s simulations depends on: its source settings but the
        number of runs per class (``realisations``: run r<i> is the same at every count)."""
        return {k: v for k, v in self.simulation(point).items() if k != "realisations"}

    def simulation_dir(self, point: str | None, *parts: str) -> str:
        """A folder of the built-in source's outputs: the study's, or a sweep point's own. A
        point whose runs are the study's (the study's settings, or only more runs per class)
        shares the study's: no simulation is run twice, and more runs add to the ones made."""
        if point == POINT_WILDCARD or (
            point is not None and self.run_settings(point) != self.run_settings()
        ):
            return self.paths.simulation(point, *parts)
        return self.paths.dir(*parts)

    def simulated_points(self) -> list[str]:
        """The simulation-sweep points with their own folder: each has its own simulation
        rules (:meth:`simulation_dir`)."""
        return [p for p in self.simulation_points() if self.simulation_dir(p) != self.paths.dir()]

    def surrogate_snapshots(self, point: str | None = None) -> int:
        """Snapshots the surrogate writes per class."""
        return self.simulation(point)["snapshots"]

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

    def n_snapshots(self, cls: str, point: str | None = None) -> int:
        if self.source == "surrogate":
            return self.surrogate_snapshots(point)
        if self.source == "athena":
            return self.athena_realisations(point) * self.athena_snapshots(point)
        return len(self.user_snapshots(cls))

    # -- Athena++ runs (source athena) ----------------------------------------------------------
    def athena_realisations(self, point: str | None = None) -> int:
        """Runs per class (each with its own turbulence-driver seed, shared by the classes)."""
        return self.simulation(point)["realisations"]

    def athena_snapshots(self, point: str | None = None) -> int:
        """Snapshots each run writes."""
        return self.simulation(point)["run"]["snapshots"]

    def athena_flags(self) -> list[str]:
        """configure.py flags of the Athena++ build."""
        from sim2model.studies.turbulence.athena import configure_flags

        return configure_flags(self.settings["athena"]["build"])

    def athena_build_name(self) -> str:
        """Cache folder name of the build: commit, flags and problem generator content."""
        from sim2model.studies.turbulence.athena import build_key

        return build_key(self.settings["athena"]["code"]["commit"], self.athena_flags())

    def athena_input(self, cls: str, seed: int, point: str | None = None) -> str:
        """The athinput file of one run of class ``cls``."""
        from sim2model.studies.turbulence.athena import athinput_text

        return athinput_text(self.simulation(point), cls, seed=seed)

    def athena_tlim(self, point: str | None = None) -> float:
        """End time of every run (its last snapshot), code units."""
        from sim2model.studies.turbulence.athena import snapshot_times

        return snapshot_times(self.simulation(point))[-1]

    def athena_runtime_minutes(self, point: str | None = None) -> int:
        """Wall-time request of one run (three times the estimate, at least 5 minutes)."""
        from sim2model.studies.turbulence.athena import estimated_seconds

        athena = self.simulation(point)
        return max(5, int(3 * estimated_seconds(athena, athena["ranks"]) / 60) + 1)

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

    def dataset_settings(self, variant: str | None = None) -> dict[str, Any]:
        """A variant with ``train_on_projections`` trains and validates on projections too; a 2D
        mesh is cut along the axis :func:`~sim2model.studies.turbulence.geometry.cut_axis` gives."""
        settings = super().dataset_settings()
        spatial = settings.get("spatial")
        if spatial:
            axis = cut_axis(self.mesh(variant), spatial)
            if axis != spatial["axis"]:
                settings["spatial"] = spatial = {**spatial, "axis": axis}
        if variant is not None and spatial:
            projections = bool(self.spec(variant).get("train_on_projections", False))
            settings["spatial"] = {**spatial, "train_on_projections": projections}
        return settings

    def spec(self, variant: str) -> Mapping[str, Any]:
        """A variant's settings; the flattened variant's are its source variant's, and a
        variant's data simulated at a sweep point (``<variant>@<point>``) are that variant's."""
        name, _ = split_simulated_variant(variant)
        name = self.flattened_source() if name == FLATTENED else name
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

    def smoothing_class(self) -> str | None:
        """The class whose test maps the smoothing test blurs: ``interpretation.smoothing_class``;
        for user-named classes (source athdf) where that is left at the embedded default (the
        reference's ``mhd``) and no label of :meth:`interpreted_variant` is so named, the first
        label."""
        configured = self.settings["interpretation"].get("smoothing_class")
        variant = self.interpreted_variant()
        if self.source != "athdf" or not variant:
            return configured
        names = self.class_names(variant)
        default = embedded_setting("interpretation", "smoothing_class")
        if configured in (None, default) and configured not in names:
            return names[0]
        return configured

    def interpreted_model(self) -> str:
        """The first model trained on :meth:`interpreted_variant`."""
        return self.variant_models(self.interpreted_variant())[0]

    def shards(self, variant: str) -> list[Shard]:
        """One shard of cubes per class (the flattened variant reads its source's)."""
        source = self.flattened_source() if variant == FLATTENED else variant
        classes = self.classes()
        return [Shard(source, classes.index(c), c) for c in self.variant_classes(source)]

    # -- simulation sweeps ----------------------------------------------------------------------
    def simulation_settings(self) -> dict[str, str]:
        """Built-in sources: Athena++ cells and runs per class; the surrogate's cells. A user's
        own runs (source athdf) have none."""
        return dict(SIMULATION_SETTINGS.get(self.source, {}))

    def check_simulation_point(self, key: str, variant: str, point: str) -> None:
        """The source can run at ``point`` (the Athena++ checks; cells split into the
        meshblocks per side) and the variant's slabs and tiles fit its mesh."""
        blocks = blocks_per_side(self.settings[self.source], self.source)
        cells = self.simulation(point)["cells"]
        try:
            if cells % blocks:
                raise ConfigError(
                    f"turbulence.{self.source}.{BLOCK_KEYS[self.source]}",
                    f"{cells} cells do not split into the {blocks} meshblocks per side of "
                    f"turbulence.{self.source}",
                )
            if self.source == "athena":
                self._check_athena(self.simulation(point))
            self._check_geometry(simulated_variant(variant, point))
        except ConfigError as error:
            raise ConfigError(key, f"at {point}, {str(error).removeprefix('config ')}") from None

    # -- mesh geometry --------------------------------------------------------------------------
    def mesh(self, variant: str | None = None) -> Mesh:
        """The mesh of the cubes ``variant`` (None: every class) is cut from: the built-in
        sources' configured box, else the header of its first snapshot (source athdf; the
        others are checked against it by :meth:`check`)."""
        if self.source in ("surrogate", "athena"):
            point = split_simulated_variant(variant)[1] if variant else None
            cells = self.simulation(point)["cells"]
            where = f" at sweep point {point}" if point else ""
            return Mesh((cells, cells, cells), f"turbulence.{self.source}.cells{where} = {cells}")
        cls = (self.classes() if variant is None else self.variant_classes(variant))[0]
        return athdf_mesh(self.snapshots(cls)[0], f"turbulence.classes.{cls}.snapshots")

    def spatial_key(self, option: str) -> str:
        """Dotted config key of option ``option`` of the spatial split."""
        return f"{self.dataset_key('spatial')}.{option}"

    # -- paths and rule inputs ------------------------------------------------------------------
    def athena_binary(self) -> str:
        """The Athena++ binary of this configuration in the build cache folder: the config's, else
        $SIM2MODEL_ATHENA_CACHE (CI builds it there once), else one under results/."""
        cache = (
            self.settings["athena"]["build"]["cache"]
            or os.environ.get("SIM2MODEL_ATHENA_CACHE")
            or self.paths.dir("athena", "build")
        )
        return f"{cache}/{self.athena_build_name()}/athena"

    def athena_archive(self) -> list[str]:
        """The local Athena++ source (archive or folder) the build reads, if any."""
        archive = self.settings["athena"]["code"]["archive"]
        return [archive] if archive else []

    def run_snapshots(
        self, cls: str, realisation: int | str = 0, point: str | None = None
    ) -> list[str]:
        """The ``.athdf`` snapshots one surrogate job of class ``cls`` or one Athena++ run (class
        and realisation) writes, at simulation-sweep point ``point`` where given; wildcards give
        the rule's patterns."""
        if self.source == "surrogate":
            folder = self.simulation_dir(point, "athdf", cls)
            count = self.surrogate_snapshots(point)
        elif self.source == "athena":
            folder = self.simulation_dir(point, "athena", "runs", cls, f"r{realisation}")
            count = self.athena_snapshots(point)
        else:
            raise ValueError(f"source {self.source} writes no snapshots")
        return [f"{folder}/{cls}.out2.{i:05d}.athdf" for i in range(count)]

    def snapshots(self, cls: str, point: str | None = None) -> list[str]:
        """The ``.athdf`` snapshots of a class, in order (those the workflow writes, or the
        user's files)."""
        if self.source == "surrogate":
            return self.run_snapshots(cls, point=point)
        if self.source == "athena":
            return [
                path
                for r in range(self.athena_realisations(point))
                for path in self.run_snapshots(cls, r, point)
            ]
        return list(self.user_snapshots(cls))

    def all_snapshots(self) -> list[str]:
        """Every class's snapshots, class after class."""
        return [path for cls in self.classes() for path in self.snapshots(cls)]

    def snapshot_classes(self) -> list[str]:
        """The class of each of :meth:`all_snapshots`."""
        return [cls for cls in self.classes() for _ in self.snapshots(cls)]

    def snapshot_of(self, wildcards: Any) -> str:
        """The snapshot an ``athdf_to_fits`` job converts (its ``cls``, ``index`` and, for a
        sweep point's, ``point``), numbered over the most runs per class of the points that
        share its folder (the first runs' numbers are the same at every count)."""
        point = self.point_of(wildcards)
        folder = self.simulation_dir(point)
        sharing = [
            p for p in (point, *self.simulation_points()) if self.simulation_dir(p) == folder
        ]
        snapshots = max((self.snapshots(wildcards.cls, p) for p in sharing), key=len)
        return snapshots[int(wildcards.index)]

    def fits_cube(self, cls: str, index: int | str, variable: str, point: str | None = None) -> str:
        """The FITS cube of one variable of snapshot ``index`` of a class."""
        snapshot = f"s{index:03d}" if isinstance(index, int) else f"s{index}"
        return self.simulation_dir(point, "fits", cls, snapshot, f"{variable}.fits")

    def fits(self, cls: str, variable: str, point: str | None = None) -> list[str]:
        """FITS cubes of one variable of every snapshot of a class."""
        count = self.n_snapshots(cls, point)
        return [self.fits_cube(cls, i, variable, point) for i in range(count)]

    def cube_inputs(self, wildcards: Any) -> dict[str, list[str]]:
        """FITS cubes of a (variant, class) shard: inputs, and targets of an image2image one
        (from the variant's sweep point's simulations, for ``<variant>@<point>``)."""
        spec, point = self.spec(wildcards.variant), split_simulated_variant(wildcards.variant)[1]
        inputs = {"inputs": self.fits(wildcards.cls, spec["input"], point)}
        if spec["task"] == "image2image":
            inputs["targets"] = self.fits(wildcards.cls, spec["target"], point)
        return inputs

    def flattened_sources(self) -> list[str]:
        """The train, val and test splits the flattened variant is derived from."""
        return [self.paths.split(self.flattened_source(), part) for part in SPLITS]

    def flattened_split(self, part: str) -> str:
        """A split (or ``norm``) of the flattened variant."""
        return self.paths.split(FLATTENED, part)

    def interpretation_inputs(self) -> dict[str, str]:
        """Model, normaliser and test split the saliency and smoothing tests read."""
        variant = self.interpreted_variant()
        return {
            "model": self.paths.model(variant, self.interpreted_model()),
            "norm": self.paths.split(variant, "norm"),
            "data": self.paths.split(variant, "test"),
        }

    def tables_inputs(self) -> dict[str, list[str]]:
        """What the tables read: classifiers' predictions and image2image runs' metrics."""
        return {
            "classifications": [
                self.paths.evaluation(v, m, "test", "predictions.h5")
                for v, m in self.task_runs("classification")
            ],
            "image2image": [
                self.paths.evaluation(v, m, "test", "metrics.csv")
                for v, m in self.task_runs("image2image")
            ],
        }

    def reference_numbers(self) -> list[ReferenceNumber]:
        """Every classifier's test accuracy; the reference quotes none to set beside it."""
        return for_runs(
            self.task_runs("classification"), metric="accuracy", key=("accuracy",),
            reference=None, where=REFERENCE_ACCURACY_WHERE,
        )  # fmt: skip

    # -- products -------------------------------------------------------------------------------
    def accuracy_table(self, suffix: str) -> str:
        """Per-class accuracy of every classifier (``csv`` or ``md``)."""
        return self.paths.table("per_class_accuracy", suffix)

    def accuracy_figure(self) -> str:
        return self.paths.figure("per_class_accuracy.png")

    def image2image_table(self, suffix: str) -> str:
        """Metrics of every image2image run (``csv`` or ``md``)."""
        return self.paths.table("image2image_metrics", suffix)

    def saliency_figure(self) -> str:
        return self.paths.figure("saliency.png")

    def smoothing_figure(self) -> str:
        return self.paths.figure("smoothing.png")

    def smoothing_table(self) -> str:
        return self.paths.table("smoothing_fractions", "csv")

    def athena_validation_figure(self) -> str:
        return self.paths.figure("athena_validation.png")

    def athena_validation_table(self, suffix: str) -> str:
        """Physics checks of the Athena++ runs (``csv`` or ``md``)."""
        return self.paths.table("athena_validation", suffix)

    def targets(self) -> list[str]:
        """Generic outputs, the tables, the interpretation tests (with a classification variant)
        and the Athena++ validation (source athena)."""
        return [
            *self.generic_targets(),
            self.accuracy_table("csv"),
            self.accuracy_table("md"),
            self.accuracy_figure(),
            self.image2image_table("csv"),
            self.image2image_table("md"),
            *(
                [self.saliency_figure(), self.smoothing_figure(), self.smoothing_table()]
                if self.interpreted_variant()
                else []
            ),
            *(
                [
                    self.athena_validation_figure(),
                    self.athena_validation_table("csv"),
                    self.athena_validation_table("md"),
                ]
                if self.source == "athena"
                else []
            ),
        ]

    def extra_data(self) -> list[str]:
        """FITS cubes of every variable of every class."""
        return [
            path
            for cls in self.classes()
            for variable in self.class_variables(cls)
            for path in self.fits(cls, variable)
        ]

    # -- checks ---------------------------------------------------------------------------------
    def check(self) -> None:
        if self.source == "athena":
            self._check_athena()
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
            spatial = self.dataset_settings(name).get("spatial") or {}
            if spec.get("train_on_projections") and not spatial.get("projection_depth"):
                raise ConfigError(
                    f"turbulence.variants.{name}.train_on_projections",
                    f"needs projections: set {self.dataset_key('spatial')}.projection_depth",
                )
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
        smoothed = self.smoothing_class()
        if interpreted and smoothed not in self.class_names(interpreted):
            raise ConfigError(
                "turbulence.interpretation.smoothing_class",
                f"unknown class {smoothed!r}; the classes of variant {interpreted!r} are "
                f"{self.class_names(interpreted)}",
            )
        super().check()
        for variant in self.cube_variants():
            if self.source == "athdf":
                self._check_snapshots(variant)
            self._check_geometry(variant)

    def _check_snapshots(self, variant: str) -> None:
        """Source athdf: from the headers, every snapshot of a variant's classes has the mesh of
        the first and holds (or derives) the variant's input and target variables."""
        spec, first = self.spec(variant), self.mesh(variant)
        names = {"input": spec["input"], **({"target": spec["target"]} if "target" in spec else {})}
        for cls in self.variant_classes(variant):
            key = f"turbulence.classes.{cls}.snapshots"
            for path in self.snapshots(cls):
                mesh = athdf_mesh(path, key)
                if mesh.shape != first.shape:
                    raise ConfigError(
                        key,
                        f"the snapshots of variant {variant!r} must share one mesh, but "
                        f"{mesh.describe()} and {first.describe()}",
                    )
                available = athdf_variables(path)
                for option, name in names.items():
                    if name not in available:
                        raise ConfigError(
                            f"turbulence.variants.{variant}.{option}",
                            f"{path} has no variable {name!r} (it has {available})",
                        )

    def _check_geometry(self, variant: str) -> None:
        """The variant's slabs, tiles and projections fit its mesh (the dataset stage's checks,
        before the DAG: see :func:`~sim2model.studies.turbulence.geometry.check_slabs`)."""
        settings = self.dataset_settings(variant)
        if settings.get("spatial"):
            check_slabs(
                self.mesh(variant), settings["spatial"], settings["fractions"], self.spatial_key
            )

    def _check_athena(self, athena: Mapping[str, Any] | None = None) -> None:
        """Classes, mesh decomposition, MPI ranks and the source of the Athena++ block (the
        configured one, or ``athena``: its settings at a sweep point)."""
        athena = self.settings["athena"] if athena is None else athena
        if len(athena["classes"]) < 2:
            raise ConfigError("turbulence.athena.classes", "list at least two transport classes")
        for cls, spec in athena["classes"].items():
            kappa = spec.get("kappa_par", 0.0)
            if spec["transport"] == "diffusion" and not kappa > 0:
                raise ConfigError(
                    f"turbulence.athena.classes.{cls}.kappa_par",
                    "diffusion needs a coefficient > 0 (code units L cs)",
                )
            if spec["transport"] == "mhd" and kappa:
                raise ConfigError(
                    f"turbulence.athena.classes.{cls}.kappa_par", "MHD-only runs carry no CRs"
                )
            if spec["transport"] == "advection" and kappa:
                raise ConfigError(
                    f"turbulence.athena.classes.{cls}.kappa_par",
                    "advection-only CRs do not diffuse (use transport: diffusion)",
                )
        cells, block = athena["cells"], athena["meshblock_cells"]
        if cells % block:
            raise ConfigError(
                "turbulence.athena.meshblock_cells",
                f"{block} does not divide turbulence.athena.cells = {cells}",
            )
        ranks, blocks = athena["ranks"], (cells // block) ** 3
        if ranks > blocks:
            raise ConfigError(
                "turbulence.athena.ranks",
                f"{ranks} MPI ranks but only {blocks} meshblocks: lower meshblock_cells",
            )
        if ranks > 1 and not athena["build"]["mpi"]:
            raise ConfigError("turbulence.athena.build.mpi", f"must be true to run {ranks} ranks")
        if athena["run"]["snapshots"] > 1 and athena["run"]["spacing"] <= 0:
            raise ConfigError("turbulence.athena.run.spacing", "must be > 0 for several snapshots")
        code = athena["code"]
        if not code.get("archive") and not code.get("url"):
            raise ConfigError("turbulence.athena.code", "give an archive (or folder) or a url")

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
