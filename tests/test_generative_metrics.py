"""Metrics of generated maps on maps with known statistics."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter

from sim2model.eval.generative import generative_metrics, pdf_distance, spectral_ratio

RNG = np.random.default_rng(0)
MAPS = RNG.normal(size=(20, 32, 32, 1))


def test_identical_maps_give_ratio_one_and_distance_zero():
    np.testing.assert_allclose(spectral_ratio(MAPS, MAPS.copy()), 1.0, rtol=1e-12)
    assert pdf_distance(MAPS, MAPS.copy()) == 0.0


def test_smoothed_maps_lose_high_k_power():
    smoothed = gaussian_filter(MAPS, sigma=(0, 1.5, 1.5, 0), mode="wrap")
    ratio = spectral_ratio(MAPS, smoothed)
    # Gaussian smoothing multiplies P(k) by exp(-(2 pi sigma k / n)^2): ~1 at k = 1, tiny at n / 2
    k = np.arange(1, 17)
    expected = np.exp(-((2 * np.pi * 1.5 * k / 32) ** 2))
    assert ratio[0] > 0.8
    assert ratio[-1] < 1e-3
    assert np.all(np.diff(ratio) < 0)
    np.testing.assert_allclose(ratio[:8], expected[:8], rtol=0.15)  # annulus averages


def test_pdf_distance_of_shifted_and_scaled_gaussians():
    # W1 between N(0, 1) and N(mu, 1) is |mu|; between N(0, 1) and N(0, s) it is |s - 1| sqrt(2/pi)
    big = RNG.normal(size=(200, 32, 32))
    assert pdf_distance(big, big + 0.3) == pytest.approx(0.3, rel=1e-9)
    assert pdf_distance(big, 2 * big) == pytest.approx(np.sqrt(2 / np.pi), rel=0.01)


def test_per_class_table_with_classifier_agreement():
    labels = np.repeat([0, 1], 10)
    generated = MAPS.copy()
    generated[labels == 1] += 0.5
    table = generative_metrics(
        MAPS, labels, generated, labels, ["calm", "windy"],
        real_predicted=labels, generated_predicted=np.array([0] * 10 + [1] * 6 + [0] * 4),
    )  # fmt: skip
    assert list(table.index) == ["calm", "windy"]
    assert table.loc["calm", "w1"] == 0.0 and table.loc["calm", "spectral_ratio"] == 1.0
    assert table.loc["windy", "w1"] == pytest.approx(0.5)
    assert table.loc["windy", "agreement"] == pytest.approx(0.6)
    assert table.loc["windy", "predicted_calm"] == pytest.approx(0.4)
    assert table.loc["windy", "real_accuracy"] == 1.0
    with_train = generative_metrics(
        MAPS, labels, generated, labels, ["calm", "windy"], train=(MAPS + 0.25, labels)
    )
    np.testing.assert_allclose(with_train["train_w1"], 0.25)
    np.testing.assert_allclose(with_train["train_spectral_ratio"], 1.0)
    assert "agreement" not in with_train
    # a constant offset changes only the k = 0 mode, which is not in the resolved range
    assert table.loc["windy", "spectral_ratio"] == pytest.approx(1.0)


def test_mismatched_map_sizes_are_refused():
    with pytest.raises(ValueError, match="real maps are"):
        spectral_ratio(MAPS, MAPS[:, :16, :16])
