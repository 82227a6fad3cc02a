"""End-to-end: real Snakemake runs of single studies on data a user brings (simulator output)."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest

from sim2model.io.dataset import validate_dataset
from test_workflow import REPO, TINY, copy_workflow, snakemake

pytestmark = pytest.mark.slow


def test_eor_study_runs_on_real_simfast21_output(tmp_path, shared_fixtures):
    work = copy_workflow(tmp_path / "wf")
    override = tmp_path / "simfast21.yaml"
    runs = str(shared_fixtures / "simfast21")
    override.write_text(
        (REPO / "config" / "eor21cm_simfast21.yaml")
        .read_text()
        .replace("../shared/fixtures/simfast21", runs)
    )
    snakemake(work, "--cores", "2", configfiles=(TINY, override))
    shard = validate_dataset(work / "results/eor21cm/shards/simfast21/0000.h5")
    assert sorted(set(shard.meta["redshift"])) == [7.0, 7.5, 8.0, 8.5, 9.0, 9.5, 10.0]
    assert len(shard) == 7 * 4 and shard.x.shape[1:] == (16, 16, 1)
    assert (work / "results/eor21cm/tables/metrics_by_redshift.md").exists()


def test_eor_posterior_of_the_builtin_simulator_meets_simfast21_maps(tmp_path, shared_fixtures):
    """The misspecification test end to end: an xHI posterior trained on the built-in
    simulator's maps, scored on its test split and on the SimFast21 run's maps (cut to the
    training label range, block-averaged to the same size) in tables/misspecification."""
    work = copy_workflow(tmp_path / "wf")
    override = tmp_path / "misspecified.yaml"
    override.write_text(
        f"""
studies: [eor21cm]
eor21cm:
  targets: [xHI]
  compare_random_split: false
  misspecification: {{runs: ["{shared_fixtures / "simfast21"}"]}}
  models:
    vgg: null
    posterior: {{arch: posterior, summary: {{arch: vgg, dense_units: 8}}, summary_dim: 4,
                flow: {{depth: 2, hidden_units: [16]}}}}
"""
    )
    table = "results/eor21cm/tables/misspecification.csv"
    snakemake(work, "--cores", "2", table, configfiles=(TINY, override))
    maps = validate_dataset(work / "results/eor21cm/testsets/misspecified.h5")
    assert maps.x.shape[1:] == (16, 16, 1) and maps.attrs["source"] == "simfast21"
    assert maps.y.min() >= 0.01 and maps.y.max() <= 0.99 and len(maps) > 0
    scored = json.loads(
        (work / "results/eor21cm/eval/builtin/posterior/misspecified/metrics.json").read_text()
    )
    assert scored["n_samples"] == len(maps)
    (row,) = pd.read_csv(work / table).to_dict("records")
    assert (row["model"], row["target"]) == ("posterior", "xHI")
    for score in ("rmse", "coverage_68", "coverage_95"):
        assert np.isfinite([row[f"{score}_matched"], row[f"{score}_misspecified"]]).all()
    text = (work / "results/eor21cm/tables/misspecification.md").read_text()
    assert "SimFast21 maps of run(s) simfast21 (64^3 cells, 30 Mpc)" in text


def test_turbulence_study_runs_on_real_athena_output(tmp_path, shared_fixtures):
    """Real Athena++ snapshots (no CR fields) through athdf -> FITS -> slabs -> CNN and U-Net."""
    from astropy.io import fits

    from sim2model.studies.turbulence.athdf import read_athdf_variable

    work = copy_workflow(tmp_path / "wf")
    runs = shared_fixtures / "athena_turb_mhd"
    override = tmp_path / "athena.yaml"
    override.write_text(
        f"""
studies: [turbulence]
turbulence:
  source: athdf
  classes:
    early: {{snapshots: ["{runs}/turb_mhd.out2.0000[12].athdf"]}}
    late: {{snapshots: ["{runs}/turb_mhd.out2.00003.athdf", "{runs}/turb_mhd.out3.00001.athdf"]}}
  variants: {{ecr: null, emag: {{task: image2image, input: rho, target: emag}}}}
  flattened_variant: null
  generative: null  # the tiny pipeline test covers the generate stage
  interpretation: {{smoothing_class: early}}
  dataset:
    spatial: {{axis: 0, buffer: 2, periodic: true, tile: 16, projection_depth: 2}}
"""
    )
    snakemake(work, "--cores", "2", "turbulence", configfiles=(TINY, override))
    results = work / "results/turbulence"
    converted = results / "fits/late/s001/rho.fits"
    with fits.open(converted) as hdul:
        assert hdul[0].header["SRCFILE"] == "turb_mhd.out3.00001.athdf"
        assert hdul[0].header["CYCLE"] == 123
        expected = read_athdf_variable(runs / "turb_mhd.out3.00001.athdf", "rho")
        assert hdul[0].data.dtype == np.dtype(">f8") and np.array_equal(hdul[0].data, expected)
    splits = {k: validate_dataset(results / f"dataset/transport/{k}.h5") for k in ("train", "test")}
    assert splits["train"].x.shape[1:] == (16, 16, 1)
    train_cells = set(splits["train"].meta["slice_index"].tolist())
    test = splits["test"]
    for start, depth in zip(test.meta["slice_index"], test.meta["slice_depth"], strict=True):
        cells = range(int(start), int(start) + int(depth))
        # no test cell within the 2-cell buffer of a training cell (periodic, 32 cells)
        assert all(min((c - t) % 32, (t - c) % 32) > 2 for c in cells for t in train_cells)
    assert set(test.meta["slice_depth"].tolist()) == {1, 2}
    accuracy = pd.read_csv(results / "tables/per_class_accuracy.csv", index_col=0)
    assert list(accuracy.index) == ["early", "late", "all"]
    assert (results / "figures/emag/unet/power_spectra.png").exists()


def _write_2d_run(directory: Path, correlation_cells: float, n_snapshots: int, seed: int) -> None:
    """Snapshots of a 2D Athena++ run (64x64 cells in 8 meshblocks) of log-normal density."""
    from scipy.ndimage import gaussian_filter

    from sim2model.studies.turbulence.athdf_write import write_athdf

    directory.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    for i in range(n_snapshots):
        field = gaussian_filter(rng.standard_normal((64, 64)), correlation_cells, mode="wrap")
        rho = np.exp(field / field.std() * 0.5)[None]
        write_athdf(
            directory / f"run2d.out2.{i:05d}.athdf", {"prim": {"rho": rho}},
            time=float(i), cycle=10 * i, block_size=(32, 16, 1),
        )  # fmt: skip


def test_turbulence_study_runs_on_a_2d_athena_run(tmp_path):
    """A 2D run (one cell along z): FITS, plane tiles in buffered slabs along x, CNN, evaluation."""
    work = copy_workflow(tmp_path / "wf")
    runs = tmp_path / "runs"
    _write_2d_run(runs / "smooth", correlation_cells=4.0, n_snapshots=2, seed=1)
    _write_2d_run(runs / "rough", correlation_cells=0.7, n_snapshots=2, seed=2)
    override = tmp_path / "athena2d.yaml"
    override.write_text(
        f"""
studies: [turbulence]
turbulence:
  source: athdf
  classes:
    smooth: {{snapshots: ["{runs}/smooth/*.athdf"]}}
    rough: {{snapshots: ["{runs}/rough/*.athdf"]}}
  variants: {{ecr: null, emag: null}}
  flattened_variant: null
  generative: null  # the tiny pipeline test covers the generate stage
  interpretation: {{smoothing_class: smooth}}
  models: {{unet: null, cnn: {{arch: cnn_classifier, filters: [4, 8], dense_units: 8}}}}
  dataset:
    spatial: {{axis: 2, buffer: 4, periodic: true, tile: 8, projection_depth: null}}
"""
    )
    snakemake(work, "--cores", "2", "turbulence", configfiles=(TINY, override))
    results = work / "results/turbulence"
    splits = {
        k: validate_dataset(results / f"dataset/transport/{k}.h5") for k in ("train", "val", "test")
    }
    assert json.loads(splits["train"].attrs["spatial_split"])["samples"] == "plane_tiles"
    cells = {}
    for name, split in splits.items():
        assert split.x.shape[1:] == (8, 8, 1) and set(split.y.tolist()) == {0, 1}
        cells[name] = {int(s) + c for s in split.meta["cut_start"] for c in range(8)}
    for one, two in (("train", "val"), ("train", "test"), ("val", "test")):
        # no tile cell of one split within the 4-cell buffer of another (periodic, 64 cells in x)
        gap = min(min((a - b) % 64, (b - a) % 64) for a in cells[one] for b in cells[two])
        assert gap > 4, (one, two, gap)
    accuracy = pd.read_csv(results / "tables/per_class_accuracy.csv", index_col=0)
    assert list(accuracy.index) == ["smooth", "rough", "all"]
    with h5py.File(results / "eval/transport/cnn/test/predictions.h5") as predictions:
        assert len(predictions["y_true"]) == len(splits["test"])
