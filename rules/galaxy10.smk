"""galaxy10 study (reference notebook 004): second-choice statistics and the accuracy curve."""


rule galaxy10_report:
    input:
        predictions=[
            f"{RESULTS}/galaxy10/eval/{variant}/{model}/test/predictions.h5"
            for variant, model in study_runs("galaxy10")
        ],
        histories=[
            f"{RESULTS}/galaxy10/models/{variant}/{model}/history.csv"
            for variant, model in study_runs("galaxy10")
        ],
    output:
        second_csv=f"{RESULTS}/galaxy10/tables/second_choice.csv",
        second_md=f"{RESULTS}/galaxy10/tables/second_choice.md",
        accuracy=report(
            f"{RESULTS}/galaxy10/figures/accuracy_vs_step.png",
            caption="../report/galaxy10_accuracy.rst",
            category="galaxy10",
            subcategory="Training",
        ),
    log:
        "logs/galaxy10_report/report.log",
    conda:
        "../envs/report.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        labels=run_labels(study_runs("galaxy10")),
        goal=STUDIES["galaxy10"].accuracy_goal(),
        caption=STUDIES["galaxy10"].describe(),
    script:
        "../workflow_scripts/galaxy10_report.py"


rule galaxy10_download:
    output:
        data=GALAXY10_DOWNLOAD,
    log:
        "logs/galaxy10_download/download.log",
    conda:
        "../envs/download.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=60,
    params:
        **STUDIES["galaxy10"].download_options(),
    script:
        "../workflow_scripts/galaxy10_download.py"
