"""Architecture search, on demand (no study target asks for it).

Tunes a model's builder options on a subset of a variant's splits, e.g.
`snakemake results/galsim/search/xception/best.yaml`.
"""


rule architecture_search:
    input:
        unpack(search_inputs),
    output:
        best=PATHS.search("{model}", "best.yaml"),
        trials=PATHS.search("{model}", "trials.csv"),
    log:
        "logs/architecture_search/{study}/{model}.log",
    conda:
        "../envs/tf.yaml"
    threads: lambda wc: training_threads(wc.study)
    resources:
        mem_mb=8000,
        runtime=1440,
        cpus_per_task=lambda wc: training_threads(wc.study),
        gpu=lambda wc: gpu_resources(wc.study),
    params:
        study=lambda wc: wc.study,
        model=lambda wc: wc.model,
        variant=lambda wc: search_settings(wc)["variant"],
        model_config=model_config,
        train_config=lambda wc: train_config(wc.study),
        search_config=search_settings,
        seed=lambda wc: study_seed(wc.study, "search", wc.model, bits=32),
        threads=lambda wc, threads: threads,
    script:
        "../workflow_scripts/architecture_search.py"
