"""galaxy10 study (reference notebook 004): second-choice statistics and the accuracy curve.

Its targets and paths are the study's (`Galaxy10Study.targets`, `.paths`); included only when the
study is listed in `studies`.
"""

GALAXY10 = STUDIES["galaxy10"]


rule galaxy10_report:
    input:
        predictions=[GALAXY10.paths.predictions(v, m) for v, m in GALAXY10.runs()],
        histories=[
            GALAXY10.paths.model(v, m, "history.csv") for v, m in GALAXY10.runs()
        ],
    output:
        second_csv=GALAXY10.paths.table("second_choice", "csv"),
        second_md=GALAXY10.paths.table("second_choice", "md"),
        accuracy=report(
            GALAXY10.paths.figure("accuracy_vs_step.png"),
            caption="../../report/galaxy10_accuracy.rst",
            category="galaxy10",
            subcategory="Training",
        ),
    log:
        "logs/galaxy10_report/report.log",
    conda:
        "../../envs/report.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        labels=run_labels(GALAXY10.runs()),
        goal=GALAXY10.accuracy_goal(),
        caption=GALAXY10.describe(),
    script:
        "../../workflow_scripts/galaxy10_report.py"
