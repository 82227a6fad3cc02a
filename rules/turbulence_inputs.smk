"""Snapshot and FITS paths, input functions and final outputs of the turbulence study."""

import os

from sim2model.studies.turbulence.names import FLATTENED as TURB_FLATTENED

TURB = STUDIES.get("turbulence")
TURB_CLASSIFY = TURB.interpreted_variant() if TURB else None
#: Athena++ runs (source athena): one folder per (class, realisation).
TURB_ATHENA_RUNS = f"{RESULTS}/turbulence/athena/runs"


def turbulence_athena_binary():
    """The Athena++ binary of this configuration in the build cache folder: the config's, else
    $SIM2MODEL_ATHENA_CACHE (CI builds it there once), else one under results/."""
    cache = (
        TURB.settings["athena"]["build"]["cache"]
        or os.environ.get("SIM2MODEL_ATHENA_CACHE")
        or f"{RESULTS}/turbulence/athena/build"
    )
    return f"{cache}/{TURB.athena_build_name()}/athena"


def turbulence_athena_archive():
    """The local Athena++ source (archive or folder) the build reads, if any."""
    archive = TURB.settings["athena"]["code"]["archive"]
    return [archive] if archive else []


TURB_ATHENA_BINARY = (
    turbulence_athena_binary() if TURB and TURB.source == "athena" else None
)


def turbulence_snapshots(cls):
    """The .athdf snapshots of a class, in order (surrogate outputs or the user's files; the
    study expands each class's globs once)."""
    if TURB.source == "surrogate":
        return [
            f"{RESULTS}/turbulence/athdf/{cls}/{cls}.out2.{i:05d}.athdf"
            for i in range(TURB.surrogate_snapshots())
        ]
    if TURB.source == "athena":
        return [
            f"{TURB_ATHENA_RUNS}/{cls}/r{r}/{cls}.out2.{i:05d}.athdf"
            for r in range(TURB.athena_realisations())
            for i in range(TURB.athena_snapshots())
        ]
    return list(TURB.user_snapshots(cls))


def turbulence_fits(cls, variable):
    """FITS cubes of one variable of every snapshot of a class."""
    return [
        f"{RESULTS}/turbulence/fits/{cls}/s{i:03d}/{variable}.fits"
        for i in range(TURB.n_snapshots(cls))
    ]


def turbulence_cube_inputs(wildcards):
    spec = TURB.spec(wildcards.variant)
    inputs = {"inputs": turbulence_fits(wildcards.cls, spec["input"])}
    if spec["task"] == "image2image":
        inputs["targets"] = turbulence_fits(wildcards.cls, spec["target"])
    return inputs


def turbulence_eval(variant, model, name):
    return f"{RESULTS}/turbulence/eval/{variant}/{model}/test/{name}"


def turbulence_pairs(task):
    """(variant, model) pairs trained on variants of a task."""
    return [(v, m) for v, m in TURB.runs() if TURB.task(v) == task]


def turbulence_fits_data():
    """FITS cubes (data products besides shards and splits)."""
    return [
        path
        for cls in TURB.classes()
        for variable in TURB.class_variables(cls)
        for path in turbulence_fits(cls, variable)
    ]


def turbulence_targets():
    return [
        *generic_targets("turbulence"),
        *rules.turbulence_tables.output,
        *(
            [*rules.turbulence_saliency.output, *rules.turbulence_smoothing.output]
            if TURB_CLASSIFY
            else []
        ),
        *(rules.turbulence_athena_validation.output if TURB.source == "athena" else []),
    ]


STUDY_TARGETS["turbulence"] = turbulence_targets
STUDY_EXTRA_DATA["turbulence"] = turbulence_fits_data
