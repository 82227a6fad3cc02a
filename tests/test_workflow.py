"""End-to-end: real Snakemake runs of the default DAG at tiny sizes in a temporary copy."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import h5py
import matplotlib.image
import numpy as np
import pandas as pd
import pytest

from sim2model.io.dataset import DatasetError, read_dataset, validate_dataset
from sim2model.io.predictions import read_predictions
from sim2model.layout import StudyPaths

REPO = Path(__file__).resolve().parents[1]
TINY = REPO / "tests" / "configs" / "tiny.yaml"
COPIED = [
    "Snakefile", "rules", "envs", "config", "report", "profiles", "workflow_scripts", "athena",
]  # fmt: skip

pytestmark = pytest.mark.slow


def copy_workflow(dest: Path) -> Path:
    """A fresh copy of the workflow (no results, no git) in ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in COPIED:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, dest / name)
    return dest


def snakemake(
    workdir: Path, *args: str, configfiles: tuple[Path, ...] = (TINY,), check: bool = True
) -> subprocess.CompletedProcess:
    """Run the Snakemake CLI of this interpreter in ``workdir`` (targets go in ``args``)."""
    cmd = [sys.executable, "-m", "snakemake", *args, "--configfile", *map(str, configfiles)]
    out = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=1200)
    if check and out.returncode != 0:
        pytest.fail(
            f"snakemake {' '.join(args)} failed:\n{out.stdout[-4000:]}\n{out.stderr[-8000:]}"
        )
    return out


def planned_jobs(dry_run: str) -> dict[str, int]:
    """Rule -> job count (and ``total``) from the "Job stats" table of a dry run's output."""
    lines = dry_run.split("Job stats:", 1)[1].splitlines()
    counts = {}
    for line in lines[3:]:  # after the header "job  count" and its rule
        parts = line.split()
        if len(parts) != 2 or not parts[1].isdigit():
            break
        counts[parts[0]] = int(parts[1])
    return counts


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory) -> Path:
    """The default DAG run once with 2 cores."""
    workdir = copy_workflow(tmp_path_factory.mktemp("run") / "wf")
    snakemake(workdir, "--cores", "2")
    return workdir


def test_every_target_exists(pipeline):
    out = snakemake(pipeline, "--cores", "1", "-n")
    assert "Nothing to be done" in out.stdout + out.stderr
    galsim = pipeline / "results" / "galsim"
    for name in ("rmse.csv", "rmse.md", "crb_comparison.csv", "crb_comparison.md",
                 "reconstruction.csv", "denoisers.csv"):  # fmt: skip
        assert (galsim / "tables" / name).stat().st_size > 0
    rmse = pd.read_csv(galsim / "tables" / "rmse.csv")
    assert list(dict.fromkeys(rmse["variant"])) == [
        "noiseless", "v2", "v3", "v2 via edsr"
    ]  # fmt: skip
    assert set(rmse.loc[rmse["variant"] == "v2", "model"]) == {
        "xception", "autoencoder", "posterior"
    }  # fmt: skip
    comparison = pd.read_csv(galsim / "tables" / "crb_comparison.csv")
    assert {"xception", "autoencoder", "posterior", "L-BFGS-B fit"} == set(comparison["estimator"])
    assert (comparison["noise"] == "ccd").all() and (comparison["poisson_shift"] > 0).all()
    # The neural posterior: its σ beside the bound, its draws scored for calibration.
    posterior = comparison[comparison["estimator"] == "posterior"]
    assert posterior["posterior_std"].gt(0).all()
    assert comparison.loc[comparison["estimator"] != "posterior", "posterior_std"].isna().all()
    assert "posterior σ_post / CRB" in (galsim / "tables" / "crb_comparison.md").read_text()
    draws = read_predictions(galsim / "eval/v2/posterior/test/predictions.h5")
    assert draws.draws.shape == (*draws.y_true.shape[:1], 200, 5)
    np.testing.assert_allclose(draws.y_pred, draws.draws.mean(axis=1), rtol=1e-4, atol=1e-6)
    calibration = pd.read_csv(galsim / "tables/calibration/v2/posterior.csv")
    assert set(calibration["level"]) == {0.5, 0.68, 0.9, 0.95}
    assert calibration["coverage"].between(0, 1).all()
    for figure in ("sbc_ranks.png", "coverage.png", "posterior_predictive.png"):
        assert (galsim / "figures/v2/posterior" / figure).stat().st_size > 0
    # Every v2 model on its test split and on Gaussian-only stamps (the default trains on CCD).
    shifted = pd.read_csv(galsim / "tables/misspecification.csv")
    assert set(shifted["model"]) == {"xception", "autoencoder", "posterior"}
    assert shifted["rmse_ratio"].gt(0).all() and len(shifted) == 3 * 5
    posterior_rows = shifted[shifted["model"] == "posterior"]
    assert posterior_rows[["coverage_68_matched", "coverage_68_misspecified"]].notna().all().all()
    eor = pipeline / "results" / "eor21cm"
    table = pd.read_csv(eor / "tables" / "metrics_by_redshift.csv", index_col=0)
    assert list(table.index) == ["7.0", "8.0", "9.0", "all"]
    leak = pd.read_csv(eor / "tables" / "split_comparison.csv", index_col=["split", "run"])
    assert list(leak.index) == [
        (split, run) for split in ("by box", "random by map") for run in ("vgg", "vgg-seed2")
    ]  # two training seeds under each split (tiny.yaml: repeats 2)
    assert (leak.loc["by box", "test_maps_from_train_boxes"] == 0).all()
    assert (leak.loc["random by map", "test_maps_from_train_boxes"] > 0).all()
    for split in ("by box", "random by map"):  # other seeds, other networks
        assert leak.loc[(split, "vgg"), "rmse"] != leak.loc[(split, "vgg-seed2"), "rmse"]
    turbulence = pipeline / "results" / "turbulence"
    accuracy = pd.read_csv(turbulence / "tables" / "per_class_accuracy.csv", index_col=0)
    assert list(accuracy.index) == ["mhd", "diffusion_fast", "streaming", "all"]
    assert list(accuracy.columns) == [
        f"{run} {kind}" for run in ("transport/cnn", "flattened/cnn")
        for kind in ("slices", "projections")
    ]  # fmt: skip
    smoothing = pd.read_csv(turbulence / "tables" / "smoothing_fractions.csv", index_col=0)
    assert list(smoothing.index) == [0.0, 2.0] and np.allclose(smoothing.sum(axis=1), 1.0)
    for name in ("crsphere", "galaxy10"):
        table = pd.read_csv(pipeline / "results" / name / "tables" / "classification.csv")
        assert table["accuracy"].between(0, 1).all()
    # The reference notebooks' numbers beside ours: crsphere's accuracy is its table's.
    crsphere = pipeline / "results" / "crsphere" / "tables"
    reference = pd.read_csv(crsphere / "reference_comparison.csv")
    assert list(reference["reference"]) == [0.975] and (reference["n_train"] > 0).all()
    accuracy = pd.read_csv(crsphere / "classification.csv")["accuracy"]
    np.testing.assert_allclose(reference["ours"], accuracy, atol=1e-4)
    galsim_reference = pd.read_csv(galsim / "tables" / "reference_comparison.csv")
    assert len(galsim_reference) == 3 * 5 + 2 * 5  # 3 Xceptions: RMSE; v2 autoencoder: bias, RMSE
    assert "Our runs trained on" in (galsim / "tables" / "reference_comparison.md").read_text()
    galaxy10 = pipeline / "results" / "galaxy10"
    assert "meets_goal" in pd.read_csv(galaxy10 / "tables" / "classification.csv")
    second = pd.read_csv(galaxy10 / "tables" / "second_choice.csv")
    assert set(second["run"]) == {"render/mlp", "render/cnn"}
    history = pd.read_csv(galaxy10 / "models" / "render" / "mlp" / "history.csv")
    assert list(history["step"]) == [20, 40] and history["test_accuracy"].between(0, 1).all()
    studies = ("galsim", "eor21cm", "turbulence", "crsphere", "galaxy10")
    for study in (pipeline / "results" / name for name in studies):
        assert (study / "provenance.json").exists() and (study / "MANIFEST.sha256").exists()
        # The cost table: every run timed by its own training and evaluation jobs.
        assert (study / "tables/cost.md").read_text().startswith("Cost of every trained model")
        cost = pd.read_csv(study / "tables/cost.csv", index_col="run")
        runs = cost[cost["part"].isna()]  # the generic runs (parts: a study's own trainings)
        assert len(runs) > 0 and (runs[["parameters", "epochs"]] > 0).all().all(), study
        assert (runs[["epoch_seconds_mean", "inference_ms_per_sample"]] > 0).all().all(), study
    cost = pd.read_csv(galsim / "tables/cost.csv", index_col="run")
    assert [f"v2 / autoencoder: step {s}" for s in ("encoder", "decoder", "autoencoder")] == [
        run for run in cost.index if run.startswith("v2 / autoencoder: ")
    ]  # fmt: skip
    assert (cost["epoch_seconds_median"] > 0).all()  # the autoencoder's steps, the denoiser's
    generator = pd.read_csv(turbulence / "tables/cost.csv", index_col="run").loc[
        "transport / ddim (diffusion generator)"
    ]  # fmt: skip
    assert generator["epoch_seconds_mean"] > 0 and generator["parameters"] > 0


def _datasets(pipeline: Path, study: str) -> list[Path]:
    files = sorted((pipeline / "results" / study).glob("*/**/*.h5"))
    return [f for f in files if {"shards", "dataset", "testsets"} & set(f.parts)]


def test_every_dataset_file_passes_the_contract(pipeline):
    galsim, eor = _datasets(pipeline, "galsim"), _datasets(pipeline, "eor21cm")
    # 6 + 3 shards, 3 x 3 splits; 2 test sets, the denoisers' set and the misspecified stamps
    assert len(galsim) == 22
    assert len(eor) == 8  # 2 shards, 3 splits by box, 3 random splits
    turbulence = _datasets(pipeline, "turbulence")
    assert len(turbulence) == 5 + 3 * 3  # 3 + 2 class shards, 3 variants x 3 splits
    others = _datasets(pipeline, "crsphere") + _datasets(pipeline, "galaxy10")
    assert len(others) == 2 * (2 + 3)  # 2 shards, 3 splits each
    for path in galsim + eor + turbulence + others:
        ds = validate_dataset(path)
        assert ds.attrs["study"] in path.parts and len(ds.attrs["config_hash"]) == 16


def test_generated_maps_pass_the_contract_and_are_scored_per_class(pipeline):
    turbulence = pipeline / "results" / "turbulence"
    generated = validate_dataset(turbulence / "generated/transport/ddim.h5")
    test = validate_dataset(turbulence / "dataset/transport/test.h5")
    assert generated.attrs["created_by"] == "generate_maps"
    assert generated.attrs["class_names"] == test.attrs["class_names"]
    assert np.bincount(generated.y).tolist() == [2, 2, 2]  # tiny.yaml: n_per_class 2
    assert generated.x.shape[1:] == test.x.shape[1:]
    table = pd.read_csv(turbulence / "tables/generated/transport/ddim.csv", index_col=0)
    assert list(table.index) == ["mhd", "diffusion_fast", "streaming"]
    assert (table["spectral_ratio"] > 0).all() and (table["w1"] >= 0).all()
    assert table["agreement"].between(0, 1).all()
    assert np.allclose(table.filter(like="predicted_").sum(axis=1), 1.0)


def test_eor_splits_keep_boxes_apart(pipeline):
    parts = [validate_dataset(pipeline / f"results/eor21cm/dataset/builtin/{k}.h5")
             for k in ("train", "val", "test")]  # fmt: skip
    boxes = [set(p.meta["box_id"].tolist()) for p in parts]
    assert all(boxes) and not (boxes[0] & boxes[1] or boxes[0] & boxes[2] or boxes[1] & boxes[2])


def test_figures_are_real_pngs(pipeline):
    figures = sorted((pipeline / "results").glob("*/figures/**/*.png"))
    # galsim: 5 runs x 3, training curves, CRB, stamps, reconstructions (autoencoder, GalSim),
    # 1 denoiser, the posterior's SBC ranks, coverage and predictive check; eor21cm: 4 runs (2
    # splits x 2 training seeds) x 3 regression figures + 3 of its own
    assert len(figures) == 24 + 15 + 10 + 5 + 6  # galsim, eor21cm, turbulence, crsphere, galaxy10
    for fig in figures:
        assert matplotlib.image.imread(fig).shape[0] > 200


def test_predictions_hold_every_test_sample(pipeline):
    for variant in ("v2", "v3"):
        pred = pipeline / f"results/galsim/eval/{variant}/xception/test/predictions.h5"
        test = validate_dataset(pipeline / f"results/galsim/dataset/{variant}/test.h5")
        with h5py.File(pred) as f:
            assert f["y_pred"].shape == test.y.shape
    # Every evaluation's rows are its data's rows, in order: labels and per-sample metadata.
    files = sorted((pipeline / "results").glob("*/eval/*/*/*/predictions.h5"))
    # galsim: 5 test splits, 3 v2 models x 3 merged sets; eor21cm: 4 runs; the others: 6 test splits
    assert len(files) == 24
    for path in files:
        study, _, variant, _, evalset = path.relative_to(pipeline / "results").parts[:5]
        paths = StudyPaths(study, root=str(pipeline / "results"))
        data = read_dataset(paths.evaluation_data(variant, evalset), extra=False)
        pred = read_predictions(path)
        assert len(pred.y_pred) == len(data) > 0, path
        np.testing.assert_array_equal(pred.y_true, data.y, err_msg=str(path))
        assert data.meta and sorted(pred.meta) == sorted(data.meta), path
        for name, values in data.meta.items():
            np.testing.assert_array_equal(pred.meta[name], values, err_msg=f"{path}: {name}")


def test_rerun_with_other_cores_gives_identical_data(pipeline, tmp_path):
    other = copy_workflow(tmp_path / "wf")
    snakemake(other, "--cores", "1", "results/galsim/MANIFEST.sha256")
    first = (pipeline / "results/galsim/MANIFEST.sha256").read_text()
    assert (other / "results/galsim/MANIFEST.sha256").read_text() == first
    # shards, splits, norm.json, merged sets (snr30, snr60, the denoisers' training set and the
    # misspecified stamps)
    assert len(first.splitlines()) == 9 + 9 + 3 + 4


def test_report_contains_every_figure(pipeline):
    snakemake(pipeline, "--cores", "1", "--report", "report.html")
    html = (pipeline / "report.html").read_text(errors="replace")
    for fig in (pipeline / "results").glob("*/figures/**/*.png"):
        assert fig.name in html
    assert "provenance.json" in html


def test_corrupt_shard_fails_naming_its_path_and_keeps_other_outputs(pipeline, tmp_path):
    work = copy_workflow(tmp_path / "wf")
    shutil.copytree(pipeline / "results", work / "results")
    shard = work / "results/galsim/shards/v3/0001.h5"
    shard.write_bytes(b"not an HDF5 file")
    kept = work / "results/galsim/dataset/v2/train.h5"
    out = snakemake(work, "--cores", "1", "--forcerun=split_dataset",
                    "results/galsim/dataset/v3/train.h5", check=False)  # fmt: skip
    assert out.returncode != 0
    log = (work / "logs/split_dataset/galsim/v3.log").read_text()
    assert "results/galsim/shards/v3/0001.h5" in log and "cannot read HDF5" in log
    assert kept.exists() and validate_dataset(kept)
    with pytest.raises(DatasetError):
        validate_dataset(shard)


@pytest.mark.parametrize(
    ("override", "key"),
    [("galsim:\n  shard_sise: 10\n", "shard_sise"), ("train:\n  epochs: many\n", "epochs")],
)
def test_bad_config_fails_before_any_job_naming_the_key(tmp_path, override, key):
    work = copy_workflow(tmp_path / "wf")
    bad = tmp_path / "bad.yaml"
    bad.write_text(override)
    out = snakemake(work, "--cores", "1", configfiles=(TINY, bad), check=False)
    assert out.returncode != 0
    assert key in out.stdout + out.stderr
    assert not (work / "results").exists()


def test_reproduce_reruns_from_clean_results_and_reports_differences(pipeline, tmp_path):
    work = copy_workflow(tmp_path / "wf")
    shutil.copytree(pipeline / "results", work / "results")
    manifest = work / "results/galsim/MANIFEST.sha256"
    lines = manifest.read_text().splitlines()
    tampered = lines[0].split("  ")[1]
    lines[0] = "0" * 64 + "  " + tampered
    manifest.write_text("\n".join(lines) + "\n")
    out = subprocess.run(
        [sys.executable, "-m", "sim2model.reproduce", "--cores", "2", "--configfile", str(TINY)],
        cwd=work, capture_output=True, text=True, timeout=900,
        env={**os.environ, "PYTHONPATH": str(work / "workflow_scripts")},
    )  # fmt: skip
    assert out.returncode == 1, out.stdout + out.stderr
    assert f"galsim: {len(lines)} data products, 1 differences" in out.stdout
    assert "eor21cm: 10 data products, identical" in out.stdout
    assert f"differs: {tampered} (000000000000 -> " in out.stdout
    assert len(list(work.glob("results.previous-*/galsim/MANIFEST.sha256"))) == 1


def test_killed_training_job_resumes_under_snakemake(pipeline, tmp_path):
    work = copy_workflow(tmp_path / "wf")
    shutil.copytree(pipeline / "results", work / "results")
    longer = tmp_path / "longer.yaml"
    longer.write_text("galsim:\n  train: {epochs: 8, patience: 100}\n")  # the study's own block
    model_dir = work / "results/galsim/models/v2/xception"
    target = "results/galsim/models/v2/xception/model.keras"
    cmd = [sys.executable, "-m", "snakemake", "--cores", "2", "--forcerun=train", target,
           "--configfile", str(TINY), str(longer)]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=work, start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    metadata = model_dir / "checkpoints/backup/training_metadata.json"
    deadline = time.monotonic() + 300
    while not (metadata.exists() and json.loads(metadata.read_text() or "{}").get("epoch", 0) >= 2):
        assert proc.poll() is None and time.monotonic() < deadline, "training ended before kill"
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    log = work / "logs/train/galsim/v2/xception.log"
    killed_at = log.read_text().count("\nEpoch ")
    assert 2 <= killed_at < 8

    snakemake(work, "--unlock", configfiles=(TINY, longer))  # the kill left the lock behind
    snakemake(work, "--cores", "2", "--rerun-incomplete", target, configfiles=(TINY, longer))
    history = pd.read_csv(model_dir / "history.csv")
    assert list(history["epoch"]) == list(range(8))
    rerun = re.split(r"rule train \{.*\} started", log.read_text())[-1]
    first_epoch = int(re.search(r"^Epoch (\d+)/8", rerun, re.M).group(1))
    assert first_epoch > 1, "the rerun started over instead of resuming"


def test_architecture_search_runs_on_demand_and_reruns_nothing_else(pipeline, tmp_path):
    """The search target runs one job on the pipeline's splits; `all` never asks for it, and
    the search block is not part of the hashed config, so changing it reruns nothing else."""
    import yaml

    small = tmp_path / "search.yaml"  # one cheap trial of config.yaml's galsim search
    small.write_text(
        "galsim:\n  search:\n    xception:\n      max_trials: 1\n      epochs: 1\n"
        "      space: {entry_filters: [8], sep_filters: [16]}\n"
    )
    target = "results/galsim/search/xception/best.yaml"
    out = snakemake(pipeline, "--cores", "1", target, configfiles=(TINY, small))
    assert re.search(r"^architecture_search\s+1\n^total\s+1$", out.stdout + out.stderr, re.M)
    best = yaml.safe_load((pipeline / target).read_text())["galsim"]
    assert best["models"]["xception"]["entry_filters"] == 8
    assert best["models"]["xception"]["sep_filters"] == 16
    trials = pd.read_csv(pipeline / "results/galsim/search/xception/trials.csv")
    assert len(trials) == 1 and np.isfinite(trials["val_loss"]).all()
    done = snakemake(pipeline, "--cores", "1", "-n", configfiles=(TINY, small))
    assert "Nothing to be done" in done.stdout + done.stderr
    # Training with the best trial retrains the study's models but simulates and splits nothing.
    tuned = snakemake(pipeline, "--cores", "1", "-n", configfiles=(TINY, small, pipeline / target))
    jobs = set(re.findall(r"^(\w+)\s+\d+$", tuned.stdout + tuned.stderr, re.M))
    assert "train" in jobs and not jobs & {"source_shard", "merge_testset", "split_dataset"}, jobs


def test_another_misspecification_remakes_only_its_own_stamps(pipeline, tmp_path):
    """`galsim.misspecification` shapes one evaluation set: noisier stamps plan one shard, its
    merge and the three v2 models' evaluations on it, and no other simulation, split or
    training (rules/common.smk data_config leaves `Study.evaluation_blocks` out)."""
    shift = tmp_path / "shift.yaml"
    shift.write_text("galsim:\n  misspecification: {n_samples: 12, sigma: [600.0, 800.0]}\n")
    plan = snakemake(pipeline, "-n", "--cores", "2", configfiles=(TINY, shift))
    jobs = planned_jobs(plan.stdout)
    assert jobs["source_shard"] == 1 and jobs["merge_testset"] == 1, jobs
    assert jobs["evaluate"] == 3 and jobs["misspecification"] == 1, jobs
    assert not jobs.keys() & {"train", "split_dataset", "galsim_autoencoder"}, jobs
    assert "results/galsim/shards/misspecified/0000.h5" in plan.stdout


def test_a_galsim_sweep_scores_every_point_on_the_crb_test_sets(pipeline, tmp_path):
    """A sweep on v2 (the test sets' variant) plans each point's training and its evaluations
    on the test split, snr30 and snr60, reads the CRB the tiny run computed, and nothing else."""
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text("galsim:\n  sweep:\n    xception: {variant: v2, train_samples: [10, 20]}\n")
    target = "results/galsim/tables/learning_curve/xception.md"
    plan = snakemake(pipeline, "-n", "--cores", "2", target, configfiles=(TINY, sweep))
    jobs = planned_jobs(plan.stdout)
    assert jobs == {"sweep_train": 2, "sweep_evaluate": 6, "learning_curve": 1, "total": 9}, jobs
    for evalset in ("test", "snr30", "snr60"):
        assert f"results/galsim/sweep/xception/n20/xception/{evalset}/metrics.json" in plan.stdout


def test_raising_repeats_plans_only_the_new_runs(pipeline, tmp_path):
    """The tiny run trained eor21cm's VGG twice under each split (repeats 2); with repeats 3 a
    dry run plans one training and evaluation per split (vgg-seed3) and what reads every run,
    and simulates, splits and retrains nothing."""
    more = tmp_path / "repeats.yaml"
    more.write_text("eor21cm:\n  models:\n    vgg: {repeats: 3}\n")
    plan = snakemake(pipeline, "-n", "--cores", "2", configfiles=(TINY, more))
    jobs = planned_jobs(plan.stdout)
    assert jobs["train"] == 2 and jobs["evaluate"] == 2, jobs
    assert not jobs.keys() & {"source_shard", "split_dataset", "merge_testset"}, jobs
    planned = set(re.findall(r"output: (results/\S+/model\.keras)", plan.stdout))
    assert planned == {
        f"results/eor21cm/models/{variant}/vgg-seed3/model.keras"
        for variant in ("builtin", "builtin_random_split")
    }, planned
