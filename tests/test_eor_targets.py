"""EoR 21cm: regressing several targets at once (eor21cm.targets)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from sim2model.errors import ConfigError
from sim2model.io.predictions import Predictions, write_predictions
from sim2model.registry import STUDY_CLASSES
from sim2model.studies.eor21cm.maps import builtin_shard, with_targets
from sim2model.studies.eor21cm.report import metrics_by_redshift
from sim2model.studies.eor21cm.seminumerical import SimConfig

REPO = Path(__file__).resolve().parents[1]


def eor_study(**settings):
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    config["eor21cm"].update(settings)
    return STUDY_CLASSES["eor21cm"](config)


def test_maps_carry_every_target_in_order():
    ds = builtin_shard(3, n_boxes=2, first_box_id=0, redshifts=[8.0, 9.0], slices_per_box=2,
                       config=SimConfig(n=16, box_mpc=32.0))  # fmt: skip
    xhi, zeta = ds.y[:, 0].copy(), ds.meta["zeta"].copy()
    ds = with_targets(ds, ["xHI", "zeta"])
    assert ds.y.shape == (8, 2) and ds.y.dtype == np.float32
    np.testing.assert_array_equal(ds.y[:, 0], xhi)
    np.testing.assert_allclose(ds.y[:, 1], zeta, rtol=1e-6)
    assert ds.attrs["target_names"] == ["xHI", "zeta"] and ds.attrs["units"] == ["", ""]
    with pytest.raises(ValueError, match=r"eor21cm.targets: 'M_TURN' is not a numeric column"):
        with_targets(ds, ["xHI", "M_TURN"])


def test_targets_reach_the_shard_plan_and_are_checked():
    assert "targets" not in eor_study().shards("builtin")[0].plan  # xHI alone: shards as before
    study = eor_study(targets=["xHI", "zeta"])
    study.check()
    assert study.shards("builtin")[0].plan["targets"] == ["xHI", "zeta"]
    with pytest.raises(ConfigError, match="built-in boxes carry xHI and zeta, not .'F_STAR10'"):
        eor_study(targets=["xHI", "F_STAR10"]).check()
    with pytest.raises(ConfigError, match="list xHI first"):
        eor_study(targets=["zeta", "xHI"]).check()


def test_vgg_regresses_every_target_and_each_is_scored(tmp_path):
    from sim2model.models import build_model
    from sim2model.stages.evaluate import score

    model = build_model("vgg", (16, 16, 1), 2, dense_units=8)
    assert model.output.shape[-1] == 2
    truth = np.column_stack([np.linspace(0.1, 0.9, 6), np.linspace(10.0, 60.0, 6)])
    pred = truth + np.array([0.1, -2.0])  # constant errors: rmse = |offset|
    meta = {"redshift": np.repeat([7.0, 8.0], 3)}
    path = tmp_path / "p.h5"
    write_predictions(path, Predictions(truth, pred, ["xHI", "zeta"], meta=meta))
    table = metrics_by_redshift(str(path))
    assert table.loc["all", "rmse xHI"] == pytest.approx(0.1)
    assert table.loc["all", "rmse zeta"] == pytest.approx(2.0)
    assert table.loc["all", "bias zeta"] == pytest.approx(-2.0)
    assert table.loc[7.0, "n_maps"] == 3
    # R^2 = 1 - n offset^2 / sum (t - mean)^2
    spread = np.sum((truth[:, 1] - truth[:, 1].mean()) ** 2)
    assert table.loc["all", "r2 zeta"] == pytest.approx(1 - 6 * 4.0 / spread)

    from sim2model.io.dataset import Dataset

    ds = Dataset(x=np.zeros((6, 16, 16, 1), np.float32), y=truth.astype(np.float32),
                 attrs={"task": "regression", "target_names": ["xHI", "zeta"]})  # fmt: skip
    per_target, _ = score(ds, pred)
    assert list(per_target.index) == ["xHI", "zeta"]
    np.testing.assert_allclose(per_target["rmse"], [0.1, 2.0], rtol=1e-5)
