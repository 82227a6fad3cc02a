"""crsphere study (reference notebook 003): sky maps and the EdgeConv k-NN graphs.

Its targets and paths are the study's (`CRSphereStudy.targets`, `.paths`); included only when the
study is listed in `studies`.
"""

CRSPHERE = STUDIES["crsphere"]


rule crsphere_figures:
    input:
        model=CRSPHERE.paths.model(CRSPHERE.source, CRSPHERE.figure_model()),
        data=CRSPHERE.paths.split(CRSPHERE.source, "test"),
    output:
        sky=report(
            CRSPHERE.paths.figure("sky_maps.png"),
            caption="../../report/crsphere_sky.rst",
            category="crsphere",
            subcategory="Data",
        ),
        graphs=report(
            CRSPHERE.paths.figure("knn_graphs.png"),
            caption="../../report/crsphere_graphs.rst",
            category="crsphere",
            subcategory="Model",
        ),
    log:
        "logs/crsphere_figures/figures.log",
    conda:
        "../../envs/tf.yaml"
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
        "../../workflow_scripts/crsphere_figures.py"
