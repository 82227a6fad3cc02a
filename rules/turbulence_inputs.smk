"""Config, paths and input functions of the turbulence study (rules in turbulence.smk)."""

import functools
import glob

TURB = config["turbulence"]
TURB_SOURCE = TURB["source"]
# A variant set to null is dropped (config files merge key by key and cannot delete keys).
TURB_VARIANTS = {
    name: spec for name, spec in TURB["variants"].items() if spec is not None
}
# The classification variant whose model the interpretation rules (saliency, smoothing) inspect.
TURB_CLASSIFY = TURB.get("flattened_variant") or next(
    (name for name, spec in TURB_VARIANTS.items() if spec["task"] == "classification"),
    None,
)
TURB_FLATTENED = "flattened"


def check_turbulence_variants():
    """Fail before any job on variants that cannot be built, naming the config key."""
    for name, spec in TURB_VARIANTS.items():
        if spec["task"] == "image2image" and "target" not in spec:
            raise WorkflowError(
                f"config turbulence.variants.{name}.target: an image2image variant needs "
                "a target variable (e.g. Ec or emag)"
            )
    flattened = TURB.get("flattened_variant")
    if flattened and TURB_VARIANTS.get(flattened, {}).get("task") != "classification":
        raise WorkflowError(
            f"config turbulence.flattened_variant: {flattened!r} is not a classification "
            f"variant (they are {[n for n, v in TURB_VARIANTS.items() if v['task'] == 'classification']})"
        )


check_turbulence_variants()


def turbulence_classes():
    """Transport class names in class-id order."""
    if TURB_SOURCE == "surrogate":
        return list(TURB["surrogate"]["classes"])
    if not TURB["classes"]:
        raise WorkflowError(
            "config turbulence.classes is empty but turbulence.source is athdf: list each "
            "class's snapshots as turbulence.classes.<name>.snapshots"
        )
    return list(TURB["classes"])


@functools.cache  # globbed once per class, however often input functions ask
def turbulence_snapshots(cls):
    """The .athdf snapshots of a class, in order (surrogate files or the user's globs)."""
    if TURB_SOURCE == "surrogate":
        return [
            f"{RESULTS}/turbulence/athdf/{cls}/{cls}.out2.{i:05d}.athdf"
            for i in range(TURB["surrogate"]["snapshots"])
        ]
    paths = []
    for pattern in TURB["classes"][cls]["snapshots"]:
        matches = sorted(glob.glob(pattern))
        if not matches:
            raise WorkflowError(
                f"config turbulence.classes.{cls}.snapshots: {pattern!r} matches no file"
            )
        paths.extend(matches)
    return paths


def turbulence_variant(variant):
    """A variant's spec; the flattened variant is its source variant's."""
    name = TURB["flattened_variant"] if variant == TURB_FLATTENED else variant
    return TURB_VARIANTS[name]


def turbulence_variant_classes(variant):
    """Classes a variant's samples come from (all by default)."""
    classes = turbulence_classes()
    chosen = turbulence_variant(variant).get("classes", classes)
    unknown = [cls for cls in chosen if cls not in classes]
    if unknown:
        raise WorkflowError(
            f"config turbulence.variants.{variant}.classes: unknown classes {unknown} "
            f"(the classes are {classes})"
        )
    return chosen


def turbulence_class_variables(cls):
    """Variables converted to FITS for a class: inputs and targets of the variants using it."""
    names = []
    for variant, spec in TURB_VARIANTS.items():
        if cls in turbulence_variant_classes(variant):
            names += [spec["input"], *([spec["target"]] if "target" in spec else [])]
    return list(dict.fromkeys(names))


def turbulence_fits(cls, variable):
    """FITS cubes of one variable of every snapshot of a class."""
    return [
        f"{RESULTS}/turbulence/fits/{cls}/s{i:03d}/{variable}.fits"
        for i in range(len(turbulence_snapshots(cls)))
    ]


def turbulence_shards(variant):
    if variant == TURB_FLATTENED:
        variant = TURB["flattened_variant"]
    return [
        f"{RESULTS}/turbulence/shards/{variant}/{cls}.h5"
        for cls in turbulence_variant_classes(variant)
    ]


def turbulence_cube_inputs(wildcards):
    spec = TURB_VARIANTS[wildcards.variant]
    inputs = {"inputs": turbulence_fits(wildcards.cls, spec["input"])}
    if spec["task"] == "image2image":
        inputs["targets"] = turbulence_fits(wildcards.cls, spec["target"])
    return inputs


def turbulence_dataset_variants():
    flattened = [TURB_FLATTENED] if TURB.get("flattened_variant") else []
    return [*TURB_VARIANTS, *flattened]


def turbulence_eval(variant, model, name):
    return f"{RESULTS}/turbulence/eval/{variant}/{model}/test/{name}"


def turbulence_pairs(task):
    """(variant, model) pairs trained on variants of a task."""
    return [
        (variant, model)
        for variant, model in study_runs("turbulence")
        if turbulence_variant(variant)["task"] == task
    ]


def turbulence_classifier():
    """The model the interpretation rules inspect: the first trained on TURB_CLASSIFY."""
    return variant_models("turbulence", TURB_CLASSIFY)[0]


def turbulence_data():
    """Data products whose bytes a rerun must reproduce."""
    return [
        *(
            path
            for cls in turbulence_classes()
            for variable in turbulence_class_variables(cls)
            for path in turbulence_fits(cls, variable)
        ),
        *(shard for v in TURB_VARIANTS for shard in turbulence_shards(v)),
        *expand(
            f"{RESULTS}/turbulence/dataset/{{variant}}/{{part}}",
            variant=turbulence_dataset_variants(),
            part=["train.h5", "val.h5", "test.h5", "norm.json"],
        ),
    ]


def turbulence_targets():
    classification = turbulence_pairs("classification")
    image2image = turbulence_pairs("image2image")
    return [
        *(
            path
            for variant, model in classification
            for path in classification_figures("turbulence", variant, model)
        ),
        *(
            path
            for variant, model in image2image
            for path in image2image_figures("turbulence", variant, model)
        ),
        *rules.turbulence_tables.output,
        *(
            [*rules.turbulence_saliency.output, *rules.turbulence_smoothing.output]
            if TURB_CLASSIFY
            else []
        ),
        training_curves("turbulence"),
    ]


STUDY_TARGETS["turbulence"] = turbulence_targets
STUDY_SHARDS["turbulence"] = turbulence_shards
STUDY_DATA["turbulence"] = turbulence_data
STUDY_VARIANTS["turbulence"] = turbulence_dataset_variants
