"""Generic figures, provenance and the data manifest of every study."""


rule regression_figures:
    input:
        predictions=PATHS.predictions("{variant}", "{model}"),
    output:
        scatter=report(
            PATHS.figure("{variant}", "{model}", "true_vs_predicted.png"),
            caption="../report/true_vs_predicted.rst",
            category="{study}",
            subcategory="{variant} / {model}",
        ),
        errors=report(
            PATHS.figure("{variant}", "{model}", "error_histograms.png"),
            caption="../report/error_histograms.rst",
            category="{study}",
            subcategory="{variant} / {model}",
        ),
        error_vs_true=report(
            PATHS.figure("{variant}", "{model}", "true_vs_error.png"),
            caption="../report/true_vs_error.rst",
            category="{study}",
            subcategory="{variant} / {model}",
        ),
    log:
        "logs/regression_figures/{study}/{variant}/{model}.log",
    conda:
        "../envs/report.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        caption=lambda wc: STUDIES[wc.study].describe(wc.variant),
        color_by=lambda wc: STUDIES[wc.study].settings.get("color_by"),
    script:
        "../workflow_scripts/regression_figures.py"


rule posterior_calibration:
    input:
        predictions=PATHS.predictions("{variant}", "{model}"),
    output:
        table_csv=PATHS.calibration("{variant}", "{model}")[0],
        table_md=PATHS.calibration("{variant}", "{model}")[1],
        ranks_figure=report(
            PATHS.calibration("{variant}", "{model}")[2],
            caption="../report/sbc_ranks.rst",
            category="{study}",
            subcategory="{variant} / {model}",
        ),
        coverage_figure_path=report(
            PATHS.calibration("{variant}", "{model}")[3],
            caption="../report/coverage.rst",
            category="{study}",
            subcategory="{variant} / {model}",
        ),
    log:
        "logs/posterior_calibration/{study}/{variant}/{model}.log",
    conda:
        "../envs/report.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        caption=lambda wc: STUDIES[wc.study].describe(wc.variant),
        group_by=lambda wc: STUDIES[wc.study].settings.get("color_by"),
        seed=lambda wc: study_seed(
            wc.study, "calibration", wc.variant, wc.model, bits=32
        ),
    script:
        "../workflow_scripts/posterior_calibration.py"


rule misspecification:
    input:
        metrics=lambda wc: [
            STUDIES[wc.study].paths.evaluation(*run, "metrics.json")
            for run in STUDIES[wc.study].misspecified_runs()
        ],
    output:
        table_csv=PATHS.table("misspecification", "csv"),
        table_md=PATHS.table("misspecification", "md"),
    log:
        "logs/misspecification/{study}.log",
    conda:
        "../envs/report.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=10,
    params:
        runs=lambda wc: STUDIES[wc.study].misspecified_runs(),
        shift=lambda wc: STUDIES[wc.study].misspecification_note(),
        units=lambda wc: STUDIES[wc.study].target_units(),
        caption=lambda wc: STUDIES[wc.study].describe(),
    script:
        "../workflow_scripts/misspecification.py"


rule training_curves:
    input:
        histories=study_histories,
    output:
        figure=report(
            PATHS.training_curves(),
            caption="../report/training_curves.rst",
            category="{study}",
            subcategory="Training",
        ),
    log:
        "logs/training_curves/{study}.log",
    conda:
        "../envs/report.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        caption=lambda wc: STUDIES[wc.study].describe(),
        labels=lambda wc: run_labels(study_runs(wc.study), sep=" / "),
        losses=lambda wc: run_losses(wc.study),
    script:
        "../workflow_scripts/training_curves.py"


rule manifest:
    input:
        data=lambda wc: study_data(wc.study),
    output:
        manifest=PATHS.manifest(),
    log:
        "logs/manifest/{study}.log",
    conda:
        "../envs/report.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=10,
    params:
        root=lambda wc, output: Path(output.manifest).parents[1],
    script:
        "../workflow_scripts/manifest.py"


rule provenance:
    input:
        products=lambda wc: study_products(wc.study),
        data=lambda wc: study_data(wc.study),
        manifest=PATHS.manifest(),
    output:
        record=report(
            PATHS.provenance(),
            caption="../report/provenance.rst",
            category="{study}",
            subcategory="Provenance",
        ),
    log:
        "logs/provenance/{study}.log",
    conda:
        "../envs/report.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=10,
    params:
        config=lambda wc: hashed_config(wc.study),
    script:
        "../workflow_scripts/provenance.py"


rule classification_figures:
    input:
        predictions=PATHS.predictions("{variant}", "{model}"),
    output:
        confusion=report(
            PATHS.figure("{variant}", "{model}", "confusion_matrix.png"),
            caption="../report/confusion_matrix.rst",
            category="{study}",
            subcategory="{variant} / {model}",
        ),
    log:
        "logs/classification_figures/{study}/{variant}/{model}.log",
    conda:
        "../envs/report.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        caption=lambda wc: STUDIES[wc.study].describe(),
    script:
        "../workflow_scripts/classification_figures.py"


rule image2image_figures:
    input:
        predictions=PATHS.predictions("{variant}", "{model}"),
        data=PATHS.split("{variant}", "test"),
    output:
        panels=report(
            PATHS.figure("{variant}", "{model}", "image_panels.png"),
            caption="../report/image_panels.rst",
            category="{study}",
            subcategory="{variant} / {model}",
        ),
        spectra=report(
            PATHS.figure("{variant}", "{model}", "power_spectra.png"),
            caption="../report/power_spectra.rst",
            category="{study}",
            subcategory="{variant} / {model}",
        ),
    log:
        "logs/image2image_figures/{study}/{variant}/{model}.log",
    conda:
        "../envs/report.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        caption=lambda wc: STUDIES[wc.study].describe(),
    script:
        "../workflow_scripts/image2image_figures.py"


rule classification_table:
    input:
        predictions=classifier_predictions,
    output:
        csv=PATHS.table("classification", "csv"),
        md=PATHS.table("classification", "md"),
    log:
        "logs/classification_table/{study}.log",
    conda:
        "../envs/report.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        caption=lambda wc: STUDIES[wc.study].describe(),
        labels=lambda wc: run_labels(classifier_runs(wc.study)),
        goal=lambda wc: STUDIES[wc.study].accuracy_goal(),
    script:
        "../workflow_scripts/classification_table.py"


rule roc_curves:
    input:
        predictions=classifier_predictions,
    output:
        figure=report(
            PATHS.figure("roc.png"),
            caption="../report/roc.rst",
            category="{study}",
            subcategory="Classification",
        ),
    log:
        "logs/roc_curves/{study}.log",
    conda:
        "../envs/report.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        caption=lambda wc: STUDIES[wc.study].describe(),
        labels=lambda wc: run_labels(classifier_runs(wc.study)),
    script:
        "../workflow_scripts/roc_curves.py"


rule classification_examples:
    input:
        predictions=PATHS.predictions("{variant}", "{model}"),
        data=PATHS.split("{variant}", "test"),
    output:
        figure=report(
            PATHS.figure("{variant}", "{model}", "examples.png"),
            caption="../report/classification_examples.rst",
            category="{study}",
            subcategory="{variant} / {model}",
        ),
    log:
        "logs/classification_examples/{study}/{variant}/{model}.log",
    conda:
        "../envs/report.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        caption=lambda wc: STUDIES[wc.study].describe(),
        per_class=lambda wc: STUDIES[wc.study].settings.get("examples_per_class", 4),
    script:
        "../workflow_scripts/classification_examples.py"
