"""The reference notebooks' numbers beside ours: the declared numbers and the table built from
them (tables/reference_comparison.{csv,md}; the end-to-end run is in test_workflow.py)."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import make_dataset
from sim2model.eval.classification import classification_report
from sim2model.eval.metrics import regression_metrics
from sim2model.io.dataset import write_dataset
from sim2model.reference_numbers import ReferenceNumber, read_value
from sim2model.registry import load_studies
from sim2model.schema import validate_config
from sim2model.stages.reference_comparison import reference_comparison
from test_settings import DEFAULT, merged

REPO = Path(__file__).resolve().parents[1]
STUDY_NAMES = ("eor21cm", "turbulence", "galsim", "crsphere", "galaxy10")

RMSE = ReferenceNumber(
    "RMSE flux (counts)", "v1", "xception", ("targets", "flux", "rmse"), 6000.0, "RMSE table"
)
ACCURACY = ReferenceNumber("accuracy", "sky", "dgcnn", ("accuracy",), None, "not stated")


def write_run(folder: Path, record: dict, n_train: int) -> tuple[str, str]:
    """A run's metrics.json and a train split of ``n_train`` samples; their paths."""
    folder.mkdir(parents=True)
    metrics = folder / "metrics.json"
    metrics.write_text(json.dumps(record))
    return str(metrics), str(write_dataset(folder / "train.h5", make_dataset(n_train)))


def build(tmp_path: Path, numbers, metrics, train) -> tuple[pd.DataFrame, str]:
    csv, md = tmp_path / "table.csv", tmp_path / "table.md"
    reference_comparison(
        metrics, train, str(csv), str(md),
        numbers=[n.as_dict() for n in numbers], caption="Data: CAPTION.",
    )  # fmt: skip
    return pd.read_csv(csv), md.read_text()


def test_the_table_sets_ours_beside_the_reference(tmp_path):
    regression = {"n_samples": 7, "targets": {"flux": {"bias": -5.0, "rmse": 9000.0}}}
    galsim = write_run(tmp_path / "v1", regression, n_train=12)
    sky = write_run(tmp_path / "sky", {"n_samples": 4, "accuracy": 0.75}, n_train=20)
    table, md = build(tmp_path, [RMSE, ACCURACY], [galsim[0], sky[0]], [galsim[1], sky[1]])
    assert list(table["metric"]) == ["RMSE flux (counts)", "accuracy"]
    rmse, accuracy = table.iloc[0], table.iloc[1]
    assert (rmse["reference"], rmse["ours"]) == (6000.0, 9000.0)
    assert rmse["ratio"] == pytest.approx(1.5) and rmse["difference"] == pytest.approx(3000.0)
    assert (rmse["n_train"], rmse["n_test"]) == (12, 7) and rmse["where stated"] == "RMSE table"
    assert accuracy["ours"] == 0.75 and (accuracy["n_train"], accuracy["n_test"]) == (20, 4)
    assert all(math.isnan(accuracy[c]) for c in ("reference", "ratio", "difference"))
    # the caption states our run's sizes and the data sentence before the rows
    caption = md.split("\n\n")[0]
    assert "12 to 20 samples" in caption and caption.endswith("Data: CAPTION.")
    rows = re.sub(" +", " ", md.split("\n\n")[1]).splitlines()
    row = (
        "| RMSE flux (counts) | v1 | xception | 6000 | 9000 | 1.5 | 3000 | 12 | 7 | RMSE table | |"
    )
    assert rows[2] == row
    assert rows[3] == "| accuracy | sky | dgcnn | | 0.75 | | | 20 | 4 | not stated | |"


def test_a_missing_metrics_file_or_key_is_named(tmp_path):
    metrics, train = write_run(tmp_path / "v1", {"n_samples": 3, "targets": {}}, n_train=5)
    missing = str(tmp_path / "v9" / "metrics.json")
    with pytest.raises(FileNotFoundError, match=r"v9/metrics.json: no such metrics file.*v1/xc"):
        build(tmp_path, [RMSE], [missing], [train])
    with pytest.raises(KeyError, match=r"metrics.json: no 'targets.flux.rmse' \(at targets: \[\]"):
        build(tmp_path, [RMSE], [metrics], [train])
    with pytest.raises(ValueError, match="1 reference numbers need as many metrics files"):
        build(tmp_path, [RMSE], [metrics, metrics], [train])


def our_keys(task: str) -> set[tuple[str, ...]]:
    """The keys the evaluate stage writes to metrics.json for ``task`` (a summary's leaves)."""
    if task == "classification":
        report = classification_report(np.array([0, 1]), np.eye(2), ["a", "b"])
        return {(key,) for key, value in report.to_dict().items() if isinstance(value, float)}
    columns = regression_metrics(np.zeros((2, 1)), np.ones((2, 1)), ["t"]).columns
    return {("targets", "<target>", column) for column in columns}


def paper_study(name: str):
    config = merged(yaml.safe_load((REPO / "config" / "paper" / f"{name}.yaml").read_text()))
    validate_config(config, REPO / "config" / "schema.yaml")
    return load_studies(config)[name], config


@pytest.mark.parametrize("name", STUDY_NAMES)
def test_each_study_declares_numbers_for_runs_of_its_paper_preset(name):
    study, config = paper_study(name)
    numbers = study.reference_numbers()
    assert numbers, f"{name} declares no reference numbers for its paper preset"
    preset = yaml.safe_load((REPO / "config" / "paper" / f"{name}.yaml").read_text())[name]
    for number in numbers:
        assert (number.variant, number.model) in study.runs(), number
        # a model of the preset, or one of its repeats (``<model>-seed<r>``)
        assert number.model in study.models(), number
        models = preset["models"]
        assert any(number.model == m or number.model.startswith(f"{m}-") for m in models), number
        if "variants" in preset:  # or derived, like turbulence's flattened variant
            named = {*preset["variants"], *preset["models"][number.model].get("variants", [])}
            assert number.variant in named, number
        assert number.where and number.evalset == "test", number
        task = study.task(number.variant)
        key = number.key
        if task != "classification":  # ("targets", <target>, <metric>): any target
            key = (key[0], "<target>", *key[2:])
        assert key in our_keys(task), f"{number}: the evaluate stage writes no {number.key}"
    assert study.paths.table("reference_comparison", "md") in study.targets()


def test_the_numbers_are_the_references():
    """Spot checks against the reference notebooks' text (the GalSim RMSE table, its
    autoencoder tables, the Galaxy10 goal, the EoR expectation)."""
    galsim, _ = paper_study("galsim")
    value = {(n.variant, n.model, n.key): n.reference for n in galsim.reference_numbers()}
    assert value["noiseless", "xception", ("targets", "flux", "rmse")] == 383.312195
    assert value["v1", "xception", ("targets", "sersic_n", "rmse")] == 0.780093
    assert value["v3", "xception", ("targets", "g2", "rmse")] == 0.103793
    assert value["v1", "autoencoder", ("targets", "flux", "rmse")] == 7800
    assert value["v2", "autoencoder", ("targets", "sersic_n", "bias")] == 0.177
    assert value["v3", "autoencoder", ("targets", "half_light_radius", "rmse")] == 0.057
    assert {n.reference for n in paper_study("galaxy10")[0].reference_numbers()} == {0.66}
    assert {n.reference for n in paper_study("eor21cm")[0].reference_numbers()} == {1.0}
    assert {n.reference for n in paper_study("turbulence")[0].reference_numbers()} == {None}


def test_only_the_configured_runs_are_compared():
    """The embedded default trains fewer runs than the paper preset: numbers of the runs it
    lacks (galsim's autoencoder on v1, v3) are left out."""
    galsim = load_studies(merged({"studies": ["galsim"]}, DEFAULT))["galsim"]
    runs = {(n.variant, n.model) for n in galsim.reference_numbers()}
    assert runs <= set(galsim.runs())
    assert ("v2", "autoencoder") in runs and ("v1", "autoencoder") not in runs


def test_a_study_without_reference_numbers_has_no_table(monkeypatch):
    galsim = load_studies(merged({"studies": ["galsim"]}, DEFAULT))["galsim"]
    table = galsim.paths.table("reference_comparison", "md")
    assert table in galsim.targets()
    monkeypatch.setattr(type(galsim), "reference_numbers", lambda self: [])
    assert table not in galsim.targets()


def test_read_value_follows_the_key():
    record = {"targets": {"xHI": {"r2": 0.9}}}
    assert read_value(record, ("targets", "xHI", "r2"), "m.json") == 0.9
    with pytest.raises(KeyError, match=r"m.json: no 'targets.zeta.r2' \(at targets: \['xHI'\]"):
        read_value(record, ("targets", "zeta", "r2"), "m.json")
