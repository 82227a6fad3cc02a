"""crsphere study (reference notebook 003): sky maps and the EdgeConv k-NN graphs."""


rule crsphere_figures:
    input:
        model=f"{RESULTS}/crsphere/models/{CRSPHERE.source}/{CRSPHERE.variant_models(CRSPHERE.source)[0]}/model.keras",
        data=f"{RESULTS}/crsphere/dataset/{CRSPHERE.source}/test.h5",
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
        caption=CRSPHERE.describe(),
        train_config=train_config("crsphere"),
        seed=study_seed("crsphere", "figures", bits=32),
        threads=lambda wc, threads: threads,
    script:
        "../workflow_scripts/crsphere_figures.py"
