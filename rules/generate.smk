"""Generic generate stage: a class-conditional diffusion model of the maps of a study's
classification variant, for every study with a `generative` block (sim2model/stages/generate.py).
"""


rule train_generator:
    input:
        train=PATHS.split("{variant}", "train"),
        val=PATHS.split("{variant}", "val"),
        norm=PATHS.split("{variant}", "norm"),
    output:
        model=PATHS.generator("{variant}", "{model}", "model.keras"),
        generator=PATHS.generator("{variant}", "{model}", "generator.json"),
        history=PATHS.generator("{variant}", "{model}", "history.csv"),
    log:
        "logs/train_generator/{study}/{variant}/{model}.log",
    conda:
        "../envs/tf.yaml"
    threads: lambda wc: training_threads(wc.study)
    resources:
        mem_mb=8000,
        runtime=720,
        cpus_per_task=lambda wc: training_threads(wc.study),
        gpu=lambda wc: gpu_resources(wc.study),
    params:
        settings=lambda wc: generative_config(wc.study),
        train_config=lambda wc: train_config(wc.study),
        seed=lambda wc: study_seed(wc.study, "generator", wc.variant, wc.model, bits=32),
        threads=lambda wc, threads: threads,
    script:
        "../workflow_scripts/train_generator.py"


rule generate_maps:
    input:
        unpack(generator_inputs),
    output:
        generated=PATHS.generated("{variant}", "{model}"),
        csv=PATHS.generated_table("{variant}", "{model}", "csv"),
    log:
        "logs/generate_maps/{study}/{variant}/{model}.log",
    conda:
        "../envs/tf.yaml"
    threads: lambda wc: training_threads(wc.study)
    resources:
        mem_mb=4000,
        runtime=120,
        cpus_per_task=lambda wc: training_threads(wc.study),
        gpu=lambda wc: gpu_resources(wc.study),
    params:
        settings=lambda wc: generative_config(wc.study),
        train_config=lambda wc: train_config(wc.study),
        config=lambda wc: hashed_config(wc.study),
        seed=lambda wc: study_seed(wc.study, "generate", wc.variant, wc.model, bits=32),
        threads=lambda wc, threads: threads,
    script:
        "../workflow_scripts/generate_maps.py"


rule generative_report:
    input:
        generated=rules.generate_maps.output.generated,
        metrics=rules.generate_maps.output.csv,
        test=PATHS.split("{variant}", "test"),
    output:
        md=PATHS.generated_table("{variant}", "{model}", "md"),
        grid=report(
            PATHS.figure("{variant}", "{model}", "generated_maps.png"),
            caption="../report/generated_maps.rst",
            category="{study}",
            subcategory="{variant} / {model}",
        ),
        statistics=report(
            PATHS.figure("{variant}", "{model}", "generated_statistics.png"),
            caption="../report/generated_statistics.rst",
            category="{study}",
            subcategory="{variant} / {model}",
        ),
    log:
        "logs/generative_report/{study}/{variant}/{model}.log",
    conda:
        "../envs/report.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        caption=lambda wc: STUDIES[wc.study].describe(),
        test_where=lambda wc: generative_config(wc.study)["test_where"],
        per_class=lambda wc: generative_config(wc.study)["per_class_shown"],
    script:
        "../workflow_scripts/generative_report.py"
