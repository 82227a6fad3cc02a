"""EoR 21cm: the reference notebook's random split beside the split by box, on the same maps."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from conftest import make_dataset
from sim2model.errors import ConfigError
from sim2model.io.dataset import read_dataset, write_dataset
from sim2model.io.predictions import Predictions, write_predictions
from sim2model.registry import STUDY_CLASSES
from sim2model.seeding import derive_seed
from sim2model.stages.dataset import split_dataset
from sim2model.studies.eor21cm.report import eor_split_comparison, summarise_runs

REPO = Path(__file__).resolve().parents[1]


def eor_study(**settings):
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    config["eor21cm"].update(settings)
    return STUDY_CLASSES["eor21cm"](config)


def eor_like_shard(tmp_path, n_boxes=12, slices=6):
    """Maps of ``n_boxes`` boxes at two redshifts, xHI spread over [0, 1]."""
    ds = make_dataset(n_boxes * slices, seed=4)
    ds.y = np.random.default_rng(5).uniform(0, 1, size=(len(ds), 1)).astype(np.float32)
    ds.attrs["target_names"] = ["xHI"]
    ds.meta["box_id"] = np.repeat(np.arange(n_boxes), slices)
    ds.meta["redshift"] = np.tile(np.repeat([8.0, 9.0], slices // 2), n_boxes)
    return str(write_dataset(tmp_path / "eor.h5", ds))


def split_as_the_rule_does(study, variant, shard, folder):
    """Run the dataset stage with the settings and seed key the split_dataset rule passes."""
    settings = study.dataset_settings(variant)
    folder.mkdir()
    out = {k: str(folder / f"{k}.h5") for k in ("train", "val", "test")}
    split_dataset(
        [shard], **out, norm=str(folder / "norm.json"), fractions=settings["fractions"],
        seed=derive_seed(42, "eor21cm", "split", study.samples_variant(variant)),
        image_scaling="none", config={},
        label_range=settings["label_range"], balance=settings["balance"],
        group_by=settings["group_by"],
    )  # fmt: skip
    return {k: read_dataset(p) for k, p in out.items()}


def test_random_split_puts_maps_of_one_box_on_both_sides_and_the_box_split_never(tmp_path):
    study = eor_study(compare_random_split=True)
    by_box, by_map = study.variants()
    assert (by_box, by_map) == ("builtin", "builtin_random_split")
    assert study.source_variants() == ["builtin"]
    assert [s.variant for s in study.shards(by_map)] == [by_box] * len(study.shards(by_box))
    assert study.samples_variant(by_map) == study.samples_variant(by_box)
    shard = eor_like_shard(tmp_path)
    splits = {v: split_as_the_rule_does(study, v, shard, tmp_path / v) for v in (by_box, by_map)}
    boxes = {
        v: {k: set(d.meta["box_id"].tolist()) for k, d in s.items()} for v, s in splits.items()
    }
    assert not boxes[by_box]["train"] & (boxes[by_box]["val"] | boxes[by_box]["test"])
    assert not boxes[by_box]["val"] & boxes[by_box]["test"]
    assert boxes[by_map]["train"] & boxes[by_map]["test"]
    ids = {
        v: np.sort(np.concatenate([d.meta["sample_id"] for d in s.values()]))
        for v, s in splits.items()
    }
    np.testing.assert_array_equal(ids[by_box], ids[by_map])  # the same maps, split two ways
    assert "random by sample" in study.describe(by_map) and "disjoint" in study.describe(by_box)


def test_the_comparison_needs_a_split_by_box():
    with pytest.raises(ConfigError, match="eor21cm.compare_random_split"):
        eor_study(compare_random_split=True, dataset={"group_by": None}).check()
    assert eor_study().variants() == ["builtin"]


def test_split_comparison_table_gives_r2_rmse_and_the_leak_per_run_and_its_spread(tmp_path):
    """Two runs under each split: offsets 0.1 and 0.3 by box (R^2 0.875 and -0.125), 0 and 0.1
    at random; the mean and sample standard deviation are over the two runs."""
    import pandas as pd

    truth = np.array([0.1, 0.3, 0.5, 0.7, 0.9])[:, None]
    meta = {"box_id": np.array([0, 0, 1, 2, 3]), "redshift": np.full(5, 8.0)}
    splits, runs, preds, trains = [], [], [], []
    for name, offsets, train_boxes in (("by box", (0.1, 0.3), [4, 5]),
                                       ("random by map", (0.0, 0.1), [0, 1, 5])):  # fmt: skip
        train = make_dataset(len(train_boxes))
        train.meta["box_id"] = np.array(train_boxes)
        train_path = str(write_dataset(tmp_path / f"{name}_train.h5", train))
        for run, offset in zip(("vgg", "vgg-seed2"), offsets, strict=True):
            preds.append(str(tmp_path / f"{name}_{run}.h5"))
            write_predictions(preds[-1], Predictions(truth, truth + offset, ["xHI"], meta=meta))
            splits.append(name), runs.append(run), trains.append(train_path)
    csv, md = tmp_path / "t.csv", tmp_path / "t.md"
    eor_split_comparison(
        preds, trains, str(csv), str(md), splits=splits, runs=runs, caption="Data: x."
    )
    table = pd.read_csv(csv).set_index(["split", "run"])
    # R^2 = 1 - 5 * offset^2 / sum((t - 0.5)^2) = 1 - 12.5 offset^2
    assert table.loc[("by box", "vgg"), "r2"] == pytest.approx(0.875)
    assert table.loc[("by box", "vgg-seed2"), "r2"] == pytest.approx(-0.125)
    assert table.loc[("by box", "vgg"), "rmse"] == pytest.approx(0.1)
    assert table.loc[("random by map", "vgg"), "r2"] == pytest.approx(1.0)
    assert table.loc[("by box", "vgg"), "test_maps_from_train_boxes"] == 0.0
    assert table.loc[("random by map", "vgg-seed2"), "test_maps_from_train_boxes"] == 0.6
    summary = summarise_runs(table.reset_index()).loc["by box"]
    assert summary["runs"] == 2 and summary["r2_mean"] == pytest.approx(0.375)
    assert summary["r2_std"] == pytest.approx(np.std([0.875, -0.125], ddof=1))
    assert summary["rmse_mean"] == pytest.approx(0.2) and summary["n_test"] == 5
    text = md.read_text()
    assert "leaks" in text and "Data: x." in text and "over 2 training run(s)" in text
    assert "0.3750" in text and "0.7071" in text  # mean and spread of R^2 by box


def test_the_split_comparison_reads_every_repeat_under_each_split():
    study = eor_study(compare_random_split=True, models={"vgg": {"arch": "vgg", "repeats": 3}})
    assert study.split_comparison_runs() == [
        ("builtin", "vgg"), ("builtin", "vgg-seed2"), ("builtin", "vgg-seed3"),
        ("builtin_random_split", "vgg"), ("builtin_random_split", "vgg-seed2"),
        ("builtin_random_split", "vgg-seed3"),
    ]  # fmt: skip
    assert [study.split_name(v) for v, _ in study.split_comparison_runs()[2:4]] == [
        "by box", "random by map"
    ]  # fmt: skip


def test_the_caption_says_which_history_mode_made_the_maps():
    physical = eor_study(builtin={"box_cells": 64, "history": "physical"}).describe()
    assert "physical histories: one ionising efficiency per box" in physical
    assert "tuned per box and redshift" in eor_study().describe()


def test_a_fixed_test_split_cannot_be_combined_with_a_group_split():
    with pytest.raises(ConfigError, match="eor21cm.dataset.test_rows: last fixes the test split"):
        eor_study(dataset={"test_rows": "last", "group_by": "box_id"}).check()


def test_paper_preset_simulates_a_physical_reionization_history():
    """The reference's maps come from boxes whose xHI falls with time; the balanced default
    history would remove that link between xHI and redshift."""
    from sim2model.schema import validate_config
    from test_settings import merged

    default = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    preset = yaml.safe_load((REPO / "config" / "paper" / "eor21cm.yaml").read_text())
    config = merged(preset, default)
    validate_config(config, REPO / "config" / "schema.yaml")
    study = STUDY_CLASSES["eor21cm"](config)
    study.check()
    assert study.settings["builtin"]["history"] == "physical"
    assert "physical" in study.describe()
