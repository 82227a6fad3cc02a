"""EdgeConv layer and DGCNN: neighbours, numpy reference, permutation symmetry, saving, training."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread

from sim2model.models.edgeconv import (
    build_dgcnn,
    edgeconv_graph_points,
    get_edgeconv_layer_class,
    knn_indices,
)
from sim2model.plots.style import save_figure
from sim2model.studies.crsphere.simulator import CRSphereSettings, simulate_shard
from sim2model.studies.crsphere.sky import knn_edges, knn_graph_figure

BOOK_PARAMS = 4_770  # the book's reference DGCNN (k = 8, EdgeConvs of 8/16/32 nodes)


def brute_force_knn(points: np.ndarray, k: int) -> np.ndarray:
    """Each point's k nearest other points by full sort of explicit differences."""
    distance = np.sum((points[:, :, None, :] - points[:, None, :, :]) ** 2, axis=-1)
    distance[:, np.arange(points.shape[1]), np.arange(points.shape[1])] = np.inf
    return np.argsort(distance, axis=-1, kind="stable")[..., :k]


def sky_batch(n: int, n_points: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, n_points, 4))
    x[..., :3] /= np.linalg.norm(x[..., :3], axis=-1, keepdims=True)
    x[..., 3] = rng.exponential(0.25, size=(n, n_points))
    return x.astype(np.float32)


def to_numpy(tensor) -> np.ndarray:
    from keras import ops

    return np.asarray(ops.convert_to_numpy(tensor))


def test_importing_the_module_does_not_import_keras():
    code = "import sys, sim2model.models.edgeconv; assert 'keras' not in sys.modules"
    workflow_scripts = Path(__file__).parents[1] / "workflow_scripts"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=workflow_scripts)


@pytest.mark.parametrize(("channels", "k"), [(3, 8), (16, 5)])
def test_knn_indices_match_brute_force(channels, k):
    rng = np.random.default_rng(channels)
    while True:  # draw until no two of a point's k + 1 nearest are near ties (order well defined)
        points = rng.normal(size=(3, 50, channels)).astype(np.float32)
        ranked = np.sort(np.sum((points[:, :, None] - points[:, None]) ** 2, axis=-1), axis=-1)
        if np.diff(ranked[..., 1 : k + 2], axis=-1).min() > 1e-4:
            break
    expected = brute_force_knn(points.astype(np.float64), k)
    np.testing.assert_array_equal(to_numpy(knn_indices(points, k)), expected)


def test_points_are_never_their_own_neighbours_even_when_duplicated():
    points = np.repeat(np.random.default_rng(0).normal(size=(1, 5, 3)), 2, axis=1)  # pairs
    indices = to_numpy(knn_indices(points.astype(np.float32), 1))[0, :, 0]
    np.testing.assert_array_equal(indices, np.arange(10) ^ 1)  # each point's twin


def _set_random_weights(layer, rng: np.random.Generator) -> list[tuple[np.ndarray, ...]]:
    """Give the kernel network random weights; return (W, gamma, beta, mean, var) per layer."""
    params = []
    for dense, norm in zip(layer.kernel_dense, layer.kernel_norm, strict=True):
        w = rng.normal(size=dense.kernel.shape)
        gamma, beta, mean = (rng.normal(size=norm.gamma.shape) for _ in range(3))
        var = rng.uniform(0.5, 2.0, size=norm.gamma.shape)
        dense.set_weights([w])
        norm.set_weights([gamma, beta, mean, var])
        params.append((w, gamma, beta, mean, var))
    return params


def reference_edgeconv(points, features, k, params, epsilon=1e-3) -> np.ndarray:
    """EdgeConv in numpy: the kernel network on edges [x_i, x_j - x_i], averaged over k."""
    neighbours = brute_force_knn(points, k)  # (B, P, k)
    x_j = features[np.arange(len(features))[:, None, None], neighbours]
    x_i = np.broadcast_to(features[:, :, None, :], x_j.shape)
    h = np.concatenate([x_i, x_j - x_i], axis=-1)
    for w, gamma, beta, mean, var in params:
        h = np.maximum(h @ w, 0.0)
        h = gamma * (h - mean) / np.sqrt(var + epsilon) + beta
    return h.mean(axis=2)


@pytest.mark.parametrize("dynamic", [False, True])
def test_layer_matches_numpy_reference(dynamic):
    edge_conv = get_edgeconv_layer_class()
    rng = np.random.default_rng(3)
    points = rng.normal(size=(2, 9, 3))
    features = points if dynamic else rng.normal(size=(2, 9, 2))
    layer = edge_conv(nodes=3, next_neighbors=3, kernel_layers=2)
    inputs = features if dynamic else [points, features]
    as_f32 = [np.float32(a) for a in inputs] if not dynamic else np.float32(inputs)
    layer(as_f32)  # build
    params = _set_random_weights(layer, rng)
    got = to_numpy(layer(as_f32, training=False))
    expected = reference_edgeconv(points, features, 3, params)
    assert got.shape == (2, 9, 3)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_layer_and_network_are_invariant_to_point_order():
    edge_conv = get_edgeconv_layer_class()
    x = sky_batch(2, 80, seed=4)
    perm = np.random.default_rng(5).permutation(80)
    layer = edge_conv(nodes=6, next_neighbors=4, kernel_layers=2)
    layer([x[..., :3], x])
    _set_random_weights(layer, np.random.default_rng(6))
    out = to_numpy(layer([x[..., :3], x], training=False))
    out_perm = to_numpy(layer([x[:, perm, :3], x[:, perm]], training=False))
    np.testing.assert_allclose(out_perm, out[:, perm], atol=1e-5)

    model = build_dgcnn((80, 4), 2, nodes=(4, 8, 8), kernel_layers=1)
    probabilities = model.predict(x, verbose=0)
    np.testing.assert_allclose(model.predict(x[:, perm], verbose=0), probabilities, atol=1e-5)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-6)


def test_default_network_is_the_books_and_survives_saving(tmp_path):
    import keras

    model = build_dgcnn((500, 4), 2)
    assert model.count_params() == BOOK_PARAMS and 4_000 <= BOOK_PARAMS <= 6_000
    convs = [la for la in model.layers if isinstance(la, get_edgeconv_layer_class())]
    assert [la.count_params() for la in convs] == [288, 960, 3456]
    assert model.output_shape == (None, 2)
    x = sky_batch(3, 500, seed=7)
    path = tmp_path / "dgcnn.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), 0, 1e-6)
    config = convs[2].get_config()
    assert (config["nodes"], config["next_neighbors"], config["kernel_layers"]) == (32, 8, 3)
    assert config["momentum"] == 0.9
    rebuilt = get_edgeconv_layer_class().from_config(config)
    assert (rebuilt.nodes, rebuilt.kernel_layers, rebuilt.momentum) == (32, 3, 0.9)


def test_bad_arguments_are_rejected():
    with pytest.raises(ValueError, match="input_shape"):
        build_dgcnn((500, 3), 2)
    with pytest.raises(ValueError, match="next_neighbors"):
        get_edgeconv_layer_class()(nodes=4, next_neighbors=0)


def test_graph_points_are_sky_for_fixed_and_features_for_dynamic_layers(tmp_path):
    import keras

    keras.utils.set_random_seed(3)  # the weights (and so near-ties among neighbours) by seed
    sample = sky_batch(1, 120, seed=8)[0]
    model = build_dgcnn((120, 4), 2, nodes=(4, 6, 5), fixed_graph_layers=2, kernel_layers=1)
    graph = edgeconv_graph_points(model, sample)
    assert [g.shape for g in graph] == [(120, 3), (120, 3), (120, 6)]
    np.testing.assert_array_equal(graph[0], sample[:, :3])
    assert graph[2].min() >= 0  # the ReLU after the second EdgeConv
    dynamic = edgeconv_graph_points(build_dgcnn((120, 4), 2, fixed_graph_layers=1), sample)
    assert [g.shape[1] for g in dynamic] == [3, 8, 16]

    edges = knn_edges(graph[2], 4)
    np.testing.assert_array_equal(edges[:, 0], np.repeat(np.arange(120), 4))
    np.testing.assert_array_equal(
        np.sort(edges[:, 1].reshape(120, 4), axis=1),
        np.sort(brute_force_knn(graph[2][None].astype(np.float64), 4)[0], axis=1),
    )
    fig = knn_graph_figure(sample, graph, 4, ["edge_conv_0", "edge_conv_1", "edge_conv_2"])
    assert len(fig.axes) == 3 and all(ax.name == "hammer" for ax in fig.axes)
    img = imread(save_figure(fig, tmp_path / "knn.png"))
    assert img.shape[1] >= 800 and img.std() > 0.01


def test_tiny_dgcnn_learns_an_easy_signal():
    import keras

    keras.utils.set_random_seed(0)
    settings = CRSphereSettings(n_events=100, n_sources=1, signal_fraction=0.5)
    train = simulate_shard(256, seed=1, first_id=0, settings=settings)
    test = simulate_shard(200, seed=2, first_id=256, settings=settings)
    model = build_dgcnn((100, 4), 2, nodes=(8, 16), kernel_layers=1)
    model.compile(
        optimizer=keras.optimizers.Adam(1e-2),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    model.fit(train.x, train.y, batch_size=32, epochs=8, verbose=0)
    _, accuracy = model.evaluate(test.x, test.y, verbose=0)
    assert accuracy > 0.8


def test_first_edgeconv_has_its_own_neighbour_count():
    """The reference network: the first EdgeConv joins each event to its 5 nearest on the sky."""
    import keras

    model = build_dgcnn((60, 4), 2, first_next_neighbors=5, next_neighbors=8, fixed_graph_layers=1)
    convs = [layer for layer in model.layers if layer.name.startswith("edge_conv")]
    assert [conv.next_neighbors for conv in convs] == [5, 8, 8]
    first = keras.Model(model.input, model.get_layer("edge_conv_0").output)
    sample = sky_batch(1, 60, seed=3)
    order = brute_force_knn(sample[..., :3].astype(np.float64), 59)[0, 0]
    reference = to_numpy(first(sample, training=False))[0, 0]
    changed = []
    for rank in range(7):  # raise the energy of the point's rank-th nearest neighbour only
        bumped = sample.copy()
        bumped[0, order[rank], 3] += 5.0
        changed.append(not np.allclose(to_numpy(first(bumped, training=False))[0, 0], reference))
    assert changed == [True] * 5 + [False] * 2
    assert build_dgcnn((60, 4), 2).get_layer("edge_conv_0").next_neighbors == 8
