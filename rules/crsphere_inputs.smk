"""Config, paths and input functions of the crsphere study (rules in crsphere.smk)."""

CRS = config["crsphere"]
CRS_SOURCE = CRS["source"]


def crsphere_n_samples():
    return CRS["n_samples"] if CRS_SOURCE == "simulate" else None


def crsphere_shards(variant):
    if CRS_SOURCE == "simulate":
        return shard_paths("crsphere", variant, CRS["n_samples"], CRS["shard_size"])
    path = CRS["npz"]["path"]
    if not path or not Path(path).is_file():
        raise WorkflowError(f"config crsphere.npz.path: no such file {path!r}")
    return [
        f"{RESULTS}/crsphere/shards/{variant}/{i:04d}.h5"
        for i in range(CRS["npz"]["n_shards"])
    ]


def crsphere_source_files(wildcards):
    return [CRS["npz"]["path"]] if CRS_SOURCE == "npz" else []


def crsphere_data():
    """Data products whose bytes a rerun must reproduce."""
    return [
        *crsphere_shards(CRS_SOURCE),
        *expand(
            f"{RESULTS}/crsphere/dataset/{CRS_SOURCE}/{{part}}",
            part=["train.h5", "val.h5", "test.h5", "norm.json"],
        ),
    ]


def crsphere_targets():
    return [
        *(
            path
            for model in variant_models("crsphere", CRS_SOURCE)
            for path in classification_figures("crsphere", CRS_SOURCE, model)
        ),
        *classification_summary("crsphere"),
        f"{RESULTS}/crsphere/figures/roc.png",
        *rules.crsphere_figures.output,
        training_curves("crsphere"),
    ]


STUDY_TARGETS["crsphere"] = crsphere_targets
STUDY_SHARDS["crsphere"] = crsphere_shards
STUDY_DATA["crsphere"] = crsphere_data
STUDY_VARIANTS["crsphere"] = lambda: [CRS_SOURCE]
