"""Config, paths and input functions of the EoR 21cm study (rules in eor21cm.smk)."""

EOR = config["eor21cm"]
EOR_SOURCE = EOR["source"]
EOR_MODEL = next(iter(EOR["models"]))  # the per-redshift table reports the first model
# 21cmFAST boxes need its own env and a fixed OpenMP thread count (part of a box's identity).
EOR_SHARD_ENV = (
    "../envs/21cmfast.yaml" if EOR_SOURCE == "21cmfast" else "../envs/eor21cm.yaml"
)
EOR_SHARD_THREADS = EOR["21cmfast"]["threads"] if EOR_SOURCE == "21cmfast" else 1


def eor_n_shards():
    """Shard jobs of the configured source: built-in shards, SimFast21 runs, pickle parts."""
    if EOR_SOURCE in ("builtin", "21cmfast"):
        return EOR[EOR_SOURCE]["n_shards"]
    if EOR_SOURCE == "simfast21":
        runs = EOR["simfast21"]["runs"]
        if not runs:
            raise WorkflowError(
                "config eor21cm.simfast21.runs is empty but eor21cm.source is simfast21"
            )
        missing = [run for run in runs if not Path(run).is_dir()]
        if missing:
            raise WorkflowError(
                f"config eor21cm.simfast21.runs: no such directory {missing}"
            )
        return len(runs)
    path = EOR["pickle"]["path"]
    if not path or not Path(path).is_file():
        raise WorkflowError(f"config eor21cm.pickle.path: no such file {path!r}")
    return EOR["pickle"]["n_shards"]


def eor_shards(variant):
    return [
        f"{RESULTS}/eor21cm/shards/{variant}/{i:04d}.h5" for i in range(eor_n_shards())
    ]


def eor_source_files(wildcards):
    """What a shard reads besides its config: a SimFast21 run directory or the pickle."""
    if EOR_SOURCE == "simfast21":
        return [EOR["simfast21"]["runs"][int(wildcards.shard)]]
    if EOR_SOURCE == "pickle":
        return [EOR["pickle"]["path"]]
    return []


def eor_balance_bins():
    """xHI bins of the balancing (10 when balancing is off), shared by the histogram figure."""
    balance = dataset_config("eor21cm").get("balance")
    return balance["bins"] if balance else 10


def eor_data():
    """Data products whose bytes a rerun must reproduce."""
    return [
        *eor_shards(EOR_SOURCE),
        *expand(
            f"{RESULTS}/eor21cm/dataset/{EOR_SOURCE}/{{part}}",
            part=["train.h5", "val.h5", "test.h5", "norm.json"],
        ),
    ]


def eor_targets():
    return [
        *rules.eor_tables.output,
        *rules.eor_figures.output,
        *regression_figures("eor21cm", [EOR_SOURCE], EOR["models"]),
        training_curves("eor21cm"),
        *(rules.eor_validation.output if EOR_SOURCE == "21cmfast" else []),
    ]


STUDY_TARGETS["eor21cm"] = eor_targets
STUDY_SHARDS["eor21cm"] = eor_shards
STUDY_DATA["eor21cm"] = eor_data
STUDY_VARIANTS["eor21cm"] = lambda: [EOR_SOURCE]
