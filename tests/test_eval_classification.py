"""Classification and image-to-image metrics against hand-computed values."""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest

from sim2model.eval.classification import classification_report, predicted_fractions
from sim2model.eval.image2image import image2image_metrics, per_image_correlation

Y_TRUE = np.array([0, 0, 1, 1, 2, 2, 2])
Y_PRED = np.array([0, 1, 1, 1, 2, 0, 2])
NAMES = ["diffusion", "streaming", "mhd"]


def soft(labels, n_classes, peak=0.6):
    """Probabilities with ``peak`` on ``labels``, the rest shared by the other classes."""
    proba = np.full((len(labels), n_classes), (1 - peak) / (n_classes - 1))
    proba[np.arange(len(labels)), labels] = peak
    return proba


def test_three_class_report_by_hand():
    report = classification_report(Y_TRUE, soft(Y_PRED, 3), NAMES)
    assert report.accuracy == pytest.approx(5 / 7)
    np.testing.assert_array_equal(report.confusion, [[1, 1, 0], [0, 2, 0], [1, 0, 2]])
    table = report.per_class
    assert list(table.index) == NAMES
    np.testing.assert_allclose(table["precision"], [1 / 2, 2 / 3, 1])
    np.testing.assert_allclose(table["recall"], [1 / 2, 1, 2 / 3])  # per-class accuracy
    np.testing.assert_allclose(table["f1"], [1 / 2, 0.8, 0.8])
    np.testing.assert_array_equal(table["support"], [2, 2, 3])
    assert report.roc is None


def test_class_never_predicted_nor_present_gets_zeros():
    report = classification_report(Y_TRUE, soft(Y_PRED, 4), [*NAMES, "none"])
    assert report.per_class.loc["none"].tolist() == [0, 0, 0, 0]
    assert report.confusion.shape == (4, 4)
    assert report.confusion.sum() == len(Y_TRUE)


def test_to_dict_is_json_and_round_trips():
    y = np.array([0, 0, 1, 1])
    proba = np.array([[0.9, 0.1], [0.6, 0.4], [0.65, 0.35], [0.2, 0.8]])
    report = classification_report(y, proba, ["iso", "streets"])
    data = json.loads(json.dumps(report.to_dict()))
    assert data["accuracy"] == pytest.approx(0.75)
    assert data["class_names"] == ["iso", "streets"]
    assert data["per_class"]["streets"] == {
        "precision": 1.0,
        "recall": 0.5,
        "f1": 2 / 3,
        "support": 2,
    }
    assert data["confusion"] == [[2, 0], [1, 1]]
    assert data["roc"]["auc"] == pytest.approx(0.75)
    assert data["roc"]["fpr"] == pytest.approx(report.roc["fpr"].tolist())


def test_binary_roc_of_known_example():
    # scikit-learn's roc_auc_score example: 3 of the 4 (positive, negative) pairs are ordered
    y = np.array([0, 0, 1, 1])
    score = np.array([0.1, 0.4, 0.35, 0.8])
    roc = classification_report(y, np.column_stack([1 - score, score]), ["a", "b"]).roc
    assert roc["auc"] == pytest.approx(0.75)
    np.testing.assert_allclose(roc["fpr"], [0, 0, 0.5, 0.5, 1])
    np.testing.assert_allclose(roc["tpr"], [0, 0.5, 0.5, 1, 1])
    assert np.trapezoid(roc["tpr"], roc["fpr"]) == pytest.approx(0.75)


@pytest.mark.parametrize(("kind", "auc"), [("perfect", 1.0), ("constant", 0.5), ("reversed", 0.0)])
def test_binary_auc_limits(kind, auc):
    y = np.arange(20) % 2
    score = {"perfect": 0.2 + 0.6 * y, "constant": np.full(20, 0.5), "reversed": 0.8 - 0.6 * y}
    proba = np.column_stack([1 - score[kind], score[kind]])
    assert classification_report(y, proba, ["a", "b"]).roc["auc"] == pytest.approx(auc)


def test_binary_auc_matches_pair_counting():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 60)
    score = np.round(rng.uniform(size=60) + 0.3 * y, 1)  # rounding makes ties
    positive, negative = score[y == 1][:, None], score[y == 0][None, :]
    brute = np.mean((positive > negative) + 0.5 * (positive == negative))
    roc = classification_report(y, np.column_stack([1 - score, score]), ["a", "b"]).roc
    assert roc["auc"] == pytest.approx(brute, abs=1e-12)


def test_binary_with_one_class_present_has_no_roc(caplog):
    with caplog.at_level(logging.WARNING):
        report = classification_report(np.ones(3, int), soft([1, 0, 1], 2), ["a", "b"])
    assert report.roc is None
    assert "only class 1" in caplog.text
    assert report.accuracy == pytest.approx(2 / 3)


@pytest.mark.parametrize(
    ("y_true", "proba", "match"),
    [
        (Y_TRUE[:-1], soft(Y_PRED, 3), r"y_true must have shape \(7,\)"),
        (Y_TRUE, soft(Y_PRED, 4), r"proba must have shape \(N, 3\)"),
        (Y_TRUE + 1, soft(Y_PRED, 3), r"\[0, 3\)"),
        (Y_TRUE + 0.5, soft(Y_PRED, 3), "integer"),
    ],
)
def test_report_rejects_mismatched_inputs(y_true, proba, match):
    with pytest.raises(ValueError, match=match):
        classification_report(y_true, proba, NAMES)


def test_predicted_fractions():
    np.testing.assert_allclose(predicted_fractions(soft(Y_PRED, 4), 4), [2 / 7, 3 / 7, 2 / 7, 0])
    with pytest.raises(ValueError, match="proba"):
        predicted_fractions(soft(Y_PRED, 4), 5)


def maps(seed, n=5, shape=(6, 7), channels=2):
    return np.random.default_rng(seed).normal(size=(n, *shape, channels))


@pytest.mark.parametrize(("transform", "r"), [(lambda y: 2 * y + 3, 1.0), (lambda y: -y, -1.0)])
def test_correlation_of_linear_maps(transform, r):
    y = maps(1)
    np.testing.assert_allclose(per_image_correlation(y, transform(y)), r, atol=1e-12)


def test_correlation_matches_numpy_corrcoef():
    y_true, y_pred = maps(2), maps(3)
    r = per_image_correlation(y_true, y_pred)
    assert r.shape == (5, 2)
    for i in range(5):
        for c in range(2):
            expected = np.corrcoef(y_true[i, ..., c].ravel(), y_pred[i, ..., c].ravel())[0, 1]
            assert r[i, c] == pytest.approx(expected, abs=1e-12)


def test_image2image_metrics_by_hand():
    y_true = maps(4)
    y_pred = y_true.copy()
    y_pred[..., 0] += 0.5  # offset only: MSE 0.25, correlation 1
    y_pred[..., 1] *= -3  # negated: correlation -1, MSE = mean of (4 y)^2
    table = image2image_metrics(y_true, y_pred, ["e_cr", "e_mag"])
    assert list(table.index) == ["e_cr", "e_mag"]
    assert table.loc["e_cr", "mse"] == pytest.approx(0.25)
    assert table.loc["e_cr", "rmse"] == pytest.approx(0.5)
    assert table.loc["e_mag", "mse"] == pytest.approx(16 * np.mean(y_true[..., 1] ** 2))
    np.testing.assert_allclose(table["mean_correlation"], [1, -1])
    np.testing.assert_allclose(table["median_correlation"], [1, -1])
    assert table["n_images"].tolist() == [5, 5]


def test_constant_images_are_left_out_of_correlation_statistics(caplog):
    y_true = maps(5, n=3, channels=1)
    y_pred = np.concatenate([y_true[:2], np.zeros_like(y_true[2:])])
    y_pred[1] *= -1
    assert np.isnan(per_image_correlation(y_true, y_pred)[2, 0])
    with caplog.at_level(logging.WARNING):
        table = image2image_metrics(y_true, y_pred, ["rho"])
    assert "1 of 3 images are constant" in caplog.text
    assert table.loc["rho", "mean_correlation"] == pytest.approx(0.0)  # mean of +1 and -1
    assert table.loc["rho", "n_images"] == 3


@pytest.mark.parametrize(
    ("y_pred", "names", "match"),
    [(maps(6, n=4), ["a", "b"], "differs"), (maps(6), ["a"], "1 channel_names for 2")],
)
def test_image2image_rejects_mismatches(y_pred, names, match):
    with pytest.raises(ValueError, match=match):
        image2image_metrics(maps(6), y_pred, names)
