"""blobs study (the worked example of docs/adding_a_study.md): its own example-stamp figure.

Its targets and paths are the study's (`BlobsStudy.targets`, `.paths`); included only when the
study is listed in `studies`.
"""

BLOBS = STUDIES["blobs"]


rule blobs_gallery:
    input:
        data=BLOBS.paths.split(BLOBS.source, "test"),
    output:
        figure=report(
            BLOBS.paths.figure("gallery.png"),
            caption="../../report/blobs_gallery.rst",
            category="blobs",
            subcategory="Data",
        ),
    log:
        "logs/blobs_gallery/gallery.log",
    conda:
        "../../envs/report.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        per_class=BLOBS.settings["gallery_size"],
    script:
        "../../workflow_scripts/blobs_gallery.py"
