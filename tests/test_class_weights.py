"""Balanced class weights: the weights themselves, and a minority class that a network learns
only with them (1 class against 19 here, as turbulence's MHD against several CR classes)."""

from __future__ import annotations

import numpy as np
import pytest

from sim2model.train.backend import configure_backend
from sim2model.train.class_weights import balanced_sample_weights


def test_weights_are_n_over_k_times_the_class_count():
    y_train = np.array([0] * 90 + [1] * 10)
    y_val = np.array([1, 0, 2])  # class 2 never seen in training: weight 1
    w_train, w_val = balanced_sample_weights(y_train, y_val, ["a", "b", "c"])
    assert w_train.dtype == np.float32 and w_train.shape == (100,)
    np.testing.assert_allclose(w_train[:90], 100 / (2 * 90), rtol=1e-6)
    np.testing.assert_allclose(w_train[90:], 100 / (2 * 10), rtol=1e-6)
    np.testing.assert_allclose(w_val, [5.0, 100 / 180, 1.0], rtol=1e-6)
    # Each class carries the same total weight.
    assert w_train[:90].sum() == pytest.approx(w_train[90:].sum(), rel=1e-6)


def imbalanced_problem(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """5 % class 1, whose 4x4 images are shifted by +0.35 per pixel (overlapping classes)."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.05).astype(np.int64)
    x = rng.normal(size=(n, 4, 4, 1)) + 0.35 * y[:, None, None, None]
    return x.astype(np.float32), y


def minority_recall(weighted: bool, tmp_path) -> tuple[float, float]:
    """Test recall of the minority and majority class of a linear softmax model."""
    configure_backend("tensorflow", deterministic=True, seed=0)
    from sim2model.models import build_model
    from sim2model.train.fit import predict, train_model

    x, y = imbalanced_problem(2000, seed=1)
    x_val, y_val = imbalanced_problem(600, seed=2)
    x_test, y_test = imbalanced_problem(4000, seed=3)
    weights = balanced_sample_weights(y, y_val, ["cr", "mhd"]) if weighted else (None, None)
    model = build_model("mlp", x.shape[1:], 2, hidden_units=[])
    train_model(
        model, x, y, x_val, y_val,
        model_path=tmp_path / "model.keras", history_path=tmp_path / "history.csv",
        epochs=15, batch_size=64, learning_rate=0.01, patience=100, seed=0,
        loss="sparse_categorical_crossentropy", verbose=0,
        sample_weight=weights[0], val_sample_weight=weights[1],
    )  # fmt: skip
    labels = predict(model, x_test, 256).argmax(axis=1)
    return float(np.mean(labels[y_test == 1] == 1)), float(np.mean(labels[y_test == 0] == 0))


def test_balanced_weights_make_the_minority_class_learnt(tmp_path):
    plain_minority, plain_majority = minority_recall(False, tmp_path / "plain")
    minority, majority = minority_recall(True, tmp_path / "balanced")
    # The classes are 1.4 sigma apart along the mean shift. Unweighted, the Bayes rule for a 5 %
    # prior puts the boundary 2.1 sigma beyond the midpoint: minority recall ~0.08.
    assert plain_minority < 0.2 and plain_majority > 0.97
    # Balanced (equal priors), the boundary is the midpoint: recall ~0.76 for both classes.
    assert minority > 0.65 and majority > 0.65
