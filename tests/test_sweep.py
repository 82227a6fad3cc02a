"""Budget sweeps: nested training subsets, the same validation and test data at every point,
config checks, and a real two-point sweep that grows without retraining finished points."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import make_dataset
from sim2model.data.subsets import nested_rows
from sim2model.errors import ConfigError
from sim2model.io.dataset import write_dataset
from sim2model.registry import load_studies
from test_settings import REPO, merged

TINY = REPO / "tests" / "configs" / "tiny.yaml"


def test_nested_rows_are_nested_random_and_fixed_by_the_seed():
    subsets = [nested_rows(1000, n, seed=7) for n in (10, 100, 400, 1000)]
    for small, large in zip(subsets, subsets[1:], strict=False):
        assert np.isin(small, large).all() and len(np.unique(large)) == len(large)
    assert list(subsets[-1]) == list(range(1000))
    assert subsets[1].max() > 500  # drawn across the split, not its first rows
    np.testing.assert_array_equal(nested_rows(1000, 100, seed=7), subsets[1])
    assert not np.array_equal(nested_rows(1000, 100, seed=8), subsets[1])
    with pytest.raises(ValueError, match="cannot take 1001 of 1000"):
        nested_rows(1000, 1001, seed=7)


def test_a_sweep_point_trains_on_its_subset_and_validates_on_the_whole_split(tmp_path):
    from sim2model.data.normalise import fit_normaliser
    from sim2model.train.job import start_training_job

    train = write_dataset(tmp_path / "train.h5", make_dataset(40, seed=1))
    val = write_dataset(tmp_path / "val.h5", make_dataset(12, seed=2, first_id=40))
    norm = tmp_path / "norm.json"
    sample = make_dataset(40, seed=1)
    fit_normaliser(sample.x, sample.y, task="regression", image_scaling="standard").save(norm)
    settings = {"backend": "tensorflow", "deterministic": True}
    points = {
        n: start_training_job(train, val, norm, settings, seed=0, nested=(n, 3))
        for n in (10, 25, 40)
    }
    ids = {n: set(job.train.meta["sample_id"]) for n, job in points.items()}
    assert ids[10] < ids[25] < ids[40] and [len(ids[n]) for n in (10, 25, 40)] == [10, 25, 40]
    for job in points.values():
        np.testing.assert_array_equal(job.val.meta["sample_id"], np.arange(40, 52))
        np.testing.assert_array_equal(job.x_val, points[40].x_val)
    with pytest.raises(ValueError, match="asked for 41 training samples, the split has 40"):
        start_training_job(train, val, norm, settings, seed=0, nested=(41, 3))


def test_a_budget_in_simulated_boxes_takes_whole_nested_boxes(tmp_path):
    """`unit: box_id`: each point trains on every map of n whole boxes, the boxes of a smaller
    point among those of a larger one; a budget beyond the boxes there are, or a unit the maps
    do not carry, is an error naming the split."""
    from sim2model.data.normalise import fit_normaliser
    from sim2model.train.job import start_training_job

    maps = make_dataset(40, seed=1)
    maps.meta["box_id"] = np.repeat(np.arange(10), 4)  # 10 boxes of 4 maps
    train = write_dataset(tmp_path / "train.h5", maps)
    val = write_dataset(tmp_path / "val.h5", make_dataset(12, seed=2, first_id=40))
    norm = tmp_path / "norm.json"
    fit_normaliser(maps.x, maps.y, task="regression", image_scaling="standard").save(norm)
    settings = {"backend": "tensorflow", "deterministic": True}
    boxes = {}
    for n in range(1, 11):
        job = start_training_job(train, val, norm, settings, seed=0, nested=(n, 3, "box_id"))
        boxes[n] = set(job.train.meta["box_id"])
        assert len(job.train) == 4 * n and len(boxes[n]) == n  # every map of each box taken
    assert all(boxes[n] < boxes[n + 1] for n in range(1, 10))
    assert boxes[2] != {0, 1}  # drawn across the split, not its first boxes
    with pytest.raises(ValueError, match="asked for 11 training box_id groups, the split has 10"):
        start_training_job(train, val, norm, settings, seed=0, nested=(11, 3, "box_id"))
    with pytest.raises(ValueError, match=r"no meta column 'run' .*sweep\.<model>\.unit"):
        start_training_job(train, val, norm, settings, seed=0, nested=(2, 3, "run"))


def crsphere(sweep: dict) -> object:
    return load_studies(merged({"studies": ["crsphere"], "crsphere": {"sweep": sweep}}))["crsphere"]


def test_sweep_points_cover_every_budget_and_repeat():
    study = crsphere({"dgcnn": {"train_samples": [100, 200], "repeats": 2}})
    assert study.sweep_points("dgcnn") == [
        (100, "dgcnn"), (100, "dgcnn-seed2"), (200, "dgcnn"), (200, "dgcnn-seed2")
    ]  # fmt: skip
    assert study.sweeps()["dgcnn"]["variant"] == "simulate"
    metrics = study.curve_metrics("simulate", "dgcnn")
    assert [m["path"] for m in metrics] == [["accuracy"]] and metrics[0]["kind"] == "score"


SWEEP_KEY = "crsphere.sweep.dgcnn"


@pytest.mark.parametrize(
    ("sweep", "key", "words"),
    [
        ({"cnn": {"train_samples": [10, 20]}}, "crsphere.sweep.cnn", "no model 'cnn'"),
        ({"dgcnn": {"train_samples": [20, 10]}}, f"{SWEEP_KEY}.train_samples", "increasing"),
        ({"dgcnn": {"train_samples": [10, 10]}}, f"{SWEEP_KEY}.train_samples", "increasing"),
        ({"dgcnn": {"train_samples": [10, 20], "variant": "npz"}}, f"{SWEEP_KEY}.variant", "'npz'"),
    ],
    ids=["unknown model", "decreasing", "repeated", "unknown variant"],
)
def test_bad_sweep_settings_name_the_key(sweep, key, words):
    with pytest.raises(ConfigError) as caught:
        crsphere(sweep)
    assert caught.value.key == key and words in str(caught.value)


def test_a_galsim_sweep_on_the_test_set_variant_sets_each_point_beside_the_crb():
    """On the variant the fixed-parameter test sets are drawn for, every point is also scored
    on those of snr30 and snr60 inside its prior and the curve adds each target's scatter over
    its Cramér–Rao bound (reference line 1); on another variant only the test RMSE is drawn."""
    sweep = {"xception": {"train_samples": [100, 200], "variant": "v2"}}
    galsim = load_studies(merged({"galsim": {"sweep": sweep}}))["galsim"]
    assert galsim.sweep_evalsets("xception") == ["test", "snr30", "snr60"]
    metrics = galsim.curve_metrics("v2", "xception")
    bounds = [m for m in metrics if m.get("over_crb")]
    assert len(bounds) == 10 and {m["evalset"] for m in bounds} == {"snr30", "snr60"}
    assert {m["reference"] for m in bounds} == {1.0}
    assert bounds[0]["path"] == ["targets", "flux", "std"]
    assert galsim.crb_file() == "results/galsim/eval/crb.csv"
    sweep["xception"]["variant"] = "v1"
    galsim = load_studies(merged({"galsim": {"sweep": sweep}}))["galsim"]
    assert galsim.sweep_evalsets("xception") == ["test"]
    assert not [m for m in galsim.curve_metrics("v1", "xception") if m.get("over_crb")]
    # test sets drawn for v1: snr30's sigma 400 lies outside v1's fixed sigma 200, so only snr60
    galsim = load_studies(
        merged({"galsim": {"sweep": sweep, "testsets": {"model_variant": "v1"}}})
    )["galsim"]
    assert galsim.sweep_evalsets("xception") == ["test", "snr60"]
    bounds = [m["label"] for m in galsim.curve_metrics("v1", "xception") if m.get("over_crb")]
    assert bounds[0] == "σ/CRB flux (snr60)" and len(bounds) == 5


def test_editing_a_sweep_changes_no_hash_of_the_study_outputs():
    """The sweep is on demand: like the architecture search, it is outside what the study's
    data and models depend on (rules/common.smk hashed_config and data_config)."""
    from sim2model.study import ON_DEMAND_DEFAULTS

    assert set(ON_DEMAND_DEFAULTS) == {"search", "sweep"}
    common = (REPO / "rules" / "common.smk").read_text()
    assert "if k not in ON_DEMAND_DEFAULTS}" in common.split("def hashed_config")[1]
    assert "*ON_DEMAND_DEFAULTS" in common.split("MODEL_BLOCKS = ")[1].splitlines()[0]


@pytest.mark.slow
def test_two_point_sweep_runs_and_grows_without_retraining(tmp_path):
    """The tiny crsphere sweep (2 sizes x 2 seeds) end to end; then a third size plans two
    trainings and evaluations (the new points) and the learning curve, nothing else."""
    from test_workflow import copy_workflow, planned_jobs, snakemake

    work = copy_workflow(tmp_path / "wf")
    override = tmp_path / "sweep.yaml"

    def sweep(budgets: list[int]) -> Path:
        override.write_text(yaml.safe_dump({
            "studies": ["crsphere"],
            "crsphere": {"sweep": {"dgcnn": {"train_samples": budgets, "repeats": 2}}},
        }))  # fmt: skip
        return override

    target = "results/crsphere/tables/learning_curve/dgcnn.md"
    snakemake(work, "--cores", "2", target, configfiles=(TINY, sweep([12, 24])))
    results = work / "results" / "crsphere"
    assert not (results / "models").exists()  # on demand: no ordinary training ran
    table = pd.read_csv(results / "tables" / "learning_curve" / "dgcnn.csv")
    assert sorted(set(table["budget"])) == [12, 24]
    assert (results / "figures" / "learning_curve" / "dgcnn.png").read_bytes()[:4] == b"\x89PNG"
    tests = {
        json.loads((results / f"sweep/dgcnn/n{n}/{run}/test/metrics.json").read_text())[
            "n_samples"
        ]
        for n in (12, 24) for run in ("dgcnn", "dgcnn-seed2")
    }  # fmt: skip
    assert len(tests) == 1  # one test split for every point
    plan = snakemake(work, "-n", "--cores", "2", target, configfiles=(TINY, sweep([12, 24, 36])))
    jobs = planned_jobs(plan.stdout)
    assert jobs == {
        "sweep_train": 2, "sweep_evaluate": 2, "learning_curve": 1, "total": 5
    }, plan.stdout[-3000:]  # fmt: skip
