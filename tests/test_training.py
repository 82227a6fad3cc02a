"""Training loop: outputs, determinism across processes and resumption after SIGKILL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import make_dataset
from sim2model.train.backend import configure_backend, describe_devices

ROOT = Path(__file__).parents[1]
WORKER = ROOT / "tests" / "helpers" / "train_worker.py"


@pytest.fixture(scope="module", autouse=True)
def tensorflow_backend():
    configure_backend("tensorflow", deterministic=True, seed=0)


def start_worker(out_dir: Path, *args: str) -> subprocess.Popen:
    """Start ``train_worker.py`` in a fresh interpreter on one thread."""
    env = dict(
        os.environ,
        PYTHONPATH=str(ROOT / "workflow_scripts"),
        OMP_NUM_THREADS="1",
        KERAS_BACKEND="tensorflow",
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        [sys.executable, str(WORKER), str(out_dir), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finish(proc: subprocess.Popen) -> str:
    output, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, output
    return output


def weights(out_dir: Path) -> list[np.ndarray]:
    with np.load(out_dir / "weights.npz") as f:
        return [f[f"arr_{i}"] for i in range(len(f.files))]


def timeless_history(out_dir: Path) -> pd.DataFrame:
    """A run's history without its wall times (``epoch_seconds`` differ from run to run)."""
    return pd.read_csv(out_dir / "history.csv").drop(columns="epoch_seconds")


def epochs_run(out_dir: Path) -> list[int]:
    return [int(line) for line in (out_dir / "epochs_run.txt").read_text().split()]


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> list[Path]:
    """Two 6-epoch trainings with the same seed, run side by side in separate processes."""
    dirs = [tmp_path_factory.mktemp(f"run{i}") for i in range(2)]
    for proc in [start_worker(d, "--epochs", "6") for d in dirs]:
        finish(proc)
    return dirs


def test_training_writes_model_and_history(tmp_path):
    from sim2model.models import build_model
    from sim2model.train.fit import load_model, predict, train_model

    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 64, 64, 1)).astype(np.float32)
    y = x.mean(axis=(1, 2)).repeat(5, axis=1) + rng.normal(0, 0.1, (64, 5)).astype(np.float32)
    model = build_model("xception", x.shape[1:], 5, sep_filters=16, residual_blocks=1)
    history = train_model(
        model, x[:48], y[:48], x[48:], y[48:],
        model_path=tmp_path / "model.keras", history_path=tmp_path / "history.csv",
        epochs=2, batch_size=16, verbose=0,
    )  # fmt: skip

    assert list(history["epoch"]) == [0, 1]
    assert list(pd.read_csv(tmp_path / "history.csv")["epoch"]) == [0, 1]
    assert (tmp_path / "checkpoints" / "best.keras").exists()
    assert not (tmp_path / "checkpoints" / "backup").exists()
    loaded = load_model(tmp_path / "model.keras")
    np.testing.assert_array_equal(predict(loaded, x, 16), predict(model, x, 16))


def test_saved_model_is_the_epoch_with_the_lowest_validation_loss(tmp_path):
    """A run whose last epochs are worse than an earlier one saves the best epoch's weights.

    A linear fit learns for four epochs at a small learning rate; then a learning rate 40 times
    larger throws the weights off, so the two last epochs end with a much higher validation loss.
    The saved models are scored here, on the validation data, against the logged history.
    """
    import keras

    from sim2model.train.fit import load_model, predict, train_model

    rng = np.random.default_rng(3)
    x = rng.normal(size=(64, 4)).astype(np.float32)
    y = (x @ np.array([[1.0], [-2.0], [0.5], [1.5]]) + rng.normal(0, 0.1, (64, 1))).astype(
        np.float32
    )
    x_val, y_val = x[48:], y[48:]
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    spike = keras.callbacks.LearningRateScheduler(lambda epoch, lr: 0.05 if epoch < 4 else 2.0)
    history = train_model(
        model, x[:48], y[:48], x_val, y_val,
        model_path=tmp_path / "model.keras", history_path=tmp_path / "history.csv",
        epochs=6, batch_size=16, patience=100, verbose=0, callbacks=[spike],
    )  # fmt: skip

    val_loss = history["val_loss"].to_numpy()
    best_epoch = int(np.argmin(val_loss))
    assert best_epoch < 4 and val_loss[-1] > 2 * val_loss[best_epoch], val_loss
    for saved in ("model.keras", "checkpoints/best.keras"):
        mse = float(np.mean((predict(load_model(tmp_path / saved), x_val, 16) - y_val) ** 2))
        assert mse == pytest.approx(val_loss[best_epoch], rel=1e-5), (saved, mse, val_loss)
        assert mse != pytest.approx(val_loss[-1], rel=0.5), (saved, mse, val_loss)


def test_a_crash_while_saving_the_best_model_keeps_the_previous_one(tmp_path, monkeypatch):
    import keras

    from sim2model.train.fit import _BestModelCheckpoint, load_model

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    best = tmp_path / "best.keras"
    checkpoint = _BestModelCheckpoint(best, None)
    checkpoint.set_model(model)
    checkpoint.on_epoch_end(0, {"val_loss": 1.0})
    saved = best.read_bytes()
    checkpoint.on_epoch_end(1, {"val_loss": 1.5})  # not better: nothing written
    assert best.read_bytes() == saved

    def killed_mid_write(path):
        Path(path).write_bytes(saved[: len(saved) // 2])
        raise KeyboardInterrupt  # stands in for the SIGKILL of a preempted job

    monkeypatch.setattr(model, "save", killed_mid_write)
    with pytest.raises(KeyboardInterrupt):
        checkpoint.on_epoch_end(2, {"val_loss": 0.5})
    assert best.read_bytes() == saved and checkpoint.best == 1.0
    np.testing.assert_array_equal(load_model(best).get_weights()[0], model.get_weights()[0])
    # a resumed run starts from the best loss in its history
    assert _BestModelCheckpoint(best, 0.25).best == 0.25


def test_classifier_loss_records_accuracy_and_outputs_go_where_the_caller_says(tmp_path):
    from sim2model.models import build_model
    from sim2model.train.fit import train_model

    rng = np.random.default_rng(1)
    x = rng.normal(size=(24, 16, 16, 1)).astype(np.float32)
    y = rng.integers(0, 3, size=24)
    model = build_model(
        "xception", x.shape[1:], 3, sep_filters=8, residual_blocks=1, output_activation="softmax"
    )
    history = train_model(
        model,
        x[:16],
        y[:16],
        x[16:],
        y[16:],
        model_path=tmp_path / "net" / "classifier.keras",
        history_path=tmp_path / "logs" / "epochs.csv",
        epochs=1,
        batch_size=8,
        loss="sparse_categorical_crossentropy",
        verbose=0,
    )
    assert {"accuracy", "val_accuracy", "val_loss"} <= set(history.columns)
    assert (tmp_path / "net" / "classifier.keras").is_file()
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "logs" / "epochs.csv"), history)
    assert (tmp_path / "net" / "checkpoints" / "best.keras").is_file()
    assert sorted(p.name for p in (tmp_path / "net").iterdir()) == [
        "checkpoints",
        "classifier.keras",
    ]


def test_unknown_loss_is_rejected(tmp_path):
    from sim2model.train.fit import train_model

    with pytest.raises(ValueError, match="loss must be one of"):
        train_model(
            None, *[np.zeros(1)] * 4,
            model_path=tmp_path / "model.keras", history_path=tmp_path / "history.csv",
            epochs=1, batch_size=1, loss="l1",
        )  # fmt: skip


def test_backend_is_reported_and_cannot_be_switched_after_import():
    info = describe_devices()
    assert info["backend"] == "tensorflow"
    assert info["device"] == (f"GPU:0 ({info['gpus'][0]})" if info["gpus"] else "CPU")
    with pytest.raises(RuntimeError, match="already imported with the 'tensorflow' backend"):
        configure_backend("jax")


def test_thread_pools_fixed_when_tensorflow_started_are_kept_with_a_warning(caplog):
    import tensorflow as tf

    from sim2model.train.backend import _limit_threads

    float(tf.reduce_sum(tf.ones(3)))  # the runtime starts, fixing its thread pools
    before = tf.config.threading.get_intra_op_parallelism_threads()
    with caplog.at_level("WARNING", logger="sim2model.train.backend"):
        _limit_threads("tensorflow", before + 3)
    assert tf.config.threading.get_intra_op_parallelism_threads() == before
    assert f"threads={before + 3} applies to a fresh process" in caplog.text


def test_same_seed_gives_identical_weights(uninterrupted):
    first, second = (weights(d) for d in uninterrupted)
    assert len(first) == len(second) > 0
    assert all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))
    pd.testing.assert_frame_equal(*(timeless_history(d) for d in uninterrupted))


def test_killed_training_resumes_after_last_backed_up_epoch(tmp_path, uninterrupted):
    backup = tmp_path / "checkpoints" / "backup"
    proc = start_worker(tmp_path, "--epochs", "6", "--sleep", "1.5")
    deadline = time.monotonic() + 90
    # Kill while epoch 1 pauses: its history row is written, its backup is not.
    while not ((tmp_path / "epochs_run.txt").exists() and len(epochs_run(tmp_path)) >= 2):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"worker ended or stalled before epoch 1:\n{proc.communicate()[0]}")
        time.sleep(0.05)
    proc.kill()
    proc.wait()
    assert epochs_run(tmp_path) == [0, 1]
    assert json.loads((backup / "training_metadata.json").read_text())["epoch"] == 1
    assert list(pd.read_csv(tmp_path / "checkpoints" / "history.csv")["epoch"]) == [0, 1]
    assert not (tmp_path / "history.csv").exists()  # final outputs appear only at the end

    output = finish(start_worker(tmp_path, "--epochs", "6"))

    assert "Epoch 1/6" not in output and "Epoch 2/6" in output
    assert epochs_run(tmp_path) == [0, 1, 1, 2, 3, 4, 5]
    history = pd.read_csv(tmp_path / "history.csv")
    assert list(history["epoch"]) == [0, 1, 2, 3, 4, 5]
    assert (history["epoch_seconds"] > 0).all()  # rows before and after the kill alike
    assert not backup.exists()
    # The batch order depends only on (seed, epoch), so resuming changes nothing.
    pd.testing.assert_frame_equal(timeless_history(tmp_path), timeless_history(uninterrupted[0]))
    reference = weights(uninterrupted[0])
    assert all(np.array_equal(a, b) for a, b in zip(weights(tmp_path), reference, strict=True))


def test_prefetching_threads_do_not_change_the_result(tmp_path, uninterrupted):
    finish(start_worker(tmp_path, "--epochs", "6", "--prefetch", "2"))
    expected, got = weights(uninterrupted[0]), weights(tmp_path)
    assert all(np.array_equal(a, b) for a, b in zip(expected, got, strict=True))


@pytest.mark.parametrize("precision", ["mixed_bfloat16", "mixed_float16"])
def test_precision_changes_the_compute_dtype_and_nothing_else(precision):
    import keras

    from sim2model.models import build_model

    shape, options = (16, 16, 1), {"filters": [4, 8], "dense_units": 8}
    full = build_model("cnn_classifier", shape, 3, **options)
    keras.config.set_dtype_policy(precision)
    try:
        mixed = build_model("cnn_classifier", shape, 3, **options)
    finally:
        keras.config.set_dtype_policy("float32")
    assert full.count_params() == mixed.count_params()
    assert {w.dtype for w in mixed.weights} == {"float32"}
    computes = {layer.dtype_policy.compute_dtype for layer in mixed.layers[1:-1]}
    assert computes == {precision.removeprefix("mixed_")}
    out = keras.ops.convert_to_numpy(mixed(np.zeros((2, *shape), dtype=np.float32)))
    assert out.dtype == np.float32 and keras.backend.standardize_dtype(mixed.output.dtype) == (
        "float32"
    )


def test_learning_rate_scales_with_batch_size_when_asked():
    from sim2model.stages.train import scaled_learning_rate

    base = {"learning_rate": 1e-3, "batch_size": 1024}
    assert scaled_learning_rate(base) == 1e-3
    assert scaled_learning_rate({**base, "scale_learning_rate": "linear"}) == pytest.approx(0.032)
    sqrt = {**base, "scale_learning_rate": "sqrt", "reference_batch_size": 256}
    assert scaled_learning_rate(sqrt) == pytest.approx(2e-3)


@pytest.mark.parametrize(("subset", "n_train", "n_val"), [(None, 20, 10), (8, 8, 4), (50, 20, 10)])
def test_training_job_normalises_the_first_samples_of_both_splits(tmp_path, subset, n_train, n_val):
    from sim2model.data.normalise import fit_normaliser
    from sim2model.io.dataset import write_dataset
    from sim2model.train.job import start_training_job

    train, val = make_dataset(20, seed=1), make_dataset(10, seed=2)
    write_dataset(tmp_path / "train.h5", train)
    write_dataset(tmp_path / "val.h5", val)
    normaliser = fit_normaliser(train.x, train.y, task="regression", image_scaling="standard")
    normaliser.save(tmp_path / "norm.json")
    job = start_training_job(
        str(tmp_path / "train.h5"),
        str(tmp_path / "val.h5"),
        str(tmp_path / "norm.json"),
        {"backend": "tensorflow", "deterministic": True},
        seed=0,
        subset=subset,
    )
    assert job.normaliser == normaliser
    assert job.train.attrs == train.attrs and job.train.extra == {}
    assert np.array_equal(job.train.y, train.y[:n_train])
    assert np.array_equal(job.val.y, val.y[:n_val])
    assert np.array_equal(job.x_train, normaliser.transform_x(train.x[:n_train]))
    assert np.array_equal(job.y_train, normaliser.transform_y(train.y[:n_train]))
    assert np.array_equal(job.x_val, normaliser.transform_x(val.x[:n_val]))
    assert np.array_equal(job.y_val, normaliser.transform_y(val.y[:n_val]))
