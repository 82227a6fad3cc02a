"""Turbulence study (reference notebook 001): Athena++ snapshots -> FITS cubes -> shards of cubes.

Its paths, rule inputs and targets are the study's (`TurbulenceStudy`, `.paths`); included only
when the study is listed in `studies`.
"""

TURB = STUDIES["turbulence"]


if TURB.source == "surrogate":

    rule turbulence_surrogate:
        output:
            snapshots=TURB.run_snapshots("{cls}"),
        log:
            "logs/turbulence_surrogate/{cls}.log",
        conda:
            "../../envs/turbulence.yaml"
        threads: 1
        resources:
            mem_mb=2000,
            runtime=30,
        params:
            transport=lambda wc: wc.cls,
            cells=TURB.settings["surrogate"]["cells"],
            block_cells=TURB.settings["surrogate"]["block_cells"],
            seeds=lambda wc, output: [
                study_seed("turbulence", "surrogate", wc.cls, i)
                for i in range(len(output))
            ],
        script:
            "../../workflow_scripts/turbulence_surrogate.py"


if TURB.source == "athena":

    rule turbulence_athena_build:
        input:
            TURB.athena_archive(),
        output:
            binary=TURB.athena_binary(),
        log:
            "logs/turbulence_athena_build/build.log",
        conda:
            "../../envs/athena.yaml"
        threads: 2
        resources:
            mem_mb=2000,
            runtime=30,
        params:
            code=TURB.settings["athena"]["code"],
            flags=TURB.athena_flags(),
            jobs=lambda wc, threads: threads,
        script:
            "../../workflow_scripts/turbulence_athena_build.py"

    rule turbulence_athena_run:
        input:
            binary=TURB.athena_binary(),
        output:
            snapshots=TURB.run_snapshots("{cls}", "{realisation}"),
        log:
            "logs/turbulence_athena_run/{cls}/r{realisation}.log",
        wildcard_constraints:
            realisation=r"\d+",
        conda:
            "../../envs/athena.yaml"
        threads: 1
        resources:
            mem_mb=4000,
            tasks=TURB.settings["athena"]["ranks"],
            runtime=TURB.athena_runtime_minutes(),
        params:
            athinput=lambda wc: TURB.athena_input(
                wc.cls,
                study_seed("turbulence", "athena", int(wc.realisation), bits=31),
            ),
            tlim=TURB.athena_tlim(),
            ranks=lambda wc, resources: resources.tasks,
        script:
            "../../workflow_scripts/turbulence_athena_run.py"

    rule turbulence_athena_validation:
        input:
            snapshots=TURB.all_snapshots(),
        output:
            figure=report(
                TURB.athena_validation_figure(),
                caption="../../report/turbulence_athena_validation.rst",
                category="turbulence",
                subcategory="Simulations",
            ),
            table_csv=TURB.athena_validation_table("csv"),
            table_md=TURB.athena_validation_table("md"),
        log:
            "logs/turbulence_athena_validation/validation.log",
        conda:
            "../../envs/report.yaml"
        threads: 1
        resources:
            mem_mb=4000,
            runtime=20,
        params:
            snapshot_classes=TURB.snapshot_classes(),
            target_mach=TURB.settings["athena"]["physics"]["mach"],
            caption=TURB.describe(),
        script:
            "../../workflow_scripts/turbulence_athena_validation.py"


rule athdf_to_fits:
    input:
        snapshot=TURB.snapshot_of,
    output:
        fits=TURB.fits_cube("{cls}", "{index}", "{variable}"),
    log:
        "logs/athdf_to_fits/{cls}/{index}/{variable}.log",
    wildcard_constraints:
        index=r"\d{3}",
    conda:
        "../../envs/turbulence.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=20,
    params:
        variable=lambda wc: wc.variable,
    script:
        "../../workflow_scripts/athdf_to_fits.py"


rule turbulence_cubes:
    input:
        unpack(TURB.cube_inputs),
    output:
        shard=TURB.paths.shard("{variant}", "{cls}"),
    log:
        "logs/turbulence_cubes/{variant}/{cls}.log",
    conda:
        "../../envs/turbulence.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=20,
    params:
        spec=lambda wc: TURB.spec(wc.variant),
        class_index=lambda wc: TURB.class_id(wc.variant, wc.cls),
        shard_index=lambda wc: TURB.classes().index(wc.cls),
        class_names=lambda wc: TURB.class_names(wc.variant),
        config=data_config("turbulence"),
    script:
        "../../workflow_scripts/turbulence_cubes.py"


# The flattened variant (only when one is derived from a classification variant).
if TURB.flattened_source():

    ruleorder: turbulence_flatten > split_dataset

    rule turbulence_flatten:
        input:
            splits=TURB.flattened_sources(),
        output:
            train=TURB.flattened_split("train"),
            val=TURB.flattened_split("val"),
            test=TURB.flattened_split("test"),
            norm=TURB.flattened_split("norm"),
        log:
            "logs/turbulence_flatten/flatten.log",
        conda:
            "../../envs/turbulence.yaml"
        threads: 1
        resources:
            mem_mb=4000,
            runtime=20,
        params:
            image_scaling=TURB.dataset_settings()["image_scaling"],
            config=data_config("turbulence"),
        script:
            "../../workflow_scripts/turbulence_flatten.py"


# Interpretation of the classifier (only when a classification variant exists).
if TURB.interpreted_variant():

    rule turbulence_saliency:
        input:
            **TURB.interpretation_inputs(),
        output:
            figure=report(
                TURB.saliency_figure(),
                caption="../../report/turbulence_saliency.rst",
                category="turbulence",
                subcategory="Interpretation",
            ),
        log:
            "logs/turbulence_saliency/saliency.log",
        conda:
            "../../envs/tf.yaml"
        threads: 2
        resources:
            mem_mb=4000,
            runtime=30,
        params:
            caption=TURB.describe(),
            per_class=TURB.settings["interpretation"]["saliency_per_class"],
            train_config=train_config("turbulence"),
            seed=study_seed("turbulence", "saliency", bits=32),
            threads=lambda wc, threads: threads,
        script:
            "../../workflow_scripts/turbulence_saliency.py"

    rule turbulence_smoothing:
        input:
            **TURB.interpretation_inputs(),
        output:
            figure=report(
                TURB.smoothing_figure(),
                caption="../../report/turbulence_smoothing.rst",
                category="turbulence",
                subcategory="Interpretation",
            ),
            table=TURB.smoothing_table(),
        log:
            "logs/turbulence_smoothing/smoothing.log",
        conda:
            "../../envs/tf.yaml"
        threads: 2
        resources:
            mem_mb=4000,
            runtime=30,
        params:
            caption=TURB.describe(),
            smoothed_class=TURB.smoothing_class(),
            sigmas=TURB.settings["interpretation"]["smoothing_sigmas"],
            train_config=train_config("turbulence"),
            seed=study_seed("turbulence", "smoothing", bits=32),
            threads=lambda wc, threads: threads,
        script:
            "../../workflow_scripts/turbulence_smoothing.py"


rule turbulence_tables:
    input:
        **TURB.tables_inputs(),
    output:
        accuracy_csv=TURB.accuracy_table("csv"),
        accuracy_md=TURB.accuracy_table("md"),
        accuracy_figure=report(
            TURB.accuracy_figure(),
            caption="../../report/turbulence_accuracy.rst",
            category="turbulence",
            subcategory="Classification",
        ),
        image2image_csv=TURB.image2image_table("csv"),
        image2image_md=TURB.image2image_table("md"),
    log:
        "logs/turbulence_tables/tables.log",
    conda:
        "../../envs/report.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        caption=TURB.describe(),
        classification_labels=run_labels(TURB.task_runs("classification")),
        image2image_labels=run_labels(TURB.task_runs("image2image")),
    script:
        "../../workflow_scripts/turbulence_tables.py"
