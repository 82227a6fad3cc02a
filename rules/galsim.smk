"""GalSim galaxy-parameter study (seed 002): source stage, Cramér–Rao bound, MLE baseline."""


rule galsim_shard:
    output:
        shard=f"{RESULTS}/galsim/shards/{{variant}}/{{shard}}.h5",
    log:
        "logs/galsim_shard/{variant}/{shard}.log",
    wildcard_constraints:
        variant="|".join(GALSIM_SETS) or "NONE",
        shard=r"\d{4}",
    conda:
        "../envs/galsim.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=60,
    params:
        settings=GALSIM,
        variant=lambda wc: wc.variant,
        shard_index=lambda wc: int(wc.shard),
        n_samples=galsim_shard_size,
        seed=lambda wc: study_seed("galsim", "shard", wc.variant, int(wc.shard)),
        config=hashed_config("galsim"),
    script:
        "../workflow_scripts/galsim_shard.py"


rule galsim_crb:
    output:
        table=f"{RESULTS}/galsim/eval/crb.csv",
    log:
        "logs/galsim_crb/crb.log",
    conda:
        "../envs/galsim.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        settings=GALSIM,
    script:
        "../workflow_scripts/galsim_crb.py"


rule galsim_baseline:
    input:
        data=f"{RESULTS}/galsim/testsets/{{testset}}.h5",
    output:
        fits=f"{RESULTS}/galsim/eval/baseline/{{testset}}.csv",
    log:
        "logs/galsim_baseline/{testset}.log",
    conda:
        "../envs/galsim.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=60,
    params:
        settings=GALSIM,
        n_fits=GALSIM["baseline_fits"],
    script:
        "../workflow_scripts/galsim_baseline.py"


rule galsim_tables:
    input:
        rmse=expand(
            galsim_eval("{variant}", "{model}", "test", "metrics.json"),
            variant=GALSIM["variants"],
            model=GALSIM["models"],
        ),
        testsets=expand(
            galsim_eval(
                GALSIM["testsets"]["model_variant"],
                "{model}",
                "{testset}",
                "predictions.h5",
            ),
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
    conda:
        "../envs/report.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../workflow_scripts/galsim_tables.py"


rule galsim_stamps:
    input:
        data=expand(
            f"{RESULTS}/galsim/dataset/{{variant}}/test.h5", variant=GALSIM["variants"]
        ),
    output:
        figure=report(
            f"{RESULTS}/galsim/figures/example_stamps.png",
            caption="../report/galsim_stamps.rst",
            category="galsim",
            subcategory="Data",
        ),
    log:
        "logs/galsim_stamps/stamps.log",
    conda:
        "../envs/report.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        pixel_scale=GALSIM["pixel_scale"],
    script:
        "../workflow_scripts/galsim_stamps.py"
