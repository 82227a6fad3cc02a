"""Generic training and evaluation: one (GPU) job per dataset variant and model."""


rule train:
    input:
        train=PATHS.split("{variant}", "train"),
        val=PATHS.split("{variant}", "val"),
        norm=PATHS.split("{variant}", "norm"),
        monitor=monitored_data,
    output:
        model=PATHS.model("{variant}", "{model}"),
        history=PATHS.model("{variant}", "{model}", "history.csv"),
    log:
        "logs/train/{study}/{variant}/{model}.log",
    conda:
        "../envs/tf.yaml"
    threads: lambda wc: training_threads(wc.study)
    resources:
        mem_mb=8000,
        runtime=720,
        cpus_per_task=lambda wc: training_threads(wc.study),
        gpu=lambda wc: gpu_resources(wc.study),
    params:
        model_config=model_config,
        train_config=lambda wc: train_config(wc.study),
        seed=lambda wc: study_seed(wc.study, "train", wc.variant, wc.model, bits=32),
        threads=lambda wc, threads: threads,
    script:
        "../workflow_scripts/train.py"


rule evaluate:
    input:
        # a path, not rules.train.output: a study's own rule may train the model (ruleorder)
        model=PATHS.model("{variant}", "{model}"),
        norm=PATHS.split("{variant}", "norm"),
        data=evaluation_data,
    output:
        predictions=PATHS.evaluation(
            "{variant}", "{model}", "{evalset}", "predictions.h5"
        ),
        metrics=PATHS.evaluation("{variant}", "{model}", "{evalset}", "metrics.json"),
        table=PATHS.evaluation("{variant}", "{model}", "{evalset}", "metrics.csv"),
    log:
        "logs/evaluate/{study}/{variant}/{model}/{evalset}.log",
    conda:
        "../envs/tf.yaml"
    threads: lambda wc: training_threads(wc.study)
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        train_config=lambda wc: train_config(wc.study),
        seed=lambda wc: study_seed(wc.study, "evaluate", wc.variant, wc.model, bits=32),
        threads=lambda wc, threads: threads,
    script:
        "../workflow_scripts/evaluate.py"
