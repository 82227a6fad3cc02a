"""Simulation-budget sweeps (`sweep.<model>.simulation`): each point simulates its own data at
one value of a simulation setting, splits it as the swept variant is and trains on all of it.

The study tells the points apart (paths, meshes, Athena++ inputs, snapshot counts), the checks
name the sweep's key, a dry run plans every point's own simulations, and a real run of the tiny
surrogate sweep trains each point on its own maps and grows without redoing finished points."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import pandas as pd
import pytest
import yaml

from sim2model.errors import ConfigError
from sim2model.registry import load_studies
from sim2model.studies.turbulence.athena import parse_athinput
from test_settings import REPO, merged

TINY = REPO / "tests" / "configs" / "tiny.yaml"
ATHENA = yaml.safe_load((REPO / "config" / "turbulence_athena.yaml").read_text())
KEY = "turbulence.sweep.cnn"


def studies(config: dict) -> dict:
    """The studies of ``config`` as the Snakefile loads them: schema defaults filled, checked."""
    from sim2model.schema import validate_config

    validate_config(config, REPO / "config" / "schema.yaml")
    return load_studies(config)


def tiny_study(sweep: dict) -> object:
    """The turbulence study of the tiny test config (surrogate, 16^3 cells in 2x2x2 blocks,
    8x8 tiles) with ``sweep`` as its sweep block."""
    tiny = yaml.safe_load(TINY.read_text())
    config = merged({"studies": ["turbulence"], "turbulence": {"sweep": sweep}}, merged(tiny))
    return studies(config)["turbulence"]


def athena_study(simulation: dict) -> object:
    """The turbulence study of config/turbulence_athena.yaml (32^3 cells in one meshblock,
    three snapshots per run, one run per class) sweeping ``simulation``."""
    sweep = {"cnn": {"variant": "transport", "simulation": simulation}}
    return studies(merged({"turbulence": {"sweep": sweep}}, merged(ATHENA)))["turbulence"]


def test_each_point_simulates_its_own_data_at_its_setting():
    study = athena_study({"cells": [32, 48, 64]})
    assert study.sweep_points("cnn") == [(32, "cnn"), (48, "cnn"), (64, "cnn")]
    assert [study.sweep_point("cnn", n) for n in (32, 48)] == ["cells32", "cells48"]
    assert study.sweep_budget("cnn", "cells48") == 48
    assert study.sweep_variant("cnn", 48) == "transport@cells48"
    assert study.sweep_nested("cnn", 48) is None  # the whole training split of its own data
    assert study.sweep_budget_label("cnn") == "cells per side of the simulated box"
    # 32 cells are the study's own runs: that point reuses them, the others run their own
    assert study.simulated_points() == ["cells48", "cells64"]
    assert study.snapshots("mhd", "cells32") == study.snapshots("mhd")
    runs = study.snapshots("mhd", "cells48")
    assert len(runs) == 3 and all(
        p.startswith("results/turbulence/simulations/cells48/athena/runs/mhd/r0/") for p in runs
    )
    cubes = study.cube_inputs(type("W", (), {"variant": "transport@cells48", "cls": "mhd"}))
    assert cubes["inputs"][0] == "results/turbulence/simulations/cells48/fits/mhd/s000/rho.fits"
    assert study.mesh("transport@cells48").shape == (48, 48, 48)
    assert study.spec("transport@cells48") == study.spec("transport")
    athinput = parse_athinput(study.athena_input("mhd", 7, "cells48"))
    assert athinput["mesh"]["nx1"] == athinput["meshblock"]["nx3"] == "48"  # one block per side
    assert parse_athinput(study.athena_input("mhd", 7))["mesh"]["nx1"] == "32"


def test_runs_per_class_add_to_the_runs_made():
    runs = athena_study({"realisations": [1, 2, 4]})
    assert runs.sweep_budget_label("cnn") == "Athena++ runs per class"
    # more runs per class add to the study's own run r0: no point has a folder of its own
    assert runs.simulated_points() == []
    paths = runs.snapshots("mhd", "realisations2")
    assert paths[:3] == runs.snapshots("mhd") and len(paths) == 6
    assert paths[5] == "results/turbulence/athena/runs/mhd/r1/mhd.out2.00002.athdf"
    assert runs.fits("mhd", "rho", "realisations4")[:6] == runs.fits("mhd", "rho", "realisations2")
    # the study's athdf_to_fits numbers the snapshots of r0..r3
    converted = runs.snapshot_of(type("W", (), {"cls": "mhd", "index": "011"}))
    assert converted == "results/turbulence/athena/runs/mhd/r3/mhd.out2.00002.athdf"
    with pytest.raises(ConfigError, match="no simulation setting 'snapshots'"):
        athena_study({"snapshots": [3, 5]})


@pytest.mark.parametrize(
    ("sweep", "key", "words"),
    [
        (
            {"variant": "transport", "train_samples": [10, 20], "simulation": {"cells": [8, 16]}},
            KEY,
            "either train_samples",
        ),
        ({"variant": "transport"}, KEY, "either train_samples"),
        (
            {"variant": "transport", "simulation": {"box": [8, 16]}},
            f"{KEY}.simulation",
            "no simulation setting 'box' (it has ['cells'])",
        ),
        (
            {"variant": "transport", "simulation": {"cells": [16, 8]}},
            f"{KEY}.simulation",
            "increasing",
        ),
        (
            {"variant": "transport", "simulation": {"cells": [15, 16]}},
            f"{KEY}.simulation.cells",
            "at cells15, turbulence.surrogate.block_cells: 15 cells do not split into the 2",
        ),
        (
            {"variant": "transport", "simulation": {"cells": [4, 16]}},
            f"{KEY}.simulation.cells",
            "at cells4",
        ),
        (
            {"variant": "transport", "simulation": {"cells": [16, 32]}, "unit": "run"},
            f"{KEY}.unit",
            "a simulation sweep trains on every sample",
        ),
    ],
    ids=["both", "neither", "unknown setting", "decreasing", "blocks", "tiles", "unit"],
)
def test_bad_simulation_sweeps_name_the_key(sweep, key, words):
    with pytest.raises(ConfigError) as caught:
        tiny_study({"cnn": sweep})
    assert caught.value.key == key and words in str(caught.value), str(caught.value)


def test_a_study_without_simulation_settings_sweeps_training_samples():
    config = merged({"studies": ["crsphere"], "crsphere": {"sweep": {
        "dgcnn": {"simulation": {"n_events": [100, 200]}}}}})  # fmt: skip
    with pytest.raises(
        ConfigError, match="has no simulation setting 'n_events'; sweep train_samples"
    ):
        studies(config)


ATHENA_PLANS = {
    # a new resolution: its own five runs and cubes, the point at the study's 32^3 reusing its own
    "cells": ({"cells": [32, 48]}, {
        "turbulence_athena_build": 1,
        "turbulence_athena_run": 5, "turbulence_athena_run_point": 5,
        "athdf_to_fits": 15, "athdf_to_fits_point": 15,
        "turbulence_cubes": 10, "split_dataset": 2,
        "sweep_train": 2, "sweep_evaluate": 2, "learning_curve": 1, "total": 58,
    }, "results/turbulence/simulations/cells48/athena/runs/mhd/r0/mhd.out2.00002.athdf"),
    # one more run per class: r1 beside the study's r0, both converted by the study's rules
    "realisations": ({"realisations": [1, 2]}, {
        "turbulence_athena_build": 1, "turbulence_athena_run": 10, "athdf_to_fits": 30,
        "turbulence_cubes": 10, "split_dataset": 2,
        "sweep_train": 2, "sweep_evaluate": 2, "learning_curve": 1, "total": 58,
    }, "results/turbulence/fits/mhd/s005/rho.fits"),
}  # fmt: skip


@pytest.mark.parametrize("setting", list(ATHENA_PLANS))
def test_athena_points_plan_their_own_runs_beside_the_studys(tmp_path, setting):
    """A dry run of an Athena++ sweep from scratch: one build, and each point's runs and cubes
    planned once (a point whose runs are the study's reuses them)."""
    from test_workflow import copy_workflow, planned_jobs, snakemake

    simulation, expected, path = ATHENA_PLANS[setting]
    work = copy_workflow(tmp_path / "wf")
    override = tmp_path / "sweep.yaml"
    sweep = {"cnn": {"variant": "transport", "simulation": simulation}}
    athena = {
        "code": {"archive": None},  # the upstream clone: a dry run needs no archive
        "build": {"cache": str(tmp_path / "cache")},  # not a cache with a binary built (CI's)
    }
    override.write_text(yaml.safe_dump({"turbulence": {"athena": athena, "sweep": sweep}}))
    target = "results/turbulence/tables/learning_curve/cnn.md"
    plan = snakemake(
        work, "-n", target, configfiles=(REPO / "config/turbulence_athena.yaml", override)
    )
    assert planned_jobs(plan.stdout) == expected, plan.stdout[-3000:]
    assert path in plan.stdout


@pytest.mark.slow
def test_a_resolution_sweep_runs_and_grows_without_redoing_points(tmp_path):
    """The tiny surrogate at 16^3 (the study's own) and 32^3 cells, end to end: each point's
    maps have its resolution, it trains on every one of them, and a third resolution plans
    that point's simulations, split, training and evaluation only (and the curve)."""
    from test_workflow import copy_workflow, planned_jobs, snakemake

    work = copy_workflow(tmp_path / "wf")
    override = tmp_path / "sweep.yaml"

    def sweep(cells: list[int]) -> Path:
        sweep = {"cnn": {"variant": "transport", "simulation": {"cells": cells}}}
        override.write_text(
            yaml.safe_dump({"studies": ["turbulence"], "turbulence": {"sweep": sweep}})
        )
        return override

    target = "results/turbulence/tables/learning_curve/cnn.md"
    snakemake(work, "--cores", "2", target, configfiles=(TINY, sweep([16, 32])))
    results = work / "results" / "turbulence"
    assert not (results / "simulations" / "cells16").exists()  # the study's own 16^3 runs
    n_train = {}
    for cells in (16, 32):
        with h5py.File(results / f"dataset/transport@cells{cells}/train.h5") as split:
            shape, n_train[cells] = split["x"].shape, len(split["x"])
        assert shape[1:3] == (8, 8)  # 8x8 tiles at either resolution: (cells/8)^2 per slice
        metrics = json.loads(
            (results / f"sweep/cnn/cells{cells}/cnn/test/metrics.json").read_text()
        )
        assert 0 <= metrics["accuracy"] <= 1
        log = (work / f"logs/sweep_train/turbulence/cnn/cells{cells}/cnn.log").read_text()
        assert f"{n_train[cells]} training samples" in log, log[-2000:]
    assert n_train[32] > 4 * n_train[16]  # 4 x the tiles per slice, 2 x the slices
    table = pd.read_csv(results / "tables" / "learning_curve" / "cnn.csv")
    assert sorted(set(table["budget"])) == [16, 32]
    plan = snakemake(work, "-n", "--cores", "2", target, configfiles=(TINY, sweep([16, 32, 48])))
    assert planned_jobs(plan.stdout) == {
        "turbulence_surrogate_point": 3, "athdf_to_fits_point": 3, "turbulence_cubes": 3,
        "split_dataset": 1, "sweep_train": 1, "sweep_evaluate": 1, "learning_curve": 1,
        "total": 13,
    }, plan.stdout[-3000:]  # fmt: skip
