"""Settings are checked once, before the DAG: every bad setting stops `snakemake -n` by name."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from sim2model.errors import ConfigError
from sim2model.registry import load_studies
from sim2model.schema import check_schema, load_schema

REPO = Path(__file__).resolve().parents[1]
DEFAULT = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
SCHEMA, REGISTRY = load_schema(REPO / "config" / "schema.yaml")
#: The schema with each study section's file in place of its reference (to walk its blocks).
SCHEMA_TREE = {
    **SCHEMA,
    "properties": {
        **SCHEMA["properties"],
        **{
            p.stem: yaml.safe_load(p.read_text())
            for p in (REPO / "config" / "schema").glob("*.yaml")
        },
    },
}

#: (override config, the key the error must name, words the message must hold).
CROSS_KEY_ERRORS = {
    "fractions sum to 1.2": (
        {"dataset": {"fractions": {"train": 0.8, "val": 0.2, "test": 0.2}}},
        "dataset.fractions", "sum to 1.2",
    ),
    "study fractions": (
        {"eor21cm": {"dataset": {"fractions": {"train": 0.5, "val": 0.1, "test": 0.1}}}},
        "eor21cm.dataset.fractions", "sum to 0.7",
    ),
    "generator on an image2image variant": (
        {"turbulence": {"generative": {"variant": "emag"}}},
        "turbulence.generative.variant", "not an active classification variant",
    ),
    "unknown smoothing class": (
        {"turbulence": {"interpretation": {"smoothing_class": "mhd_only"}}},
        "turbulence.interpretation.smoothing_class", "'mhd_only'",
    ),
    "spatial split with a label cut": (
        {"turbulence": {"dataset": {"label_range": [0.0, 1.0]}}},
        "turbulence.dataset.label_range", "spatial",
    ),
    "denoisers on a non-linear image scaling": (
        {"galsim": {"dataset": {"image_scaling": "asinh"}}},
        "galsim.dataset.image_scaling", "linear image scaling",
    ),
    "architecture not in the model registry": (
        {"galsim": {"models": {"xception": {"arch": "resnet"}}}},
        "galsim.models.xception.arch", "unknown model 'resnet'",
    ),
    "denoiser that is not a denoiser": (
        {"galsim": {"denoisers": {"models": {"edsr": {"arch": "unet"}}}}},
        "galsim.denoisers.models.edsr.arch", "not a denoiser",
    ),
    "model on an unknown variant": (
        {"galsim": {"models": {"xception": {"arch": "xception", "variants": ["v9"]}}}},
        "galsim.models.xception.variants", "'v9'",
    ),
    "model that cannot learn the task": (
        {"turbulence": {"models": {"unet": {"arch": "unet", "variants": ["transport"]}}}},
        "turbulence.models.unet.variants", "classification",
    ),
    "unknown test-set model variant": (
        {"galsim": {"testsets": {"model_variant": "v7"}}},
        "galsim.testsets.model_variant", "'v7'",
    ),
    "denoisers on an unknown variant": (
        {"galsim": {"denoisers": {"variant": "v7"}}},
        "galsim.denoisers.variant", "'v7'",
    ),
    "flattened variant that is no classifier": (
        {"turbulence": {"flattened_variant": "emag"}},
        "turbulence.flattened_variant", "not a classification variant",
    ),
    "unknown variant class": (
        {"turbulence": {"variants": {"ecr": {"classes": ["streaming", "sound_waves"]}}}},
        "turbulence.variants.ecr.classes", "sound_waves",
    ),
    "class in two groups": (
        {"turbulence": {"variants": {"mhd_vs_cr": {
            "task": "classification", "input": "rho",
            "groups": {"mhd": ["mhd", "streaming"], "cr": ["streaming", "diffusion_fast"]}}}}},
        "turbulence.variants.mhd_vs_cr.groups", "more than one group",
    ),
    "unknown grouped class": (
        {"turbulence": {"variants": {"mhd_vs_cr": {
            "task": "classification", "input": "rho",
            "groups": {"mhd": ["mhd"], "cr": ["sound_waves"]}}}}},
        "turbulence.variants.mhd_vs_cr.groups", "sound_waves",
    ),
    "interpreted variant that is no classifier": (
        {"turbulence": {"interpretation": {"variant": "emag"}}},
        "turbulence.interpretation.variant", "not a classification variant",
    ),
    "pickle without boxes split by box": (
        {"eor21cm": {"source": "pickle", "pickle": {"path": "__PICKLE__"}}},
        "eor21cm.dataset.group_by", "box_column",
    ),
    "missing pickle": (
        {"eor21cm": {"source": "pickle", "pickle": {"path": "no/such.pkl"}}},
        "eor21cm.pickle.path", "no such file",
    ),
    "empty SimFast21 runs": (
        {"eor21cm": {"source": "simfast21"}}, "eor21cm.simfast21.runs", "empty",
    ),
    "unknown study": ({"studies": ["galsim", "galaxy11"]}, "studies", "galaxy11"),
    "unknown top-level key": ({"galsim_extra": {"a": 1}}, "galsim_extra", "unknown top-level key"),
    "turbulence tile larger than the surrogate box": (
        {"turbulence": {"dataset": {"spatial": {"tile": 128}}}},
        "turbulence.dataset.spatial.tile", "turbulence.surrogate.cells = 64",
    ),
    "turbulence projections deeper than the test slab": (
        {"turbulence": {"dataset": {"spatial": {"projection_depth": 9}}}},
        "turbulence.dataset.spatial.projection_depth", "deeper than the test slab (8 of 64",
    ),
}  # fmt: skip


def merged(override: dict, base: dict = DEFAULT) -> dict:
    """``base`` with ``override`` merged key by key (as Snakemake merges config files)."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merged(value, out[key])
        else:
            out[key] = value
    return out


def with_paths(override: dict, tmp_path: Path) -> dict:
    pickle = tmp_path / "maps.pkl"
    pickle.write_bytes(b"")
    return yaml.safe_load(yaml.safe_dump(override).replace("__PICKLE__", str(pickle)))


@pytest.mark.parametrize("case", sorted(CROSS_KEY_ERRORS))
def test_cross_key_error_names_the_key(case, tmp_path):
    override, key, words = CROSS_KEY_ERRORS[case]
    with pytest.raises(ConfigError) as caught:
        load_studies(merged(with_paths(override, tmp_path)))
    assert caught.value.key == key
    assert str(caught.value).startswith(f"config {key}: ") and words in str(caught.value)


#: Cases also run through the Snakemake CLI: every case above is raised by `load_studies`,
#: which the Snakefile calls before the DAG, so one case per kind of check proves the wiring
#: (a shared section, a study's cross-key check, a missing file, the top level).
DRY_RUN_CASES = [
    "fractions sum to 1.2", "unknown test-set model variant", "missing pickle",
    "unknown top-level key", "turbulence tile larger than the surrogate box",
]  # fmt: skip


@pytest.mark.parametrize("case", DRY_RUN_CASES)
def test_cross_key_error_stops_the_dry_run_before_any_job(case, tmp_path):
    override, key, words = CROSS_KEY_ERRORS[case]
    config = tmp_path / "bad.yaml"
    config.write_text(yaml.safe_dump(with_paths(override, tmp_path)))
    out = subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", "--configfile", str(config)],
        capture_output=True, text=True, cwd=REPO,
    )  # fmt: skip
    text = out.stdout + out.stderr
    assert out.returncode != 0
    assert f"config {key}:" in text and words in text, text[-3000:]
    assert "Building DAG" not in text


def test_default_config_passes_every_check():
    check_schema(DEFAULT, SCHEMA, registry=REGISTRY)
    assert list(load_studies(DEFAULT)) == DEFAULT["studies"]


def test_a_study_runs_if_and_only_if_it_is_listed():
    studies = load_studies(merged({"studies": ["crsphere"]}))
    assert list(studies) == ["crsphere"]
    # an unlisted study's section is not checked (it is not run)
    unchecked = merged({"studies": ["crsphere"], "galsim": {"testsets": {"model_variant": "v7"}}})
    assert list(load_studies(unchecked)) == ["crsphere"]


#: Every oneOf/anyOf block of the schema (named by its properties) -> a bad value inside it and
#: the key the error must name.
ONE_OF_ERRORS = {
    "dataset_block.label_range": ({"dataset": {"label_range": [0.5]}}, "dataset.label_range"),
    "dataset_block.balance": (
        {"dataset": {"balance": {"bins": 0, "group": "redshift"}}}, "dataset.balance.bins",
    ),
    "dataset_block.group_by": ({"dataset": {"group_by": 3}}, "dataset.group_by"),
    "dataset_block.spatial": (
        {"turbulence": {"dataset": {"spatial": {"axis": 0, "buffer": 4, "projection_depth": 1}}}},
        "turbulence.dataset.spatial.projection_depth",
    ),
    "dataset_block.spatial.tile": (
        {"turbulence": {"dataset": {"spatial": {"axis": 0, "buffer": 4, "tile": 1}}}},
        "turbulence.dataset.spatial.tile",
    ),
    "dataset_block.spatial.projection_depth": (
        {"turbulence": {"dataset": {"spatial": {"axis": 0, "buffer": 4, "projection_depth": 0}}}},
        "turbulence.dataset.spatial.projection_depth",
    ),
    "eor21cm.image_size": ({"eor21cm": {"image_size": 2}}, "eor21cm.image_size"),
    "eor21cm.pickle.path": ({"eor21cm": {"pickle": {"path": 3}}}, "eor21cm.pickle.path"),
    "eor21cm.pickle.box_column": (
        {"eor21cm": {"pickle": {"box_column": 3}}}, "eor21cm.pickle.box_column",
    ),
    "turbulence.variants.*": (
        {"turbulence": {"variants": {"ecr": {"task": "image2image", "input": "rho", "target": 5}}}},
        "turbulence.variants.ecr.target",
    ),
    "turbulence.flattened_variant": (
        {"turbulence": {"flattened_variant": 3}}, "turbulence.flattened_variant",
    ),
    "crsphere.npz.path": ({"crsphere": {"npz": {"path": 3}}}, "crsphere.npz.path"),
    "galaxy10.h5.path": ({"galaxy10": {"h5": {"path": 3}}}, "galaxy10.h5.path"),
    "galaxy10.pickle.path": ({"galaxy10": {"pickle": {"path": 3}}}, "galaxy10.pickle.path"),
    "galsim.denoisers.models.*": (
        {"galsim": {"denoisers": {"models": {"edsr": {"arch": "edsr", "epochs": 0}}}}},
        "galsim.denoisers.models.edsr.epochs",
    ),
    "eor21cm.misspecification": (
        {"eor21cm": {"misspecification": {"runs": []}}}, "eor21cm.misspecification.runs",
    ),
    "galsim.misspecification": (
        {"galsim": {"misspecification": {"n_samples": 1}}}, "galsim.misspecification.n_samples",
    ),
    "models_block.*": (
        {"galsim": {"models": {"xception": {"arch": "xception", "variants": []}}}},
        "galsim.models.xception.variants",
    ),
    "sweep_block.*": (
        {"crsphere": {"sweep": {"dgcnn": {"train_samples": [10, 20], "repeats": 0}}}},
        "crsphere.sweep.dgcnn.repeats",
    ),
    "search_block.*": (
        {"galsim": {"search": {"xception": {"tuner": "grid"}}}}, "galsim.search.xception.tuner",
    ),
    "search_block.*.space.*": (
        {"galsim": {"search": {"xception": {"space": {"dropout": {"min": 0.0, "maximum": 1.0}}}}}},
        "galsim.search.xception.space.dropout.maximum",
    ),
}  # fmt: skip


def _one_of_blocks(node, name=()):
    """Names (property path) of every oneOf/anyOf block of a schema."""
    if isinstance(node, list):
        for value in node:
            yield from _one_of_blocks(value, name)
        return
    if not isinstance(node, dict):
        return
    if "oneOf" in node or "anyOf" in node:
        yield ".".join(name)
    for key, value in node.items():
        if key in ("properties", "$defs"):
            for prop, sub in value.items():
                yield from _one_of_blocks(sub, (*name, prop))
        elif key == "additionalProperties":
            yield from _one_of_blocks(value, (*name, "*"))
        elif key in ("oneOf", "anyOf", "allOf", "items"):
            yield from _one_of_blocks(value, name)


def test_every_one_of_block_of_the_schema_has_a_case():
    blocks = {block.removeprefix("properties.") for block in _one_of_blocks(SCHEMA_TREE)}
    assert blocks == set(ONE_OF_ERRORS)


@pytest.mark.parametrize("case", sorted(ONE_OF_ERRORS))
def test_bad_value_inside_one_of_names_the_deepest_key(case):
    override, key = ONE_OF_ERRORS[case]
    with pytest.raises(ConfigError) as caught:
        check_schema(merged(override), SCHEMA, registry=REGISTRY)
    assert caught.value.key == key, str(caught.value)
    assert "not valid under any of the given schemas" not in str(caught.value)


def test_models_may_name_variants_that_are_switched_off():
    config = merged({"turbulence": {"variants": {"ecr": None, "emag": None},
                                    "flattened_variant": None}})  # fmt: skip
    turbulence = load_studies(config)["turbulence"]
    assert turbulence.runs() == [("transport", "cnn")]


def test_generator_settings_default_key_by_key_and_null_switches_it_off():
    turbulence = load_studies(merged({"turbulence": {"generative": {"model": {"depth": 3}}}}))[
        "turbulence"
    ]
    settings = turbulence.generative_settings()
    assert settings["model"] == {"base_filters": 16, "depth": 3, "embedding_dim": 64}
    assert settings["eta"] == 0.0 and settings["variant"] == "transport"
    off = load_studies(merged({"turbulence": {"generative": None}}))["turbulence"]
    assert off.generative_settings() is None
    with pytest.raises(ConfigError) as caught:
        load_studies(merged({"turbulence": {"generative": {"classifier": "unet"}}}))
    assert caught.value.key == "turbulence.generative.classifier"
    assert "not trained on variant 'transport'" in str(caught.value)
