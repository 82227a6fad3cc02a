"""Figure builders return labelled figures that save_figure writes as PNGs (synthetic data)."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from matplotlib.image import imread

from sim2model.plots import regression, style
from sim2model.studies.galsim import figures as images

LABELS = ["Flux", "Sérsic index n", "Half-light radius", "g1", "g2"]
UNITS = ["counts", "", "arcsec", "", ""]


@pytest.fixture
def predictions() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    y_true = rng.uniform(0.0, 1.0, (200, len(LABELS)))
    snr = rng.uniform(10.0, 100.0, 200)
    y_pred = y_true + rng.normal(0.0, 1.0, y_true.shape) / snr[:, None]
    return y_true, y_pred, snr


@pytest.fixture
def crb_table() -> pd.DataFrame:
    rows = [
        {"testset": ts, "target": t, "estimator": e, "bias": 0.01, "std": 1.5, "crb": 1.0}
        for ts in ("low_snr", "high_snr")
        for t in ("flux", "g1")
        for e in ("cnn", "mle")
    ]
    return pd.DataFrame(rows)


def assert_png(path: os.PathLike, min_width: int = 400, min_height: int = 300) -> None:
    """The file is a PNG of non-trivial size and not a blank canvas."""
    img = imread(path)
    assert img.shape[1] >= min_width and img.shape[0] >= min_height
    assert img.std() > 0.01


def texts(fig: Figure) -> set[str]:
    """Every axis label and title in ``fig`` (colourbars included) plus the figure title."""
    found = {ax.get_xlabel() for ax in fig.axes} | {ax.get_ylabel() for ax in fig.axes}
    found |= {ax.get_title() for ax in fig.axes}
    if fig.get_suptitle():
        found.add(fig.get_suptitle())
    return found - {""}


def test_axis_label_and_display_name() -> None:
    assert style.axis_label("Half-light radius", "arcsec") == "Half-light radius [arcsec]"
    assert style.axis_label("g1", "") == "g1"
    assert style.display_name("sersic_n") == "Sérsic index n"
    assert style.display_name("x_HI") == "x_HI"


def test_save_figure_is_atomic_and_creates_parents(tmp_path) -> None:
    fig, axes = style.new_figure(1, 2)
    axes[0, 0].plot([0, 1], [1, 0])
    path = style.save_figure(fig, tmp_path / "a" / "b" / "fig.png")
    assert path == tmp_path / "a" / "b" / "fig.png"
    assert_png(path, min_width=style.DPI * 6, min_height=style.DPI * 2)
    assert os.listdir(path.parent) == ["fig.png"]  # no temporary file left behind
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask  # normal permissions, unlike mkstemp


def test_new_panels_removes_unused_cells() -> None:
    fig, axes = style.new_panels(5, max_cols=3)
    assert len(axes) == 5 and len(fig.axes) == 5


def test_true_vs_predicted(tmp_path, predictions) -> None:
    y_true, y_pred, snr = predictions
    fig = regression.true_vs_predicted_figure(y_true, y_pred, LABELS, UNITS, color=snr)
    found = texts(fig)
    assert set(LABELS) <= found
    assert {"True [counts]", "Predicted [arcsec]", "Predicted", "SNR"} <= found
    annotations = " ".join(t.get_text() for ax in fig.axes for t in ax.texts)
    assert "RMSE" in annotations and "R^2" in annotations
    ax = fig.axes[0]
    assert ax.get_xlim() == ax.get_ylim()
    assert_png(style.save_figure(fig, tmp_path / "tvp.png"))


def test_true_vs_error_plots_the_error_against_truth(tmp_path, predictions) -> None:
    y_true, y_pred, snr = predictions
    fig = regression.true_vs_error_figure(y_true, y_pred, LABELS, UNITS, color=snr)
    assert {"True [counts]", "Predicted − true [arcsec]", "SNR"} <= texts(fig)
    offsets = fig.axes[1].collections[0].get_offsets()
    np.testing.assert_allclose(offsets[:, 0], y_true[:, 1])
    np.testing.assert_allclose(offsets[:, 1], y_pred[:, 1] - y_true[:, 1], rtol=1e-6, atol=1e-6)
    annotations = " ".join(t.get_text() for ax in fig.axes for t in ax.texts)
    assert "bias" in annotations and "σ" in annotations
    assert_png(style.save_figure(fig, tmp_path / "tve.png"))


def test_true_vs_predicted_without_colour_has_no_colourbar(predictions) -> None:
    y_true, y_pred, _ = predictions
    fig = regression.true_vs_predicted_figure(y_true[:, :2], y_pred[:, :2], LABELS[:2], UNITS[:2])
    assert len(fig.axes) == 2


def test_label_count_must_match_targets(predictions) -> None:
    y_true, y_pred, _ = predictions
    with pytest.raises(ValueError, match="labels and units"):
        regression.error_histograms_figure(y_true, y_pred, LABELS[:2], UNITS[:2])


def test_error_histograms(tmp_path, predictions) -> None:
    y_true, y_pred, _ = predictions
    fig = regression.error_histograms_figure(y_true, y_pred, LABELS, UNITS)
    assert {"Predicted − true [counts]", "Predicted − true", "Samples"} <= texts(fig)
    annotations = " ".join(t.get_text() for ax in fig.axes for t in ax.texts)
    assert "bias" in annotations and "σ" in annotations
    assert_png(style.save_figure(fig, tmp_path / "e.png"))


def histories_of(*runs: str) -> dict[str, pd.DataFrame]:
    """A short synthetic history per run name (the second without validation loss)."""
    epochs = np.arange(10)
    frames = [
        pd.DataFrame({"epoch": epochs, "loss": 1 / (epochs + 1), "val_loss": 2 / (epochs + 1)}),
        pd.DataFrame({"loss": 1.5 / (epochs + 1)}),
    ]
    return dict(zip(runs, frames[: len(runs)], strict=True))


def test_training_curves(tmp_path) -> None:
    histories = histories_of("cnn", "mlp")
    losses = dict.fromkeys(histories, "sparse_categorical_crossentropy")
    fig = regression.training_curves_figure(histories, losses)
    assert len(fig.axes) == 1
    ax = fig.axes[0]
    assert ax.get_xlabel() == "Epoch" and ax.get_ylabel() == "Cross-entropy loss"
    assert ax.get_yscale() == "log" and ax.get_title() == "Training curves"
    assert [line.get_label() for line in ax.get_lines()] == [
        "cnn: train",
        "cnn: validation",
        "mlp: train",
    ]
    assert ax.get_lines()[0].get_xdata()[0] == 1  # Keras epochs are shown 1-based
    assert_png(style.save_figure(fig, tmp_path / "curves.png"))
    with pytest.raises(KeyError, match="accuracy"):
        regression.training_curves_figure(histories, losses, metric="accuracy")


def test_training_curves_label_the_loss_each_run_was_trained_on() -> None:
    regressor = regression.training_curves_figure(
        histories_of("v1 / xception"), {"v1 / xception": "mse"}
    )
    assert [ax.get_ylabel() for ax in regressor.axes] == ["MSE loss (normalised targets)"]
    classifier = regression.training_curves_figure(
        histories_of("isotropic / dgcnn"), {"isotropic / dgcnn": "sparse_categorical_crossentropy"}
    )
    assert "MSE" not in classifier.axes[0].get_ylabel()
    assert "ross-entropy" in classifier.axes[0].get_ylabel()


def test_training_curves_of_different_losses_get_a_panel_each() -> None:
    histories = histories_of("transport/cnn", "Ec/unet")
    losses = {"transport/cnn": "sparse_categorical_crossentropy", "Ec/unet": "mse"}
    fig = regression.training_curves_figure(histories, losses)
    assert [ax.get_ylabel() for ax in fig.axes] == [
        "Cross-entropy loss",
        "MSE loss (normalised targets)",
    ]
    assert [line.get_label() for line in fig.axes[0].get_lines()] == [
        "transport/cnn: train",
        "transport/cnn: validation",
    ]
    assert [line.get_label() for line in fig.axes[1].get_lines()] == ["Ec/unet: train"]
    assert fig.get_suptitle() == "Training curves"


def test_training_curves_need_a_known_loss_for_every_run() -> None:
    histories = histories_of("cnn", "mlp")
    with pytest.raises(ValueError, match="losses are given for runs"):
        regression.training_curves_figure(histories, {"cnn": "mse"})
    with pytest.raises(ValueError, match="unknown losses"):
        regression.training_curves_figure(histories, {"cnn": "mse", "mlp": "hinge"})


def test_bias_std_vs_bound(tmp_path, crb_table) -> None:
    fig = regression.bias_std_vs_bound_figure(crb_table, target_labels={"g1": "Shear g1"})
    assert {"σ / CRB", "low_snr", "high_snr"} <= texts(fig)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Flux", "Shear g1"]
    heights = [p.get_height() for p in ax.patches]
    assert heights == pytest.approx([1.5] * 4)  # std / crb, two targets x two estimators
    legend = {t.get_text() for t in fig.legends[0].get_texts()}
    assert legend == {"cnn", "mle", "CRB", "|bias| / CRB"}
    assert_png(
        style.save_figure(regression.bias_std_vs_bound_figure(crb_table), tmp_path / "crb.png")
    )


def test_bias_std_vs_bound_needs_columns(crb_table) -> None:
    with pytest.raises(ValueError, match="crb"):
        regression.bias_std_vs_bound_figure(crb_table.drop(columns="crb"))


def test_example_stamps(tmp_path) -> None:
    rng = np.random.default_rng(2)
    rows = [
        {"Noisy": rng.normal(size=(32, 32)), "PSF": rng.uniform(size=(16, 16, 1))} for _ in range(2)
    ]
    fig = images.example_stamps_figure(
        rows, pixel_scale=0.2, row_labels=["SNR 10.0", "SNR 35.2"], unit={"Noisy": "counts"}
    )
    found = texts(fig)
    assert {"Noisy", "PSF", "x [arcsec]", "y [arcsec]", "counts"} <= found
    annotations = {t.get_text() for ax in fig.axes for t in ax.texts}
    assert annotations == {"SNR 10.0", "SNR 35.2"}
    noisy = fig.axes[0].images[0]
    assert noisy.origin == "lower"
    assert noisy.get_extent() == pytest.approx([-3.2, 3.2, -3.2, 3.2])
    fig = images.example_stamps_figure(rows, titles=["Image", "PSF"])
    assert_png(style.save_figure(fig, tmp_path / "stamps.png"))


def test_example_stamps_in_pixels_without_scale() -> None:
    fig = images.example_stamps_figure([{"Map": np.zeros((8, 8))}], title=None)
    assert {"x [pixel]", "y [pixel]", "counts"} == texts(fig) - {"Map"}


def test_reconstruction_figure_shows_linear_log_and_a_centred_residual(tmp_path) -> None:
    rng = np.random.default_rng(0)
    clean = np.exp(-np.add.outer(np.linspace(-2, 2, 16) ** 2, np.linspace(-2, 2, 16) ** 2)) * 1e3
    model = 0.9 * clean
    fig = images.reconstruction_figure(
        [clean + rng.normal(size=clean.shape)], [clean], [model], pixel_scale=0.2,
        row_labels=["SNR 30"],
    )  # fmt: skip
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles[:4] == ["Noisy", "Noiseless", "Reconstruction", "Residual"]
    assert "|Residual| (log)" in titles and "log10 counts" in texts(fig)
    residual = next(ax for ax in fig.axes if ax.get_title() == "Residual").images[0]
    np.testing.assert_allclose(residual.get_array(), model - clean)
    low, high = residual.get_clim()
    assert low == -high == pytest.approx(-np.max(np.abs(model - clean)))
    assert_png(style.save_figure(fig, tmp_path / "rec.png"))
