"""GalSim galaxy-parameter study (seed 002): source stage, Cramér–Rao bound, MLE baseline."""

GALSIM = config["galsim"]
GALSIM_SETS = {**GALSIM["variants"], **GALSIM["testsets"]["sets"]}


def galsim_shards(variant):
    spec = GALSIM_SETS[variant]
    return shard_paths("galsim", variant, spec["n_samples"], GALSIM["shard_size"])


def galsim_shard_size(wildcards):
    spec = GALSIM_SETS[wildcards.variant]
    return shard_sizes(spec["n_samples"], GALSIM["shard_size"])[int(wildcards.shard)]


rule galsim_shard:
    output:
        shard=f"{RESULTS}/galsim/shards/{{variant}}/{{shard}}.h5",
    wildcard_constraints:
        variant="|".join(GALSIM_SETS) or "NONE",
        shard=r"\d{4}",
    params:
        settings=GALSIM,
        variant=lambda wc: wc.variant,
        shard_index=lambda wc: int(wc.shard),
        n_samples=galsim_shard_size,
        seed=lambda wc: study_seed("galsim", "shard", wc.variant, int(wc.shard)),
        config=hashed_config("galsim"),
    log:
        "logs/galsim_shard/{variant}/{shard}.log",
    threads: 1
    resources:
        mem_mb=2000,
        runtime=60,
    conda:
        "../envs/galsim.yaml"
    script:
        "../workflow_scripts/galsim_shard.py"


rule galsim_crb:
    output:
        table=f"{RESULTS}/galsim/eval/crb.csv",
    params:
        settings=GALSIM,
    log:
        "logs/galsim_crb/crb.log",
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    conda:
        "../envs/galsim.yaml"
    script:
        "../workflow_scripts/galsim_crb.py"


rule galsim_baseline:
    input:
        data=f"{RESULTS}/galsim/testsets/{{testset}}.h5",
    output:
        fits=f"{RESULTS}/galsim/eval/baseline/{{testset}}.csv",
    params:
        settings=GALSIM,
        n_fits=GALSIM["baseline_fits"],
    log:
        "logs/galsim_baseline/{testset}.log",
    threads: 1
    resources:
        mem_mb=1000,
        runtime=60,
    conda:
        "../envs/galsim.yaml"
    script:
        "../workflow_scripts/galsim_baseline.py"


def galsim_eval(variant, model, evalset, name):
    return f"{RESULTS}/galsim/eval/{variant}/{model}/{evalset}/{name}"


rule galsim_tables:
    input:
        rmse=expand(
            galsim_eval("{variant}", "{model}", "test", "metrics.json"),
            variant=GALSIM["variants"],
            model=GALSIM["models"],
        ),
        testsets=expand(
            galsim_eval(GALSIM["testsets"]["model_variant"], "{model}", "{testset}", "predictions.h5"),
            model=GALSIM["models"],
            testset=GALSIM["testsets"]["sets"],
        ),
        baseline=expand(
            f"{RESULTS}/galsim/eval/baseline/{{testset}}.csv",
            testset=GALSIM["testsets"]["sets"],
        ),
        crb=rules.galsim_crb.output.table,
    output:
        rmse_csv=f"{RESULTS}/galsim/tables/rmse.csv",
        rmse_md=f"{RESULTS}/galsim/tables/rmse.md",
        crb_csv=f"{RESULTS}/galsim/tables/crb_comparison.csv",
        crb_md=f"{RESULTS}/galsim/tables/crb_comparison.md",
        crb_figure=report(
            f"{RESULTS}/galsim/figures/crb_comparison.png",
            caption="../report/galsim_crb.rst",
            category="galsim",
            subcategory="Cramér–Rao comparison",
        ),
    log:
        "logs/galsim_tables/tables.log",
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    conda:
        "../envs/report.yaml"
    script:
        "../workflow_scripts/galsim_tables.py"


rule galsim_stamps:
    input:
        data=expand(f"{RESULTS}/galsim/dataset/{{variant}}/test.h5", variant=GALSIM["variants"]),
    output:
        figure=report(
            f"{RESULTS}/galsim/figures/example_stamps.png",
            caption="../report/galsim_stamps.rst",
            category="galsim",
            subcategory="Data",
        ),
    params:
        pixel_scale=GALSIM["pixel_scale"],
    log:
        "logs/galsim_stamps/stamps.log",
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    conda:
        "../envs/report.yaml"
    script:
        "../workflow_scripts/galsim_stamps.py"


def galsim_targets():
    variants, models = GALSIM["variants"], GALSIM["models"]
    return [
        rules.galsim_tables.output,
        rules.galsim_stamps.output,
        regression_figures("galsim", variants, models),
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
