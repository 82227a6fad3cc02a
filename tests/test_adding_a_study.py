"""Adding a study is small: a toy sixth study runs end to end through the generic stages.

The steps are those of docs/adding_a_study.md: one module (tests/studies/blobs.py) copied into
``sim2model/studies/``, two lines registering it, and a config section. No rule file.
"""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from sim2model.io.dataset import read_dataset
from test_workflow import REPO, copy_workflow, snakemake

pytestmark = pytest.mark.slow

STUDY = REPO / "tests" / "studies" / "blobs.py"
CONFIG = REPO / "tests" / "configs" / "blobs.yaml"
REGISTRATION = """
from sim2model.studies.blobs import BlobsStudy  # noqa: E402

STUDY_CLASSES[BlobsStudy.name] = BlobsStudy
"""


@pytest.fixture(scope="module")
def blobs_run(tmp_path_factory):
    work = copy_workflow(tmp_path_factory.mktemp("blobs") / "wf")
    studies = work / "workflow_scripts" / "sim2model" / "studies"
    shutil.copy(STUDY, studies / "blobs.py")
    with open(studies.parent / "registry.py", "a") as registry:
        registry.write(REGISTRATION)
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
    assert 0.0 <= table.loc["blobs/mlp", "accuracy"] <= 1.0
    for figure in ("figures/blobs/mlp/confusion_matrix.png", "figures/training_curves.png"):
        assert (results / figure).read_bytes().startswith(b"\x89PNG")
    assert (results / "provenance.json").stat().st_size > 0
    manifest = (results / "MANIFEST.sha256").read_text().splitlines()
    assert len(manifest) == 2 + 4  # two shards, three splits and the normaliser


def test_toy_study_errors_name_its_keys(blobs_run, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("blobs:\n  n_samples: 1\n")
    out = snakemake(blobs_run, "-n", configfiles=(CONFIG, bad), check=False)
    assert out.returncode != 0
    assert "config blobs.n_samples: 1 is less than the minimum of 2" in out.stdout + out.stderr
