"""The posterior's workflow pieces: config checks, run lists and the calibration stage."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from PIL import Image

from sim2model.errors import ConfigError
from sim2model.io.predictions import Predictions, read_predictions, write_predictions
from sim2model.registry import load_studies
from sim2model.stages.calibration import posterior_calibration
from sim2model.train.losses import POSTERIOR_LOSS

REPO = Path(__file__).resolve().parents[1]
DEFAULT = yaml.safe_load((REPO / "config" / "config.yaml").read_text())


def test_default_galsim_trains_a_posterior_on_v2_with_its_own_loss():
    galsim = load_studies(DEFAULT)["galsim"]
    assert galsim.posterior_runs() == [("v2", "posterior")]
    assert galsim.run_loss("v2", "posterior") == POSTERIOR_LOSS
    assert galsim.run_loss("v2", "xception") == "mse"
    assert ("v2", "posterior", "snr60") in galsim.testset_runs()  # beside the CRB
    targets = galsim.generic_targets()
    for path in galsim.paths.calibration("v2", "posterior"):
        assert path in targets
    assert not any("calibration" in t for t in load_studies(DEFAULT)["eor21cm"].generic_targets())


@pytest.mark.parametrize(
    ("summary", "key", "words"),
    [
        (None, "galsim.models.posterior.summary", "needs a summary network"),
        ({"arch": "cnn_classifier"}, "galsim.models.posterior.summary.arch", "not a regression"),
        ({"arch": "posterior"}, "galsim.models.posterior.summary.arch", "not a regression"),
    ],
)
def test_a_posterior_needs_a_regression_summary_network(summary, key, words):
    settings = copy.deepcopy(DEFAULT)
    settings["galsim"]["models"]["posterior"]["summary"] = summary
    with pytest.raises(ConfigError, match=words) as error:
        load_studies(settings)
    assert error.value.key == key


def _predictions(scale: float, seed: int = 0, n: int = 600, draws: int = 99) -> Predictions:
    """Gaussian posteriors of two parameters: draws around a noisy observation whose spread is
    ``scale`` times the true posterior's (1: calibrated), three redshift groups."""
    rng = np.random.default_rng(seed)
    truth = rng.normal(size=(n, 2))
    centre = truth + rng.normal(size=(n, 2))  # the posterior of a unit-noise observation
    samples = centre[:, None, :] + scale * rng.normal(size=(n, draws, 2))
    return Predictions(
        y_true=truth.astype(np.float32), y_pred=samples.mean(axis=1).astype(np.float32),
        target_names=["xHI", "zeta"], meta={"redshift": np.repeat([7.0, 8.0, 9.0], n // 3)},
        units=["", ""], y_std=samples.std(axis=1).astype(np.float32),
        draws=samples.astype(np.float32),
    )  # fmt: skip


def _calibrate(tmp_path: Path, pred: Predictions, group_by: str | None = "redshift") -> dict:
    write_predictions(tmp_path / "predictions.h5", pred)
    assert read_predictions(tmp_path / "predictions.h5").draws.shape == pred.draws.shape
    out = {name: tmp_path / name for name in ("t.csv", "t.md", "ranks.png", "coverage.png")}
    posterior_calibration(
        str(tmp_path / "predictions.h5"), *map(str, out.values()), caption="Tiny.",
        group_by=group_by,
    )  # fmt: skip
    return out


def test_calibration_stage_passes_a_calibrated_posterior_with_groups(tmp_path):
    out = _calibrate(tmp_path, _predictions(scale=1.0))
    table = pd.read_csv(out["t.csv"])
    assert list(dict.fromkeys(table["group"].astype(str))) == ["all", "7.0", "8.0", "9.0"]
    overall = table[table["group"] == "all"]
    assert overall["within"].all() and len(overall) == 2 * 4  # two targets, four levels
    text = out["t.md"].read_text()
    assert "600 samples, 99 draws" in text and "Coverage per group" in text and "Tiny." in text
    assert "False" not in text.split("Coverage per group")[0]  # calibrated: both tests pass
    for figure in ("ranks.png", "coverage.png"):
        assert Image.open(out[figure]).size[0] > 300


def test_calibration_stage_flags_an_over_confident_posterior(tmp_path):
    """Draws half as wide as the true posterior: coverage far below nominal, ranks not
    uniform. The stage must say so (the check can fail)."""
    out = _calibrate(tmp_path, _predictions(scale=0.5), group_by=None)
    table = pd.read_csv(out["t.csv"])
    assert set(table["group"]) == {"all"} and not table["within"].any()
    assert (table.loc[table["level"] == 0.68, "coverage"] < 0.5).all()
    assert out["t.md"].read_text().count("False") == 2  # neither parameter calibrated


def test_calibration_stage_names_a_point_estimate_file(tmp_path):
    pred = _predictions(scale=1.0)
    pred.draws, pred.y_std = None, None
    write_predictions(tmp_path / "point.h5", pred)
    with pytest.raises(ValueError, match=r"point\.h5: holds no posterior draws"):
        posterior_calibration(str(tmp_path / "point.h5"), *(str(tmp_path / f) for f in "abcd"))


def test_misspecification_table_pairs_matched_and_shifted_scores(tmp_path):
    from sim2model.stages.misspecification import misspecification

    def metrics(name: str, rmse: float, coverage: float | None) -> str:
        scores = {"rmse": rmse, "bias": 0.0}
        if coverage is not None:
            scores |= {"posterior_std": 1.0, "coverage_68": coverage, "coverage_95": 0.95}
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps({"targets": {"flux": scores}}))
        return str(path)

    runs = [("v2", "xception", "test"), ("v2", "xception", "misspecified"),
            ("v2", "posterior", "test"), ("v2", "posterior", "misspecified")]  # fmt: skip
    files = [metrics("a", 2.0, None), metrics("b", 3.0, None), metrics("c", 1.0, 0.68),
             metrics("d", 4.0, 0.9)]  # fmt: skip
    csv, md = tmp_path / "t.csv", tmp_path / "t.md"
    misspecification(
        files, str(csv), str(md), runs=runs, shift="noise sigma x2", units={"flux": "counts"}
    )
    table = pd.read_csv(csv).set_index("model")
    assert table.loc["xception", "rmse_ratio"] == 1.5 and table.loc["posterior", "rmse_ratio"] == 4
    assert table.loc["posterior", "coverage_68_misspecified"] == 0.9
    assert np.isnan(table.loc["xception", "coverage_68_matched"])
    text = md.read_text()
    assert "simulator differs: noise sigma x2 (misspecified)" in text
    assert "Units: flux in counts." in text


def test_misspecified_stamps_change_only_what_the_config_names():
    settings = copy.deepcopy(DEFAULT)
    galsim = load_studies(settings)["galsim"]
    trained = galsim.prior("v2")
    assert galsim.prior("misspecified") == {**trained, "noise": "gaussian"}
    assert galsim.misspecification_note() == "stamps from the same prior with noise ccd -> gaussian"
    settings["galsim"]["misspecification"] = {"n_samples": 50, "noise": "ccd", "sigma": [500, 700]}
    galsim = load_studies(settings)["galsim"]
    assert galsim.prior("misspecified") == {**trained, "sigma": (500.0, 700.0)}
    assert galsim.misspecification_note().endswith(
        "with noise sigma (counts) (200.0, 400.0) -> (500.0, 700.0)"
    )
    assert galsim.n_samples("misspecified") == 50 and "misspecified" in galsim.source_variants()
