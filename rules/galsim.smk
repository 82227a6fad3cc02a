"""GalSim galaxy-parameter study (reference notebook 002): Cramér–Rao bound, MLE baseline, tables."""


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
        recipes={name: GALSIM.recipe(name) for name in GALSIM.testsets()},
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
        recipe=lambda wc: GALSIM.recipe(wc.testset),
        n_fits=GALSIM.settings["baseline_fits"],
    script:
        "../workflow_scripts/galsim_baseline.py"


# (variant, model, evalset) of each evaluation the tables read, and the test sets of the
# baseline fits: the rule builds its inputs and its params from these lists, in this order.
GALSIM_RMSE_RUNS = [
    (variant, model, "test")
    for variant in GALSIM.variants()
    for model in GALSIM.variant_models(variant)
]
GALSIM_TESTSET_RUNS = [
    (GALSIM.settings["testsets"]["model_variant"], model, testset)
    for model in GALSIM.variant_models(GALSIM.settings["testsets"]["model_variant"])
    for testset in GALSIM.testsets()
]
GALSIM_BASELINE_SETS = GALSIM.testsets()


rule galsim_tables:
    input:
        rmse=[galsim_eval(*run, "metrics.json") for run in GALSIM_RMSE_RUNS],
        testsets=[galsim_eval(*run, "predictions.h5") for run in GALSIM_TESTSET_RUNS],
        baseline=[
            f"{RESULTS}/galsim/eval/baseline/{testset}.csv"
            for testset in GALSIM_BASELINE_SETS
        ],
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
    params:
        caption=GALSIM.describe(),
        rmse_runs=GALSIM_RMSE_RUNS,
        testset_runs=GALSIM_TESTSET_RUNS,
        baseline_sets=GALSIM_BASELINE_SETS,
    script:
        "../workflow_scripts/galsim_tables.py"


rule galsim_stamps:
    input:
        data=[
            f"{RESULTS}/galsim/dataset/{variant}/test.h5"
            for variant in GALSIM.variants()
        ],
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
        caption=GALSIM.describe(),
        variants=GALSIM.variants(),
        pixel_scale=GALSIM.settings["pixel_scale"],
    script:
        "../workflow_scripts/galsim_stamps.py"
