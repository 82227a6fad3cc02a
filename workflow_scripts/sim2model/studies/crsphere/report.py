"""crsphere report stage: sky maps of test samples and the k-NN graphs of the EdgeConv layers."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np

from sim2model.io.dataset import read_dataset

log = logging.getLogger(__name__)


def crsphere_figures(
    model: str,
    data: str,
    sky: str,
    graphs: str,
    *,
    train_config: Mapping[str, Any],
    seed: int,
    threads: int = 1,
) -> None:
    """Sky maps of an isotropic and a signal test sample; k-NN graphs of each EdgeConv layer."""
    from sim2model.train.backend import load_trained_model

    net = load_trained_model(model, train_config, seed=seed, threads=threads)
    from sim2model.models.edgeconv import edgeconv_graph_points, edgeconv_layers
    from sim2model.plots.style import save_figure
    from sim2model.studies.crsphere.sky import knn_graph_figure, sky_map_figure

    ds = read_dataset(data, extra=False)
    isotropic, signal = (int(np.flatnonzero(ds.y == label)[0]) for label in (0, 1))
    samples = [ds.x[isotropic], ds.x[signal]]
    titles = [f"Isotropic (test sample {isotropic})", f"Signal (test sample {signal})"]
    figure = sky_map_figure(samples, titles, energy_label="log10(E / E_min)", log_scale=False)
    save_figure(figure, sky)
    layers = edgeconv_layers(net)
    points = edgeconv_graph_points(net, ds.x[signal])
    ks = [int(layer.next_neighbors) for layer in layers]
    names = [layer.name for layer in layers]
    save_figure(knn_graph_figure(ds.x[signal, :, :3], points, ks, names), graphs)
    log.info("sky maps -> %s, %d EdgeConv graphs -> %s", sky, len(points), graphs)
