"""The reference notebook's numbers beside ours: tables/reference_comparison.{csv,md} of every
study that declares reference numbers (`Study.reference_numbers`)."""

from sim2model.reference_numbers import TABLE as REFERENCE_TABLE
from sim2model.reference_numbers import metrics_files, train_splits


rule reference_comparison:
    input:
        # one entry per reference number, in order: its run's metrics and its variant's train split
        metrics=lambda wc: metrics_files(
            STUDIES[wc.study].reference_numbers(), STUDIES[wc.study].paths
        ),
        train=lambda wc: train_splits(
            STUDIES[wc.study].reference_numbers(), STUDIES[wc.study].paths
        ),
    output:
        csv=PATHS.table(REFERENCE_TABLE, "csv"),
        md=PATHS.table(REFERENCE_TABLE, "md"),
    log:
        "logs/reference_comparison/{study}.log",
    conda:
        "../envs/report.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=10,
    params:
        numbers=lambda wc: [n.as_dict() for n in STUDIES[wc.study].reference_numbers()],
        caption=lambda wc: STUDIES[wc.study].describe(),
    script:
        "../workflow_scripts/reference_comparison.py"
