"""Galaxy10 reference recipe: loss and SGD update by hand, the training loop, second choices."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim2model.eval.classification import second_choice_table


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def test_one_reference_sgd_step_equals_the_hand_computed_update():
    """a = sigmoid(W2 tanh(W1 v + b1) + b2), loss summed over classes, w -= lr * dloss/dw."""
    import keras

    from sim2model.models.mlp import build_mlp
    from sim2model.studies.galaxy10.reference_sgd import (
        compile_reference,
        summed_binary_crossentropy,
    )

    rng = np.random.default_rng(0)
    model = build_mlp((2, 2), 3, hidden_units=[4], activation="tanh", output_activation="sigmoid")
    w1, b1, w2, b2 = (rng.normal(0, 0.5, size=w.shape) for w in model.get_weights())
    model.set_weights([w.astype(np.float32) for w in (w1, b1, w2, b2)])
    v = rng.uniform(0, 1, size=(1, 2, 2)).astype(np.float32)
    y = np.array([[0.0, 1.0, 0.0]], dtype=np.float32)
    lr = 0.05

    x = v.reshape(-1).astype(np.float64)
    h = np.tanh(x @ w1 + b1)
    a = sigmoid(h @ w2 + b2)
    loss = np.sum(-y[0] * np.log(a) - (1 - y[0]) * np.log(1 - a))
    dz2 = a - y[0]  # d loss / d (W2 h + b2) for sigmoid + summed binary cross-entropy
    dz1 = (w2 @ dz2) * (1 - h**2)
    expected = [
        w1 - lr * np.outer(x, dz1),
        b1 - lr * dz1,
        w2 - lr * np.outer(h, dz2),
        b2 - lr * dz2,
    ]

    got = keras.ops.convert_to_numpy(summed_binary_crossentropy(y, model(v)))
    assert got == pytest.approx([loss], rel=1e-5)
    compile_reference(model, lr)
    model.train_on_batch(v, y)
    for new, want in zip(model.get_weights(), expected, strict=True):
        np.testing.assert_allclose(new, want, rtol=1e-5, atol=1e-6)


def test_reference_training_records_test_accuracy_every_round(tmp_path):
    from sim2model.models.mlp import build_mlp
    from sim2model.studies.galaxy10.reference_sgd import round_samples, train_reference_sgd

    rng = np.random.default_rng(1)
    y = np.arange(60) % 3
    x = (rng.normal(0, 0.3, size=(60, 4)) + np.eye(3, 4)[y] * 2).astype(np.float32)
    model = build_mlp((4,), 3, hidden_units=[6], output_activation="sigmoid")
    history = train_reference_sgd(
        model, x[:40], y[:40], x[40:50], y[40:50], x[50:], y[50:],
        model_path=tmp_path / "m.keras", history_path=tmp_path / "h.csv",
        rounds=3, steps_per_round=40, learning_rate=0.05, seed=2,
    )  # fmt: skip
    assert list(history["step"]) == [40, 80, 120]
    assert history["test_accuracy"].iloc[-1] >= 0.8  # well-separated classes
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "h.csv"), history)
    assert (tmp_path / "m.keras").is_file()
    draws = round_samples(40, 2000, 2, 0)
    assert draws.min() >= 0 and draws.max() < 40 and len(np.unique(draws)) == 40  # with replacement
    assert not np.array_equal(draws, round_samples(40, 2000, 2, 1))


def test_second_choice_statistic_on_a_constructed_confusion():
    # class 0: one right, two wrong (runner-up 0 once); class 1: all right; class 2: one wrong
    # whose runner-up is class 1, not 2.
    proba = np.array(
        [
            [0.9, 0.05, 0.05],  # 0, right
            [0.3, 0.6, 0.1],  # 0 -> 1, true class second
            [0.1, 0.3, 0.6],  # 0 -> 2, true class third
            [0.1, 0.8, 0.1],  # 1, right
            [0.5, 0.4, 0.1],  # 2 -> 0, true class third
        ]
    )
    table = second_choice_table(np.array([0, 0, 0, 1, 2]), proba, ["a", "b", "c"])
    assert table.loc["a"].to_dict() == {
        "n_test": 3, "n_misclassified": 2, "n_second": 1, "second_choice_fraction": 0.5,
    }  # fmt: skip
    assert table.loc["b", "n_misclassified"] == 0 and np.isnan(
        table.loc["b", "second_choice_fraction"]
    )
    assert table.loc["c", "second_choice_fraction"] == 0.0
    assert table.loc["all", "n_misclassified"] == 3 and table.loc["all", "n_second"] == 1


def test_classification_table_states_the_goal(tmp_path):
    from sim2model.io.predictions import Predictions, write_predictions
    from sim2model.stages.report import classification_table

    paths = []
    for name, right in (("good", 7), ("poor", 6)):
        proba = np.tile([[0.9, 0.1]], (10, 1))
        truth = np.r_[np.zeros(right), np.ones(10 - right)].astype(np.int64)
        paths.append(str(tmp_path / f"{name}.h5"))
        write_predictions(paths[-1], Predictions(truth, proba, ["x", "y"]))
    csv, md = tmp_path / "t.csv", tmp_path / "t.md"
    classification_table(paths, str(csv), str(md), labels=["good", "poor"], caption="C.", goal=0.66)
    table = pd.read_csv(csv, index_col="run")
    assert table["meets_goal"].to_dict() == {"good": "yes", "poor": "no"}
    assert "goal is test accuracy >= 66%" in md.read_text()


def test_accuracy_curve_is_test_accuracy_per_step_under_the_reference_recipe():
    from sim2model.studies.galaxy10.report import accuracy_curves

    reference = pd.DataFrame({"epoch": [0, 1], "step": [2000, 4000], "val_accuracy": [0.4, 0.5],
                              "test_accuracy": [0.45, 0.6]})  # fmt: skip
    curves, xlabel, ylabel = accuracy_curves({"mlp": reference})
    assert list(curves["mlp"][0]) == [2000, 4000] and list(curves["mlp"][1]) == [0.45, 0.6]
    assert ylabel == "Test accuracy" and "SGD step" in xlabel
    default = pd.DataFrame({"epoch": [0, 1, 2], "val_accuracy": [0.3, 0.5, 0.6]})
    curves, xlabel, ylabel = accuracy_curves({"mlp": default})
    assert list(curves["mlp"][0]) == [1, 2, 3] and (xlabel, ylabel) == (
        "Epoch",
        "Validation accuracy",
    )
