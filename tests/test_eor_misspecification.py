"""EoR misspecification test: models of the built-in simulator scored on SimFast21 maps."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
import yaml

from sim2model.errors import ConfigError
from sim2model.io.dataset import read_dataset
from sim2model.registry import load_studies
from sim2model.stages.source import source_shard
from sim2model.studies.eor21cm.study import Eor21cmStudy

REPO = Path(__file__).resolve().parents[1]
DEFAULT = yaml.safe_load((REPO / "config" / "config.yaml").read_text())


def eor_study(runs: list[str], **settings) -> Eor21cmStudy:
    config = copy.deepcopy(DEFAULT)
    config["eor21cm"].update({"misspecification": {"runs": runs}, **settings})
    return load_studies(config)["eor21cm"]


def build(plan: dict, tmp_path: Path, name: str):
    path = tmp_path / f"{name}.h5"
    source_shard(str(path), study="eor21cm", task="regression",
                 build_shard=Eor21cmStudy.build_shard, plan=plan, seed=1, config={},
                 cache_dir=str(tmp_path))  # fmt: skip
    return read_dataset(path)


def test_misspecified_maps_come_from_the_simfast21_runs(shared_fixtures):
    run = str(shared_fixtures / "simfast21")
    eor = eor_study([run])
    eor.check()
    assert eor.source_variants() == ["builtin", "misspecified"]
    (shard,) = eor.shards("misspecified")
    assert shard.inputs == (run,) or list(shard.inputs) == [run]
    assert shard.plan["source"] == "simfast21" and shard.plan["run"] == run
    assert shard.plan["image_size"] == 32 and shard.plan["label_range"] == [0.01, 0.99]
    note = eor.misspecification_note()
    assert (
        "simfast21 (64^3 cells, 30 Mpc)" in note
        and "builtin maps (64^3 cells, 96 Mpc boxes)" in note
    )
    assert eor.misspecified_runs() == [
        ("builtin", "vgg", "test"),
        ("builtin", "vgg", "misspecified"),
    ]
    assert "results/eor21cm/tables/misspecification.md" in eor.targets()
    assert eor.extra_data() == ["results/eor21cm/testsets/misspecified.h5"]
    # without the block the study plans none of it
    assert load_studies(DEFAULT)["eor21cm"].source_variants() == ["builtin"]


def test_misspecified_maps_keep_the_training_label_range(shared_fixtures, tmp_path):
    """The SimFast21 maps are those of the training prior's xHI range: the cut drops exactly
    the maps outside it (the fixture's z = 7 box is almost fully ionised)."""
    eor = eor_study([str(shared_fixtures / "simfast21")], slices_per_box=2)
    (shard,) = eor.shards("misspecified")
    cut = build(shard.plan, tmp_path, "cut")
    everything = build({**shard.plan, "label_range": None}, tmp_path, "all")
    inside = (everything.y[:, 0] >= 0.01) & (everything.y[:, 0] <= 0.99)
    assert 0 < inside.sum() < len(everything)
    np.testing.assert_array_equal(cut.y, everything.y[inside])
    np.testing.assert_array_equal(cut.x, everything.x[inside])
    assert cut.x.shape[1:] == (32, 32, 1) and cut.attrs["target_names"] == ["xHI"]


def test_misspecification_errors_name_their_keys(shared_fixtures, tmp_path):
    run, builtin = str(shared_fixtures / "simfast21"), DEFAULT["eor21cm"]["builtin"]
    cases = {
        "eor21cm.misspecification.runs": ([str(tmp_path / "nowhere")], {}),
        "eor21cm.misspecification": ([run], {"targets": ["xHI", "zeta"]}),
        # 48 divides the built-in 96^3 boxes but not the SimFast21 run's 64^3
        "eor21cm.image_size": ([run], {"image_size": 48, "builtin": {**builtin, "box_cells": 96}}),
    }
    for key, (runs, settings) in cases.items():
        with pytest.raises(ConfigError) as caught:
            eor_study(runs, **settings)
        assert caught.value.key == key, str(caught.value)
    assert "(eor21cm.misspecification.runs)" in str(caught.value)  # the run whose maps fail
