"""EoR 21cm study (seed 000): map shards from the configured source, per-redshift report."""


rule eor21cm_shard:
    input:
        source_files=eor_source_files,
    output:
        shard=f"{RESULTS}/eor21cm/shards/{EOR_SOURCE}/{{shard}}.h5",
    log:
        "logs/eor21cm_shard/{shard}.log",
    wildcard_constraints:
        shard=r"\d{4}",
    conda:
        EOR_SHARD_ENV
    threads: EOR_SHARD_THREADS
    resources:
        mem_mb=2000,
        runtime=60,
    params:
        settings=EOR,
        shard_index=lambda wc: int(wc.shard),
        seed=lambda wc: study_seed("eor21cm", "shard", EOR_SOURCE, int(wc.shard)),
        config=hashed_config("eor21cm"),
    script:
        "../workflow_scripts/eor21cm_shard.py"


rule eor_tables:
    input:
        predictions=f"{RESULTS}/eor21cm/eval/{EOR_SOURCE}/{EOR_MODEL}/test/predictions.h5",
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
    script:
        "../workflow_scripts/eor_tables.py"


rule eor_figures:
    input:
        shards=eor_shards(EOR_SOURCE),
        splits=expand(
            f"{RESULTS}/eor21cm/dataset/{EOR_SOURCE}/{{part}}.h5",
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
        bins=eor_balance_bins(),
        value_range=dataset_config("eor21cm").get("label_range") or [0.0, 1.0],
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
    threads: EOR["21cmfast"]["threads"]
    resources:
        mem_mb=2000,
        runtime=15,
    params:
        settings=EOR["21cmfast"],
        seed=study_seed("eor21cm", "validation"),
    script:
        "../workflow_scripts/eor_validation.py"
