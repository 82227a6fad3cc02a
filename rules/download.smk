"""Generic download stage: a study's public reference file, fetched when its source's `path` is
null (e.g. `eor21cm.pickle.path`), to downloads/<study>/<file>, outside results/.

The study says which files exist and their mirrors and checksums (`Study.reference_files`,
`Study.download_options`); the source shards read the file from there (`Study.source_path`).
"""

import re


rule download_reference:
    output:
        data="downloads/{study}/{file}",
    log:
        "logs/download_reference/{study}/{file}.log",
    wildcard_constraints:
        study="|".join(s for s in STUDIES if STUDIES[s].download_files()) or "NONE",
        file="|".join(
            re.escape(f) for s in STUDIES.values() for f in s.download_files()
        )
        or "NONE",
    conda:
        "../envs/download.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=120,
    params:
        urls=lambda wc: STUDIES[wc.study].download_options(wc.file)["urls"],
        sha256=lambda wc: STUDIES[wc.study].download_options(wc.file)["sha256"],
        record=lambda wc: STUDIES[wc.study].download_options(wc.file)["record"],
    script:
        "../workflow_scripts/download_reference.py"
