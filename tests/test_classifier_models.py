"""CNN classifier, U-Net and MLP builders: shapes, exact parameter counts, toy training."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sim2model.models.cnn_classifier import build_cnn_classifier
from sim2model.models.mlp import build_mlp
from sim2model.models.unet import build_unet
from sim2model.train.backend import configure_backend

TINY_CNN = {"filters": (2, 3), "kernel_size": 3, "dense_units": 4}


@pytest.fixture(autouse=True)
def seeded_backend():
    configure_backend("tensorflow", deterministic=True, seed=0)


def cnn_params(channels, filters, kernel_size, dense_units, n_outputs, batch_norm=True):
    """Global-average-pooled CNN: bias-free convolutions + 4 weights per BN channel."""
    total, c_in = 0, channels
    for f in filters:
        total += kernel_size**2 * c_in * f + (4 * f if batch_norm else f)
        c_in = f
    return total + (c_in + 1) * dense_units + (dense_units + 1) * n_outputs


def unet_params(channels, base, depth, n_outputs):
    """U-Net with bias-free 3x3 convolutions + BN, biased 2x2 transposed convolutions."""

    def double(c_in, f):
        return 9 * c_in * f + 4 * f + 9 * f * f + 4 * f

    total, c = 0, channels
    for level in range(depth):
        total += double(c, base * 2**level)
        c = base * 2**level
    total += double(c, base * 2**depth)
    c = base * 2**depth
    for level in reversed(range(depth)):
        f = base * 2**level
        total += 4 * c * f + f + double(2 * f, f)
        c = f
    return total + (c + 1) * n_outputs


def bright_vs_dark(n, shape, seed):
    """Half the images centred on -1 (label 0), half on +1 (label 1), unit-variance noise."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    x = rng.normal(size=(n, *shape)) + (2 * y - 1).reshape(-1, *[1] * len(shape))
    return x.astype(np.float32), y


def test_importing_builders_does_not_import_keras():
    code = (
        "import sys, sim2model.models.cnn_classifier, sim2model.models.unet, sim2model.models.mlp, "
        "sim2model.studies.turbulence.saliency; assert 'keras' not in sys.modules"
    )
    workflow_scripts = Path(__file__).parents[1] / "workflow_scripts"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=workflow_scripts)


def test_mlp_parameter_count_by_hand():
    # 16 * 3 + 3 hidden, 3 * 2 + 2 output weights
    model = build_mlp((4, 4, 1), 2, hidden_units=(3,))
    assert model.count_params() == 59
    assert model.name == "mlp"


def test_mlp_on_seed_images():
    # 69 * 69 = 4761 inputs; the reference's d = 100 tanh layer, and the default 128 units
    assert build_mlp((69, 69, 1), 5, hidden_units=(100,)).count_params() == 476_705
    model = build_mlp((69, 69, 1), 5, dropout=0.2)
    assert model.count_params() == 4761 * 128 + 128 + 128 * 5 + 5
    assert [type(la).__name__ for la in model.layers].count("Dropout") == 1
    x = np.random.default_rng(1).uniform(size=(3, 69, 69, 1)).astype(np.float32)
    probs = model.predict(x, verbose=0)
    assert probs.shape == (3, 5)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)


@pytest.mark.parametrize(
    ("options", "params"),
    [
        ({}, 123),  # 18 + 8 + 54 + 12 conv/BN, 3 * 4 + 4 dense, 4 * 3 + 3 output
        ({"batch_norm": False}, 108),  # 20 + 57 biased convolutions instead
        ({"pooling": "flatten"}, 159),  # 8x8 -> 2x2x3 = 12 features: 12 * 4 + 4 dense
    ],
)
def test_cnn_parameter_count_by_hand(options, params):
    model = build_cnn_classifier((8, 8, 1), 3, **TINY_CNN, **options)
    assert model.count_params() == params
    assert model.output_shape == (None, 3)
    assert model.name == "cnn_classifier"


def test_cnn_default_parameter_count_matches_formula():
    model = build_cnn_classifier((64, 64, 2), 5)
    assert model.count_params() == cnn_params(2, (16, 32, 64), 3, 64, 5)
    assert [type(la).__name__ for la in model.layers].count("Dropout") == 2


def test_cnn_softmax_outputs_sum_to_one():
    model = build_cnn_classifier((16, 12, 2), 5, **TINY_CNN)
    x = np.random.default_rng(2).normal(size=(4, 16, 12, 2)).astype(np.float32)
    probs = model.predict(x, verbose=0)
    assert probs.shape == (4, 5)
    assert (probs > 0).all()
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)


@pytest.mark.parametrize(
    ("shape", "options", "match"),
    [
        ((8, 8), {}, "input_shape"),
        ((4, 4, 1), {"filters": (2, 2, 2)}, "filters"),
        ((8, 8, 1), {"pooling": "max"}, "pooling"),
        ((8, 8, 1), {"dropout": 1.0}, "dropout"),
    ],
)
def test_cnn_rejects_bad_options(shape, options, match):
    with pytest.raises(ValueError, match=match):
        build_cnn_classifier(shape, 2, **options)


def test_unet_parameter_count_by_hand():
    # encoder 18 + 8 + 36 + 8, bottleneck 72 + 16 + 144 + 16, transposed 2 * 2 * 4 * 2 + 2,
    # decoder 72 + 8 + 36 + 8 (4 channels after the skip), 1x1 output 2 + 1
    model = build_unet((4, 4, 1), 1, base_filters=2, depth=1)
    assert model.count_params() == 479
    assert model.name == "unet"


@pytest.mark.parametrize(("shape", "depth"), [((16, 24, 1), 3), ((32, 32, 2), 2)])
def test_unet_output_matches_input_grid(shape, depth):
    model = build_unet(shape, 2, base_filters=4, depth=depth, dropout=0.1)
    assert model.count_params() == unet_params(shape[-1], 4, depth, 2)
    x = np.random.default_rng(3).normal(size=(2, *shape)).astype(np.float32)
    assert model.predict(x, verbose=0).shape == (2, shape[0], shape[1], 2)


@pytest.mark.parametrize("shape", [(20, 16, 1), (16, 12, 1)])
def test_unet_rejects_size_not_divisible_by_depth(shape):
    with pytest.raises(ValueError, match=rf"depth.*{shape[0]}x{shape[1]}"):
        build_unet(shape, 1, depth=3)


def test_same_seed_gives_identical_weights():
    configure_backend("tensorflow", seed=7)
    first = build_cnn_classifier((8, 8, 1), 3, **TINY_CNN).get_weights()
    configure_backend("tensorflow", seed=7)
    second = build_cnn_classifier((8, 8, 1), 3, **TINY_CNN).get_weights()
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)


def fit(model, x, y, loss, epochs):
    import keras

    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss=loss)
    model.fit(x, y, batch_size=32, epochs=epochs, verbose=0, shuffle=False)


@pytest.mark.parametrize(
    "builder",
    [
        lambda shape: build_cnn_classifier(shape, 2, filters=(4, 8), dense_units=8),
        lambda shape: build_mlp(shape, 2, hidden_units=(8,)),
    ],
    ids=["cnn", "mlp"],
)
def test_classifier_learns_bright_vs_dark(builder):
    x, y = bright_vs_dark(256, (8, 8, 1), seed=4)
    x_test, y_test = bright_vs_dark(200, (8, 8, 1), seed=5)
    model = builder((8, 8, 1))
    fit(model, x, y, "sparse_categorical_crossentropy", epochs=10)
    accuracy = np.mean(model.predict(x_test, verbose=0).argmax(axis=1) == y_test)
    # the mean of 64 pixels separates the classes by 16 standard deviations
    assert accuracy > 0.97


def test_unet_learns_negation():
    rng = np.random.default_rng(6)
    x = rng.normal(size=(256, 8, 8, 1)).astype(np.float32)
    x_test = rng.normal(size=(64, 8, 8, 1)).astype(np.float32)
    model = build_unet((8, 8, 1), 1, base_filters=4, depth=1)
    fit(model, x, -x, "mse", epochs=20)
    mse = np.mean((model.predict(x_test, verbose=0) + x_test) ** 2)
    assert mse < 0.05  # the target variance is 1
