"""Classification, interpretation and image-to-image figures: rendered PNGs and drawn values."""

from __future__ import annotations

import os

import numpy as np
import pytest
from matplotlib.colors import same_color
from matplotlib.figure import Figure
from matplotlib.image import imread

from sim2model.plots import classification, image2image
from sim2model.plots.style import DPI, save_figure
from sim2model.studies.turbulence import interpretation_figures as interpretation

CLASSES = ["none", "streaming", "diffusion"]


def assert_png(path: os.PathLike, min_width: int = 400, min_height: int = 300) -> None:
    """``path`` is a PNG (by signature) of non-trivial size and not a blank canvas."""
    with open(path, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    img = imread(path)
    assert img.shape[1] >= min_width and img.shape[0] >= min_height
    assert img.std() > 0.01


def render(fig: Figure, tmp_path, name: str) -> None:
    """Save ``fig`` with the shared style and check the PNG."""
    assert_png(save_figure(fig, tmp_path / name))


def labels(fig: Figure) -> set[str]:
    """Axis labels and titles of every axes (colour bars included)."""
    found = {ax.get_xlabel() for ax in fig.axes} | {ax.get_ylabel() for ax in fig.axes}
    return (found | {ax.get_title() for ax in fig.axes}) - {""}


def test_confusion_matrix_annotations_and_colours(tmp_path) -> None:
    confusion = np.array([[8, 2, 0], [1, 3, 0], [0, 0, 0]])  # last class has no samples
    fig = classification.confusion_matrix_figure(confusion, CLASSES, title="Slices")
    ax = fig.axes[0]
    cells = [t.get_text() for t in ax.texts]
    # Row-normalised by hand: 8/10, 2/10, 0/10; 1/4, 3/4, 0/4; empty row has no percentage.
    assert cells == [
        "8\n(80.0%)", "2\n(20.0%)", "0\n(0.0%)",
        "1\n(25.0%)", "3\n(75.0%)", "0\n(0.0%)",
        "0", "0", "0",
    ]  # fmt: skip
    np.testing.assert_allclose(
        ax.images[0].get_array(), [[0.8, 0.2, 0.0], [0.25, 0.75, 0.0], [0.0, 0.0, 0.0]]
    )
    assert ax.get_title() == "Slices\nOverall accuracy 78.6% (N = 14)"  # 11 / 14 correct
    assert {"True class", "Predicted class", "Fraction of true class"} <= labels(fig)
    ticks = ax.get_xticklabels()
    assert [t.get_text() for t in ticks] == CLASSES and ticks[0].get_rotation() == 45
    render(fig, tmp_path, "confusion.png")


def test_confusion_matrix_writes_large_counts_in_full() -> None:
    fig = classification.confusion_matrix_figure(np.array([[1234567, 0], [0, 1]]), ["a", "b"])
    assert fig.axes[0].texts[0].get_text() == "1234567\n(100.0%)"
    assert fig.axes[0].get_title().endswith("(N = 1234568)")


def test_confusion_matrix_rejects_bad_shapes() -> None:
    with pytest.raises(ValueError, match="confusion"):
        classification.confusion_matrix_figure(np.ones((2, 3)), CLASSES[:2])
    with pytest.raises(ValueError, match="class_names"):
        classification.confusion_matrix_figure(np.ones((3, 3)), CLASSES[:2])
    with pytest.raises(ValueError, match="non-negative"):
        classification.confusion_matrix_figure(-np.ones((3, 3)), CLASSES)


def test_roc_legend_and_chance_line(tmp_path) -> None:
    fpr = np.linspace(0.0, 1.0, 21)
    fig = classification.roc_figure(
        {"EdgeConv": (fpr, np.sqrt(fpr), 2 / 3), "MLP": (fpr, fpr, 0.5)}
    )
    ax = fig.axes[0]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["EdgeConv (AUC = 0.667)", "MLP (AUC = 0.500)", "Chance (AUC = 0.500)"]
    np.testing.assert_array_equal(ax.get_lines()[0].get_ydata(), np.sqrt(fpr))
    np.testing.assert_array_equal(ax.get_lines()[-1].get_xydata(), [[0, 0], [1, 1]])
    assert ax.get_xlabel() == "False positive rate" and ax.get_ylabel() == "True positive rate"
    assert ax.get_aspect() == 1.0
    render(fig, tmp_path, "roc.png")
    with pytest.raises(ValueError, match="'bad'"):
        classification.roc_figure({"bad": (fpr, fpr[:-1], 0.5)})


def test_per_class_accuracy_bar_heights(tmp_path) -> None:
    accuracies = {
        "slices": {"none": 0.9, "streaming": 0.75, "diffusion": 0.6},
        "projections": {"diffusion": 0.55, "none": 0.95, "streaming": 0.7},  # order differs
    }
    fig = classification.per_class_accuracy_figure(accuracies, chance=1 / 3)
    ax = fig.axes[0]
    heights = [p.get_height() for p in ax.patches]
    assert heights == pytest.approx([0.9, 0.75, 0.6, 0.95, 0.7, 0.55])  # classes as in "slices"
    values = [t.get_text() for t in ax.texts]
    assert values == ["0.90", "0.75", "0.60", "0.95", "0.70", "0.55"]
    assert [t.get_text() for t in ax.get_xticklabels()] == CLASSES
    chance = ax.get_lines()[0]
    assert chance.get_ydata()[0] == pytest.approx(1 / 3)
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["slices", "projections", "Chance (0.33)"]
    render(fig, tmp_path, "accuracy.png")
    with pytest.raises(ValueError, match="'projections'"):
        classification.per_class_accuracy_figure(
            {"slices": {"a": 1.0, "b": 0.5}, "projections": {"a": 1.0}}
        )


def test_example_grid_marks_wrong_predictions_red(tmp_path) -> None:
    rng = np.random.default_rng(0)
    images = rng.uniform(-5.0, 20.0, (7, 16, 16, 3))
    true = ["a", "b", "c", "a", "b", "c", "a"]
    pred = ["a", "c", "c", "b", "b", "c", "a"]
    fig = classification.example_grid_figure(images, true, pred, per_row=4, title="Galaxy10")
    assert len(fig.axes) == 7  # 2 x 4 grid, unused cell removed
    titles = [ax.title for ax in fig.axes]
    assert titles[1].get_text() == "true: b\npred: c"
    wrong = [same_color(t.get_color(), "red") for t in titles]
    assert wrong == [t != p for t, p in zip(true, pred, strict=True)]
    assert fig.get_suptitle() == "Galaxy10\nMisclassified (red titles): 2 of 7"
    shown = fig.axes[0].images[0].get_array()
    assert shown.min() == 0.0 and shown.max() == 1.0  # RGB min-max scaled per image
    np.testing.assert_allclose(shown, (images[0] - images[0].min()) / np.ptp(images[0]))
    assert all(not ax.get_xticks().size and not ax.get_yticks().size for ax in fig.axes)
    render(fig, tmp_path, "grid.png")


def test_example_grid_single_channel_without_predictions() -> None:
    images = np.arange(2 * 4 * 4, dtype=float).reshape(2, 4, 4, 1)
    fig = classification.example_grid_figure(images, ["x", "y"], None, cmap="magma")
    assert [ax.get_title() for ax in fig.axes] == ["x", "y"]
    image = fig.axes[1].images[0]
    assert image.get_cmap().name == "magma"
    np.testing.assert_array_equal(image.get_array(), images[1, ..., 0])
    with pytest.raises(ValueError, match="true_labels"):
        classification.example_grid_figure(images, ["x"], None)
    with pytest.raises(ValueError, match="predicted_labels"):
        classification.example_grid_figure(images, ["x", "y"], ["x"])
    with pytest.raises(ValueError, match="images"):
        classification.example_grid_figure(np.zeros((2, 4, 4, 2)), ["x", "y"], None)


def test_saliency_figure(tmp_path) -> None:
    rng = np.random.default_rng(1)
    images = rng.normal(size=(3, 12, 12, 1))
    saliency = rng.normal(size=(3, 12, 12))
    fig = interpretation.saliency_figure(images, saliency, CLASSES)
    image_axes = [ax for ax in fig.axes if ax.images]
    assert len(image_axes) == 6  # plus two colour bars
    assert [ax.get_title() for ax in image_axes[:3]] == CLASSES
    heat = image_axes[3].images[0]  # row 0: inputs, row 1: saliency maps
    assert heat.get_cmap().name == "inferno"
    np.testing.assert_allclose(heat.get_array(), np.abs(saliency[0]) / np.abs(saliency[0]).max())
    inputs = image_axes[0].images[0]
    assert inputs.get_clim() == (images.min(), images.max())  # one scale for all inputs
    assert {"log10 density", "|gradient| / max", "x [pixel]"} <= labels(fig)
    render(fig, tmp_path, "saliency.png")
    with pytest.raises(ValueError, match="saliency"):
        interpretation.saliency_figure(images, saliency[:, :6], CLASSES)
    with pytest.raises(ValueError, match="titles"):
        interpretation.saliency_figure(images, saliency, CLASSES[:2])


def test_smoothing_lines_equal_fractions(tmp_path) -> None:
    sigmas = np.array([0.0, 1.0, 2.0, 4.0])
    fractions = np.array([[0.1, 0.8, 0.1], [0.2, 0.6, 0.2], [0.5, 0.3, 0.2], [0.9, 0.0, 0.1]])
    fig = interpretation.smoothing_figure(sigmas, fractions, CLASSES, true_class="streaming")
    ax = fig.axes[0]
    for j, line in enumerate(ax.get_lines()):
        np.testing.assert_array_equal(line.get_xdata(), sigmas)
        np.testing.assert_array_equal(line.get_ydata(), fractions[:, j])
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["none", "streaming (true class)", "diffusion"]
    assert ax.get_ylim() == (-0.02, 1.02)
    assert ax.get_xlabel() == "Gaussian smoothing σ [pixels]"
    render(fig, tmp_path, "smoothing.png")
    with pytest.raises(ValueError, match="fractions"):
        interpretation.smoothing_figure(sigmas, fractions[:, :2], CLASSES, true_class="none")
    with pytest.raises(ValueError, match="true_class"):
        interpretation.smoothing_figure(sigmas, fractions, CLASSES, true_class="other")


def test_image_panels_figure(tmp_path) -> None:
    rng = np.random.default_rng(2)
    inputs = rng.normal(size=(2, 10, 10, 1))
    truth = rng.normal(size=(2, 10, 10))
    predicted = truth + 0.1 * rng.normal(size=truth.shape)
    fig = image2image.image_panels_figure(
        inputs, truth, predicted, input_label="log10 ρ", target_label="log10 e_CR",
        correlations=np.array([0.91, 0.876]),
    )  # fmt: skip
    maps = [ax for ax in fig.axes if ax.images]
    assert len(maps) == 8 and len(fig.axes) == 8 + 6  # 2 rows x 4 maps, 3 colour bars a row
    assert [ax.get_title() for ax in maps[:4]] == [
        "Input", "True target", "Predicted target", "Residual (pred − true)",
    ]  # fmt: skip
    true_im, pred_im, res_im = (maps[k].images[0] for k in (5, 6, 7))  # second row
    both = np.concatenate([truth[1], predicted[1]])
    assert true_im.get_clim() == pred_im.get_clim() == (both.min(), both.max())
    residual = predicted[1] - truth[1]
    np.testing.assert_allclose(res_im.get_array(), residual)
    lo, hi = res_im.get_clim()
    assert lo == -hi == -np.abs(residual).max()  # diverging scale centred on 0
    assert [t.get_text() for t in maps[6].texts] == ["r = 0.876"]
    assert {"log10 ρ", "log10 e_CR", "Δ log10 e_CR"} <= labels(fig)
    render(fig, tmp_path, "image2image.png")


def test_image2image_rejects_mismatches() -> None:
    x = np.zeros((2, 8, 8))
    with pytest.raises(ValueError, match="predicted"):
        image2image.image_panels_figure(x, x, x[:, :4], input_label="a", target_label="b")
    with pytest.raises(ValueError, match="truth"):
        image2image.image_panels_figure(x, x[:1], x[:1], input_label="a", target_label="b")
    with pytest.raises(ValueError, match="correlations"):
        image2image.image_panels_figure(
            x, x, x, input_label="a", target_label="b", correlations=[0.5]
        )
    many = np.zeros((7, 8, 8))
    with pytest.raises(ValueError, match="1 to 6"):
        image2image.image_panels_figure(many, many, many, input_label="a", target_label="b")


def test_power_spectrum_log_axes_and_ratio(tmp_path) -> None:
    k = np.arange(1.0, 17.0)
    true, predicted = k**-2.0, 2.0 * k**-2.5
    fig = image2image.power_spectrum_figure(
        k, {"true": true, "predicted": predicted}, ratio_to="true", title="CR energy"
    )
    spectrum_ax, ratio_ax = fig.axes
    assert spectrum_ax.get_xscale() == spectrum_ax.get_yscale() == "log"
    assert ratio_ax.get_xscale() == "log" and ratio_ax.get_yscale() == "linear"
    np.testing.assert_array_equal(spectrum_ax.get_lines()[1].get_ydata(), predicted)
    reference, ratio = ratio_ax.get_lines()
    assert list(reference.get_ydata()) == [1.0, 1.0]
    np.testing.assert_allclose(ratio.get_ydata(), 2.0 / np.sqrt(k))
    assert ratio_ax.get_ylabel() == "Ratio to true"
    assert ratio_ax.get_xlabel() == "Wavenumber k [cycles per image]"
    render(fig, tmp_path, "spectrum.png")


def test_power_spectrum_without_ratio_and_bad_inputs(tmp_path) -> None:
    k = np.arange(1.0, 9.0)
    fig = image2image.power_spectrum_figure(k, {"true": k**-1.0}, ylabel="P(k) [arb.]")
    assert len(fig.axes) == 1 and fig.axes[0].get_ylabel() == "P(k) [arb.]"
    assert fig.get_size_inches()[0] * DPI >= 400
    with pytest.raises(ValueError, match="'predicted'"):
        image2image.power_spectrum_figure(k, {"true": k, "predicted": k[:-1]})
    with pytest.raises(ValueError, match="ratio_to"):
        image2image.power_spectrum_figure(k, {"true": k}, ratio_to="truth")
    with pytest.raises(ValueError, match="positive"):
        image2image.power_spectrum_figure(k - 1.0, {"true": k})
