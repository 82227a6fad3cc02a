"""EoR 21cm study (reference notebook 000): per-redshift report, 21cmFAST validation.

Its targets and paths are the study's (`Eor21cmStudy.targets`, `.paths`); included only when the
study is listed in `studies`.
"""

EOR21CM = STUDIES["eor21cm"]


rule eor_tables:
    input:
        predictions=EOR21CM.paths.predictions(EOR21CM.source, EOR21CM.report_model()),
    output:
        table_csv=EOR21CM.paths.table("metrics_by_redshift", "csv"),
        table_md=EOR21CM.paths.table("metrics_by_redshift", "md"),
    log:
        "logs/eor_tables/tables.log",
    conda:
        "../../envs/report.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        caption=EOR21CM.describe(),
    script:
        "../../workflow_scripts/eor_tables.py"


rule eor_figures:
    input:
        shards=shard_paths("eor21cm", EOR21CM.source),
        splits=[
            EOR21CM.paths.split(EOR21CM.source, part)
            for part in ("train", "val", "test")
        ],
    output:
        histograms=report(
            EOR21CM.paths.figure("xhi_histograms.png"),
            caption="../../report/eor_histograms.rst",
            category="eor21cm",
            subcategory="Data",
        ),
        maps=report(
            EOR21CM.paths.figure("example_maps.png"),
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
        caption=EOR21CM.describe(),
        bins=EOR21CM.balance_bins(),
        value_range=EOR21CM.dataset_settings().get("label_range") or [0.0, 1.0],
    script:
        "../../workflow_scripts/eor_figures.py"


rule eor_validation:
    output:
        figure=report(
            EOR21CM.paths.figure("validation_21cmfast.png"),
            caption="../../report/eor_validation.rst",
            category="eor21cm",
            subcategory="Validation",
        ),
    log:
        "logs/eor_validation/validation.log",
    conda:
        "../../envs/21cmfast.yaml"
    threads: EOR21CM.settings["21cmfast"]["threads"]
    resources:
        mem_mb=2000,
        runtime=15,
    params:
        caption=EOR21CM.describe(),
        options=EOR21CM.validation_options(),
        seed=study_seed("eor21cm", "validation"),
    script:
        "../../workflow_scripts/eor_validation.py"


rule eor_split_comparison:
    input:
        predictions=[
            EOR21CM.paths.predictions(v, run)
            for v, run in EOR21CM.split_comparison_runs()
        ],
        trains=[
            EOR21CM.paths.split(v, "train") for v, _ in EOR21CM.split_comparison_runs()
        ],
    output:
        table_csv=EOR21CM.paths.table("split_comparison", "csv"),
        table_md=EOR21CM.paths.table("split_comparison", "md"),
    log:
        "logs/eor_split_comparison/tables.log",
    conda:
        "../../envs/report.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        splits=[EOR21CM.split_name(v) for v, _ in EOR21CM.split_comparison_runs()],
        runs=[run for _, run in EOR21CM.split_comparison_runs()],
        caption=EOR21CM.describe(),
    script:
        "../../workflow_scripts/eor_split_comparison.py"
