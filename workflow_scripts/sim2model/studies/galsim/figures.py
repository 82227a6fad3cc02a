"""Figures of image samples (stamps, maps): one row per sample, one column per named image."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

from sim2model.plots.style import axis_label, new_figure, styled

STAMP_PANEL_SIZE = (2.7, 2.1)  # inches per image panel, colourbar included


def _check_length(what: str, values: Sequence[str] | None, n: int) -> None:
    if values is not None and len(values) != n:
        raise ValueError(f"need {n} {what}, got {len(values)}")


@styled
def example_stamps_figure(
    rows: Sequence[Mapping[str, np.ndarray]],
    titles: Sequence[str] | None = None,
    pixel_scale: float | None = None,
    row_labels: Sequence[str] | None = None,
    unit: str | Mapping[str, str] = "counts",
    title: str | None = "Example stamps",
    centred: Sequence[str] = (),
) -> Figure:
    """Grid of images: row ``i`` shows ``rows[i]``, columns follow the keys of ``rows[0]``.

    ``titles`` replace the keys as column titles; ``row_labels`` (e.g. ``"SNR 35.2"``) are
    written left of each row. Axes are in arcsec centred on the stamp when ``pixel_scale``
    (arcsec / pixel) is given, in pixels otherwise. Each image gets a colourbar labelled
    ``unit`` (one string, or one per key; missing keys get no unit). Images of shape
    ``(H, W, 1)`` are accepted. Keys in ``centred`` (e.g. residuals) use a diverging colour map
    symmetric about zero.
    """
    if not rows:
        raise ValueError("no images to plot")
    keys = list(rows[0])
    _check_length("titles", titles, len(keys))
    _check_length("row labels", row_labels, len(rows))
    fig, axes = new_figure(len(rows), len(keys), panel_size=STAMP_PANEL_SIZE)
    coord = "arcsec" if pixel_scale else "pixel"
    for i, row in enumerate(rows):
        for j, key in enumerate(keys):
            ax = axes[i, j]
            image = np.squeeze(np.asarray(row[key]))
            ny, nx = image.shape
            scale = pixel_scale or 1.0
            extent = (-nx * scale / 2, nx * scale / 2, -ny * scale / 2, ny * scale / 2)
            style = {}
            if key in centred:
                limit = float(np.max(np.abs(image))) or 1.0
                style = {"cmap": "RdBu_r", "vmin": -limit, "vmax": limit}
            shown = ax.imshow(
                image, origin="lower", extent=extent, interpolation="nearest", **style
            )
            cbar_unit = unit if isinstance(unit, str) else unit.get(key, "")
            fig.colorbar(shown, ax=ax, label=cbar_unit)
            ax.grid(visible=False)
            if i == 0:
                ax.set_title(titles[j] if titles is not None else key)
            if i == len(rows) - 1:
                ax.set_xlabel(axis_label("x", coord))
            if j == 0:
                ax.set_ylabel(axis_label("y", coord))
                if row_labels is not None:
                    ax.annotate(
                        row_labels[i],
                        xy=(0, 0.5),
                        xycoords="axes fraction",
                        xytext=(-48, 0),
                        textcoords="offset points",
                        rotation=90,
                        ha="right",
                        va="center",
                        fontweight="bold",
                    )
    if title:
        fig.suptitle(title)
    return fig


def log_counts(image: np.ndarray, floor: float = 1.0) -> np.ndarray:
    """``log10`` of an image in counts, with values below ``floor`` shown at ``floor``."""
    return np.log10(np.clip(np.asarray(image, dtype=np.float64), floor, None))


def reconstruction_figure(
    noisy: Sequence[np.ndarray],
    noiseless: Sequence[np.ndarray],
    reconstructed: Sequence[np.ndarray],
    *,
    pixel_scale: float | None = None,
    row_labels: Sequence[str] | None = None,
    title: str | None = "Reconstruction",
    name: str = "Reconstruction",
) -> Figure:
    """Noisy, noiseless, reconstructed stamp and residual (reconstructed − noiseless), each
    galaxy on one row, on a linear scale and (noiseless, reconstruction, |residual|) in log10.
    ``name`` heads the reconstruction's columns (e.g. "Denoised").

    The log panels show the faint wings and the core, where the residual of a mis-estimated
    Sérsic index concentrates; counts below 1 are shown at 1 (log10 = 0).
    """
    rows = []
    for x, clean, model in zip(noisy, noiseless, reconstructed, strict=True):
        residual = np.asarray(model, dtype=np.float64) - clean
        rows.append(
            {"Noisy": x, "Noiseless": clean, name: model, "Residual": residual,
             "Noiseless (log)": log_counts(clean), f"{name} (log)": log_counts(model),
             "|Residual| (log)": log_counts(np.abs(residual))}
        )  # fmt: skip
    linear = {"Noisy": "counts", "Noiseless": "counts", name: "counts", "Residual": "counts"}
    units = linear | {k: "log10 counts" for k in rows[0] if k not in linear} if rows else linear
    return example_stamps_figure(
        rows, pixel_scale=pixel_scale, row_labels=row_labels, unit=units, title=title,
        centred=("Residual",),
    )  # fmt: skip
