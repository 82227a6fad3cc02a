"""Generic figures, provenance and the data manifest of every study."""


rule regression_figures:
    input:
        predictions=f"{RESULTS}/{{study}}/eval/{{variant}}/{{model}}/test/predictions.h5",
    output:
        scatter=report(
            f"{RESULTS}/{{study}}/figures/{{variant}}/{{model}}/true_vs_predicted.png",
            caption="../report/true_vs_predicted.rst",
            category="{study}",
            subcategory="{variant} / {model}",
        ),
        errors=report(
            f"{RESULTS}/{{study}}/figures/{{variant}}/{{model}}/error_histograms.png",
            caption="../report/error_histograms.rst",
            category="{study}",
            subcategory="{variant} / {model}",
        ),
        error_vs_true=report(
            f"{RESULTS}/{{study}}/figures/{{variant}}/{{model}}/true_vs_error.png",
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


rule training_curves:
    input:
        histories=study_histories,
    output:
        figure=report(
            f"{RESULTS}/{{study}}/figures/training_curves.png",
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
        manifest=f"{RESULTS}/{{study}}/MANIFEST.sha256",
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
        manifest=f"{RESULTS}/{{study}}/MANIFEST.sha256",
    output:
        record=report(
            f"{RESULTS}/{{study}}/provenance.json",
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
        predictions=f"{RESULTS}/{{study}}/eval/{{variant}}/{{model}}/test/predictions.h5",
    output:
        confusion=report(
            f"{RESULTS}/{{study}}/figures/{{variant}}/{{model}}/confusion_matrix.png",
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
        predictions=f"{RESULTS}/{{study}}/eval/{{variant}}/{{model}}/test/predictions.h5",
        data=f"{RESULTS}/{{study}}/dataset/{{variant}}/test.h5",
    output:
        panels=report(
            f"{RESULTS}/{{study}}/figures/{{variant}}/{{model}}/image_panels.png",
            caption="../report/image_panels.rst",
            category="{study}",
            subcategory="{variant} / {model}",
        ),
        spectra=report(
            f"{RESULTS}/{{study}}/figures/{{variant}}/{{model}}/power_spectra.png",
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
        csv=f"{RESULTS}/{{study}}/tables/classification.csv",
        md=f"{RESULTS}/{{study}}/tables/classification.md",
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
            f"{RESULTS}/{{study}}/figures/roc.png",
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
        predictions=f"{RESULTS}/{{study}}/eval/{{variant}}/{{model}}/test/predictions.h5",
        data=f"{RESULTS}/{{study}}/dataset/{{variant}}/test.h5",
    output:
        figure=report(
            f"{RESULTS}/{{study}}/figures/{{variant}}/{{model}}/examples.png",
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
