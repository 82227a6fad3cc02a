"""The blobs study's own figure: example stamps of each class from the test split."""

from __future__ import annotations

import numpy as np

from sim2model.io.dataset import read_dataset
from sim2model.plots.style import new_figure, save_figure, styled
from sim2model.studies.blobs.names import CLASS_NAMES


@styled
def gallery_figure(images: np.ndarray, labels: np.ndarray, per_class: int):
    """``per_class`` stamps of each class, one row per class (a shared grey scale)."""
    fig, axes = new_figure(len(CLASS_NAMES), per_class, panel_size=(1.6, 1.6))
    low, high = np.percentile(images, [1, 99])
    for row, name in enumerate(CLASS_NAMES):
        picks = np.flatnonzero(labels == row)[:per_class]
        for col, ax in enumerate(axes[row]):
            ax.set_xticks([])
            ax.set_yticks([])
            if col < len(picks):
                ax.imshow(images[picks[col], ..., 0], cmap="gray", vmin=low, vmax=high)
        axes[row, 0].set_ylabel(name)
    fig.suptitle("Test stamps by class (16 x 16 pixels)")
    return fig


def blobs_gallery(data: str, figure: str, *, per_class: int) -> None:
    """Write the example-stamp figure of the test split ``data`` to ``figure``."""
    ds = read_dataset(data, extra=False)
    save_figure(gallery_figure(ds.x, ds.y, per_class), figure)
