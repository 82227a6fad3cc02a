"""What every study provides to the workflow: its variants, source shards, models and checks.

A study is one subclass of :class:`Study` in ``sim2model/studies/<name>/study.py``, found by
:mod:`sim2model.registry`. The rules ask it, at parse time, which shards, variants, models and
products exist; the generic ``source_shard`` job asks it to build one shard. Nothing else in the
workflow knows how a study's data are made.

Study modules import at module level only the standard library and workflow modules that need
nothing else (errors, layout, reference_numbers, sharding, this module, train.losses), so the
Snakefile loads every study without numerical packages; simulators are imported inside
:meth:`Study.build_shard`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from sim2model.errors import ConfigError
from sim2model.layout import StudyPaths
from sim2model.reference_numbers import TABLE as REFERENCE_TABLE
from sim2model.reference_numbers import ReferenceNumber
from sim2model.sharding import ShardSpan, fixed_size_spans
from sim2model.train.losses import LOSS_BY_TASK, POSTERIOR_LOSS

if TYPE_CHECKING:
    from sim2model.io.dataset import Dataset

#: Tasks a dataset variant can have; the loss and the report follow from it.
TASKS = ("regression", "classification", "image2image")

#: Settings of the generate stage that a study's ``generative`` block leaves unset
#: (config/schema.yaml describes each; the schema cannot hold them: the block may be null).
GENERATIVE_DEFAULTS: Mapping[str, Any] = {
    "classifier": None,
    "test_where": {},
    "model": {"base_filters": 16, "depth": 2, "embedding_dim": 64},
    "timesteps": 1000,
    "max_train_maps": None,
    "epochs": 10,
    "batch_size": 32,
    "learning_rate": 0.002,
    "class_dropout": 0.1,
    "steps": 20,
    "eta": 0.0,
    "guidance": 2.0,
    "n_per_class": 32,
    "per_class_shown": 4,
}

#: Settings of an architecture search (a study's ``search.<model>`` block) left unset
#: (config/schema.yaml describes each). ``variant`` None: the first variant the model trains on;
#: ``subset`` None: the whole train split.
SEARCH_DEFAULTS: Mapping[str, Any] = {
    "variant": None,
    "subset": None,
    "tuner": "bayesian",
    "max_trials": 10,
    "epochs": 10,
    "patience": 3,
}


#: Settings of a budget sweep (a study's ``sweep.<model>`` block) left unset (config/schema.yaml
#: describes each). ``variant`` None: the first variant the model trains on.
SWEEP_DEFAULTS: Mapping[str, Any] = {
    "variant": None,
    "train_samples": None,
    "simulation": None,
    "unit": "samples",
    "repeats": 1,
    "train": {},
}
#: The axis of a training-sample sweep (``sweep.<model>.train_samples``); a simulation sweep's
#: axis is the simulation setting it varies (``sweep.<model>.simulation``).
SAMPLES_AXIS = "samples"

#: Blocks of a study's section whose jobs run on demand only (never asked for by ``all``), and
#: the settings their entries leave unset.
ON_DEMAND_DEFAULTS: Mapping[str, Mapping[str, Any]] = {
    "search": SEARCH_DEFAULTS,
    "sweep": SWEEP_DEFAULTS,
}

#: Metrics that are scores (1 is perfect): a learning curve fits their shortfall 1 - value.
SCORES = ("accuracy", "r2")
#: Metrics that are errors (0 is perfect, never negative): a learning curve fits them as they are.
ERRORS = ("rmse",)


@dataclass(frozen=True)
class Shard:
    """One source-shard job of a variant.

    ``name`` is the shard file's stem, ``span`` the samples it holds (None when only the job can
    count them), ``inputs`` the files it reads (so the workflow reruns it when they change) and
    ``plan`` the plain, JSON-like arguments :meth:`Study.build_shard` needs (its build plan).
    """

    variant: str
    index: int
    name: str
    span: ShardSpan | None = None
    inputs: tuple[str, ...] = ()
    plan: Mapping[str, Any] = field(default_factory=dict)

    @property
    def seed_keys(self) -> tuple[Any, ...]:
        """Keys that, with the global seed and the study, derive the shard's random seed."""
        return ("shard", self.variant, self.index)


def numbered_shards(
    variant: str, spans: Sequence[ShardSpan], plan: Mapping[str, Any], inputs: Sequence[str] = ()
) -> list[Shard]:
    """Shards ``0000``, ``0001``, ... of ``variant``, each with its span in its plan."""
    return [
        Shard(
            variant,
            span.index,
            f"{span.index:04d}",
            span,
            tuple(inputs),
            {**plan, "index": span.index, "first": span.first, "count": span.count},
        )
        for span in spans
    ]


@dataclass(frozen=True)
class ReferenceFile:
    """A public reference file a source reads, downloaded when its ``path`` is null.

    ``file`` is its name under ``downloads/<study>/``; ``urls`` its default mirrors, tried in
    order (plain URLs or ``gdrive:<id>``); ``sha256`` its published checksum, None when none is
    published (the first download then records the one it got). The source's config block
    (``<study>.<source>``) may override ``urls`` and ``sha256``.
    """

    file: str
    urls: tuple[str, ...]
    sha256: str | None = None


#: Folder of the downloaded reference files, outside results/ (cleaning results keeps them).
DOWNLOADS = "downloads"


class Study:
    """Base class of a study: the generic parts, overridden where a study differs."""

    #: Config section and results folder of the study.
    name: ClassVar[str]
    #: Task of every dataset variant unless :meth:`task` says otherwise.
    task_name: ClassVar[str] = "regression"
    #: Environment (``envs/<name>.yaml``) of the generic ``source_shard`` rule; None when the
    #: study's own rules write its shards.
    source_env: ClassVar[str | None] = "sims"
    #: Memory of one source-shard job.
    source_mem_mb: ClassVar[int] = 2000
    #: Architectures only this study's own rules train, and the tasks each can learn.
    own_model_tasks: ClassVar[Mapping[str, tuple[str, ...]]] = {}
    #: Blocks of the study's section that only add evaluation sets, whose shard plans hold
    #: everything they need: the other data products do not depend on them (``data_config``).
    evaluation_blocks: ClassVar[tuple[str, ...]] = ()
    #: Sources that read one public reference file, by source name: with ``<source>.path``
    #: null, rule ``download_reference`` fetches it to ``downloads/<study>/<file>``.
    reference_files: ClassVar[Mapping[str, ReferenceFile]] = {}

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config = config
        self.settings: Mapping[str, Any] = config[self.name]

    # -- settings -------------------------------------------------------------------------------
    @property
    def source(self) -> str:
        """The configured source (``<study>.source``), or the study's name if it has one only."""
        return self.settings.get("source", self.name)

    def dataset_settings(self, variant: str | None = None) -> dict[str, Any]:
        """Shared dataset settings, overridden key by key by the study's ``dataset`` block.

        ``variant``: the settings that variant is split with (the same for every variant unless
        a study splits one differently).
        """
        return {**self.config["dataset"], **self.settings.get("dataset", {})}

    def samples_variant(self, variant: str) -> str:
        """The variant whose shards and sample selection ``variant`` shares (itself by default).

        Two variants naming the same one see the same maps and select them with the same seed,
        so only their split differs.
        """
        return variant

    def train_settings(self) -> dict[str, Any]:
        """Shared training settings, overridden key by key by the study's ``train`` block."""
        return {**self.config["train"], **self.settings.get("train", {})}

    def dataset_key(self, option: str) -> str:
        """Dotted config key that sets dataset ``option`` for this study."""
        return self.shared_block_key("dataset", option)

    def shared_block_key(self, block: str, option: str) -> str:
        """Dotted config key that sets ``option`` of a shared ``block`` (``dataset``, ``train``)
        for this study: the study's own block where it sets the option, else the shared one."""
        own = option in self.settings.get(block, {})
        return f"{self.name}.{block}.{option}" if own else f"{block}.{option}"

    # -- variants and models --------------------------------------------------------------------
    def variants(self) -> list[str]:
        """Dataset variants that are split and trained on (by default: one, named by the source)."""
        return [self.source]

    def declared_variants(self) -> list[str]:
        """Variant names a model's ``variants`` list may name (including ones switched off)."""
        return self.variants()

    def source_variants(self) -> list[str]:
        """Variants whose shards the source stage writes (variants plus test-only sets)."""
        return self.variants()

    def task(self, variant: str) -> str:
        """Learning task of a dataset variant: regression, classification or image2image."""
        return self.task_name

    def training_loss(self, variant: str) -> str:
        """The loss models of ``variant`` are trained on (that of its task)."""
        return LOSS_BY_TASK[self.task(variant)]

    def accuracy_goal(self) -> float | None:
        """Test accuracy the study's reference sets as its goal (classifiers), or None."""
        return None

    def reference_numbers(self) -> list[ReferenceNumber]:
        """The reference notebook's numbers beside which ours are set, for the runs this config
        has (none: no ``tables/reference_comparison``); see sim2model.reference_numbers."""
        return []

    def models(self) -> Mapping[str, Mapping[str, Any]]:
        """Configured models: name -> builder options (``arch``, optional ``variants`` and
        ``repeats``), each repeat of a model under its own name (:func:`repeat_names`).

        A model set to null is dropped (config files merge key by key and cannot delete keys).
        """
        return {
            repeat: spec
            for name, spec in self.settings["models"].items()
            if spec is not None
            for repeat in repeat_names(name, spec.get("repeats", 1))
        }

    def repeats(self, model: str) -> list[str]:
        """The runs of configured ``model``: itself and its other training seeds (``repeats``)."""
        return repeat_names(model, self.settings["models"][model].get("repeats", 1))

    def model_options(self, model: str) -> dict[str, Any]:
        """Builder options of a model (its ``variants`` and ``repeats`` say where and how often
        it is trained, not what it is)."""
        return {k: v for k, v in self.models()[model].items() if k not in RUN_KEYS}

    def variant_models(self, variant: str) -> list[str]:
        """Models trained on ``variant``: those whose ``variants`` list names it (all if unset)."""
        return [
            name
            for name, spec in self.models().items()
            if variant in spec.get("variants", [variant])
        ]

    def trained_variants(self, model: str) -> list[str]:
        """The active variants ``model`` is trained on (switched-off ones are skipped)."""
        return [v for v in self.variants() if model in self.variant_models(v)]

    def runs(self) -> list[tuple[str, str]]:
        """(variant, model) of every model the study trains."""
        return [(v, m) for v in self.variants() for m in self.variant_models(v)]

    def task_runs(self, task: str) -> list[tuple[str, str]]:
        """(variant, model) of every run whose variant has ``task``."""
        return [(v, m) for v, m in self.runs() if self.task(v) == task]

    def generative_settings(self) -> dict[str, Any] | None:
        """The study's ``generative`` block over :data:`GENERATIVE_DEFAULTS` (None: the study
        trains no generator)."""
        settings = self.settings.get("generative")
        if settings is None:
            return None
        model = {**GENERATIVE_DEFAULTS["model"], **settings.get("model", {})}
        return {**GENERATIVE_DEFAULTS, **settings, "model": model}

    def searches(self) -> dict[str, dict[str, Any]]:
        """Architecture searches (the ``search`` block): see :meth:`on_demand_jobs`."""
        return self.on_demand_jobs("search")

    def sweeps(self) -> dict[str, dict[str, Any]]:
        """Budget sweeps (the ``sweep`` block): see :meth:`on_demand_jobs`."""
        return self.on_demand_jobs("sweep")

    def on_demand_jobs(self, block: str) -> dict[str, dict[str, Any]]:
        """The jobs of an on-demand block keyed by model (:data:`ON_DEMAND_DEFAULTS`; a model
        set to null is dropped): model -> settings over the block's defaults, ``variant`` unset
        resolved to the first variant the model trains on."""
        jobs = {}
        for model, settings in (self.settings.get(block) or {}).items():
            if settings is None:
                continue
            settings = {**ON_DEMAND_DEFAULTS[block], **settings}
            if settings["variant"] is None and model in self.models():
                settings["variant"] = next(iter(self.trained_variants(model)), None)
            jobs[model] = settings
        return jobs

    def sweep_axis(self, model: str) -> tuple[str, list[int]]:
        """What ``model``'s sweep varies and its budgets: (:data:`SAMPLES_AXIS`, training
        samples), or (a simulation setting of :meth:`simulation_settings`, its values)."""
        settings = self.sweeps()[model]
        if settings["simulation"]:
            ((setting, values),) = settings["simulation"].items()
            return setting, list(values)
        return SAMPLES_AXIS, list(settings["train_samples"])

    def sweep_points(self, model: str) -> list[tuple[int, str]]:
        """(budget, run) of every job of ``model``'s sweep: each budget, each run (the model
        and its repeats, named as :func:`repeat_names`)."""
        runs = repeat_names(model, self.sweeps()[model]["repeats"])
        return [(n, run) for n in self.sweep_axis(model)[1] for run in runs]

    def sweep_point(self, model: str, budget: int) -> str:
        """Folder of a point of ``model``'s sweep: ``n<samples>``, or ``<setting><value>``."""
        axis = self.sweep_axis(model)[0]
        return f"n{budget}" if axis == SAMPLES_AXIS else f"{axis}{budget}"

    def sweep_budget(self, model: str, point: str) -> int:
        """The budget of sweep folder ``point`` (the inverse of :meth:`sweep_point`)."""
        budgets = {self.sweep_point(model, n): n for n in self.sweep_axis(model)[1]}
        if point not in budgets:
            raise ValueError(f"{point!r} is not a point of the {model} sweep ({list(budgets)})")
        return budgets[point]

    def sweep_variant(self, model: str, budget: int) -> str:
        """The variant a sweep point trains and is tested on: the swept variant, or for a
        simulation sweep its data simulated at the point's setting (:func:`simulated_variant`)."""
        variant = self.sweeps()[model]["variant"]
        if self.sweep_axis(model)[0] == SAMPLES_AXIS:
            return variant
        return simulated_variant(variant, self.sweep_point(model, budget))

    def sweep_nested(self, model: str, budget: int) -> tuple[int, str] | None:
        """(budget, unit) of the nested training subset a point takes; None: a simulation
        sweep's point trains on the whole training split of its own simulations."""
        if self.sweep_axis(model)[0] != SAMPLES_AXIS:
            return None
        return budget, self.sweeps()[model]["unit"]

    def sweep_budget_label(self, model: str) -> str:
        """What ``model``'s sweep budgets count, in words (an axis label)."""
        axis = self.sweep_axis(model)[0]
        if axis != SAMPLES_AXIS:
            return self.simulation_settings()[axis]
        unit = self.sweeps()[model]["unit"]
        return "training samples" if unit == "samples" else f"training groups of {unit} (whole)"

    def simulation_settings(self) -> dict[str, str]:
        """Simulation settings a sweep may vary (``sweep.<model>.simulation``), each with what
        it counts in words; none by default: an i.i.d. simulator's training-sample sweep is its
        simulation budget."""
        return {}

    def simulation_points(self) -> list[str]:
        """Every simulation-sweep point of the study (``<setting><value>``), each once."""
        points = [
            self.sweep_point(model, n)
            for model in self.sweeps()
            if self.sweep_axis(model)[0] != SAMPLES_AXIS
            for n in self.sweep_axis(model)[1]
        ]
        return list(dict.fromkeys(points))

    def check_simulation_point(self, key: str, variant: str, point: str) -> None:
        """A study with :meth:`simulation_settings` checks that it can simulate and split
        ``variant`` at ``point``, raising :class:`ConfigError` at ``key``."""
        raise NotImplementedError

    def sweep_evalsets(self, model: str) -> list[str]:
        """Evaluation sets every point of ``model``'s sweep is scored on (the test split)."""
        return ["test"]

    def crb_file(self) -> str | None:
        """CSV of the Cramér–Rao bound per (test set, target) that learning curves divide an
        estimator's scatter by (columns testset, target, crb); None: the study has none."""
        return None

    def sweep_train_settings(self, model: str) -> dict[str, Any]:
        """Training settings of a sweep's jobs: the study's, overridden by the sweep's ``train``."""
        return {**self.train_settings(), **self.sweeps()[model]["train"]}

    def curve_metrics(self, variant: str, model: str) -> list[dict[str, Any]]:
        """Metrics a learning curve of ``model`` on ``variant`` plots: every reference number of
        that run (with the reference's value as a line), else test accuracy for a classifier.
        ``kind`` score (accuracy, R^2: the shortfall 1 - value falls as a power law) or error."""
        numbers = [
            n for n in self.reference_numbers()
            if (n.variant, n.model, n.evalset) == (variant, model, "test")
            and n.key[-1] in (*SCORES, *ERRORS)  # a bias may be negative: no power law
        ]  # fmt: skip
        if not numbers and self.task(variant) == "classification":
            return [{"label": "test accuracy", "path": ["accuracy"], "kind": "score",
                     "reference": None, "where": "", "unit": ""}]  # fmt: skip
        return [
            {"label": n.metric, "path": list(n.key), "reference": n.reference, "where": n.where,
             "kind": "score" if n.key[-1] in SCORES else "error", "unit": ""}
            for n in numbers
        ]  # fmt: skip

    def run_loss(self, variant: str, model: str) -> str:
        """Training loss of a run (its history's ``loss`` column): a neural posterior's own,
        else its variant's."""
        if model in self.posterior_models():
            return POSTERIOR_LOSS
        return self.training_loss(variant)

    def arch_models(self, arch: str) -> list[str]:
        """Configured models (and repeats) of architecture ``arch``."""
        return [name for name, spec in self.models().items() if spec["arch"] == arch]

    def posterior_models(self) -> list[str]:
        """Models (and repeats) that are neural posteriors (``arch: posterior``)."""
        return self.arch_models(POSTERIOR_ARCH)

    def posterior_runs(self) -> list[tuple[str, str]]:
        """(variant, model) of every neural posterior the study trains: their test
        predictions hold posterior draws, checked by the calibration rule."""
        posteriors = self.posterior_models()
        return [(v, m) for v, m in self.runs() if m in posteriors]

    # -- misspecification test -------------------------------------------------------------------
    def misspecified_sets(self) -> list[str]:
        """The misspecification test's set when the study has one and ``misspecification`` is
        configured, else none."""
        has_block = "misspecification" in self.evaluation_blocks
        return [MISSPECIFIED_SET] if has_block and self.settings.get("misspecification") else []

    def misspecification_variant(self) -> str:
        """The variant whose models are scored on the misspecified samples (the first)."""
        return self.variants()[0]

    def misspecified_runs(self) -> list[tuple[str, str, str]]:
        """(variant, model, evalset) of each model of :meth:`misspecification_variant` on its
        test split and on the misspecified samples, in pairs (matched, then misspecified)."""
        variant = self.misspecification_variant()
        return [
            (variant, model, evalset)
            for model in self.variant_models(variant)
            for evalset in ("test", *self.misspecified_sets())
        ]

    def misspecification_note(self) -> str:
        """What differs between the misspecified samples and the training samples, in words."""
        raise NotImplementedError(f"study {self.name} has no misspecification test")

    def target_units(self) -> dict[str, str]:
        """Unit of each regression target that has one (none by default)."""
        return {}

    # -- results --------------------------------------------------------------------------------
    @property
    def paths(self) -> StudyPaths:
        """Where the study's results go (the one spelling of every generic path)."""
        return StudyPaths(self.name)

    def generic_targets(self) -> list[str]:
        """The generic report's outputs for every run, by its variant's task: figures, the
        accuracy table of a study of classifiers only, the training curves, where the study
        declares reference numbers the table setting ours beside them, each neural
        posterior's calibration figures and table, and the misspecification table when the
        study has that test."""
        runs = self.runs()
        tasks = {self.task(variant) for variant, _ in runs}
        return [
            *(path for v, m in runs for path in self.paths.run_figures(v, m, self.task(v))),
            *(self.paths.tables("classification") if tasks == {"classification"} else []),
            self.paths.training_curves(),
            *(self.paths.tables(REFERENCE_TABLE) if self.reference_numbers() else []),
            *(path for v, m in self.posterior_runs() for path in self.paths.calibration(v, m)),
            *(self.paths.tables("misspecification") if self.misspecified_sets() else []),
            *self.paths.tables("cost"),  # every study: what training and prediction cost
        ]

    def cost_runs(self) -> list[dict[str, Any]]:
        """Rows of the cost table (``tables/cost``, :mod:`sim2model.stages.cost`): every run
        with the history its training job wrote and its test evaluation's metrics. A study adds
        its own trainers' histories (the generate stage's generator is added by the rule)."""
        return [
            {
                "variant": v,
                "model": m,
                "history": self.paths.model(v, m, "history.csv"),
                "metrics": self.paths.evaluation(v, m, "test", "metrics.json"),
            }
            for v, m in self.runs()
        ]

    def targets(self) -> list[str]:
        """The study's final products (before the generate stage's and provenance)."""
        return self.generic_targets()

    def extra_data(self) -> list[str]:
        """Data products besides shards and splits that a rerun must reproduce (manifest)."""
        return []

    # -- source ---------------------------------------------------------------------------------
    def shards(self, variant: str) -> list[Shard]:
        """The source shards of ``variant``."""
        raise NotImplementedError(f"study {self.name} defines no shards")

    def source_threads(self) -> int:
        """Threads of one source-shard job."""
        return 1

    @staticmethod
    def build_shard(plan: Mapping[str, Any], seed: int, cache_dir: str) -> Dataset:
        """Make the samples of one shard from its ``plan`` (runs inside the job).

        ``cache_dir`` is a folder the study's shard jobs may share (e.g. lookup tables that are
        costly to build); nothing in it is a data product.
        """
        raise NotImplementedError

    # -- reference downloads --------------------------------------------------------------------
    def downloads(self) -> bool:
        """Whether the source's reference file is downloaded (its ``path`` is null)."""
        return self.source in self.reference_files and not self.settings[self.source].get("path")

    def source_path(self) -> str:
        """The file a reference source reads: the user's ``path``, or the download's target."""
        if self.downloads():
            return self.download_path()
        return self.settings[self.source]["path"]

    def download_path(self, file: str | None = None) -> str:
        """Where rule ``download_reference`` puts ``file`` (unset: the source's file)."""
        return f"{DOWNLOADS}/{self.name}/{file or self.reference_files[self.source].file}"

    def download_files(self) -> list[str]:
        """Names of the files this study's configured source downloads (none or one)."""
        return [self.reference_files[self.source].file] if self.downloads() else []

    def download_options(self, file: str | None = None) -> dict[str, Any]:
        """Arguments of the download job of ``file`` (unset: the source's): the mirrors in
        order, the pinned checksum (None: the first download records one) and the record."""
        source = self.source
        if file is not None:
            source = next(s for s, ref in self.reference_files.items() if ref.file == file)
        ref, block = self.reference_files[source], self.settings.get(source, {})
        return {
            "urls": list(block.get("urls", ref.urls)),
            "sha256": block.get("sha256", ref.sha256),
            "record": self.download_path(ref.file) + ".sha256",
        }

    def reference_plan(self) -> dict[str, Any]:
        """What a shard of a reference source needs of its file: the path it reads and, for a
        download, the checksum it checks before reading (:func:`verify_reference`)."""
        plan: dict[str, Any] = {"path": self.source_path()}
        if self.downloads():
            options = self.download_options()
            plan |= {"sha256": options["sha256"], "record": options["record"]}
        return plan

    def check_reference(self) -> None:
        """A reference source reads an existing file unless it downloads it."""
        if self.source in self.reference_files and not self.downloads():
            require_file(f"{self.name}.{self.source}.path", self.settings[self.source]["path"])

    # -- captions -------------------------------------------------------------------------------
    def source_note(self) -> str:
        """What the data are (the source, and whether it is a stand-in for real data)."""
        return f"source {self.source}"

    def describe(self, variant: str | None = None) -> str:
        """Caption sentence for every table and figure: the source and the split really used."""
        split = split_note(self.dataset_settings(variant))
        return f"Data: {self.source_note()}. Split: {split}."

    # -- checks ---------------------------------------------------------------------------------
    def check(self) -> None:
        """Cross-key checks of the study's settings; raise :class:`ConfigError` naming the key."""
        self.check_dataset()
        self.check_models()
        self.check_generative()
        self.check_search()
        self.check_sweep()

    def check_dataset(self) -> None:
        """Split fractions sum to one; a spatial split excludes sample selection."""
        settings = self.dataset_settings()
        fractions = settings["fractions"]
        total = sum(fractions.values())
        if not math.isclose(total, 1.0, abs_tol=1e-6):
            raise ConfigError(
                self.dataset_key("fractions"),
                f"train + val + test must sum to 1, they sum to {total:g} ({dict(fractions)})",
            )
        if fractions["val"] == 0:
            self.check_no_validation()
        if settings.get("test_rows", "random") != "random" and settings.get("group_by"):
            raise ConfigError(
                self.dataset_key("test_rows"),
                f"{settings['test_rows']} fixes the test split and cannot be combined with "
                f"{self.dataset_key('group_by')}; set one of them to null",
            )
        if settings.get("spatial") is not None:
            for option in ("label_range", "balance", "group_by", "test_rows"):
                if settings.get(option) is not None:
                    raise ConfigError(
                        self.dataset_key(option),
                        f"{self.dataset_key('spatial')} cuts whole cubes into slabs and cannot "
                        f"be combined with {option}; set {option} to null",
                    )

    def check_no_validation(self) -> None:
        """Training without a validation split (``fractions.val: 0``, the reference notebooks'
        recipe) trains every epoch and keeps the last: it needs ``train.patience`` null and a
        split of whole samples."""
        key = self.dataset_key("fractions")
        if self.train_settings()["patience"] is not None:
            raise ConfigError(
                self.shared_block_key("train", "patience"),
                f"{key}.val is 0 (no validation split), so there is no validation loss to stop "
                "early on: set patience to null (train every epoch, keep the last one)",
            )
        if self.dataset_settings().get("spatial") is not None:
            raise ConfigError(
                f"{key}.val", f"a slab split ({self.dataset_key('spatial')}) needs a val slab"
            )

    def check_models(self) -> None:
        """Every model names a known architecture, existing variants and a task it can learn."""
        variants, declared = self.variants(), self.declared_variants()
        model_tasks = {**model_tasks_of_registry(), **self.own_model_tasks}
        configured = self.settings["models"]
        clashes = sorted(
            set(configured) & {
                repeat for name, spec in configured.items() if spec is not None
                for repeat in repeat_names(name, spec.get("repeats", 1))[1:]
            }
        )  # fmt: skip
        if clashes:
            raise ConfigError(
                f"{self.name}.models.{clashes[0]}",
                f"the name is that of a repeat of another model (<model>{REPEAT_INFIX}<r>); "
                "rename it",
            )
        for name, spec in self.models().items():
            key = f"{self.name}.models.{name}"
            arch = spec["arch"]
            if arch not in model_tasks:
                raise ConfigError(
                    f"{key}.arch", f"unknown model {arch!r}; known: {sorted(model_tasks)}"
                )
            unknown = [v for v in spec.get("variants", []) if v not in declared]
            if unknown:
                raise ConfigError(
                    f"{key}.variants", f"unknown variants {unknown}; the variants are {declared}"
                )
            if arch == POSTERIOR_ARCH:
                self.check_posterior_summary(key, spec, model_tasks)
            for variant in self.trained_variants(name):
                if self.task(variant) not in model_tasks[arch]:
                    raise ConfigError(
                        f"{key}.variants",
                        f"{arch} learns {' or '.join(model_tasks[arch])}, but variant "
                        f"{variant!r} is a {self.task(variant)} task",
                    )
        untrained = [v for v in variants if not self.variant_models(v)]
        if untrained:
            raise ConfigError(f"{self.name}.models", f"no model is trained on variants {untrained}")

    @staticmethod
    def check_posterior_summary(
        key: str, spec: Mapping[str, Any], model_tasks: Mapping[str, tuple[str, ...]]
    ) -> None:
        """A neural posterior's ``summary`` names a registered regression architecture."""
        summary = spec.get("summary")
        arch = summary.get("arch") if isinstance(summary, Mapping) else None
        if arch is None:
            raise ConfigError(
                f"{key}.summary", "a posterior needs a summary network: {arch: <name>, ...}"
            )
        choices = sorted(
            a for a, tasks in model_tasks.items() if "regression" in tasks and a != POSTERIOR_ARCH
        )
        if arch not in choices:
            raise ConfigError(
                f"{key}.summary.arch", f"{arch!r} is not a regression architecture ({choices})"
            )

    def check_generative(self) -> None:
        """The generator learns an active classification variant, judged by a model of it."""
        settings = self.generative_settings()
        if settings is None:
            return
        key, variant = f"{self.name}.generative", settings["variant"]
        choices = [v for v in self.variants() if self.task(v) == "classification"]
        if variant not in choices:
            raise ConfigError(
                f"{key}.variant",
                f"{variant!r} is not an active classification variant (they are {choices})",
            )
        classifier = settings.get("classifier")
        if classifier is not None and classifier not in self.variant_models(variant):
            raise ConfigError(
                f"{key}.classifier",
                f"{classifier!r} is not trained on variant {variant!r} (models trained on it: "
                f"{self.variant_models(variant)})",
            )

    def check_search(self) -> None:
        """Each search tunes a configured model of a generic builder on a variant it trains on,
        over a space of that builder's keywords and training settings."""
        if not self.searches():
            return
        from sim2model.models import ARCHITECTURES as architectures
        from sim2model.train.search_space import TUNERS, check_space

        for model, settings in self.searches().items():
            key = f"{self.name}.search.{model}"
            arch = self.check_retrained_model(key, model, settings["variant"], "a search")
            for option in ("subset", "max_trials", "epochs", "patience"):
                value = settings[option]
                if value is not None and (not isinstance(value, int) or value < 1):
                    raise ConfigError(f"{key}.{option}", f"a positive integer, got {value!r}")
            if settings["tuner"] not in TUNERS:
                raise ConfigError(f"{key}.tuner", f"one of {TUNERS}, got {settings['tuner']!r}")
            if "space" not in settings:
                raise ConfigError(f"{key}.space", "missing: the hyperparameters to search")
            check_space(settings["space"], architectures[arch].build, f"{key}.space")

    def check_retrained_model(self, key: str, model: str, variant: str | None, use: str) -> str:
        """An on-demand job (``use``: a search, a sweep) at config ``key`` retrains ``model``
        on ``variant``: a configured model (not a repeat) of a generic builder that trains on
        that active variant. Returns its architecture."""
        from sim2model.models import ARCHITECTURES as architectures

        if self.settings["models"].get(model) is None:
            raise ConfigError(key, f"no model {model!r}; models: {sorted(self.models())}")
        arch = self.models()[model]["arch"]
        if arch not in architectures:
            raise ConfigError(
                key, f"{arch} is trained by the study's own rule; {use} needs one of "
                f"{sorted(architectures)}",
            )  # fmt: skip
        trained = self.trained_variants(model)
        if variant not in trained:
            raise ConfigError(
                f"{key}.variant",
                f"{variant!r} is not an active variant {model} trains on (it trains on {trained})",
            )
        return arch

    def check_sweep(self) -> None:
        """Each sweep trains a configured model of a generic builder on a variant it trains on,
        at increasing training-sample budgets, with a headline metric to plot."""
        for model, settings in self.sweeps().items():
            key = f"{self.name}.sweep.{model}"
            self.check_retrained_model(key, model, settings["variant"], "a sweep")
            if (settings["train_samples"] is None) == (settings["simulation"] is None):
                raise ConfigError(
                    key, "give either train_samples (a training-sample budget) or simulation "
                    "(a simulation budget: one setting of the simulator and its values)",
                )  # fmt: skip
            axis, budgets = self.sweep_axis(model)
            budget_key = f"{key}.train_samples" if axis == SAMPLES_AXIS else f"{key}.simulation"
            if len(budgets) < 2 or sorted(set(budgets)) != list(budgets) or min(budgets) < 1:
                raise ConfigError(
                    budget_key, f"at least two increasing positive values, got {budgets!r}"
                )
            if axis != SAMPLES_AXIS:
                self._check_simulation_sweep(model, f"{key}.simulation", axis, settings)
            if not self.curve_metrics(settings["variant"], model):
                raise ConfigError(
                    key, f"no headline metric to plot for variant {settings['variant']!r} "
                    "(a classifier's accuracy, or the study's reference numbers)",
                )  # fmt: skip

    def _check_simulation_sweep(
        self, model: str, key: str, setting: str, settings: Mapping[str, Any]
    ) -> None:
        """A simulation sweep varies a setting the study simulates, counts no groups, and the
        study can simulate and split the swept variant at every point."""
        known = self.simulation_settings()
        if setting not in known:
            raise ConfigError(
                key,
                f"{self.name} (source {self.source}) has no simulation setting {setting!r}"
                + (f" (it has {sorted(known)})" if known else "; sweep train_samples instead"),
            )
        if settings["unit"] != "samples":
            raise ConfigError(
                f"{self.name}.sweep.{model}.unit",
                "counts groups of training samples; a simulation sweep trains on every sample",
            )
        for value in settings["simulation"][setting]:
            point = self.sweep_point(model, value)
            self.check_simulation_point(f"{key}.{setting}", settings["variant"], point)


_AXES = ("z", "y", "x")

#: Keys of a model's config that say where and how often it is trained (not builder options).
RUN_KEYS = ("variants", "repeats")
#: Architecture name of a neural posterior (sim2model.models.posterior).
POSTERIOR_ARCH = "posterior"
#: Evaluation set of the misspecification test (a study's ``misspecification`` block, one of its
#: ``evaluation_blocks``): samples its models' simulator did not make, merged like a test set.
MISSPECIFIED_SET = "misspecified"
#: Infix of the name of a variant's data simulated at one point of a simulation sweep.
SIMULATED_INFIX = "@"
#: Infix of the names of a model's repeats: ``vgg``, ``vgg-seed2``, ``vgg-seed3``, ...
REPEAT_INFIX = "-seed"


def simulated_variant(variant: str, point: str) -> str:
    """Name of ``variant``'s data simulated at simulation-sweep point ``point``
    (``<variant>@<setting><value>``, e.g. ``transport@cells48``)."""
    return f"{variant}{SIMULATED_INFIX}{point}"


def split_simulated_variant(name: str) -> tuple[str, str | None]:
    """(variant, point) of a :func:`simulated_variant` name; (name, None) for any other."""
    variant, _, point = name.partition(SIMULATED_INFIX)
    return variant, point or None


def repeat_names(model: str, repeats: int) -> list[str]:
    """Names of the ``repeats`` training runs of ``model``: the model's own name, then
    ``<model>-seed<r>`` for r = 2..repeats. Each is an ordinary run whose training seed derives
    from its name, so raising ``repeats`` adds runs and leaves finished ones as they are."""
    return [model, *(f"{model}{REPEAT_INFIX}{r}" for r in range(2, repeats + 1))]


def model_tasks_of_registry() -> dict[str, tuple[str, ...]]:
    """Tasks each registered architecture can learn (sim2model.models.ARCHITECTURES).

    Imported when a check runs; the builder modules import keras inside their bodies, so reading
    the registry needs no deep-learning package.
    """
    from sim2model.models import ARCHITECTURES

    return {name: arch.tasks for name, arch in ARCHITECTURES.items()}


def split_note(dataset: Mapping[str, Any]) -> str:
    """How the dataset stage splits samples, in words (from the resolved dataset settings)."""
    fractions = dataset["fractions"]
    shares = "/".join(f"{100 * fractions[k]:g}" for k in ("train", "val", "test"))
    spatial = dataset.get("spatial")
    if spatial is not None:
        samples = spatial.get("samples") or "auto"
        kind = {"slices": "slices", "plane_tiles": "tiles of the (Y, X) planes"}.get(
            samples, "slices (tiles of the (Y, X) planes for 2D meshes)"
        )
        tile = f" cut into {spatial['tile']}x{spatial['tile']} tiles" if spatial.get("tile") else ""
        wrap = ", periodic" if spatial.get("periodic", True) else ""
        return (
            f"train/val/test slabs ({shares}%) along {_AXES[spatial['axis']]} with "
            f"{spatial['buffer']}-cell buffers{wrap}; samples are {kind}{tile}, so no test "
            "sample lies within the buffer of a training sample"
        )
    words = [f"train/val/test {shares}%"]
    group = dataset.get("group_by")
    if group is None and dataset.get("test_rows") == "last":
        words.append("test = the final samples in source order, train/val random from the rest")
    elif group is None and dataset.get("test_rows") == "source":
        words.append("test = the source's own test set, val cut at random from its training set")
    elif group is None:
        words.append("random by sample")
    elif group == "box_id":
        words.append("by simulated box (test boxes disjoint from training)")
    else:
        words.append(f"by {group} (no {group} value in two splits)")
    if dataset.get("label_range") is not None:
        low, high = dataset["label_range"]
        words.append(f"targets cut to [{low:g}, {high:g}]")
    if dataset.get("balance") is not None:
        balance = dataset["balance"]
        words.append(f"{balance['bins']} target bins balanced within each {balance['group']}")
    return ", ".join(words)


def verify_reference(plan: Mapping[str, Any]) -> None:
    """Check a downloaded reference file against its pinned or recorded SHA-256 before a shard
    reads it (nothing to check for the user's own file); a mismatch raises ``DownloadError``.

    Readers that unpickle call it first, so a pickle is loaded only when the user named the file
    or its download's checksum matched.
    """
    if "record" in plan:
        from sim2model.io.checksum import verify_sha256

        verify_sha256(plan["path"], plan["sha256"], plan["record"])


def require_file(key: str, path: str | None) -> str:
    """``path`` if it names an existing file, else a :class:`ConfigError` naming ``key``."""
    if not path or not Path(path).is_file():
        raise ConfigError(key, f"no such file {path!r}")
    return path


__all__ = [
    "ON_DEMAND_DEFAULTS",
    "SEARCH_DEFAULTS",
    "SWEEP_DEFAULTS",
    "TASKS",
    "ConfigError",
    "ReferenceFile",
    "Shard",
    "Study",
    "fixed_size_spans",
    "numbered_shards",
    "require_file",
    "split_note",
    "verify_reference",
]
