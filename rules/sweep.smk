"""Budget sweeps, on demand (no study target asks for them).

Retrains a model at growing budgets and draws the learning curve, e.g.
`snakemake results/galsim/tables/learning_curve/xception.md`. A budget is a number of training
samples (nested subsets of one variant's training split, folders `n<samples>`) or, for a study
with simulation settings (`Study.simulation_settings`), one setting's value (folders
`<setting><value>`: the study's own rules simulate and split that point's data). Each point is
scored on its test split (and the study's fixed-parameter test sets, `Study.sweep_evalsets`).
Every point is its own job: points run in parallel, and growing the sweep trains only the new
points.
"""


wildcard_constraints:
    point=r"[a-z_]+\d+",


rule sweep_train:
    input:
        unpack(sweep_inputs),
    output:
        model=PATHS.sweep("{model}", "{point}", "{run}", "model.keras"),
        history=PATHS.sweep("{model}", "{point}", "{run}", "history.csv"),
    log:
        "logs/sweep_train/{study}/{model}/{point}/{run}.log",
    conda:
        "../envs/tf.yaml"
    threads: lambda wc: training_threads(wc.study)
    resources:
        mem_mb=8000,
        runtime=720,
        cpus_per_task=lambda wc: training_threads(wc.study),
        gpu=lambda wc: gpu_resources(wc.study),
    params:
        model_config=lambda wc: STUDIES[wc.study].model_options(wc.model),
        train_config=lambda wc: STUDIES[wc.study].sweep_train_settings(wc.model),
        nested=sweep_nested,
        seed=lambda wc: study_seed(wc.study, "sweep", wc.model, wc.run, bits=32),
        threads=lambda wc, threads: threads,
    script:
        "../workflow_scripts/sweep_train.py"


rule sweep_evaluate:
    input:
        unpack(sweep_test_inputs),
        model=PATHS.sweep("{model}", "{point}", "{run}", "model.keras"),
    output:
        predictions=PATHS.sweep(
            "{model}", "{point}", "{run}", "{evalset}/predictions.h5"
        ),
        metrics=PATHS.sweep("{model}", "{point}", "{run}", "{evalset}/metrics.json"),
        table=PATHS.sweep("{model}", "{point}", "{run}", "{evalset}/metrics.csv"),
    log:
        "logs/sweep_evaluate/{study}/{model}/{point}/{run}/{evalset}.log",
    conda:
        "../envs/tf.yaml"
    threads: lambda wc: training_threads(wc.study)
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        train_config=lambda wc: STUDIES[wc.study].sweep_train_settings(wc.model),
        seed=lambda wc: study_seed(
            wc.study, "evaluate", "sweep", wc.model, wc.evalset, bits=32
        ),
        threads=lambda wc, threads: threads,
    script:
        "../workflow_scripts/sweep_evaluate.py"


rule learning_curve:
    input:
        unpack(sweep_crb),
        metrics=sweep_metrics,
        histories=sweep_histories,
    output:
        table_csv=PATHS.learning_curve("{model}", "csv"),
        table_md=PATHS.learning_curve("{model}", "md"),
        figure=report(
            PATHS.learning_curve("{model}", "png"),
            caption="../report/learning_curve.rst",
            category="{study}",
            subcategory="Learning curves",
        ),
    log:
        "logs/learning_curve/{study}/{model}.log",
    conda:
        "../envs/report.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        budgets=lambda wc: [n for n, _ in STUDIES[wc.study].sweep_points(wc.model)],
        runs=lambda wc: [run for _, run in STUDIES[wc.study].sweep_points(wc.model)],
        evalsets=lambda wc: STUDIES[wc.study].sweep_evalsets(wc.model),
        curve_metrics=lambda wc: STUDIES[wc.study].curve_metrics(
            sweep_settings(wc)["variant"], wc.model
        ),
        caption=lambda wc: sweep_caption(wc),
        budget_label=lambda wc: STUDIES[wc.study].sweep_budget_label(wc.model),
    script:
        "../workflow_scripts/learning_curve.py"
