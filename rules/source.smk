"""Generic source stage: one job per shard of a study's variant, planned by the study module."""


rule source_shard:
    input:
        source_files=lambda wc: planned_shard(wc).inputs,
    output:
        shard=PATHS.shard("{variant}", "{shard}"),
    log:
        "logs/source_shard/{study}/{variant}/{shard}.log",
    wildcard_constraints:
        study="|".join(s for s in STUDIES if STUDIES[s].source_env) or "NONE",
        shard=r"\d{4}",
    conda:
        lambda wc: f"../envs/{STUDIES[wc.study].source_env}.yaml"
    threads: lambda wc: STUDIES[wc.study].source_threads()
    resources:
        mem_mb=lambda wc: STUDIES[wc.study].source_mem_mb,
        runtime=60,
    params:
        study=lambda wc: wc.study,
        task=lambda wc: STUDIES[wc.study].task(wc.variant),
        plan=lambda wc: planned_shard(wc).plan,
        seed=lambda wc: study_seed(wc.study, *planned_shard(wc).seed_keys),
        config=lambda wc: data_config(wc.study),
        cache_dir=lambda wc: STUDIES[wc.study].paths.cache(),
    script:
        "../workflow_scripts/source_shard.py"
