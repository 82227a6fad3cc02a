"""Cost table of every study: training seconds per epoch, inference time and parameters of every
trained model, read from what the training and evaluation jobs recorded (sim2model/stages/cost.py).
"""


rule cost_table:
    input:
        unpack(cost_inputs),
    output:
        csv=PATHS.table("cost", "csv"),
        md=PATHS.table("cost", "md"),
    log:
        "logs/cost_table/{study}.log",
    conda:
        "../envs/report.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=10,
    params:
        runs=lambda wc: cost_runs(wc.study),
        caption=lambda wc: STUDIES[wc.study].describe(),
        train_threads=lambda wc: training_threads(wc.study),
        gpus=lambda wc: gpu_resources(wc.study),
    script:
        "../workflow_scripts/cost_table.py"
