"""Paths, seeds and config helpers shared by every rule."""

import functools

from sim2model.layout import StudyPaths
from sim2model.seeding import derive_seed
from sim2model.registry import load_studies
from sim2model.study import ON_DEMAND_DEFAULTS, SAMPLES_AXIS

#: Path patterns of the generic rules, with the `{study}` wildcard (sim2model/layout.py spells
#: every generic path once; a study's own paths are `STUDIES[study].paths`).
PATHS = StudyPaths("{study}")

# Every setting is checked here, before the DAG is built: a study runs iff `studies` lists it.
try:
    STUDIES = load_studies(config)
except ConfigError as error:
    raise WorkflowError(str(error)) from None


def study_seed(study, *keys, bits=63):
    """Seed derived from the global seed, the study and ``keys``."""
    return derive_seed(config["seed"], study, *keys, bits=bits)


def hashed_config(study):
    """What a study's outputs depend on: global seed and sections, and the study's own section
    without its `search` and `sweep` blocks (on-demand searches and sweeps feed no data product,
    so editing one reruns nothing but itself)."""
    section = {k: v for k, v in config[study].items() if k not in ON_DEMAND_DEFAULTS}
    return {**{k: config[k] for k in ("seed", "train", "dataset")}, study: section}


#: Blocks of a study's section that shape its models, not its data.
MODEL_BLOCKS = ("models", "train", *ON_DEMAND_DEFAULTS, "generative")


def data_config(study):
    """What a study's data products (shards, splits, test sets) depend on: the global seed and
    dataset section, and the study's section without its model blocks, so retraining with other
    models or training settings (e.g. a search's best.yaml) reruns no simulation, and without
    its evaluation-set blocks (`Study.evaluation_blocks`, whose shard plans carry them).
    """
    excluded = (*MODEL_BLOCKS, *STUDIES[study].evaluation_blocks)
    section = {k: v for k, v in config[study].items() if k not in excluded}
    return {"seed": config["seed"], "dataset": config["dataset"], study: section}


def train_config(study):
    """Shared training settings, overridden key by key by the study's `train` block."""
    return STUDIES[study].train_settings()


def monitored_data(wildcards):
    """The test split where the training recipe reports test accuracy as it goes (the Galaxy10
    reference recipe; it chooses nothing by it); nothing otherwise."""
    if not train_config(wildcards.study).get("trainer"):
        return []
    return STUDIES[wildcards.study].paths.split(wildcards.variant, "test")


def dataset_config(study, variant=None):
    """Shared dataset settings, overridden key by key by the study's `dataset` block (and as
    the study splits `variant`)."""
    return STUDIES[study].dataset_settings(variant)


@functools.cache  # planned once per variant, however many jobs and input functions ask
def shard_plan(study, variant):
    """The study's shards of a variant, by shard name."""
    return {shard.name: shard for shard in STUDIES[study].shards(variant)}


def shard_paths(study, variant):
    """Source shards of a variant, as the study plans them."""
    paths = STUDIES[study].paths
    return [
        paths.shard(shard.variant, name)
        for name, shard in shard_plan(study, variant).items()
    ]


def planned_shard(wildcards):
    """The study's plan of the shard a `source_shard` job writes."""
    try:
        return shard_plan(wildcards.study, wildcards.variant)[wildcards.shard]
    except KeyError:
        raise WorkflowError(
            f"{wildcards.study} has no shard {wildcards.shard} of variant {wildcards.variant}"
        ) from None


def study_data(study):
    """Data products whose bytes a rerun must reproduce (for the manifest)."""
    s = STUDIES[study]
    return [
        *(
            path
            for variant in s.source_variants()
            for path in shard_paths(study, variant)
        ),
        *(path for variant in s.variants() for path in s.paths.dataset(variant)),
        *s.extra_data(),
    ]


def study_products(study):
    """Final products of a study (`Study.targets`) and those of its generator, if it has one."""
    return [*STUDIES[study].targets(), *generative_targets(study)]


#: Name of the generator in paths (the generate stage's one model: a DDIM-sampled diffusion model).
GENERATOR = "ddim"


def generative_config(study):
    """The study's `generative` block (None when it trains no generator)."""
    return STUDIES[study].generative_settings()


def generator_inputs(wildcards):
    """The trained generator, the variant's normalisation and test split, and the classifier
    that judges the generated maps (when the study names one)."""
    study, variant, model = wildcards.study, wildcards.variant, wildcards.model
    paths = STUDIES[study].paths
    inputs = {
        "model": paths.generator(variant, model, "model.keras"),
        "generator": paths.generator(variant, model, "generator.json"),
        **{part: paths.split(variant, part) for part in ("norm", "train", "test")},
    }
    classifier = generative_config(study)["classifier"]
    if classifier:
        inputs["classifier"] = paths.model(variant, classifier)
    return inputs


def generative_targets(study):
    """Table and figures of a study's generator (none without a `generative` block)."""
    settings = generative_config(study)
    if settings is None:
        return []
    variant, paths = settings["variant"], STUDIES[study].paths
    return [
        paths.generated_table(variant, GENERATOR, "md"),
        *(
            paths.figure(variant, GENERATOR, f"{kind}.png")
            for kind in ("generated_maps", "generated_statistics")
        ),
    ]


def study_targets(study):
    """Final outputs of a study: its products and provenance."""
    return [*study_products(study), STUDIES[study].paths.provenance()]


def training_threads(study):
    """Threads of a training or evaluation job (`train.threads`, default 1: on a CPU, two
    1-thread jobs side by side train faster than one 2-thread job after the other)."""
    return int(train_config(study).get("threads", 1))


def gpu_resources(study):
    """Resources for a training job: a GPU when config asks for one."""
    return int(train_config(study)["gpus"])


def source_shards(wildcards):
    return shard_paths(wildcards.study, wildcards.variant)


def variant_models(study, variant):
    """Models trained on a dataset variant: those whose `variants` list names it (all if unset)."""
    return STUDIES[study].variant_models(variant)


def model_config(wildcards):
    """Builder options of a model (its `variants` and `repeats` say where and how often it is
    trained)."""
    return STUDIES[wildcards.study].model_options(wildcards.model)


def evaluation_data(wildcards):
    """The test split, or the merged test set an evaluation names."""
    paths = STUDIES[wildcards.study].paths
    return paths.evaluation_data(wildcards.variant, wildcards.evalset)


def study_runs(study):
    """(variant, model) of every model a study trains."""
    return STUDIES[study].runs()


def classifier_runs(study):
    """(variant, model) of every classifier a study trains."""
    return STUDIES[study].task_runs("classification")


def classifier_predictions(wildcards):
    """Test-split predictions of every classifier of a study (for its accuracy table, ROC)."""
    paths = STUDIES[wildcards.study].paths
    return [paths.predictions(v, m) for v, m in classifier_runs(wildcards.study)]


def study_histories(wildcards):
    paths = STUDIES[wildcards.study].paths
    return [paths.model(v, m, "history.csv") for v, m in study_runs(wildcards.study)]


# Labels and losses of a study's runs, passed to report rules as params in input order.


def run_labels(runs, sep="/"):
    """Labels `<variant><sep><model>` of the (variant, model) pairs of `runs`, in order."""
    return [f"{variant}{sep}{model}" for variant, model in runs]


def run_losses(study):
    """Training loss of each run of `study_runs(study)`, in order (its variant's task's loss)."""
    return [
        STUDIES[study].run_loss(variant, model) for variant, model in study_runs(study)
    ]


# The cost table (rules/cost.smk): every trained model's recorded history and metrics.


def cost_runs(study):
    """Rows of a study's cost table (`Study.cost_runs`) and its generator's, if it has one."""
    runs = STUDIES[study].cost_runs()
    settings = generative_config(study)
    if settings is not None:
        variant, paths = settings["variant"], STUDIES[study].paths
        runs.append(
            {
                "variant": variant,
                "model": GENERATOR,
                "part": "diffusion generator",
                "history": paths.generator(variant, GENERATOR, "history.csv"),
                "metrics": paths.generator(variant, GENERATOR, "generator.json"),
            }
        )
    return runs


def cost_inputs(wildcards):
    """The histories and (once each) the metrics records the cost rows read."""
    runs = cost_runs(wildcards.study)
    metrics = [run["metrics"] for run in runs if run.get("metrics")]
    return {
        "histories": [run["history"] for run in runs],
        "metrics": list(dict.fromkeys(metrics)),
    }


# Architecture searches (rules/search.smk): on demand, never asked for by a study's targets.


def on_demand_settings(wildcards, block, what):
    """The study's `<block>.<model>` entry (`Study.on_demand_jobs`), resolved; an unknown one
    is an error naming `what` it is."""
    try:
        return STUDIES[wildcards.study].on_demand_jobs(block)[wildcards.model]
    except KeyError:
        raise WorkflowError(
            f"no {what} {wildcards.study}.{block}.{wildcards.model} in the config"
        ) from None


def variant_splits(study, variant, parts=("train", "val", "norm")):
    """Files of a variant's splits by part (`train`, `val`, `test`, `norm`)."""
    paths = STUDIES[study].paths
    return {part: paths.split(variant, part) for part in parts}


def search_settings(wildcards):
    """The study's `search.<model>` block, resolved (an unknown search is an error)."""
    return on_demand_settings(wildcards, "search", "architecture search")


def search_inputs(wildcards):
    """Train and validation splits and the normalisation of the searched variant."""
    return variant_splits(wildcards.study, search_settings(wildcards)["variant"])


def sweep_settings(wildcards):
    """The study's `sweep.<model>` block, resolved (an unknown sweep is an error)."""
    return on_demand_settings(wildcards, "sweep", "budget sweep")


def sweep_budget(wildcards):
    """The budget of a sweep point (its `{point}` folder)."""
    return STUDIES[wildcards.study].sweep_budget(wildcards.model, wildcards.point)


def sweep_variant(wildcards):
    """The variant a sweep point trains and is tested on (`Study.sweep_variant`)."""
    return STUDIES[wildcards.study].sweep_variant(
        wildcards.model, sweep_budget(wildcards)
    )


def sweep_inputs(wildcards):
    """Train and validation splits and the normalisation of the point's variant."""
    return variant_splits(wildcards.study, sweep_variant(wildcards))


def sweep_nested(wildcards):
    """(budget, seed, unit) of a point's nested training subset, one seeded order for every
    point of the sweep; None where the point trains on its whole split (a simulation sweep).
    """
    study = STUDIES[wildcards.study]
    nested = study.sweep_nested(wildcards.model, sweep_budget(wildcards))
    if nested is None:
        return None
    budget, unit = nested
    seed = study_seed(
        wildcards.study, "sweep", sweep_settings(wildcards)["variant"], bits=32
    )
    return budget, seed, unit


def sweep_test_inputs(wildcards):
    """The normalisation and the evaluation set (`data`: the test split or a fixed-parameter
    test set) a sweep's point is scored on."""
    study, variant = STUDIES[wildcards.study], sweep_variant(wildcards)
    evalsets = study.sweep_evalsets(wildcards.model)
    if wildcards.evalset not in evalsets:
        raise ValueError(
            f"{wildcards.evalset!r} is not an evaluation set of the {wildcards.model} sweep "
            f"(it has {evalsets})"
        )
    return {
        "norm": study.paths.split(variant, "norm"),
        "data": study.paths.evaluation_data(variant, wildcards.evalset),
    }


def sweep_files(wildcards, name):
    """File `name` of every point of a sweep, in the order of `Study.sweep_points`."""
    study, model = STUDIES[wildcards.study], wildcards.model
    return [
        study.paths.sweep(model, study.sweep_point(model, n), run, name)
        for n, run in study.sweep_points(model)
    ]


def sweep_metrics(wildcards):
    """The metrics of every point of a sweep, each point's evaluation sets in the order of
    `Study.sweep_evalsets`."""
    study, model = STUDIES[wildcards.study], wildcards.model
    return [
        study.paths.sweep(
            model, study.sweep_point(model, n), run, f"{name}/metrics.json"
        )
        for n, run in study.sweep_points(model)
        for name in study.sweep_evalsets(model)
    ]


def sweep_crb(wildcards):
    """`crb`: the study's Cramér–Rao bounds when its learning curve divides by them."""
    study, settings = STUDIES[wildcards.study], sweep_settings(wildcards)
    metrics = study.curve_metrics(settings["variant"], wildcards.model)
    return {"crb": study.crb_file()} if any(m.get("over_crb") for m in metrics) else {}


def sweep_histories(wildcards):
    """The training history of every point of a sweep (its epochs' wall seconds)."""
    return sweep_files(wildcards, "history.csv")


def sweep_caption(wildcards):
    """Caption of a learning curve: the data, the split and the budgets of the sweep's points."""
    study, settings = STUDIES[wildcards.study], sweep_settings(wildcards)
    axis, budgets = study.sweep_axis(wildcards.model)
    values = ", ".join(f"{n:,}" for n in budgets)
    label = study.sweep_budget_label(wildcards.model)
    if axis == SAMPLES_AXIS:
        points = f"{values} {label}"
    else:
        points = (
            f"{axis} = {values} ({label}): each point simulates its own data, split as the "
            f"variant is and trained on whole (its test split too is its own); every other "
            f"setting is the study's, described next"
        )
    return (
        f"{wildcards.model} on variant {settings['variant']}: {points}, "
        f"{settings['repeats']} training seed(s) per point. "
        f"{study.describe(settings['variant'])}"
    )
