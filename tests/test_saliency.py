"""Saliency maps against the analytic softmax gradient and central finite differences."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import REQUIRE_JAX, skip_unless_required
from sim2model.models.cnn_classifier import build_cnn_classifier
from sim2model.studies.turbulence.saliency import saliency_maps
from sim2model.train.backend import configure_backend

WORKFLOW_SCRIPTS = Path(__file__).parents[1] / "workflow_scripts"
SHAPE = (3, 4, 2)


def softmax_model(weights: np.ndarray, bias: np.ndarray):
    """``softmax(flatten(x) @ weights + bias)`` on ``SHAPE`` images."""
    import keras

    dense = keras.layers.Dense(weights.shape[1], activation="softmax")
    model = keras.Sequential([keras.Input(SHAPE), keras.layers.Flatten(), dense])
    dense.set_weights([weights, bias])
    return model


def analytic_saliency(weights, bias, x, class_index):
    """``max_k |p_c (W[:, c] - sum_j p_j W[:, j])|`` reshaped to the images."""
    flat = x.reshape(len(x), -1).astype(np.float64)
    logits = flat @ weights + bias
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    c = p.argmax(axis=1) if class_index is None else np.broadcast_to(class_index, len(x))
    rows = np.arange(len(x))
    grad = p[rows, c, None] * (weights[:, c].T - p @ weights.T)
    return np.abs(grad).reshape(x.shape).max(axis=-1)


def problem(seed=0, n=6):
    rng = np.random.default_rng(seed)
    size = int(np.prod(SHAPE))
    weights = rng.normal(scale=0.5, size=(size, 3)).astype(np.float32)
    bias = rng.normal(size=3).astype(np.float32)
    x = rng.normal(size=(n, *SHAPE)).astype(np.float32)
    return weights, bias, x


@pytest.fixture(autouse=True)
def seeded_backend():
    configure_backend("tensorflow", deterministic=True, seed=0)


@pytest.fixture
def float64():
    import keras

    floatx, policy = keras.config.floatx(), keras.config.dtype_policy()
    keras.config.set_floatx("float64")
    keras.config.set_dtype_policy("float64")
    yield
    keras.config.set_floatx(floatx)
    keras.config.set_dtype_policy(policy)


@pytest.mark.parametrize("class_index", [None, 1, np.array([0, 1, 2, 2, 1, 0])])
def test_matches_analytic_softmax_gradient(class_index):
    weights, bias, x = problem()
    model = softmax_model(weights, bias)
    maps = saliency_maps(model, x, class_index, batch_size=4)
    assert maps.shape == (6, 3, 4)
    expected = analytic_saliency(weights, bias, x, class_index)
    np.testing.assert_allclose(maps, expected, rtol=0, atol=1e-5)
    assert expected.max() > 1e-2  # the comparison is not between near-zero maps


def test_predicted_class_is_the_arg_max():
    weights, bias, x = problem(seed=1)
    model = softmax_model(weights, bias)
    predicted = model.predict(x, verbose=0).argmax(axis=1)
    np.testing.assert_array_equal(saliency_maps(model, x), saliency_maps(model, x, predicted))
    other = (predicted + 1) % 3
    assert not np.allclose(saliency_maps(model, x), saliency_maps(model, x, other))


def test_cnn_matches_central_finite_differences(float64):
    rng = np.random.default_rng(2)
    model = build_cnn_classifier((6, 6, 2), 3, filters=(3,), dense_units=5, dropout=0.3)
    # random batch normalisation statistics, so inference mode differs from the identity
    model.set_weights(
        [
            rng.uniform(0.5, 2.0, w.shape) if "variance" in v.path else rng.normal(0, 0.5, w.shape)
            for v, w in zip(model.weights, model.get_weights(), strict=True)
        ]
    )
    x = rng.normal(size=(3, 6, 6, 2))
    classes = np.array([0, 2, 1])
    maps = saliency_maps(model, x, classes, batch_size=2)

    eps = 1e-6
    steps = np.eye(x[0].size).reshape(-1, *x.shape[1:]) * eps
    fd = np.empty(x.shape)
    for n in range(len(x)):
        plus = model.predict(x[n] + steps, verbose=0)[:, classes[n]]
        minus = model.predict(x[n] - steps, verbose=0)[:, classes[n]]
        fd[n] = ((plus - minus) / (2 * eps)).reshape(x.shape[1:])
    assert maps.dtype == np.float64
    np.testing.assert_allclose(maps, np.abs(fd).max(axis=-1), rtol=1e-5, atol=1e-9)
    assert maps.max() > 1e-3


def test_batch_size_does_not_change_maps():
    weights, bias, x = problem(seed=3, n=7)
    model = softmax_model(weights, bias)
    # equal up to float32 rounding: batch size changes the matrix kernels' summation order
    np.testing.assert_allclose(
        saliency_maps(model, x, batch_size=3), saliency_maps(model, x, batch_size=7), rtol=1e-6
    )


@pytest.mark.parametrize(
    ("class_index", "match"),
    [(3, r"\[0, 3\)"), (np.array([0, 1]), r"\(6,\) ints"), (1.0, "ints")],
)
def test_rejects_bad_class_index(class_index, match):
    weights, bias, x = problem()
    with pytest.raises(ValueError, match=match):
        saliency_maps(softmax_model(weights, bias), x, class_index)


def test_rejects_images_without_channel_axis():
    weights, bias, x = problem()
    with pytest.raises(ValueError, match="x must be"):
        saliency_maps(softmax_model(weights, bias), x[..., 0])


def test_rejects_models_without_class_scores():
    from sim2model.models.unet import build_unet

    with pytest.raises(ValueError, match=r"one \(batch, classes\) output"):
        saliency_maps(build_unet((8, 8, 1), 1, base_filters=2, depth=1), np.zeros((1, 8, 8, 1)))


def test_unsupported_backend_is_named(monkeypatch):
    import keras

    monkeypatch.setattr(keras.backend, "backend", lambda: "numpy")
    weights, bias, x = problem()
    with pytest.raises(NotImplementedError, match="'numpy' is not supported"):
        saliency_maps(softmax_model(weights, bias), x)


# Loads the saved model under another Keras backend and saves its saliency maps.
OTHER_BACKEND = """
import sys, keras, numpy as np
from sim2model.studies.turbulence.saliency import saliency_maps
model_path, x_path, backend, out_path = sys.argv[1:]
assert keras.backend.backend() == backend, keras.backend.backend()
model = keras.saving.load_model(model_path, compile=False)
np.save(out_path, saliency_maps(model, np.load(x_path), batch_size=4))
"""


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_other_backend_matches_analytic_gradient(backend, tmp_path):
    if importlib.util.find_spec(backend) is None:
        reason = f"{backend} is not installed, so the Keras {backend} backend cannot run"
        if backend == "jax":  # in requirements-dev.txt: only a bare install lacks it
            skip_unless_required(reason, REQUIRE_JAX)
        pytest.skip(reason)
    weights, bias, x = problem()
    softmax_model(weights, bias).save(tmp_path / "model.keras")
    np.save(tmp_path / "x.npy", x)
    out = tmp_path / "maps.npy"
    env = dict(os.environ, KERAS_BACKEND=backend, PYTHONPATH=str(WORKFLOW_SCRIPTS))
    args = [tmp_path / "model.keras", tmp_path / "x.npy", backend, out]
    subprocess.run([sys.executable, "-c", OTHER_BACKEND, *map(str, args)], check=True, env=env)
    expected = analytic_saliency(weights, bias, x, None)
    np.testing.assert_allclose(np.load(out), expected, rtol=0, atol=1e-5)
