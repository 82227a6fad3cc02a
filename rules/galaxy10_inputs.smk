"""Config, paths and input functions of the galaxy10 study (rules in galaxy10.smk)."""

GAL10 = config["galaxy10"]
GAL10_SOURCE = GAL10["source"]


def galaxy10_source_path():
    """The user's Galaxy10 file (sources h5 and pickle), checked to exist."""
    path = GAL10[GAL10_SOURCE]["path"]
    if not path or not Path(path).is_file():
        raise WorkflowError(
            f"config galaxy10.{GAL10_SOURCE}.path: no such file {path!r}"
        )
    return path


def galaxy10_shards(variant):
    if GAL10_SOURCE == "render":
        spec = GAL10["render"]
        return shard_paths("galaxy10", variant, spec["n_samples"], spec["shard_size"])
    galaxy10_source_path()
    return [f"{RESULTS}/galaxy10/shards/{variant}/0000.h5"]


def galaxy10_source_files(wildcards):
    return [] if GAL10_SOURCE == "render" else [galaxy10_source_path()]


def galaxy10_data():
    """Data products whose bytes a rerun must reproduce."""
    return [
        *galaxy10_shards(GAL10_SOURCE),
        *expand(
            f"{RESULTS}/galaxy10/dataset/{GAL10_SOURCE}/{{part}}",
            part=["train.h5", "val.h5", "test.h5", "norm.json"],
        ),
    ]


def galaxy10_targets():
    models = variant_models("galaxy10", GAL10_SOURCE)
    return [
        *(
            path
            for model in models
            for path in classification_figures("galaxy10", GAL10_SOURCE, model)
        ),
        *expand(
            f"{RESULTS}/galaxy10/figures/{GAL10_SOURCE}/{{model}}/examples.png",
            model=models,
        ),
        *classification_summary("galaxy10"),
        training_curves("galaxy10"),
    ]


STUDY_TARGETS["galaxy10"] = galaxy10_targets
STUDY_SHARDS["galaxy10"] = galaxy10_shards
STUDY_DATA["galaxy10"] = galaxy10_data
STUDY_VARIANTS["galaxy10"] = lambda: [GAL10_SOURCE]
