"""Config, paths and input functions of the GalSim study (rules in galsim.smk)."""

GALSIM = config["galsim"]
GALSIM_SETS = {**GALSIM["variants"], **GALSIM["testsets"]["sets"]}


def galsim_shards(variant):
    spec = GALSIM_SETS[variant]
    return shard_paths("galsim", variant, spec["n_samples"], GALSIM["shard_size"])


def galsim_shard_size(wildcards):
    spec = GALSIM_SETS[wildcards.variant]
    return shard_sizes(spec["n_samples"], GALSIM["shard_size"])[int(wildcards.shard)]


def galsim_eval(variant, model, evalset, name):
    return f"{RESULTS}/galsim/eval/{variant}/{model}/{evalset}/{name}"


def galsim_targets():
    variants, models = GALSIM["variants"], GALSIM["models"]
    return [
        *rules.galsim_tables.output,
        *rules.galsim_stamps.output,
        *regression_figures("galsim", variants, models),
        training_curves("galsim"),
    ]


def galsim_data():
    """Data products whose bytes a rerun must reproduce."""
    sets = GALSIM["testsets"]["sets"]
    return [
        *(shard for name in GALSIM_SETS for shard in galsim_shards(name)),
        *expand(
            f"{RESULTS}/galsim/dataset/{{variant}}/{{part}}",
            variant=GALSIM["variants"],
            part=["train.h5", "val.h5", "test.h5", "norm.json"],
        ),
        *expand(f"{RESULTS}/galsim/testsets/{{testset}}.h5", testset=sets),
    ]


STUDY_TARGETS["galsim"] = galsim_targets
STUDY_SHARDS["galsim"] = galsim_shards
STUDY_DATA["galsim"] = galsim_data
STUDY_VARIANTS["galsim"] = lambda: list(GALSIM["variants"])
