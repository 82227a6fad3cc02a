"""Adding a study is small: a toy sixth study runs end to end through the generic stages.

The steps are those of docs/adding_a_study.md: the files under tests/studies/blobs/ (a study
package, its schema file, its rule file with one rule of its own, that rule's entry script and
caption) copied to the same places in a fresh copy of the workflow, and a config section. No file
of the workflow is edited: the registry finds the package, the Snakefile the rule file, the
schema loader the schema file.
"""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from sim2model.io.dataset import read_dataset
from sim2model.io.predictions import read_predictions
from sim2model.layout import StudyPaths
from test_workflow import REPO, copy_workflow, snakemake

pytestmark = pytest.mark.slow

STUDY = REPO / "tests" / "studies" / "blobs"
CONFIG = REPO / "tests" / "configs" / "blobs.yaml"
GUIDE = REPO / "docs" / "adding_a_study.md"
#: Every file adding the study takes, by its place in the workflow (docs/adding_a_study.md lists
#: the same): new files only, no file of the workflow edited.
STUDY_FILES = [
    "config/schema/blobs.yaml",
    "report/blobs_gallery.rst",
    "rules/studies/blobs.smk",
    "workflow_scripts/blobs_gallery.py",
    "workflow_scripts/sim2model/studies/blobs/__init__.py",
    "workflow_scripts/sim2model/studies/blobs/gallery.py",
    "workflow_scripts/sim2model/studies/blobs/names.py",
    "workflow_scripts/sim2model/studies/blobs/simulator.py",
    "workflow_scripts/sim2model/studies/blobs/study.py",
]


def study_files() -> list[str]:
    return sorted(
        str(p.relative_to(STUDY)) for p in STUDY.rglob("*") if p.is_file() and
        "__pycache__" not in p.parts
    )  # fmt: skip


def test_the_guide_lists_every_file_of_the_example():
    assert study_files() == STUDY_FILES
    guide = GUIDE.read_text()
    assert [f for f in STUDY_FILES if f not in guide] == []


@pytest.fixture(scope="module")
def blobs_run(tmp_path_factory):
    work = copy_workflow(tmp_path_factory.mktemp("blobs") / "wf")
    for rel in study_files():
        assert not (work / rel).exists(), f"{rel}: adding a study must not edit the workflow"
        (work / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(STUDY / rel, work / rel)
    snakemake(work, "--cores", "2", configfiles=(CONFIG,))
    return work


def test_toy_study_runs_through_the_generic_stages(blobs_run):
    results = blobs_run / "results" / "blobs"
    shards = sorted((results / "shards" / "blobs").glob("*.h5"))
    assert [s.name for s in shards] == ["0000.h5", "0001.h5"]
    parts = {name: read_dataset(results / "dataset" / "blobs" / f"{name}.h5") for name in
             ("train", "val", "test")}  # fmt: skip
    assert sum(len(p) for p in parts.values()) == 120
    assert parts["train"].attrs["created_by"] == "split_dataset"
    table = pd.read_csv(results / "tables" / "classification.csv", index_col=0)
    assert list(table.index) == ["blobs/mlp"]
    assert table.loc["blobs/mlp", "n_test"] == len(parts["test"])
    # The model learnt the task: chance is 0.5 (two classes), and >= 0.9 on the 12 test stamps
    # (at most one wrong) happens by chance with probability 13/4096.
    assert table.loc["blobs/mlp", "accuracy"] >= 0.9
    figures = ("figures/blobs/mlp/confusion_matrix.png", "figures/training_curves.png",
               "figures/gallery.png")  # fmt: skip
    for figure in figures:
        assert (results / figure).read_bytes().startswith(b"\x89PNG")
    assert (results / "provenance.json").stat().st_size > 0
    manifest = (results / "MANIFEST.sha256").read_text().splitlines()
    assert len(manifest) == 2 + 4  # two shards, three splits and the normaliser


def test_toy_study_predictions_line_up_with_the_test_split(blobs_run):
    """Row i of the predictions file is test sample i: its id, its label, its prediction."""
    paths = StudyPaths("blobs", root=str(blobs_run / "results"))
    test = read_dataset(paths.split("blobs", "test"))
    pred = read_predictions(paths.predictions("blobs", "mlp"))
    ids = test.meta["sample_id"]
    assert len(set(ids.tolist())) == len(ids) == 12
    np.testing.assert_array_equal(pred.meta["sample_id"], ids)
    np.testing.assert_array_equal(pred.y_true, test.y)
    assert pred.y_pred.shape == (12, 2) and np.allclose(pred.y_pred.sum(axis=1), 1.0)
    # Scored here against the test split's labels, not the file's y_true.
    accuracy = np.mean(pred.y_pred.argmax(axis=1) == test.y)
    assert accuracy >= 0.9
    table = pd.read_csv(blobs_run / "results/blobs/tables/classification.csv", index_col=0)
    assert table.loc["blobs/mlp", "accuracy"] == pytest.approx(accuracy, abs=5e-5)


def test_toy_study_errors_name_its_keys(blobs_run, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("blobs:\n  n_samples: 1\n")
    out = snakemake(blobs_run, "-n", configfiles=(CONFIG, bad), check=False)
    assert out.returncode != 0
    assert "config blobs.n_samples: 1 is less than the minimum of 2" in out.stdout + out.stderr
