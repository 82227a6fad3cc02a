"""EoR 21cm study (reference notebook 000): per-redshift report, 21cmFAST validation.

Its targets and paths are the study's (`Eor21cmStudy.targets`, `.paths`); included only when the
study is listed in `studies`.
"""

EOR = STUDIES["eor21cm"]
EOR_PATHS = EOR.paths


rule eor_tables:
    input:
        predictions=EOR_PATHS.predictions(EOR.source, EOR.report_model()),
    output:
        table_csv=EOR_PATHS.table("metrics_by_redshift", "csv"),
        table_md=EOR_PATHS.table("metrics_by_redshift", "md"),
    log:
        "logs/eor_tables/tables.log",
    conda:
        "../../envs/report.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        caption=EOR.describe(),
    script:
        "../../workflow_scripts/eor_tables.py"


rule eor_figures:
    input:
        shards=shard_paths("eor21cm", EOR.source),
        splits=[EOR_PATHS.split(EOR.source, part) for part in ("train", "val", "test")],
    output:
        histograms=report(
            EOR_PATHS.figure("xhi_histograms.png"),
            caption="../../report/eor_histograms.rst",
            category="eor21cm",
            subcategory="Data",
        ),
        maps=report(
            EOR_PATHS.figure("example_maps.png"),
            caption="../../report/eor_maps.rst",
            category="eor21cm",
            subcategory="Data",
        ),
    log:
        "logs/eor_figures/figures.log",
    conda:
        "../../envs/report.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        caption=EOR.describe(),
        bins=EOR.balance_bins(),
        value_range=EOR.dataset_settings().get("label_range") or [0.0, 1.0],
    script:
        "../../workflow_scripts/eor_figures.py"


rule eor_validation:
    output:
        figure=report(
            EOR_PATHS.figure("validation_21cmfast.png"),
            caption="../../report/eor_validation.rst",
            category="eor21cm",
            subcategory="Validation",
        ),
    log:
        "logs/eor_validation/validation.log",
    conda:
        "../../envs/21cmfast.yaml"
    threads: EOR.settings["21cmfast"]["threads"]
    resources:
        mem_mb=2000,
        runtime=15,
    params:
        caption=EOR.describe(),
        options=EOR.validation_options(),
        seed=study_seed("eor21cm", "validation"),
    script:
        "../../workflow_scripts/eor_validation.py"


rule eor_split_comparison:
    input:
        predictions=[
            EOR_PATHS.predictions(v, EOR.report_model()) for v in EOR.variants()
        ],
        trains=[EOR_PATHS.split(v, "train") for v in EOR.variants()],
    output:
        table_csv=EOR_PATHS.table("split_comparison", "csv"),
        table_md=EOR_PATHS.table("split_comparison", "md"),
    log:
        "logs/eor_split_comparison/tables.log",
    conda:
        "../../envs/report.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        splits=EOR.split_names(),
        caption=EOR.describe(),
    script:
        "../../workflow_scripts/eor_split_comparison.py"
