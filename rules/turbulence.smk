"""Turbulence study (reference notebook 001): Athena++ snapshots -> FITS cubes -> shards of cubes."""


ruleorder: turbulence_flatten > split_dataset


if TURB.source == "surrogate":

    rule turbulence_surrogate:
        output:
            snapshots=[
                f"{RESULTS}/turbulence/athdf/{{cls}}/{{cls}}.out2.{i:05d}.athdf"
                for i in range(TURB.surrogate_snapshots())
            ],
        log:
            "logs/turbulence_surrogate/{cls}.log",
        conda:
            "../envs/turbulence.yaml"
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
            "../workflow_scripts/turbulence_surrogate.py"


if TURB.source == "athena":

    rule turbulence_athena_build:
        input:
            turbulence_athena_archive(),
        output:
            binary=TURB_ATHENA_BINARY,
        log:
            "logs/turbulence_athena_build/build.log",
        conda:
            "../envs/athena.yaml"
        threads: 2
        resources:
            mem_mb=2000,
            runtime=30,
        params:
            code=TURB.settings["athena"]["code"],
            flags=TURB.athena_flags(),
            jobs=lambda wc, threads: threads,
        script:
            "../workflow_scripts/turbulence_athena_build.py"

    rule turbulence_athena_run:
        input:
            binary=TURB_ATHENA_BINARY,
        output:
            snapshots=[
                f"{TURB_ATHENA_RUNS}/{{cls}}/r{{realisation}}/{{cls}}.out2.{i:05d}.athdf"
                for i in range(TURB.athena_snapshots())
            ],
        log:
            "logs/turbulence_athena_run/{cls}/r{realisation}.log",
        wildcard_constraints:
            realisation=r"\d+",
        conda:
            "../envs/athena.yaml"
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
            "../workflow_scripts/turbulence_athena_run.py"

    rule turbulence_athena_validation:
        input:
            snapshots=[s for cls in TURB.classes() for s in turbulence_snapshots(cls)],
        output:
            figure=report(
                f"{RESULTS}/turbulence/figures/athena_validation.png",
                caption="../report/turbulence_athena_validation.rst",
                category="turbulence",
                subcategory="Simulations",
            ),
            table_csv=f"{RESULTS}/turbulence/tables/athena_validation.csv",
            table_md=f"{RESULTS}/turbulence/tables/athena_validation.md",
        log:
            "logs/turbulence_athena_validation/validation.log",
        conda:
            "../envs/report.yaml"
        threads: 1
        resources:
            mem_mb=4000,
            runtime=20,
        params:
            snapshot_classes=[
                cls for cls in TURB.classes() for _ in turbulence_snapshots(cls)
            ],
            target_mach=TURB.settings["athena"]["physics"]["mach"],
            caption=TURB.describe(),
        script:
            "../workflow_scripts/turbulence_athena_validation.py"


rule athdf_to_fits:
    input:
        snapshot=lambda wc: turbulence_snapshots(wc.cls)[int(wc.index)],
    output:
        fits=f"{RESULTS}/turbulence/fits/{{cls}}/s{{index}}/{{variable}}.fits",
    log:
        "logs/athdf_to_fits/{cls}/{index}/{variable}.log",
    wildcard_constraints:
        index=r"\d{3}",
    conda:
        "../envs/turbulence.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=20,
    params:
        variable=lambda wc: wc.variable,
    script:
        "../workflow_scripts/athdf_to_fits.py"


rule turbulence_cubes:
    input:
        unpack(turbulence_cube_inputs),
    output:
        shard=f"{RESULTS}/turbulence/shards/{{variant}}/{{cls}}.h5",
    log:
        "logs/turbulence_cubes/{variant}/{cls}.log",
    conda:
        "../envs/turbulence.yaml"
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
        "../workflow_scripts/turbulence_cubes.py"


rule turbulence_flatten:
    input:
        splits=expand(
            f"{RESULTS}/turbulence/dataset/{TURB.flattened_source()}/{{part}}.h5",
            part=["train", "val", "test"],
        ),
    output:
        train=f"{RESULTS}/turbulence/dataset/{TURB_FLATTENED}/train.h5",
        val=f"{RESULTS}/turbulence/dataset/{TURB_FLATTENED}/val.h5",
        test=f"{RESULTS}/turbulence/dataset/{TURB_FLATTENED}/test.h5",
        norm=f"{RESULTS}/turbulence/dataset/{TURB_FLATTENED}/norm.json",
    log:
        "logs/turbulence_flatten/flatten.log",
    conda:
        "../envs/turbulence.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=20,
    params:
        image_scaling=TURB.dataset_settings()["image_scaling"],
        config=data_config("turbulence"),
    script:
        "../workflow_scripts/turbulence_flatten.py"


# Interpretation of the classifier (only when a classification variant exists).
if TURB_CLASSIFY:

    rule turbulence_saliency:
        input:
            model=f"{RESULTS}/turbulence/models/{TURB_CLASSIFY}/{TURB.interpreted_model()}/model.keras",
            norm=f"{RESULTS}/turbulence/dataset/{TURB_CLASSIFY}/norm.json",
            data=f"{RESULTS}/turbulence/dataset/{TURB_CLASSIFY}/test.h5",
        output:
            figure=report(
                f"{RESULTS}/turbulence/figures/saliency.png",
                caption="../report/turbulence_saliency.rst",
                category="turbulence",
                subcategory="Interpretation",
            ),
        log:
            "logs/turbulence_saliency/saliency.log",
        conda:
            "../envs/tf.yaml"
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
            "../workflow_scripts/turbulence_saliency.py"

    rule turbulence_smoothing:
        input:
            model=f"{RESULTS}/turbulence/models/{TURB_CLASSIFY}/{TURB.interpreted_model()}/model.keras",
            norm=f"{RESULTS}/turbulence/dataset/{TURB_CLASSIFY}/norm.json",
            data=f"{RESULTS}/turbulence/dataset/{TURB_CLASSIFY}/test.h5",
        output:
            figure=report(
                f"{RESULTS}/turbulence/figures/smoothing.png",
                caption="../report/turbulence_smoothing.rst",
                category="turbulence",
                subcategory="Interpretation",
            ),
            table=f"{RESULTS}/turbulence/tables/smoothing_fractions.csv",
        log:
            "logs/turbulence_smoothing/smoothing.log",
        conda:
            "../envs/tf.yaml"
        threads: 2
        resources:
            mem_mb=4000,
            runtime=30,
        params:
            caption=TURB.describe(),
            smoothed_class=TURB.settings["interpretation"]["smoothing_class"],
            sigmas=TURB.settings["interpretation"]["smoothing_sigmas"],
            train_config=train_config("turbulence"),
            seed=study_seed("turbulence", "smoothing", bits=32),
            threads=lambda wc, threads: threads,
        script:
            "../workflow_scripts/turbulence_smoothing.py"


# (variant, model) runs the tables read: the rule builds its inputs and labels from these.
TURB_CLASSIFICATION_RUNS = turbulence_pairs("classification")
TURB_IMAGE2IMAGE_RUNS = turbulence_pairs("image2image")


rule turbulence_tables:
    input:
        classifications=[
            turbulence_eval(variant, model, "predictions.h5")
            for variant, model in TURB_CLASSIFICATION_RUNS
        ],
        image2image=[
            turbulence_eval(variant, model, "metrics.csv")
            for variant, model in TURB_IMAGE2IMAGE_RUNS
        ],
    output:
        accuracy_csv=f"{RESULTS}/turbulence/tables/per_class_accuracy.csv",
        accuracy_md=f"{RESULTS}/turbulence/tables/per_class_accuracy.md",
        accuracy_figure=report(
            f"{RESULTS}/turbulence/figures/per_class_accuracy.png",
            caption="../report/turbulence_accuracy.rst",
            category="turbulence",
            subcategory="Classification",
        ),
        image2image_csv=f"{RESULTS}/turbulence/tables/image2image_metrics.csv",
        image2image_md=f"{RESULTS}/turbulence/tables/image2image_metrics.md",
    log:
        "logs/turbulence_tables/tables.log",
    conda:
        "../envs/report.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        caption=TURB.describe(),
        classification_labels=run_labels(TURB_CLASSIFICATION_RUNS),
        image2image_labels=run_labels(TURB_IMAGE2IMAGE_RUNS),
    script:
        "../workflow_scripts/turbulence_tables.py"
