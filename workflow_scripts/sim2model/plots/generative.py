"""Figures of generated maps against simulated maps of the same class.

:func:`generated_maps_figure`: one row per class, real test maps then generated maps, all on the
row's colour scale (so a difference in colour is a difference in value).
:func:`generated_statistics_figure`: per class, the mean radial power spectra (top) and the
one-point PDFs of pixel values (bottom) of real and generated maps.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.figure import Figure

from sim2model.plots.image2image import single_channel
from sim2model.plots.style import new_figure, styled

REAL_COLOR, GENERATED_COLOR = "C0", "C3"


@styled
def generated_maps_figure(
    real: Mapping[str, np.ndarray],
    generated: Mapping[str, np.ndarray],
    *,
    value_label: str,
    per_class: int = 4,
) -> Figure:
    """Rows: classes; columns: ``per_class`` real maps, then ``per_class`` generated maps."""
    if not real or set(real) != set(generated):
        raise ValueError(f"real classes {list(real)} and generated {list(generated)} differ")
    shown = {
        cls: (single_channel(real[cls], "real")[:per_class],
              single_channel(generated[cls], "generated")[:per_class])
        for cls in real
    }  # fmt: skip
    ncols = max(len(r) + len(g) for r, g in shown.values())
    fig, axes = new_figure(len(shown), ncols, panel_size=(1.5, 1.45))
    for row, (cls, (real_maps, gen_maps)) in enumerate(shown.items()):
        values = np.concatenate([real_maps.ravel(), gen_maps.ravel()])
        lo, hi = np.percentile(values, [0.5, 99.5])
        image = None
        for col, (kind, image_map) in enumerate(
            [*(("Real", m) for m in real_maps), *(("Generated", m) for m in gen_maps)]
        ):
            ax = axes[row, col]
            ax.grid(visible=False)
            image = ax.imshow(image_map, origin="lower", interpolation="nearest", vmin=lo, vmax=hi)
            ax.set_xticks([])
            ax.set_yticks([])
            if row == 0:
                ax.set_title(kind, color=REAL_COLOR if kind == "Real" else GENERATED_COLOR)
        for ax in axes[row, len(real_maps) + len(gen_maps) :]:
            ax.remove()
        axes[row, 0].set_ylabel(cls)
        fig.colorbar(image, ax=list(axes[row, : len(real_maps) + len(gen_maps)]), label=value_label)
    return fig


@styled
def generated_statistics_figure(
    k: np.ndarray,
    spectra: Mapping[str, tuple[np.ndarray, np.ndarray]],
    values: Mapping[str, tuple[np.ndarray, np.ndarray]],
    *,
    value_label: str,
    bins: int = 40,
) -> Figure:
    """Per class (columns): power spectra (top) and pixel-value PDFs (bottom), real vs generated.

    ``spectra[cls] = (P_real, P_generated)`` at wavenumbers ``k``; ``values[cls] = (real pixel
    values, generated pixel values)``.
    """
    if not spectra or set(spectra) != set(values):
        raise ValueError(f"spectra classes {list(spectra)} and PDF classes {list(values)} differ")
    fig, axes = new_figure(2, len(spectra), panel_size=(2.6, 2.3))
    for col, cls in enumerate(spectra):
        top, bottom = axes[0, col], axes[1, col]
        for label, power, color in zip(
            ("Real (test)", "Generated"), spectra[cls], (REAL_COLOR, GENERATED_COLOR), strict=True
        ):
            top.loglog(k, power, color=color, lw=1.5, marker="o", ms=2, label=label)
        top.set(title=cls, xlabel="k [cycles per map]")
        real_values, gen_values = (np.asarray(v, dtype=float).ravel() for v in values[cls])
        edges = np.histogram_bin_edges(np.concatenate([real_values, gen_values]), bins=bins)
        for label, pixels, color in zip(
            ("Real (test)", "Generated"), (real_values, gen_values),
            (REAL_COLOR, GENERATED_COLOR), strict=True,
        ):  # fmt: skip
            bottom.hist(pixels, bins=edges, density=True, histtype="step", color=color, lw=1.5,
                        label=label)  # fmt: skip
        bottom.set(xlabel=value_label)
    axes[0, 0].set_ylabel("P(k)")
    axes[1, 0].set_ylabel("Probability density")
    axes[0, 0].legend()
    return fig
