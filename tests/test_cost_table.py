"""Cost table: epoch times the training jobs record, the evaluation's prediction timing, and
the table built from both (tables/cost.{csv,md})."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from sim2model.registry import load_studies
from sim2model.stages.cost import cost_rows, cost_table
from sim2model.train.backend import configure_backend

REPO = Path(__file__).resolve().parents[1]
DEFAULT = yaml.safe_load((REPO / "config" / "config.yaml").read_text())


@pytest.fixture(scope="module", autouse=True)
def tensorflow_backend():
    configure_backend("tensorflow", deterministic=True, seed=0)


def tiny_regressor(n_inputs: int = 4):
    import keras

    inputs = keras.Input((n_inputs,))
    return keras.Model(inputs, keras.layers.Dense(1)(keras.layers.Dense(8)(inputs)))


def test_training_jobs_write_a_positive_epoch_seconds_column(tmp_path):
    from sim2model.train.fit import train_model

    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 4)).astype(np.float32)
    y = x.sum(axis=1, keepdims=True)
    returned = train_model(
        tiny_regressor(), x[:32], y[:32], x[32:], y[32:],
        model_path=tmp_path / "model.keras", history_path=tmp_path / "history.csv",
        epochs=3, batch_size=8, patience=10, verbose=0,
    )  # fmt: skip
    history = pd.read_csv(tmp_path / "history.csv")
    assert list(history["epoch"]) == [0, 1, 2]
    assert (history["epoch_seconds"] > 0).all()
    pd.testing.assert_frame_equal(history, returned)


def test_the_timer_reaches_a_plain_fit_history():
    """The study trainers that keep Keras's History (autoencoder, generator) get the column."""
    from sim2model.train.timing import EpochTimer

    model = tiny_regressor()
    model.compile(optimizer="adam", loss="mse")
    x = np.ones((16, 4), np.float32)
    fit = model.fit(x, x[:, :1], epochs=2, batch_size=8, verbose=0, callbacks=[EpochTimer()])
    assert len(fit.history["epoch_seconds"]) == 2
    assert all(s > 0 for s in fit.history["epoch_seconds"])


def test_evaluation_times_prediction_per_sample():
    from sim2model.stages.evaluate import timed_predict

    model = tiny_regressor()
    x = np.ones((50, 4), np.float32)
    y, cost = timed_predict(model, x, batch_size=16)
    assert y.shape == (50, 1)
    assert cost["parameters"] == model.count_params() == 4 * 8 + 8 + 8 + 1
    assert cost["inference_batch_size"] == 16
    assert cost["inference_seconds"] > 0
    assert cost["inference_seconds_per_sample"] == pytest.approx(cost["inference_seconds"] / 50)
    assert cost["device"] == "CPU" and cost["host"]


def write_run(
    folder: Path, seconds: list[float], record: dict | None = None, timed: bool = True, **columns
) -> dict:
    """A history (``epoch_seconds`` = ``seconds`` unless not ``timed``) and an optional metrics
    record under ``folder``."""
    folder.mkdir(parents=True)
    history = pd.DataFrame({"epoch": range(len(seconds)), "loss": 1.0, **columns})
    if timed:
        history["epoch_seconds"] = seconds
    history.to_csv(folder / "history.csv", index=False)
    run = {"history": str(folder / "history.csv"), "metrics": None}
    if record is not None:
        (folder / "metrics.json").write_text(json.dumps(record))
        run["metrics"] = str(folder / "metrics.json")
    return run


def test_table_gives_the_means_medians_and_totals_of_the_histories(tmp_path):
    metrics = {"parameters": 1234, "inference_seconds_per_sample": 0.0025,
               "inference_batch_size": 32, "device": "CPU", "threads": 2,
               "host": "box"}  # fmt: skip
    runs = [
        {"variant": "v1", "model": "cnn", **write_run(tmp_path / "a", [1.0, 2.0, 6.0], metrics)},
        {"variant": "v1", "model": "ae", "split_by": "step",
         **write_run(tmp_path / "b", [1.0, 3.0, 5.0, 7.0], {"parameters": 10},
                     step=["encoder", "encoder", "joint", "joint"])},
        {"variant": "v1", "model": "edsr", "part": "denoiser", "parameters_of": "denoiser",
         **write_run(tmp_path / "c", [4.0], {"parameters": {"denoiser": 7, "regressor": 9}})},
        {"variant": "v1", "model": "old", **write_run(tmp_path / "d", [1.0, 1.0], timed=False)},
    ]  # fmt: skip
    table = cost_rows(runs)
    assert list(table.index) == [
        "v1 / cnn", "v1 / ae", "v1 / ae: step encoder", "v1 / ae: step joint",
        "v1 / edsr (denoiser)", "v1 / old",
    ]  # fmt: skip
    cnn = table.loc["v1 / cnn"]
    assert (cnn["epochs"], cnn["parameters"], cnn["threads"]) == (3, 1234, 2)
    assert cnn["epoch_seconds_mean"] == pytest.approx(3.0)
    assert cnn["epoch_seconds_median"] == pytest.approx(2.0)
    assert cnn["training_seconds"] == pytest.approx(9.0)
    assert cnn["inference_ms_per_sample"] == pytest.approx(2.5)
    steps = table.loc[["v1 / ae: step encoder", "v1 / ae: step joint"]]
    assert list(steps["epochs"]) == [2, 2]
    assert list(steps["epoch_seconds_mean"]) == pytest.approx([2.0, 6.0])
    assert table.loc["v1 / ae", "epoch_seconds_mean"] == pytest.approx(4.0)
    assert table.loc["v1 / edsr (denoiser)", "parameters"] == 7
    assert table.loc["v1 / old", "epochs"] == 2  # a history without the column: times blank
    assert np.isnan(table.loc["v1 / old", "epoch_seconds_mean"])

    csv, md = tmp_path / "cost.csv", tmp_path / "cost.md"
    histories = [run["history"] for run in runs]
    given = [run["metrics"] for run in runs if run["metrics"]]
    cost_table(histories, given, csv, md, runs=runs, caption="Data: toy.", train_threads=2)
    written = pd.read_csv(csv, index_col="run")
    assert written.loc["v1 / cnn", "epoch_seconds_mean"] == pytest.approx(3.0)
    text = md.read_text()
    assert text.startswith("Cost of every trained model") and "2 CPU thread(s)" in text
    assert "Data: toy." in text and "host box" in text
    assert "| v1 / cnn" in text and "1,234" in text and "2.5" in text
    with pytest.raises(ValueError, match="not among the inputs"):
        cost_table(histories[:1], given, csv, md, runs=runs, caption="")


def test_galsim_rows_split_the_autoencoder_steps_and_add_the_denoisers():
    galsim = load_studies(DEFAULT)["galsim"]
    runs = galsim.cost_runs()
    assert len(runs) == len(galsim.runs()) + 2 * len(galsim.denoisers())
    for run in runs[: len(galsim.runs())]:
        assert run["metrics"].endswith("/test/metrics.json")
        assert ("split_by" in run) == (run["model"] in galsim.autoencoder_models())
    parts = {f"on {d}-denoised stamps" for d in galsim.denoisers()} | {"denoiser"}
    assert {run.get("part") for run in runs[len(galsim.runs()) :]} <= parts
    assert galsim.paths.table("cost", "md") in galsim.targets()
