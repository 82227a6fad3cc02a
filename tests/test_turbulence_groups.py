"""Grouped transport classes: the reference's two-class MHD vs MHD+CR task."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from sim2model.io.dataset import Dataset, read_dataset, write_dataset
from sim2model.registry import STUDY_CLASSES
from sim2model.studies.turbulence.cubes import athdf_to_fits, turbulence_cubes

REPO = Path(__file__).resolve().parents[1]
DEFAULT = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
CR_CLASSES = ["diffusion_slow", "diffusion_fast", "streaming"]


def grouped_study():
    config = copy.deepcopy(DEFAULT)
    config["turbulence"]["variants"]["mhd_vs_cr"] = {
        "task": "classification",
        "input": "rho",
        "groups": {"mhd": ["mhd"], "cr": CR_CLASSES},
    }
    config["turbulence"]["interpretation"]["variant"] = "mhd_vs_cr"
    config["turbulence"]["models"]["cnn"]["variants"].append("mhd_vs_cr")
    study = STUDY_CLASSES["turbulence"](config)
    study.check()
    return study


def test_groups_name_the_labels_and_map_every_member_class():
    study = grouped_study()
    assert study.class_names("mhd_vs_cr") == ["mhd", "cr"]
    assert study.variant_classes("mhd_vs_cr") == ["mhd", *CR_CLASSES]  # streaming_fast left out
    assert [study.class_id("mhd_vs_cr", c) for c in study.variant_classes("mhd_vs_cr")] == [
        0, 1, 1, 1,
    ]  # fmt: skip
    assert [s.name for s in study.shards("mhd_vs_cr")] == ["mhd", *CR_CLASSES]
    assert study.class_names("transport") == study.classes()  # the five-class task stays
    assert study.class_id("transport", "streaming") == study.classes().index("streaming")
    assert study.interpreted_variant() == "mhd_vs_cr"


def test_grouped_shards_carry_the_two_class_labels(tmp_path):
    from sim2model.studies.turbulence.surrogate import write_surrogate_snapshot

    study = grouped_study()
    names, ids = study.class_names("mhd_vs_cr"), set()
    for i, cls in enumerate(study.variant_classes("mhd_vs_cr")):
        athdf, fits = tmp_path / f"{cls}.athdf", tmp_path / f"{cls}.fits"
        write_surrogate_snapshot(athdf, cls, 16, i, snapshot=0, block_cells=16, time=1.0)
        athdf_to_fits(str(athdf), str(fits), variable="rho")
        turbulence_cubes(
            [str(fits)],
            str(tmp_path / f"{cls}.h5"),
            spec=study.spec("mhd_vs_cr"),
            class_index=study.class_id("mhd_vs_cr", cls),
            class_names=names,
            config={"test": 1},
            shard_index=study.classes().index(cls),
        )
        shard = read_dataset(tmp_path / f"{cls}.h5")
        assert shard.attrs["class_names"] == ["mhd", "cr"]
        assert shard.y.tolist() == [0 if cls == "mhd" else 1]
        assert shard.meta["class_id"].tolist() == shard.y.tolist()
        ids.update(shard.meta["sample_id"].tolist())
    assert len(ids) == len(study.variant_classes("mhd_vs_cr"))  # unique across shards


def test_smoothing_test_runs_on_a_two_class_network(tmp_path):
    """The generic interpretation stage reads the label names of the network it inspects."""
    import keras

    from sim2model.data.normalise import fit_normaliser
    from sim2model.studies.turbulence.interpretation import turbulence_smoothing

    rng = np.random.default_rng(0)
    x = rng.normal(size=(6, 8, 8, 1)).astype(np.float32)
    y = np.array([0, 0, 0, 1, 1, 1])
    attrs = {"study": "turbulence", "task": "classification", "class_names": ["mhd", "cr"],
             "target_names": [], "input_name": "log10 rho", "config_hash": "0" * 16,
             "code_version": "test", "created_by": "pytest", "versions": {}}  # fmt: skip
    write_dataset(tmp_path / "test.h5", Dataset(x=x, y=y, meta={}, attrs=attrs))
    fit_normaliser(x, y, task="classification", image_scaling="standard").save(
        tmp_path / "norm.json"
    )
    # a network that calls smooth maps "mhd": the score of "cr" grows with the map's variance
    inputs = keras.Input((8, 8, 1))
    variance = keras.layers.GlobalAveragePooling2D()(keras.ops.square(inputs))
    logits = keras.ops.concatenate([keras.ops.ones_like(variance), 4.0 * variance], axis=-1)
    net = keras.Model(inputs, keras.layers.Softmax()(logits))
    net.save(tmp_path / "model.keras")
    train = {**DEFAULT["train"], "batch_size": 4}
    turbulence_smoothing(
        str(tmp_path / "model.keras"), str(tmp_path / "norm.json"), str(tmp_path / "test.h5"),
        str(tmp_path / "smoothing.png"), str(tmp_path / "smoothing.csv"),
        smoothed_class="mhd", sigmas=[0.0, 3.0], train_config=train, seed=1,
    )  # fmt: skip
    table = pd.read_csv(tmp_path / "smoothing.csv", index_col=0)
    assert list(table.columns) == ["mhd", "cr"]
    np.testing.assert_allclose(table.sum(axis=1), 1.0)
    assert table.loc[3.0, "mhd"] > table.loc[0.0, "mhd"]  # smoothing removes variance
    assert (tmp_path / "smoothing.png").stat().st_size > 0


def test_reference_presets_smooth_through_the_balanced_two_class_network():
    """As the reference: MHD test maps through the MHD-vs-CR network, trained with balanced
    class weights (1 class against 3 would otherwise be answered "cr" for every map)."""
    from sim2model.schema import validate_config
    from test_settings import merged

    for preset in ("paper/turbulence.yaml", "turbulence_athena.yaml"):
        config = merged(yaml.safe_load((REPO / "config" / preset).read_text()), DEFAULT)
        validate_config(config, REPO / "config" / "schema.yaml")
        study = STUDY_CLASSES["turbulence"](config)
        study.check()
        assert study.interpreted_variant() == "mhd_vs_cr", preset
        assert study.class_names("mhd_vs_cr") == ["mhd", "cr"], preset
        assert study.smoothing_class() == "mhd", preset
        assert study.interpreted_model() in study.variant_models("mhd_vs_cr"), preset
        assert study.settings["train"]["class_weight"] == "balanced", preset
