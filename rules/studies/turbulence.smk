"""Turbulence study (reference notebook 001): Athena++ snapshots -> FITS cubes -> shards of cubes.

Its paths, rule inputs and targets are the study's (`TurbulenceStudy`, `.paths`); included only
when the study is listed in `studies`.
"""

TURBULENCE = STUDIES["turbulence"]


if TURBULENCE.source == "surrogate":

    rule turbulence_surrogate:
        output:
            snapshots=TURBULENCE.run_snapshots("{cls}"),
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
            cells=lambda wc: TURBULENCE.simulation(TURBULENCE.point_of(wc))["cells"],
            block_cells=lambda wc: TURBULENCE.simulation(TURBULENCE.point_of(wc))[
                "block_cells"
            ],
            seeds=lambda wc, output: [
                study_seed("turbulence", "surrogate", wc.cls, i)
                for i in range(len(output))
            ],
        script:
            "../../workflow_scripts/turbulence_surrogate.py"


if TURBULENCE.source == "athena":

    rule turbulence_athena_build:
        input:
            TURBULENCE.athena_archive(),
        output:
            binary=TURBULENCE.athena_binary(),
        log:
            "logs/turbulence_athena_build/build.log",
        conda:
            "../../envs/athena.yaml"
        threads: 2
        resources:
            mem_mb=2000,
            runtime=30,
        params:
            code=TURBULENCE.settings["athena"]["code"],
            flags=TURBULENCE.athena_flags(),
            jobs=lambda wc, threads: threads,
        script:
            "../../workflow_scripts/turbulence_athena_build.py"

    rule turbulence_athena_run:
        input:
            binary=TURBULENCE.athena_binary(),
        output:
            snapshots=TURBULENCE.run_snapshots("{cls}", "{realisation}"),
        log:
            "logs/turbulence_athena_run/{cls}/r{realisation}.log",
        wildcard_constraints:
            realisation=r"\d+",
        conda:
            "../../envs/athena.yaml"
        threads: 1
        resources:
            mem_mb=4000,
            tasks=TURBULENCE.settings["athena"]["ranks"],
            runtime=lambda wc: TURBULENCE.athena_runtime_minutes(
                TURBULENCE.point_of(wc)
            ),
        params:
            athinput=lambda wc: TURBULENCE.athena_input(
                wc.cls,
                study_seed("turbulence", "athena", int(wc.realisation), bits=31),
                TURBULENCE.point_of(wc),
            ),
            tlim=lambda wc: TURBULENCE.athena_tlim(TURBULENCE.point_of(wc)),
            ranks=lambda wc, resources: resources.tasks,
        script:
            "../../workflow_scripts/turbulence_athena_run.py"

    rule turbulence_athena_validation:
        input:
            snapshots=TURBULENCE.all_snapshots(),
        output:
            figure=report(
                TURBULENCE.athena_validation_figure(),
                caption="../../report/turbulence_athena_validation.rst",
                category="turbulence",
                subcategory="Simulations",
            ),
            table_csv=TURBULENCE.athena_validation_table("csv"),
            table_md=TURBULENCE.athena_validation_table("md"),
        log:
            "logs/turbulence_athena_validation/validation.log",
        conda:
            "../../envs/report.yaml"
        threads: 1
        resources:
            mem_mb=4000,
            runtime=20,
        params:
            snapshot_classes=TURBULENCE.snapshot_classes(),
            target_mach=TURBULENCE.settings["athena"]["physics"]["mach"],
            caption=TURBULENCE.describe(),
        script:
            "../../workflow_scripts/turbulence_athena_validation.py"


rule athdf_to_fits:
    input:
        snapshot=TURBULENCE.snapshot_of,
    output:
        fits=TURBULENCE.fits_cube("{cls}", "{index}", "{variable}"),
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


# A simulation sweep's points whose runs differ from the study's (`sweep.<model>.simulation`,
# e.g. other cells): the same rules, whose params and resources follow the `point` wildcard
# (`TurbulenceStudy.point_of`), under results/turbulence/simulations/{point}/.
POINTS = "|".join(TURBULENCE.simulated_points()) or "NO_POINT"

if TURBULENCE.source == "surrogate":

    use rule turbulence_surrogate as turbulence_surrogate_point with:
        output:
            snapshots=TURBULENCE.run_snapshots("{cls}", point="{point}"),
        log:
            "logs/turbulence_surrogate/{point}/{cls}.log",
        wildcard_constraints:
            point=POINTS,


if TURBULENCE.source == "athena":

    use rule turbulence_athena_run as turbulence_athena_run_point with:
        output:
            snapshots=TURBULENCE.run_snapshots("{cls}", "{realisation}", "{point}"),
        log:
            "logs/turbulence_athena_run/{point}/{cls}/r{realisation}.log",
        wildcard_constraints:
            realisation=r"\d+",
            point=POINTS,


use rule athdf_to_fits as athdf_to_fits_point with:
    output:
        fits=TURBULENCE.fits_cube("{cls}", "{index}", "{variable}", "{point}"),
    log:
        "logs/athdf_to_fits/{point}/{cls}/{index}/{variable}.log",
    wildcard_constraints:
        index=r"\d{3}",
        point=POINTS,


rule turbulence_cubes:
    input:
        unpack(TURBULENCE.cube_inputs),
    output:
        shard=TURBULENCE.paths.shard("{variant}", "{cls}"),
    log:
        "logs/turbulence_cubes/{variant}/{cls}.log",
    conda:
        "../../envs/turbulence.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=20,
    params:
        spec=lambda wc: TURBULENCE.spec(wc.variant),
        class_index=lambda wc: TURBULENCE.class_id(wc.variant, wc.cls),
        shard_index=lambda wc: TURBULENCE.classes().index(wc.cls),
        class_names=lambda wc: TURBULENCE.class_names(wc.variant),
        config=data_config("turbulence"),
    script:
        "../../workflow_scripts/turbulence_cubes.py"


# The flattened variant (only when one is derived from a classification variant).
if TURBULENCE.flattened_source():

    ruleorder: turbulence_flatten > split_dataset

    rule turbulence_flatten:
        input:
            splits=TURBULENCE.flattened_sources(),
        output:
            train=TURBULENCE.flattened_split("train"),
            val=TURBULENCE.flattened_split("val"),
            test=TURBULENCE.flattened_split("test"),
            norm=TURBULENCE.flattened_split("norm"),
        log:
            "logs/turbulence_flatten/flatten.log",
        conda:
            "../../envs/turbulence.yaml"
        threads: 1
        resources:
            mem_mb=4000,
            runtime=20,
        params:
            image_scaling=TURBULENCE.dataset_settings()["image_scaling"],
            config=data_config("turbulence"),
        script:
            "../../workflow_scripts/turbulence_flatten.py"


# Interpretation of the classifier (only when a classification variant exists).
if TURBULENCE.interpreted_variant():

    rule turbulence_saliency:
        input:
            **TURBULENCE.interpretation_inputs(),
        output:
            figure=report(
                TURBULENCE.saliency_figure(),
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
            caption=TURBULENCE.describe(),
            per_class=TURBULENCE.settings["interpretation"]["saliency_per_class"],
            train_config=train_config("turbulence"),
            seed=study_seed("turbulence", "saliency", bits=32),
            threads=lambda wc, threads: threads,
        script:
            "../../workflow_scripts/turbulence_saliency.py"

    rule turbulence_smoothing:
        input:
            **TURBULENCE.interpretation_inputs(),
        output:
            figure=report(
                TURBULENCE.smoothing_figure(),
                caption="../../report/turbulence_smoothing.rst",
                category="turbulence",
                subcategory="Interpretation",
            ),
            table=TURBULENCE.smoothing_table(),
        log:
            "logs/turbulence_smoothing/smoothing.log",
        conda:
            "../../envs/tf.yaml"
        threads: 2
        resources:
            mem_mb=4000,
            runtime=30,
        params:
            caption=TURBULENCE.describe(),
            smoothed_class=TURBULENCE.smoothing_class(),
            sigmas=TURBULENCE.settings["interpretation"]["smoothing_sigmas"],
            train_config=train_config("turbulence"),
            seed=study_seed("turbulence", "smoothing", bits=32),
            threads=lambda wc, threads: threads,
        script:
            "../../workflow_scripts/turbulence_smoothing.py"


rule turbulence_tables:
    input:
        **TURBULENCE.tables_inputs(),
    output:
        accuracy_csv=TURBULENCE.accuracy_table("csv"),
        accuracy_md=TURBULENCE.accuracy_table("md"),
        accuracy_figure=report(
            TURBULENCE.accuracy_figure(),
            caption="../../report/turbulence_accuracy.rst",
            category="turbulence",
            subcategory="Classification",
        ),
        image2image_csv=TURBULENCE.image2image_table("csv"),
        image2image_md=TURBULENCE.image2image_table("md"),
    log:
        "logs/turbulence_tables/tables.log",
    conda:
        "../../envs/report.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        caption=TURBULENCE.describe(),
        classification_labels=run_labels(TURBULENCE.task_runs("classification")),
        image2image_labels=run_labels(TURBULENCE.task_runs("image2image")),
    script:
        "../../workflow_scripts/turbulence_tables.py"
