"""EoR 21cm study (reference notebook 000): per-redshift report, 21cmFAST validation."""


rule eor_tables:
    input:
        predictions=f"{RESULTS}/eor21cm/eval/{EOR_VARIANT}/{EOR_MODEL}/test/predictions.h5",
    output:
        table_csv=f"{RESULTS}/eor21cm/tables/metrics_by_redshift.csv",
        table_md=f"{RESULTS}/eor21cm/tables/metrics_by_redshift.md",
    log:
        "logs/eor_tables/tables.log",
    conda:
        "../envs/report.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        caption=EOR.describe(),
    script:
        "../workflow_scripts/eor_tables.py"


rule eor_figures:
    input:
        shards=shard_paths("eor21cm", EOR_VARIANT),
        splits=expand(
            f"{RESULTS}/eor21cm/dataset/{EOR_VARIANT}/{{part}}.h5",
            part=["train", "val", "test"],
        ),
    output:
        histograms=report(
            f"{RESULTS}/eor21cm/figures/xhi_histograms.png",
            caption="../report/eor_histograms.rst",
            category="eor21cm",
            subcategory="Data",
        ),
        maps=report(
            f"{RESULTS}/eor21cm/figures/example_maps.png",
            caption="../report/eor_maps.rst",
            category="eor21cm",
            subcategory="Data",
        ),
    log:
        "logs/eor_figures/figures.log",
    conda:
        "../envs/report.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        caption=EOR.describe(),
        bins=eor_balance_bins(),
        value_range=EOR.dataset_settings().get("label_range") or [0.0, 1.0],
    script:
        "../workflow_scripts/eor_figures.py"


rule eor_validation:
    output:
        figure=report(
            f"{RESULTS}/eor21cm/figures/validation_21cmfast.png",
            caption="../report/eor_validation.rst",
            category="eor21cm",
            subcategory="Validation",
        ),
    log:
        "logs/eor_validation/validation.log",
    conda:
        "../envs/21cmfast.yaml"
    threads: EOR.settings["21cmfast"]["threads"]
    resources:
        mem_mb=2000,
        runtime=15,
    params:
        caption=EOR.describe(),
        options=EOR.validation_options(),
        seed=study_seed("eor21cm", "validation"),
    script:
        "../workflow_scripts/eor_validation.py"


rule eor_split_comparison:
    input:
        predictions=expand(
            f"{RESULTS}/eor21cm/eval/{{variant}}/{EOR_MODEL}/test/predictions.h5",
            variant=EOR.variants(),
        ),
        trains=expand(
            f"{RESULTS}/eor21cm/dataset/{{variant}}/train.h5", variant=EOR.variants()
        ),
    output:
        table_csv=f"{RESULTS}/eor21cm/tables/split_comparison.csv",
        table_md=f"{RESULTS}/eor21cm/tables/split_comparison.md",
    log:
        "logs/eor_split_comparison/tables.log",
    conda:
        "../envs/report.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        splits=[eor_split_name(variant) for variant in EOR.variants()],
        caption=EOR.describe(),
    script:
        "../workflow_scripts/eor_split_comparison.py"
