"""SimFast21 boxes of any size: native maps, block means, centred crops, parse-time checks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from sim2model.errors import ConfigError
from sim2model.io.dataset import read_dataset
from sim2model.stages.source import source_shard
from sim2model.studies.eor21cm.simfast21 import BOX_KINDS
from sim2model.studies.eor21cm.study import Eor21cmStudy

REPO = Path(__file__).resolve().parents[1]
DEFAULT = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
REDSHIFTS = ("9.000", "8.000")


def write_random_run(root: Path, n: int, seed: int = 0) -> Path:
    """A SimFast21 run directory of ``n``^3 boxes with random xHII in [0, 1] and Tb."""
    rng = np.random.default_rng(seed)
    for z in REDSHIFTS:
        for kind, (folder, prefix) in BOX_KINDS.items():
            (root / folder).mkdir(parents=True, exist_ok=True)
            values = rng.uniform(0, 1, n**3) if kind == "xHII" else rng.normal(10, 3, n**3)
            values.astype("<f4").tofile(root / folder / f"{prefix}_z{z}_N{n}_L30.0.dat")
    (root / "Output_text_files").mkdir(exist_ok=True)
    (root / "Output_text_files" / "zsim.txt").write_text("".join(f"{z}\n" for z in REDSHIFTS))
    return root


def study(run: Path, **settings) -> Eor21cmStudy:
    config = {
        **DEFAULT,
        "eor21cm": {
            **DEFAULT["eor21cm"], "source": "simfast21", "slices_per_box": 2,
            "simfast21": {"runs": [str(run)]},
            "dataset": {**DEFAULT["eor21cm"]["dataset"], "group_by": None, "balance": None},
            **settings,
        },
    }  # fmt: skip
    return Eor21cmStudy(config)


def shard_of(s: Eor21cmStudy, tmp_path: Path):
    s.check()
    (planned,) = s.shards("simfast21")
    path = tmp_path / "shard.h5"
    source_shard(
        str(path),
        study="eor21cm",
        task="regression",
        build_shard=Eor21cmStudy.build_shard,
        plan=planned.plan,
        seed=1,
        config={},
        cache_dir=str(tmp_path),
    )
    return read_dataset(path)


@pytest.mark.parametrize("n", [48, 64])
def test_native_maps_keep_the_box_size(tmp_path, n):
    run = write_random_run(tmp_path / "run", n)
    for size in ("native", None):
        ds = shard_of(study(run, image_size=size), tmp_path)
        assert ds.x.shape == (2 * len(REDSHIFTS), n, n, 1)


@pytest.mark.parametrize("n", [48, 64])
def test_centred_crop_keeps_the_middle_and_relabels_it(tmp_path, n):
    from sim2model.studies.eor21cm.simfast21 import open_run

    run = write_random_run(tmp_path / "run", n)
    ds = shard_of(study(run, image_size=32, resize="crop"), tmp_path)
    assert ds.x.shape[1:] == (32, 32, 1)
    first = (n - 32) // 2
    box = open_run(run)
    for i in range(len(ds)):
        z, cell = ds.meta["redshift"][i], int(ds.meta["slice_index"][i])
        tb = box.tb_mk(f"{z:.3f}")[first : first + 32, first : first + 32, cell]
        np.testing.assert_allclose(ds.x[i, ..., 0], tb, rtol=1e-6)
        xhi = box.xhi(f"{z:.3f}")[first : first + 32, first : first + 32, cell]
        assert ds.y[i, 0] == pytest.approx(xhi.mean(), rel=1e-6)


@pytest.mark.parametrize("n", [48, 64])
def test_block_means_need_a_divisor(tmp_path, n):
    run = write_random_run(tmp_path / "run", n)
    assert shard_of(study(run, image_size=16), tmp_path).x.shape[1:] == (16, 16, 1)
    if n % 32:
        with pytest.raises(ConfigError, match=f"32 must divide the {n}x{n} maps of SimFast21 run"):
            study(run, image_size=32).check()


def test_native_runs_of_different_sizes_are_refused(tmp_path):
    small, large = write_random_run(tmp_path / "a", 48), write_random_run(tmp_path / "b", 64)
    s = study(small, image_size="native", simfast21={"runs": [str(small), str(large)]})
    with pytest.raises(ConfigError, match="different sizes") as caught:
        s.check()
    assert caught.value.key == "eor21cm.image_size"


def test_a_bad_size_stops_the_dry_run_naming_key_run_and_sizes(tmp_path):
    run = write_random_run(tmp_path / "run", 48)
    config = tmp_path / "bad.yaml"
    config.write_text(
        yaml.safe_dump(
            {"studies": ["eor21cm"], "eor21cm": {"source": "simfast21", "image_size": 32,
             "simfast21": {"runs": [str(run)]}, "dataset": {"group_by": None, "balance": None}}}
        )
    )  # fmt: skip
    out = subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", "--configfile", str(config)],
        capture_output=True, text=True, cwd=REPO,
    )  # fmt: skip
    text = out.stdout + out.stderr
    assert out.returncode != 0 and "Building DAG" not in text
    assert (
        f"config eor21cm.image_size: 32 must divide the 48x48 maps of SimFast21 run {run}" in text
    )
