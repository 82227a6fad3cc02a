"""EoR 21cm study (neutral fraction from 21cm maps, after the reference notebook on EoR maps).

One dataset variant named after the source: the built-in excursion-set simulator, 21cmFAST,
SimFast21 run directories or a pickled map table, each cut into 2D maps at every redshift.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim2model.errors import ConfigError
from sim2model.reference_numbers import ReferenceNumber
from sim2model.sharding import fixed_size_spans
from sim2model.study import (
    MISSPECIFIED_SET,
    ReferenceFile,
    Shard,
    Study,
    numbered_shards,
    verify_reference,
)

if TYPE_CHECKING:
    from sim2model.io.dataset import Dataset

from sim2model.studies.eor21cm.names import (
    GROUP_KEYS,
    PICKLE_FILE,
    PICKLE_URLS,
    RANDOM_SPLIT,
    REFERENCE_R2,
    REFERENCE_R2_WHERE,
    TARGET_NAMES,
)


class Eor21cmStudy(Study):
    name = "eor21cm"
    reference_files = {"pickle": ReferenceFile(PICKLE_FILE, PICKLE_URLS)}
    evaluation_blocks = ("misspecification",)

    @property
    def source_env(self) -> str:  # 21cmFAST boxes need their own env
        return "21cmfast" if self.source == "21cmfast" else "eor21cm"

    def source_threads(self) -> int:
        """21cmFAST's OpenMP thread count is part of a box's identity; other sources use one."""
        return self.settings["21cmfast"]["threads"] if self.source == "21cmfast" else 1

    def variants(self) -> list[str]:
        """The source's maps; with ``compare_random_split`` also the same maps split at random."""
        if self.settings.get("compare_random_split", False):
            return [self.source, self.random_split_variant()]
        return [self.source]

    def source_variants(self) -> list[str]:
        """The source's maps and, with ``misspecification`` set, the SimFast21 maps its models
        are also scored on."""
        return [self.source, *self.misspecified_sets()]

    def misspecified_run_dirs(self) -> list[str]:
        """SimFast21 run directories of the misspecification test (``misspecification.runs``)."""
        return list(self.settings["misspecification"]["runs"])

    def misspecification_note(self) -> str:
        """The SimFast21 runs the models meet, and the label cut they share with training."""
        from sim2model.studies.eor21cm.simfast21 import open_run

        runs = [open_run(path) for path in self.misspecified_run_dirs()]
        boxes = ", ".join(f"{run.path.name} ({run.n}^3 cells, {run.box_mpc:g} Mpc)" for run in runs)
        if self.source in ("builtin", "21cmfast"):
            sim = self.settings[self.source]
            trained = f"{sim['box_cells']}^3 cells, {sim['box_mpc']:g} Mpc boxes"
        else:
            trained = "its own maps"
        cut = self.dataset_settings().get("label_range")
        kept = f", maps with xHI in {list(cut)} as in training" if cut else ""
        return (
            f"SimFast21 maps of run(s) {boxes} for models trained on {self.source} maps "
            f"({trained}){kept}"
        )

    def random_split_variant(self) -> str:
        """Name of the variant holding the source's maps split at random, map by map."""
        return self.source + RANDOM_SPLIT

    def samples_variant(self, variant: str) -> str:
        return self.source

    def dataset_settings(self, variant: str | None = None) -> dict[str, Any]:
        """The random-split variant drops ``group_by``: maps of one box fall in several splits."""
        settings = super().dataset_settings()
        if variant == self.random_split_variant():
            settings["group_by"] = None
        return settings

    def source_note(self) -> str:
        notes = {
            "builtin": "the built-in excursion-set reionization simulator (a fast stand-in for "
            "SimFast21 and 21cmFAST), "
            + (
                "physical histories: one ionising efficiency per box at every redshift, so xHI "
                "falls with time"
                if self.settings["builtin"].get("history", "balanced") == "physical"
                else "ionising efficiency tuned per box and redshift to spread xHI uniformly"
            ),
            "21cmfast": "21cmFAST boxes",
            "simfast21": f"{len(self.settings['simfast21']['runs'])} SimFast21 run(s)",
            "pickle": "a pickled table of 21cm maps",
        }
        return notes[self.source]

    def image_size(self) -> int | None:
        """Side of the maps, or None for the boxes' own size (``image_size: native`` or null)."""
        size = self.settings.get("image_size")
        return None if size in (None, "native") else int(size)

    def resize(self) -> str:
        """How maps reach :meth:`image_size`: ``block_mean`` (default) or ``crop``."""
        return self.settings.get("resize", "block_mean")

    def box_sizes(self) -> dict[str, int]:
        """Cells per side of every box source, by where it is set (read from run file names)."""
        sizes = {}
        if self.source in ("builtin", "21cmfast"):
            sizes[f"eor21cm.{self.source}.box_cells"] = self.settings[self.source]["box_cells"]
        if self.source == "simfast21":
            sizes.update(
                self._run_sizes("eor21cm.simfast21.runs", self.settings["simfast21"]["runs"])
            )
        if self.misspecified_sets():
            sizes.update(self._run_sizes("eor21cm.misspecification.runs",
                                         self.misspecified_run_dirs()))  # fmt: skip
        return sizes  # a pickled table's map size is known only by reading it

    @staticmethod
    def _run_sizes(key: str, runs: list[str]) -> dict[str, int]:
        """Cells per side of each SimFast21 run of config key ``key``."""
        from sim2model.studies.eor21cm.simfast21 import SimFast21Error, open_run

        sizes = {}
        for run in runs:
            try:
                sizes[f"SimFast21 run {run} ({key})"] = open_run(run).n
            except SimFast21Error as error:
                raise ConfigError(key, str(error)) from None
        return sizes

    def check_image_size(self) -> None:
        """``image_size`` and ``resize`` work for every box (before any box is read)."""
        size, resize, sizes = self.image_size(), self.resize(), self.box_sizes()
        if self.source == "pickle" and resize != "block_mean":
            raise ConfigError(
                "eor21cm.resize",
                f"{resize} recomputes labels from the xHI field, which a pickled map table does "
                "not hold; use block_mean",
            )
        if size is None:
            if len(set(sizes.values())) > 1:
                raise ConfigError(
                    "eor21cm.image_size",
                    f"native maps of boxes of different sizes {sizes}; choose one image_size",
                )
            return
        for where, n in sizes.items():
            if size > n:
                raise ConfigError(
                    "eor21cm.image_size", f"{size} is larger than the {n}x{n} maps of {where}"
                )
            if resize == "block_mean" and n % size:
                raise ConfigError(
                    "eor21cm.image_size",
                    f"{size} must divide the {n}x{n} maps of {where} for block means; use "
                    "image_size: native, a divisor of "
                    f"{n}, or resize: crop (the centred {size}x{size} region)",
                )

    def target_names(self) -> list[str]:
        """Regression targets of every map (``eor21cm.targets``; unset: xHI alone)."""
        return list(self.settings.get("targets", TARGET_NAMES))

    def shards(self, variant: str) -> list[Shard]:
        """The source's shards (the random-split variant reads the same files), or the
        misspecification test's: one per SimFast21 run, cut to the training label range."""
        added = self.targets_plan()
        if variant == MISSPECIFIED_SET:
            added = {"label_range": self.dataset_settings().get("label_range"), **added}
            shards = self._simfast21_shards(variant, self.misspecified_run_dirs())
        else:
            shards = self._source_shards(self.samples_variant(variant))
        return [replace(s, plan={**s.plan, **added}) for s in shards]

    def targets_plan(self) -> dict[str, Any]:
        """What a shard needs to know of the targets (nothing for xHI alone, the default)."""
        targets = self.target_names()
        return {} if targets == list(TARGET_NAMES) else {"targets": targets}

    def maps_plan(self, source: str) -> dict[str, Any]:
        """How a shard of ``source`` cuts its boxes into maps."""
        return {
            "source": source,
            "slices_per_box": self.settings["slices_per_box"],
            "image_size": self.image_size(),
            "resize": self.resize(),
        }

    def _simfast21_shards(self, variant: str, runs: list[str]) -> list[Shard]:
        """One shard per SimFast21 run directory (one box id each)."""
        maps = self.maps_plan("simfast21")
        return [
            numbered_shards(variant, [span], {**maps, "run": run}, inputs=[run])[0]
            for span, run in zip(fixed_size_spans(len(runs), 1), runs, strict=True)
        ]

    def _source_shards(self, variant: str) -> list[Shard]:
        settings, source = self.settings, self.source
        maps = self.maps_plan(source)
        if source in ("builtin", "21cmfast"):
            sim = settings[source]
            per_shard = sim["boxes_per_shard"]
            spans = fixed_size_spans(sim["n_shards"] * per_shard, per_shard)
            plan = {**maps, "redshifts": settings["redshifts"], "simulator": dict(sim)}
            return numbered_shards(variant, spans, plan)
        if source == "simfast21":
            return self._simfast21_shards(variant, settings["simfast21"]["runs"])
        table = settings["pickle"]
        plan = {
            "source": source,
            **self.reference_plan(),
            "n_shards": table["n_shards"],
            "image_size": self.image_size(),
            "scale_to_mk": table["scale_to_mk"],
            "box_column": table.get("box_column"),
        }
        return [
            Shard(variant, i, f"{i:04d}", None, (plan["path"],), {**plan, "index": i})
            for i in range(table["n_shards"])
        ]

    # -- report -----------------------------------------------------------------------------------
    def report_model(self) -> str:
        """The model whose predictions the per-redshift table and the split comparison read
        (the first configured one; the comparison also reads its repeats)."""
        return next(name for name, spec in self.settings["models"].items() if spec is not None)

    def balance_bins(self) -> int:
        """xHI bins of the balancing (10 when balancing is off), shared by the histogram figure."""
        balance = self.dataset_settings().get("balance")
        return balance["bins"] if balance else 10

    def reference_numbers(self) -> list[ReferenceNumber]:
        """The R^2 of xHI the reference expects (~1), beside every model's (with xHI a target)."""
        if "xHI" not in self.target_names():
            return []
        random, expected = self.random_split_variant(), "expected (~1), not measured; "
        return [
            ReferenceNumber(
                "R^2 xHI", variant, model, ("targets", "xHI", "r2"), REFERENCE_R2,
                REFERENCE_R2_WHERE,
                expected + ("split at random by map, as the reference" if variant == random
                            else "test boxes apart from training boxes; the reference splits "
                            "maps at random"),
            )
            for variant, model in self.runs()
        ]  # fmt: skip

    def split_name(self, variant: str) -> str:
        """How ``variant``'s maps are split, for the split-comparison table."""
        return "random by map" if variant == self.random_split_variant() else "by box"

    def split_comparison_runs(self) -> list[tuple[str, str]]:
        """(variant, run) of every run the split comparison reads: the report model and its
        repeats (``models.<model>.repeats``) under each split."""
        return [(v, run) for v in self.variants() for run in self.repeats(self.report_model())]

    def targets(self) -> list[str]:
        paths = self.paths
        return [
            *self.generic_targets(),
            *paths.tables("metrics_by_redshift"),
            paths.figure("xhi_histograms.png"),
            paths.figure("example_maps.png"),
            *([paths.figure("validation_21cmfast.png")] if self.source == "21cmfast" else []),
            *(paths.tables("split_comparison") if len(self.variants()) > 1 else []),
        ]

    def extra_data(self) -> list[str]:
        """The misspecification test's merged SimFast21 maps, when configured."""
        return [self.paths.testset(name) for name in self.misspecified_sets()]

    def validation_options(self) -> dict[str, Any]:
        """Arguments of the built-in vs 21cmFAST validation (``eor21cm.21cmfast.validation``)."""
        sim = self.settings["21cmfast"]
        check = sim["validation"]
        return {
            "redshifts": check["redshifts"],
            "spectrum_redshifts": check["spectrum_redshifts"],
            "box_cells": sim["box_cells"],
            "box_mpc": sim["box_mpc"],
            "n_bins": check["n_bins"],
            "threads": sim["threads"],
        }

    @staticmethod
    def build_shard(plan: Mapping[str, Any], seed: int, cache_dir: str) -> Dataset:
        import numpy as np

        from sim2model.studies.eor21cm import maps as eor_maps

        source, index = plan["source"], plan["index"]
        if source == "pickle":
            verify_reference(plan)  # a downloaded pickle is unpickled only when its hash matches
            ds = eor_maps.pickle_shard(
                plan["path"],
                shard_index=index,
                n_shards=plan["n_shards"],
                image_size=plan["image_size"],
                scale_to_mk=plan["scale_to_mk"],
                box_column=plan["box_column"],
            )
        else:
            maps = {
                "slices_per_box": plan["slices_per_box"],
                "image_size": plan["image_size"],
                "resize": plan["resize"],
            }
            if source == "simfast21":
                ds = eor_maps.simfast21_shard(
                    [plan["run"]], first_box_id=plan["first"], progress=True, **maps
                )
            elif source == "builtin":
                from sim2model.studies.eor21cm.seminumerical import SimConfig

                sim = plan["simulator"]
                ds = eor_maps.builtin_shard(
                    seed,
                    n_boxes=plan["count"],
                    first_box_id=plan["first"],
                    redshifts=plan["redshifts"],
                    xhi_bounds=tuple(sim["xhi_range"]),
                    config=SimConfig(n=sim["box_cells"], box_mpc=sim["box_mpc"]),
                    history=sim.get("history", "balanced"),
                    progress=True,
                    **maps,
                )
            else:
                from sim2model.studies.eor21cm.backend_21cmfast import twentyonecmfast_shard

                sim = plan["simulator"]
                ds = twentyonecmfast_shard(
                    seed,
                    n_boxes=plan["count"],
                    first_box_id=plan["first"],
                    redshifts=plan["redshifts"],
                    box_cells=sim["box_cells"],
                    box_mpc=sim["box_mpc"],
                    threads=sim["threads"],
                    progress=True,
                    **maps,
                )
        ds.attrs = {**ds.attrs, "source": source, "shard_index": index, "seed": seed}
        if plan.get("label_range"):
            from sim2model.data.select import label_mask

            ds = ds.subset(np.flatnonzero(label_mask(ds.y, *plan["label_range"])))
        if "targets" in plan:
            ds = eor_maps.with_targets(ds, plan["targets"])
        return ds

    def check(self) -> None:
        super().check()
        source, settings = self.source, self.settings
        if source == "simfast21":
            runs = settings["simfast21"]["runs"]
            if not runs:
                raise ConfigError(
                    "eor21cm.simfast21.runs", "is empty but eor21cm.source is simfast21"
                )
            check_run_dirs("eor21cm.simfast21.runs", runs)
        if self.misspecified_sets():
            if not self.misspecified_run_dirs():
                raise ConfigError("eor21cm.misspecification.runs", "lists no SimFast21 run")
            check_run_dirs("eor21cm.misspecification.runs", self.misspecified_run_dirs())
        self.check_reference()
        self.check_image_size()
        dataset = self.dataset_settings()
        boxes = source != "pickle" or settings["pickle"].get("box_column") is not None
        keys = GROUP_KEYS if boxes else ("redshift",)
        balance = dataset.get("balance")
        if balance is not None and balance["group"] not in keys:
            raise ConfigError(
                f"{self.dataset_key('balance')}.group",
                f"{balance['group']!r} is not a meta key of the maps; choose one of {list(keys)}",
            )
        targets = self.target_names()
        if self.misspecified_sets() and source != "simfast21" and targets != ["xHI"]:
            raise ConfigError(
                "eor21cm.misspecification",
                f"SimFast21 maps carry xHI, not {targets[1:]}: score the misspecification "
                "test with eor21cm.targets: [xHI]",
            )
        others = sorted(set(targets) - {"xHI", "zeta"})
        if self.source == "builtin" and others:
            raise ConfigError(
                "eor21cm.targets", f"the built-in boxes carry xHI and zeta, not {others}"
            )
        if targets[0] != "xHI" or len(set(targets)) != len(targets):
            raise ConfigError(
                "eor21cm.targets",
                f"{targets}: list xHI first (the label cut, the balancing and the per-redshift "
                "tables act on it), each target once",
            )
        group_by = dataset.get("group_by")
        if settings.get("compare_random_split", False) and group_by is None:
            raise ConfigError(
                "eor21cm.compare_random_split",
                f"compares a random split with the split by {self.dataset_key('group_by')}, "
                "which is null; set it to box_id or switch the comparison off",
            )
        if group_by is not None and group_by not in keys:
            hint = (
                " (the pickle source knows boxes only when eor21cm.pickle.box_column names "
                "the column holding them)"
                if group_by == "box_id"
                else ""
            )
            raise ConfigError(
                self.dataset_key("group_by"),
                f"{group_by!r} is not a meta key of the maps; choose one of {list(keys)} or "
                f"null{hint}",
            )


def check_run_dirs(key: str, runs: list[str]) -> None:
    """Every run directory of config key ``key`` exists (else a ConfigError naming it)."""
    missing = [run for run in runs if not Path(run).is_dir()]
    if missing:
        raise ConfigError(key, f"no such directory {missing}")
