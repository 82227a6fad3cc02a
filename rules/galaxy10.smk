"""galaxy10 study (seed 004): rendered or ingested Galaxy10 images, MLP and small CNN."""


rule galaxy10_shard:
    input:
        source_files=galaxy10_source_files,
    output:
        shard=f"{RESULTS}/galaxy10/shards/{GAL10_SOURCE}/{{shard}}.h5",
    log:
        "logs/galaxy10_shard/{shard}.log",
    wildcard_constraints:
        shard=r"\d{4}",
    conda:
        "../envs/galsim.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        settings=GAL10,
        shard_index=lambda wc: int(wc.shard),
        seed=lambda wc: study_seed("galaxy10", "shard", GAL10_SOURCE, int(wc.shard)),
        config=hashed_config("galaxy10"),
    script:
        "../workflow_scripts/galaxy10_shard.py"
