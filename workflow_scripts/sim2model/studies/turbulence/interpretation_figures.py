"""Figures that interpret a trained classifier: saliency maps and the Gaussian-smoothing test.

Saliency is the magnitude of the gradient of the class score with respect to each input pixel;
it is shown as ``|gradient|`` divided by its maximum per example (raw gradients have arbitrary
units, so only the pattern within one map is meaningful). All inputs share one colour scale so
examples can be compared by eye. The smoothing test blurs the test images of one true class
with Gaussian kernels of growing width sigma and shows the fraction assigned to every class: a
classifier that relies on small-scale structure changes its answer at small sigma.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from sim2model.plots.image2image import single_channel
from sim2model.plots.style import axis_label, new_figure, styled

PANEL_SIZE = (2.5, 2.3)  # inches per map panel


def normalised_saliency(saliency: np.ndarray) -> np.ndarray:
    """``|saliency|`` of an ``(N, H, W)`` stack divided by its per-example maximum (0 if none)."""
    magnitude = np.abs(np.nan_to_num(saliency))
    peak = magnitude.max(axis=(1, 2), keepdims=True)
    return np.divide(magnitude, peak, out=np.zeros_like(magnitude), where=peak > 0)


@styled
def saliency_figure(
    images: np.ndarray,
    saliency: np.ndarray,
    titles: Sequence[str],
    *,
    image_label: str = "log10 density",
) -> Figure:
    """Top row: input images (one shared colour bar); bottom row: their saliency maps.

    One column per example, titled by ``titles`` (e.g. the class name). ``images`` and
    ``saliency`` are ``(N, H, W)`` or ``(N, H, W, 1)`` with equal shapes; the sign of
    ``saliency`` is ignored.
    """
    x = single_channel(images, "images")
    s = single_channel(saliency, "saliency")
    if x.shape != s.shape:
        raise ValueError(f"images {x.shape} and saliency {s.shape} differ in shape")
    n = len(x)
    if n == 0:
        raise ValueError("images is empty: no example to plot")
    if len(titles) != n:
        raise ValueError(f"titles has {len(titles)} entries for {n} images")
    finite = x[np.isfinite(x)]
    lo, hi = (finite.min(), finite.max()) if finite.size else (0.0, 1.0)
    fig, axes = new_figure(2, n, panel_size=PANEL_SIZE)
    for j in range(n):
        top, bottom = axes[0, j], axes[1, j]
        shown = top.imshow(x[j], origin="lower", vmin=lo, vmax=hi, interpolation="nearest")
        heat = bottom.imshow(
            normalised_saliency(s[j : j + 1])[0],
            origin="lower",
            cmap="inferno",
            vmin=0.0,
            vmax=1.0,
            interpolation="nearest",
        )
        top.set_title(str(titles[j]))
        bottom.set_xlabel("x [pixel]")
        for ax in (top, bottom):
            ax.grid(visible=False)
    axes[0, 0].set_ylabel("Input\ny [pixel]")
    axes[1, 0].set_ylabel("Saliency\ny [pixel]")
    fig.colorbar(shown, ax=list(axes[0]), label=image_label, shrink=0.9)
    fig.colorbar(heat, ax=list(axes[1]), label="|gradient| / max", shrink=0.9)
    return fig


@styled
def smoothing_figure(
    sigmas: np.ndarray,
    fractions: np.ndarray,
    class_names: Sequence[str],
    *,
    true_class: str,
    pixel_scale_label: str = "pixels",
) -> Figure:
    """Fraction of the ``true_class`` test images assigned to each class vs smoothing sigma.

    ``fractions`` is ``(S, C)`` for ``S`` values of ``sigmas`` and the ``C`` classes of
    ``class_names``; the true class is drawn thicker and in black.
    """
    sigma = np.asarray(sigmas, dtype=float)
    frac = np.asarray(fractions, dtype=float)
    if sigma.ndim != 1:
        raise ValueError(f"sigmas must be 1-D, got shape {sigma.shape}")
    if frac.shape != (sigma.size, len(class_names)):
        raise ValueError(
            f"fractions has shape {frac.shape}, expected (len(sigmas), len(class_names)) = "
            f"{(sigma.size, len(class_names))}"
        )
    if true_class not in class_names:
        raise ValueError(f"true_class {true_class!r} is not one of class_names {class_names}")
    if np.any((frac < 0) | (frac > 1)):
        raise ValueError("fractions must lie in [0, 1]")
    fig, axes = new_figure(1, 1, panel_size=(4.8, 3.6))
    ax = axes[0, 0]
    for j, name in enumerate(class_names):
        is_true = name == true_class
        ax.plot(
            sigma,
            frac[:, j],
            color="k" if is_true else f"C{j}",
            lw=2.2 if is_true else 1.3,
            marker="o",
            ms=4,
            label=f"{name} (true class)" if is_true else str(name),
        )
    ax.set(
        ylim=(-0.02, 1.02),
        xlabel=axis_label("Gaussian smoothing σ", pixel_scale_label),
        ylabel="Fraction assigned to class",
        title=f"Test images of class {true_class}",
    )
    ax.legend(title="Predicted class", loc="best")
    return fig
