"""Generic dataset stage, shared by every study: merge shards, split, normalise on train only."""


rule split_dataset:
    input:
        shards=source_shards,
    output:
        train=PATHS.split("{variant}", "train"),
        val=PATHS.split("{variant}", "val"),
        test=PATHS.split("{variant}", "test"),
        norm=PATHS.split("{variant}", "norm"),
    log:
        "logs/split_dataset/{study}/{variant}.log",
    conda:
        "../envs/sims.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        fractions=lambda wc: dataset_config(wc.study, wc.variant)["fractions"],
        image_scaling=lambda wc: dataset_config(wc.study, wc.variant)["image_scaling"],
        label_range=lambda wc: dataset_config(wc.study, wc.variant).get("label_range"),
        balance=lambda wc: dataset_config(wc.study, wc.variant).get("balance"),
        group_by=lambda wc: dataset_config(wc.study, wc.variant).get("group_by"),
        spatial=lambda wc: dataset_config(wc.study, wc.variant).get("spatial"),
        test_rows=lambda wc: dataset_config(wc.study, wc.variant).get("test_rows"),
        seed=lambda wc: study_seed(
            wc.study, "split", STUDIES[wc.study].samples_variant(wc.variant)
        ),
        config=lambda wc: data_config(wc.study),
    script:
        "../workflow_scripts/split_dataset.py"


rule merge_testset:
    input:
        shards=source_shards,
    output:
        merged=PATHS.testset("{variant}"),
    log:
        "logs/merge_testset/{study}/{variant}.log",
    conda:
        "../envs/sims.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        config=lambda wc: data_config(wc.study),
    script:
        "../workflow_scripts/merge_testset.py"
