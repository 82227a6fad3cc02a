"""Sky maps of cosmic-ray arrival directions and the k-NN graphs a DGCNN builds on them.

Both figures use matplotlib's Hammer (equal-area) projection. Directions are converted as the
reference's ``vec2ang``: longitude ``-atan2(y, x)`` (so longitude grows to the left, as on sky maps
seen from inside the sphere) and latitude ``atan2(z, sqrt(x^2 + y^2))``, both in radians.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.colors import LogNorm, Normalize
from matplotlib.figure import Figure

from sim2model.plots.style import new_figure, styled

SKY_PANEL_SIZE = (5.0, 3.0)  # inches per Hammer panel (2:1 map plus colour bar or title)
LATITUDE_TICKS = (-60, -30, 0, 30, 60)  # degrees


def vec2ang(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Plot longitude and latitude [rad] of ``(N, >=3)`` vectors (columns x, y, z first)."""
    x, y, z = np.asarray(vectors, dtype=np.float64)[:, :3].T
    return -np.arctan2(y, x), np.arctan2(z, np.hypot(x, y))


def knn_edges(points: np.ndarray, k: int) -> np.ndarray:
    """Edges ``(N * k, 2)`` joining each point to its ``k`` nearest other points (Euclidean)."""
    points = np.asarray(points, dtype=np.float64)
    if not 1 <= k < len(points):
        raise ValueError(f"k must lie in [1, {len(points) - 1}] for {len(points)} points, got {k}")
    distance = np.sum((points[:, None, :] - points[None, :, :]) ** 2, axis=-1)
    np.fill_diagonal(distance, np.inf)
    neighbours = np.argpartition(distance, k - 1, axis=1)[:, :k]
    return np.column_stack([np.repeat(np.arange(len(points)), k), neighbours.ravel()])


def _sky_panels(n: int) -> tuple[Figure, list]:
    if n < 1:
        raise ValueError("need at least one sample to plot")
    ncols = min(n, 3)
    fig, axes = new_figure(
        -(-n // ncols), ncols, panel_size=SKY_PANEL_SIZE, subplot_kw={"projection": "hammer"}
    )
    flat = list(axes.flat)
    for ax in flat[n:]:
        ax.remove()
    for ax in flat[:n]:
        ax.set_xticklabels([])  # longitude labels crowd the map's equator; the grid stays
        ax.set_yticks(np.radians(LATITUDE_TICKS))
    return fig, flat[:n]


@styled
def sky_map_figure(
    samples: Sequence[np.ndarray],
    titles: Sequence[str],
    *,
    energy_label: str = "Energy [EeV]",
    log_scale: bool = True,
) -> Figure:
    """One Hammer-projection panel per sample ``(P, 4)`` (x, y, z, energy), coloured by energy.

    All panels share one colour scale (logarithmic when ``log_scale``, suited to power-law
    energies in EeV; pass False for normalised energies) and colour bar; the most energetic
    events are drawn on top.
    """
    if len(titles) != len(samples):
        raise ValueError(f"need {len(samples)} titles, got {len(titles)}")
    energies = [np.asarray(s)[:, 3] for s in samples]
    lowest, highest = min(e.min() for e in energies), max(e.max() for e in energies)
    if log_scale and lowest <= 0:
        raise ValueError(f"log_scale needs positive energies, the lowest is {lowest:g}")
    norm = (LogNorm if log_scale else Normalize)(lowest, highest)
    fig, axes = _sky_panels(len(samples))
    shown = None
    for ax, sample, energy, title in zip(axes, samples, energies, titles, strict=True):
        order = np.argsort(energy)
        lon, lat = vec2ang(np.asarray(sample)[order])
        shown = ax.scatter(lon, lat, c=energy[order], norm=norm, s=6, linewidths=0)
        ax.set_title(title)
    fig.colorbar(shown, ax=axes, orientation="horizontal", shrink=0.6, label=energy_label)
    return fig


@styled
def knn_graph_figure(
    sky_points: np.ndarray,
    layer_points: Sequence[np.ndarray],
    k: int | Sequence[int],
    layer_names: Sequence[str],
) -> Figure:
    """One panel per EdgeConv layer: the k-NN graph of its points, drawn at the sky positions.

    ``sky_points`` ``(P, >=3)`` places the events (unit vectors); ``layer_points[l]``
    ``(P, C_l)`` are the points layer ``l`` builds its graph from (e.g. from
    :func:`sim2model.models.edgeconv.edgeconv_graph_points`). Edges that would cross the map's
    longitude seam are left out. ``k`` is the neighbour count of every layer, or one per layer.
    """
    if len(layer_names) != len(layer_points):
        raise ValueError(f"need {len(layer_points)} layer names, got {len(layer_names)}")
    ks = [k] * len(layer_points) if isinstance(k, int) else list(k)
    if len(ks) != len(layer_points):
        raise ValueError(f"need {len(layer_points)} neighbour counts, got {len(ks)}")
    lon, lat = vec2ang(sky_points)
    positions = np.column_stack([lon, lat])
    fig, axes = _sky_panels(len(layer_points))
    for ax, points, name, k in zip(axes, layer_points, layer_names, ks, strict=True):
        if len(points) != len(positions):
            raise ValueError(f"layer {name!r} has {len(points)} points, the sky {len(positions)}")
        edges = knn_edges(points, k)
        edges = edges[np.abs(lon[edges[:, 0]] - lon[edges[:, 1]]) < np.pi]
        ax.add_collection(
            LineCollection(positions[edges], colors="tab:blue", linewidths=0.3, alpha=0.6)
        )
        ax.scatter(lon, lat, s=3, color="black", linewidths=0, zorder=3)
        ax.set_title(f"{k}-NN graph of {name}")
    return fig
