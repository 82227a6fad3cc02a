"""The study interface: shard plans, variants and the layering rules the modules keep."""

from __future__ import annotations

import ast
import copy
import inspect
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from sim2model.errors import ConfigError
from sim2model.registry import STUDY_CLASSES, load_studies

REPO = Path(__file__).resolve().parents[1]
LIBRARY = REPO / "workflow_scripts" / "sim2model"
DEFAULT = yaml.safe_load((REPO / "config" / "config.yaml").read_text())


def test_every_study_plans_shards_that_cover_its_samples_once():
    studies = load_studies(DEFAULT)
    galsim = studies["galsim"]
    for variant in galsim.source_variants():
        spans = [shard.span for shard in galsim.shards(variant)]
        ids = [i for span in spans for i in range(span.first, span.stop)]
        assert ids == list(range(galsim.n_samples(variant)))
    eor = studies["eor21cm"].shards("builtin")
    per_shard = DEFAULT["eor21cm"]["builtin"]["boxes_per_shard"]
    assert [s.plan["first"] for s in eor] == [i * per_shard for i in range(len(eor))]
    assert [s.name for s in eor] == [f"{i:04d}" for i in range(len(eor))]
    assert all(s.seed_keys == ("shard", "builtin", s.index) for s in eor)


def test_galsim_priors_build_the_simulator_prior():
    from sim2model.studies.galsim.prior import GalaxyPrior

    galsim = STUDY_CLASSES["galsim"](DEFAULT)
    v3 = GalaxyPrior(**galsim.shards("v3")[0].plan["prior"])
    assert v3.psf_channel and v3.psf_fwhm == (0.5, 1.0) and v3.fixed is None
    snr30 = GalaxyPrior(**galsim.prior("snr30"))
    assert snr30.fixed["sigma"] == DEFAULT["galsim"]["testsets"]["sets"]["snr30"]["sigma"]


def test_galsim_variants_and_test_sets_set_to_null_are_dropped():
    settings = copy.deepcopy(DEFAULT)
    settings["galsim"]["variants"]["v1"] = None
    settings["galsim"]["testsets"]["sets"]["snr60"] = None
    galsim = load_studies(settings)["galsim"]
    declared = list(DEFAULT["galsim"]["variants"])
    assert galsim.variants() == [v for v in declared if v != "v1"]
    assert galsim.testsets() == ["snr30"] and "snr60" not in galsim.source_variants()
    assert galsim.runs() and all(variant != "v1" for variant, _ in galsim.runs())
    settings["galsim"]["testsets"]["model_variant"] = "v1"
    with pytest.raises(ConfigError, match="'v1' is not a variant"):
        load_studies(settings)


@pytest.mark.parametrize(
    ("noise", "words"), [("ccd", "Poisson and Gaussian noise"), ("gaussian", "Gaussian noise only")]
)
def test_galsim_captions_name_the_configured_noise(noise, words):
    settings = copy.deepcopy(DEFAULT)
    settings["galsim"]["noise"] = noise
    assert words in load_studies(settings)["galsim"].describe()


def test_turbulence_variant_trained_on_projections_splits_with_them():
    settings = copy.deepcopy(DEFAULT)
    variants = settings["turbulence"]["variants"]
    variants["projected"] = {**variants["transport"], "train_on_projections": True}
    settings["turbulence"]["models"]["cnn"]["variants"].append("projected")
    turbulence = load_studies(settings)["turbulence"]
    assert turbulence.dataset_settings("projected")["spatial"]["train_on_projections"] is True
    assert turbulence.dataset_settings("transport")["spatial"]["train_on_projections"] is False
    settings["turbulence"]["dataset"]["spatial"]["projection_depth"] = None
    with pytest.raises(ConfigError, match=r"variants\.projected\.train_on_projections"):
        load_studies(settings)


def test_galsim_noiseless_variant_denoisers_and_autoencoder():
    from sim2model.studies.galsim.names import DENOISER_SET

    galsim = load_studies(DEFAULT)["galsim"]
    assert galsim.variants()[0] == "noiseless" and galsim.variant_input("noiseless") == "noiseless"
    assert galsim.variant_input("v1") == "noisy"
    assert galsim.shards("noiseless")[0].plan["input"] == "noiseless"
    assert DENOISER_SET in galsim.source_variants() and DENOISER_SET not in galsim.variants()
    # the denoisers' own images follow the regressed variant's prior, with their own seeds
    assert galsim.prior(DENOISER_SET) == galsim.prior(DEFAULT["galsim"]["denoisers"]["variant"])
    assert galsim.shards(DENOISER_SET)[0].seed_keys == ("shard", DENOISER_SET, 0)
    assert galsim.denoisers() == ["edsr", "rdn"]
    assert ("v2", "autoencoder") in galsim.runs()
    assert galsim.run_loss("v2", "autoencoder") == "binary_crossentropy"
    assert galsim.run_loss("v2", "xception") == "mse"
    assert galsim.autoencoder_runs() == [("v2", "autoencoder", "test")]  # the table's runs
    assert galsim.prior("v1")["noise"] == DEFAULT["galsim"]["noise"]


def test_turbulence_flattened_variant_reads_its_source_shards():
    turbulence = STUDY_CLASSES["turbulence"](DEFAULT)
    assert turbulence.variants() == ["transport", "ecr", "emag", "flattened"]
    assert turbulence.shards("flattened") == turbulence.shards("transport")
    assert [s.name for s in turbulence.shards("ecr")] == DEFAULT["turbulence"]["variants"]["ecr"][
        "classes"
    ]
    assert turbulence.task("flattened") == "classification" and turbulence.task("emag") == (
        "image2image"
    )
    assert turbulence.interpreted_variant() == "transport"


def test_eor_validation_options_are_the_validators_arguments():
    from sim2model.schema import validate_config
    from sim2model.studies.eor21cm.validation import validate

    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    validate_config(config, REPO / "config" / "schema.yaml")
    options = STUDY_CLASSES["eor21cm"](config).validation_options()
    inspect.signature(validate).bind(0, **options)


def test_loading_the_studies_imports_no_numerical_package():
    """The Snakefile loads every study: study modules must not import numpy and friends."""
    code = (
        "import sys; import sim2model.studies; "
        "heavy = {'numpy', 'h5py', 'galsim', 'keras', 'tensorflow', 'pandas'} & set(sys.modules); "
        "assert not heavy, heavy"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO / "workflow_scripts", capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr


def _imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


#: Each study's readers of files and its simulators (modules of its package).
READERS = {
    "turbulence": ["athdf", "fits_cube"], "eor21cm": ["simfast21", "map_table"],
    "crsphere": ["npz"], "galaxy10": ["readers"],
}  # fmt: skip
SIMULATORS = {
    "galsim": ["galaxies", "sersic_batch"], "turbulence": ["surrogate", "athena"],
    "eor21cm": ["seminumerical", "backend_21cmfast"], "crsphere": ["simulator"],
    "galaxy10": ["render"],
}  # fmt: skip


def test_readers_do_not_import_simulators():
    simulators = {f"sim2model.studies.{s}.{m}" for s, mods in SIMULATORS.items() for m in mods}
    for study, readers in READERS.items():
        for reader in readers:
            path = LIBRARY / "studies" / study / f"{reader}.py"
            assert path.is_file(), path
            assert not _imported_modules(path) & simulators, path
    # and the shared io layer reads the contract only
    for path in (LIBRARY / "io").glob("*.py"):
        assert not {m for m in _imported_modules(path) if m.startswith("sim2model.studies")}


def _described(override: dict) -> str:
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    config["eor21cm"]["dataset"].update(override)
    return STUDY_CLASSES["eor21cm"](config).describe()


def test_captions_state_the_split_really_used():
    boxes = _described({"group_by": "box_id"})
    assert "test boxes disjoint from training" in boxes and "70/10/20%" in boxes
    by_map = _described({"group_by": None, "balance": None, "label_range": None})
    assert "random by sample" in by_map and "disjoint" not in by_map and "balanced" not in by_map
    assert "built-in excursion-set" in by_map
    turbulence = STUDY_CLASSES["turbulence"](DEFAULT).describe()
    assert "surrogate" in turbulence and "4-cell buffers" in turbulence and "along z" in turbulence


def test_eor_table_caption_follows_the_group_split(tmp_path):
    import numpy as np

    from sim2model.io.predictions import Predictions, write_predictions
    from sim2model.studies.eor21cm.report import eor_tables

    truth = np.linspace(0.1, 0.9, 6)[:, None]
    meta = {"redshift": np.repeat([7.0, 8.0], 3)}
    path = tmp_path / "p.h5"
    write_predictions(path, Predictions(truth, truth + 0.01, ["xHI"], meta=meta))
    for override, words in (({"group_by": "box_id"}, "disjoint"), ({"group_by": None}, "random")):
        md = tmp_path / "t.md"
        eor_tables(str(path), str(tmp_path / "t.csv"), str(md), caption=_described(override))
        assert words in md.read_text()
