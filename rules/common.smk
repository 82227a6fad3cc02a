"""Paths, seeds and config helpers shared by every rule."""

import math
import sys

from snakemake.exceptions import WorkflowError

# Rules import the library for derived seeds; jobs find it beside their entry scripts.
sys.path.insert(0, str(Path(workflow.basedir) / "workflow_scripts"))

from sim2model.seeding import derive_seed

RESULTS = "results"
STUDY_TARGETS = {}  # study -> function returning its final outputs
STUDY_SHARDS = {}  # study -> function(variant) returning its source shards
STUDY_DATA = {}  # study -> function returning its data products (for the manifest)
STUDY_VARIANTS = {}  # study -> function returning its trained dataset variants


def study_config(study):
    """The study's config section."""
    return config[study]


def study_seed(study, *keys, bits=63):
    """Seed derived from the global seed, the study and ``keys``."""
    return derive_seed(config["seed"], study, *keys, bits=bits)


def hashed_config(study):
    """What a study's outputs depend on: global seed and sections, and the study's own section."""
    return {k: config[k] for k in ("seed", "train", "dataset", study)}


def dataset_config(study):
    """Shared dataset settings, overridden key by key by the study's `dataset` block."""
    return {**config["dataset"], **study_config(study).get("dataset", {})}


def train_config(study):
    """Shared training settings, overridden key by key by the study's `train` block."""
    return {**config["train"], **study_config(study).get("train", {})}


def n_shards(n_samples, shard_size):
    return math.ceil(n_samples / shard_size)


def shard_sizes(n_samples, shard_size):
    """Samples in each shard: all full but possibly the last."""
    count = n_shards(n_samples, shard_size)
    return [min(shard_size, n_samples - i * shard_size) for i in range(count)]


def shard_paths(study, variant, n_samples, shard_size):
    return [
        f"{RESULTS}/{study}/shards/{variant}/{i:04d}.h5"
        for i in range(n_shards(n_samples, shard_size))
    ]


def study_targets(study):
    """Final outputs of a study: its products (registered by its rules file) and provenance."""
    return [*STUDY_TARGETS[study](), f"{RESULTS}/{study}/provenance.json"]


def gpu_resources(study):
    """Resources for a training job: a GPU when config asks for one."""
    return int(train_config(study)["gpus"])


def source_shards(wildcards):
    return STUDY_SHARDS[wildcards.study](wildcards.variant)


def variant_models(study, variant):
    """Models trained on a dataset variant: those whose `variants` list names it (all if unset)."""
    return [
        name
        for name, settings in study_config(study)["models"].items()
        if variant in settings.get("variants", [variant])
    ]


def model_config(wildcards):
    """Builder options of a model (its `variants` list only says where it is trained)."""
    settings = study_config(wildcards.study)["models"][wildcards.model]
    return {key: value for key, value in settings.items() if key != "variants"}


def evaluation_data(wildcards):
    if wildcards.evalset == "test":
        return f"{RESULTS}/{wildcards.study}/dataset/{wildcards.variant}/test.h5"
    return f"{RESULTS}/{wildcards.study}/testsets/{wildcards.evalset}.h5"


def regression_figures(study, variants, models):
    return expand(
        f"{RESULTS}/{study}/figures/{{variant}}/{{model}}/{{kind}}.png",
        variant=variants,
        model=models,
        kind=["true_vs_predicted", "error_histograms"],
    )


def classification_figures(study, variant, model):
    return [f"{RESULTS}/{study}/figures/{variant}/{model}/confusion_matrix.png"]


def image2image_figures(study, variant, model):
    return expand(
        f"{RESULTS}/{study}/figures/{variant}/{model}/{{kind}}.png",
        kind=["image_panels", "power_spectra"],
    )


def classification_summary(study):
    """Accuracy table (all classifiers of a study) and the example grid of image studies."""
    return [
        f"{RESULTS}/{study}/tables/classification.csv",
        f"{RESULTS}/{study}/tables/classification.md",
    ]


def study_runs(study):
    """(variant, model) of every model a study trains."""
    return [
        (variant, model)
        for variant in STUDY_VARIANTS[study]()
        for model in variant_models(study, variant)
    ]


def study_predictions(wildcards):
    """Test-split predictions of every (variant, model) of a study."""
    return [
        f"{RESULTS}/{wildcards.study}/eval/{variant}/{model}/test/predictions.h5"
        for variant, model in study_runs(wildcards.study)
    ]


def training_curves(study):
    return f"{RESULTS}/{study}/figures/training_curves.png"


def study_histories(wildcards):
    return [
        f"{RESULTS}/{wildcards.study}/models/{variant}/{model}/history.csv"
        for variant, model in study_runs(wildcards.study)
    ]
