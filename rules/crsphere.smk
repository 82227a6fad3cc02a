"""crsphere study (seed 003): arrival-direction samples, EdgeConv graph network, sky figures."""


rule crsphere_shard:
    input:
        source_files=crsphere_source_files,
    output:
        shard=f"{RESULTS}/crsphere/shards/{CRS_SOURCE}/{{shard}}.h5",
    log:
        "logs/crsphere_shard/{shard}.log",
    wildcard_constraints:
        shard=r"\d{4}",
    conda:
        "../envs/sims.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        settings=CRS,
        shard_index=lambda wc: int(wc.shard),
        seed=lambda wc: study_seed("crsphere", "shard", CRS_SOURCE, int(wc.shard)),
        config=hashed_config("crsphere"),
    script:
        "../workflow_scripts/crsphere_shard.py"


rule crsphere_figures:
    input:
        model=f"{RESULTS}/crsphere/models/{CRS_SOURCE}/{variant_models('crsphere', CRS_SOURCE)[0]}/model.keras",
        data=f"{RESULTS}/crsphere/dataset/{CRS_SOURCE}/test.h5",
    output:
        sky=report(
            f"{RESULTS}/crsphere/figures/sky_maps.png",
            caption="../report/crsphere_sky.rst",
            category="crsphere",
            subcategory="Data",
        ),
        graphs=report(
            f"{RESULTS}/crsphere/figures/knn_graphs.png",
            caption="../report/crsphere_graphs.rst",
            category="crsphere",
            subcategory="Model",
        ),
    log:
        "logs/crsphere_figures/figures.log",
    conda:
        "../envs/tf.yaml"
    threads: 2
    resources:
        mem_mb=2000,
        runtime=15,
    params:
        train_config=train_config("crsphere"),
        seed=study_seed("crsphere", "figures", bits=32),
        threads=lambda wc, threads: threads,
    script:
        "../workflow_scripts/crsphere_figures.py"
