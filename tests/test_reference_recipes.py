"""The reference notebooks' training recipe: every epoch trained, the last kept, no validation
split, a checkpoint every epoch, and the presets in config/reference/ that use it."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from sim2model.errors import ConfigError
from sim2model.registry import load_studies
from sim2model.train.backend import configure_backend
from test_settings import merged

REPO = Path(__file__).resolve().parents[1]
PRESETS = sorted((REPO / "config" / "reference").glob("*.yaml"))


@pytest.fixture(scope="module", autouse=True)
def tensorflow_backend():
    configure_backend("tensorflow", deterministic=True, seed=0)


def linear_problem(n: int = 64) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(n, 4)).astype(np.float32)
    y = (x @ np.array([[1.0], [-2.0], [0.5], [1.5]]) + rng.normal(0, 0.1, (n, 1))).astype(
        np.float32
    )
    return x, y


def fit(tmp_path: Path, x_val: np.ndarray, y_val: np.ndarray, **options):
    import keras

    from sim2model.train.fit import train_model

    x, y = linear_problem()
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    history = train_model(
        model, x[:48], y[:48], x_val, y_val,
        model_path=tmp_path / "model.keras", history_path=tmp_path / "history.csv",
        batch_size=16, verbose=0, **options,
    )  # fmt: skip
    return model, history


def test_without_patience_every_epoch_is_trained_and_the_last_is_kept(tmp_path):
    """A learning rate that blows up after epoch 3 makes the last epochs the worst: early
    stopping would keep epoch <= 3; the reference recipe keeps the last one anyway."""
    import keras

    from sim2model.train.fit import load_model, predict

    x, y = linear_problem()
    spike = keras.callbacks.LearningRateScheduler(lambda epoch, lr: 0.05 if epoch < 4 else 2.0)
    _, history = fit(
        tmp_path, x[48:], y[48:], epochs=6, patience=None, callbacks=[spike],
        checkpoint_every_epoch=True,
    )  # fmt: skip
    val_loss = history["val_loss"].to_numpy()
    assert list(history["epoch"]) == list(range(6))
    assert int(np.argmin(val_loss)) < 4 and val_loss[-1] > 2 * val_loss.min(), val_loss
    kept = predict(load_model(tmp_path / "model.keras"), x[48:], 16)
    assert float(np.mean((kept - y[48:]) ** 2)) == pytest.approx(val_loss[-1], rel=1e-5)
    saved = sorted(p.name for p in (tmp_path / "checkpoints").glob("epoch_*.keras"))
    assert saved == [f"epoch_{e:04d}.keras" for e in range(1, 7)]
    last = predict(load_model(tmp_path / "checkpoints" / "epoch_0006.keras"), x[48:], 16)
    np.testing.assert_array_equal(kept, last)
    third = predict(load_model(tmp_path / "checkpoints" / "epoch_0003.keras"), x[48:], 16)
    assert float(np.mean((third - y[48:]) ** 2)) == pytest.approx(val_loss[2], rel=1e-5)


def test_an_empty_validation_split_trains_every_epoch_without_validation(tmp_path):
    from sim2model.train.fit import load_model, predict

    x, _ = linear_problem()
    model, history = fit(tmp_path, x[:0], np.zeros((0, 1), np.float32), epochs=3, patience=None)
    assert list(history["epoch"]) == [0, 1, 2]
    written = pd.read_csv(tmp_path / "history.csv")
    assert written["loss"].notna().all()
    assert written.get("val_loss", pd.Series(dtype=float)).isna().all()  # Keras writes NA
    assert not (tmp_path / "checkpoints" / "best.keras").exists()
    assert not list((tmp_path / "checkpoints").glob("epoch_*.keras"))  # not asked for
    np.testing.assert_array_equal(
        predict(load_model(tmp_path / "model.keras"), x, 16), predict(model, x, 16)
    )


def test_early_stopping_without_validation_samples_is_refused(tmp_path):
    with pytest.raises(ValueError, match="no validation samples"):
        fit(tmp_path, np.zeros((0, 4), np.float32), np.zeros((0, 1), np.float32), epochs=2)


def test_reference_sgd_trains_without_a_validation_split(tmp_path):
    from sim2model.models.mlp import build_mlp
    from sim2model.studies.galaxy10.reference_sgd import train_reference_sgd

    rng = np.random.default_rng(1)
    y = np.arange(50) % 3
    x = (rng.normal(0, 0.3, size=(50, 4)) + np.eye(3, 4)[y] * 2).astype(np.float32)
    model = build_mlp((4,), 3, hidden_units=[6], output_activation="sigmoid")
    history = train_reference_sgd(
        model, x[:40], y[:40], x[:0], y[:0], x[40:], y[40:],
        model_path=tmp_path / "m.keras", history_path=tmp_path / "h.csv",
        rounds=2, steps_per_round=40, learning_rate=0.05, seed=2,
    )  # fmt: skip
    assert not any(column.startswith("val_") for column in history.columns)
    assert history["test_accuracy"].notna().all() and list(history["step"]) == [40, 80]


NO_VALIDATION = {"fractions": {"train": 0.8, "val": 0.0, "test": 0.2}}


def test_no_validation_split_with_early_stopping_names_the_patience_key():
    config = merged({"crsphere": {"dataset": NO_VALIDATION}})
    with pytest.raises(ConfigError) as caught:
        load_studies(config)
    assert caught.value.key == "crsphere.train.patience" or caught.value.key == "train.patience"
    assert "no validation split" in str(caught.value)
    load_studies(merged({"crsphere": {"dataset": NO_VALIDATION, "train": {"patience": None}}}))


def test_no_validation_split_is_refused_for_a_slab_split():
    config = merged({"turbulence": {"dataset": NO_VALIDATION, "train": {"patience": None}}})
    with pytest.raises(ConfigError, match="needs a val slab") as caught:
        load_studies(config)
    assert caught.value.key == "turbulence.dataset.fractions.val"


@pytest.mark.parametrize("preset", PRESETS, ids=lambda p: p.stem)
def test_reference_presets_train_as_the_reference_notebooks(preset):
    """Every preset: the reference's own data (downloaded), no validation split, no early
    stopping; every value carries a comment saying where the reference states it or that it is
    the project's choice."""
    config = yaml.safe_load(preset.read_text())
    (name,) = config["studies"]
    study = load_studies(merged(config))[name]
    assert study.downloads(), f"{preset.name}: not the reference's own file"
    assert study.dataset_settings()["fractions"]["val"] == 0
    assert study.train_settings()["patience"] is None
    for number, line in enumerate(preset.read_text().splitlines(), 1):
        value_line = ":" in line and not line.lstrip().startswith("#") and not line.endswith(":")
        if value_line and line.split(":")[0].strip() not in ("studies", name):
            assert "#" in line or _commented_above(preset, number), f"{preset.name}:{number}"


def _commented_above(preset: Path, number: int) -> bool:
    """The line before ``number`` (1-based) is a comment (a value explained above it)."""
    return preset.read_text().splitlines()[number - 2].lstrip().startswith("#")


@pytest.mark.slow
def test_crsphere_reference_recipe_runs_end_to_end(tmp_path):
    """config/reference/crsphere.yaml on a small cr_sphere.npz: no validation rows, the last
    rows are the test set, every epoch trained, checkpointed and the last one evaluated."""
    from sim2model.io.dataset import read_dataset
    from sim2model.train.fit import load_model, predict
    from test_workflow import copy_workflow, snakemake

    rng = np.random.default_rng(5)
    data = rng.normal(size=(40, 24, 4))
    data[..., :3] /= np.linalg.norm(data[..., :3], axis=-1, keepdims=True)
    label = np.arange(40) % 2
    npz = tmp_path / "cr_sphere.npz"
    buffer = io.BytesIO()
    np.savez(buffer, data=data, label=label)
    npz.write_bytes(buffer.getvalue())
    work = copy_workflow(tmp_path / "wf")
    override = tmp_path / "small.yaml"
    override.write_text(
        yaml.safe_dump(
            {
                "crsphere": {
                    "npz": {"path": str(npz), "n_shards": 2},
                    # as the EoR reference (checkpoints show the model kept is the last)
                    "train": {"epochs": 3, "checkpoint_every_epoch": True},
                    "models": {"dgcnn": {"nodes": [4, 8], "first_next_neighbors": 3,
                                         "next_neighbors": 3}},
                }
            }
        )
    )  # fmt: skip
    snakemake(work, "--cores", "2", configfiles=(REPO / "config/reference/crsphere.yaml", override))
    dataset = work / "results/crsphere/dataset/npz"
    assert len(read_dataset(dataset / "val.h5")) == 0
    test = read_dataset(dataset / "test.h5")
    assert len(test) == 8 and len(read_dataset(dataset / "train.h5")) == 32
    np.testing.assert_array_equal(test.y, label[-8:])  # the last rows, in order
    models = work / "results/crsphere/models/npz/dgcnn"
    history = pd.read_csv(models / "history.csv")
    assert list(history["epoch"]) == [0, 1, 2]
    assert history.get("val_loss", pd.Series(dtype=float)).isna().all()
    checkpoints = sorted(p.name for p in (models / "checkpoints").glob("epoch_*.keras"))
    assert checkpoints == ["epoch_0001.keras", "epoch_0002.keras", "epoch_0003.keras"]
    x = test.x[:4]
    np.testing.assert_array_equal(
        predict(load_model(models / "model.keras"), x, 4),
        predict(load_model(models / "checkpoints/epoch_0003.keras"), x, 4),
    )
    assert (work / "results/crsphere/tables/classification.md").exists()
