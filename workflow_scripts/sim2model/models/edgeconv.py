"""EdgeConv layer and dynamic graph CNN (DGCNN) for point clouds such as cosmic-ray skies.

EdgeConv (Wang et al. 2019, "Dynamic Graph CNN for Learning on Point Clouds"): every point
``i`` is joined to its ``k`` nearest neighbours ``j`` (Euclidean distance between the *points*
input, ``i`` itself excluded). A kernel network maps each edge feature ``[x_i, x_j - x_i]``,
built from the *features* input, to ``nodes`` features, and the output at ``i`` is the mean
over its ``k`` edges. Neighbour choice is not differentiable: gradients flow through the
features only. A layer given ``[points, features]`` builds its graph from ``points``; a layer
given one tensor builds it from that tensor, so a stack of such layers recomputes the graph in
each layer's feature space (the "dynamic" graph).

:func:`build_dgcnn` follows the reference solution of "Deep Learning for Physics Research"
(Erdmann et al.), exercise 10.1: kernel networks of three bias-free ``Dense(nodes, relu)`` +
``BatchNormalization`` layers, EdgeConvs of 8, 16 and 32 nodes with k = 8, the first two on the
graph of the sky coordinates and the last on its own input, each followed by a ReLU, then global
average pooling and a softmax: 4,770 parameters (336 of them batch-normalisation statistics).
One deliberate difference: batch normalisation keeps its moving statistics with momentum 0.9,
not Keras's 0.99. Edge features differ little between neighbours, so their variances are far
below the moving variance's starting value of 1; with 0.99 that start still dominates after a
few hundred steps (0.99^300 = 0.05) and inference-mode outputs are wrong in short runs, while
0.9 forgets it within ~100 steps (the book trained 2,500 steps).

Keras is imported inside functions, and the layer class is created on first use by
:func:`get_edgeconv_layer_class` (also reachable as ``edgeconv.EdgeConv``), so importing this
module does not import keras. The class registers itself as ``sim2model>EdgeConv``: call
:func:`get_edgeconv_layer_class` before ``keras.saving.load_model`` reads a model holding it.
Everything uses ``keras.ops``, so it runs on any Keras 3 backend.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import keras

#: Columns of a sky sample: unit vector (x, y, z), then the normalised energy.
SKY_COORDINATES, SKY_CHANNELS = 3, 4


def knn_indices(points: Any, k: int) -> Any:
    """Indices ``(B, P, k)`` of each point's ``k`` nearest other points, nearest first.

    ``points`` is ``(B, P, C)``; distances are Euclidean, from the expansion
    ``|a|^2 - 2 a.b + |b|^2``; a point is never its own neighbour.
    """
    from keras import ops

    points = ops.stop_gradient(points)
    squared = ops.sum(ops.square(points), axis=-1, keepdims=True)
    gram = ops.matmul(points, ops.transpose(points, (0, 2, 1)))
    distance = squared - 2.0 * gram + ops.transpose(squared, (0, 2, 1))
    is_self = ops.cast(ops.eye(ops.shape(points)[1]), "bool")
    distance = ops.where(is_self, ops.cast(np.inf, distance.dtype), distance)
    _, indices = ops.top_k(-distance, k=k, sorted=True)
    return indices


def gather_neighbours(features: Any, indices: Any) -> Any:
    """Features ``(B, P, k, C)`` of the neighbours ``indices`` ``(B, P, k)`` in ``(B, P, C)``."""
    from keras import ops

    n_points, k, channels = features.shape[1], indices.shape[2], features.shape[2]
    flat = ops.reshape(indices, (-1, n_points * k, 1))
    gathered = ops.take_along_axis(features, ops.repeat(flat, channels, axis=2), axis=1)
    return ops.reshape(gathered, (-1, n_points, k, channels))


def _split_inputs(inputs: Any) -> tuple[Any, Any]:
    """``(points, features)`` from ``[points, features]`` or one tensor used as both."""
    if isinstance(inputs, (list, tuple)):
        if len(inputs) != 2:
            raise ValueError(f"EdgeConv takes [points, features] or one tensor, got {len(inputs)}")
        return inputs[0], inputs[1]
    return inputs, inputs


def _split_shapes(input_shape: Any) -> tuple[tuple, tuple]:
    """Like :func:`_split_inputs` for shapes (a shape is a tuple of ints and None)."""
    if input_shape and isinstance(input_shape[0], (list, tuple)):
        return _split_inputs(list(input_shape))
    return tuple(input_shape), tuple(input_shape)


@functools.cache
def get_edgeconv_layer_class() -> type[keras.layers.Layer]:
    """The :class:`EdgeConv` Keras layer class (created and registered on the first call)."""
    import keras
    from keras import ops

    @keras.saving.register_keras_serializable(package="sim2model")
    class EdgeConv(keras.layers.Layer):
        """EdgeConv (Wang et al. 2019) with mean aggregation over ``next_neighbors`` edges.

        Inputs: ``[points, features]`` (graph from ``points``, ``(B, P, C_p)``; edge features
        from ``features``, ``(B, P, C)``), or one tensor used for both (dynamic graph).
        The kernel network is ``kernel_layers`` times a bias-free ``Dense(nodes, relu)``
        followed by ``BatchNormalization`` (moving-statistics ``momentum``), applied to each
        edge ``[x_i, x_j - x_i]``. Output: ``(B, P, nodes)``.
        """

        def __init__(
            self,
            nodes: int,
            next_neighbors: int = 8,
            kernel_layers: int = 1,
            momentum: float = 0.9,
            **kwargs: Any,
        ) -> None:
            super().__init__(**kwargs)
            if nodes < 1 or next_neighbors < 1 or kernel_layers < 1:
                raise ValueError(
                    f"EdgeConv needs nodes, next_neighbors and kernel_layers >= 1, got "
                    f"{nodes}, {next_neighbors}, {kernel_layers}"
                )
            self.nodes, self.next_neighbors = int(nodes), int(next_neighbors)
            self.kernel_layers, self.momentum = int(kernel_layers), float(momentum)
            self.kernel_dense = [
                keras.layers.Dense(nodes, use_bias=False, activation="relu", name=f"dense_{i}")
                for i in range(self.kernel_layers)
            ]
            self.kernel_norm = [
                keras.layers.BatchNormalization(momentum=momentum, name=f"batch_norm_{i}")
                for i in range(self.kernel_layers)
            ]

        def build(self, input_shape: Any) -> None:
            _, feature_shape = _split_shapes(input_shape)
            shape = (None, None, self.next_neighbors, 2 * feature_shape[-1])
            for dense, norm in zip(self.kernel_dense, self.kernel_norm, strict=True):
                dense.build(shape)
                shape = (*shape[:-1], self.nodes)
                norm.build(shape)

        def call(self, inputs: Any, training: bool | None = None) -> Any:
            points, features = _split_inputs(inputs)
            neighbours = gather_neighbours(features, knn_indices(points, self.next_neighbors))
            centre = ops.repeat(ops.expand_dims(features, 2), self.next_neighbors, axis=2)
            x = ops.concatenate([centre, neighbours - centre], axis=-1)
            for dense, norm in zip(self.kernel_dense, self.kernel_norm, strict=True):
                x = norm(dense(x), training=training)
            return ops.mean(x, axis=2)

        def compute_output_shape(self, input_shape: Any) -> tuple:
            _, feature_shape = _split_shapes(input_shape)
            return (*feature_shape[:-1], self.nodes)

        def get_config(self) -> dict[str, Any]:
            return {
                **super().get_config(),
                "nodes": self.nodes,
                "next_neighbors": self.next_neighbors,
                "kernel_layers": self.kernel_layers,
                "momentum": self.momentum,
            }

    return EdgeConv


def __getattr__(name: str) -> Any:
    """``edgeconv.EdgeConv`` imports keras and creates the layer class on first access."""
    if name == "EdgeConv":
        return get_edgeconv_layer_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def build_dgcnn(
    input_shape: Sequence[int],
    n_outputs: int,
    *,
    next_neighbors: int = 8,
    nodes: Sequence[int] = (8, 16, 32),
    first_next_neighbors: int | None = None,
    kernel_layers: int = 3,
    fixed_graph_layers: int = 2,
    batch_norm_momentum: float = 0.9,
    dense_units: int = 0,
    dropout: float = 0.0,
) -> keras.Model:
    """Dynamic graph CNN for ``(P, 4)`` skies (unit vector, energy) with a softmax over classes.

    The one input is split into points (the unit vectors) and features (energy and unit
    vector). The first ``fixed_graph_layers`` EdgeConvs (one per entry of ``nodes``) build
    their graph from the points, the others from their own input (dynamic graph); each is
    followed by a ReLU. Every EdgeConv joins each point to its ``next_neighbors`` nearest
    neighbours, except the first when ``first_next_neighbors`` is set (the reference notebook's
    first EdgeConv: 5 neighbours on the sky, 8 nodes). ``batch_norm_momentum`` is that of the
    kernel networks' batch normalisations (see the module docstring). Global average pooling,
    an optional ``Dense(dense_units, relu)`` with ``dropout``, and a softmax layer of
    ``n_outputs`` follow.
    The defaults are the book's network (4,770 parameters). ``P`` must be fixed.
    """
    import keras
    from keras import layers

    if tuple(input_shape)[-1:] != (SKY_CHANNELS,) or len(input_shape) != 2:
        raise ValueError(f"input_shape must be (points, {SKY_CHANNELS}), got {input_shape}")
    if not nodes:
        raise ValueError("nodes must list at least one EdgeConv layer")
    if fixed_graph_layers < 1:
        raise ValueError(f"fixed_graph_layers must be >= 1, got {fixed_graph_layers}")
    edge_conv = get_edgeconv_layer_class()
    inputs = keras.Input(shape=tuple(int(n) for n in input_shape), name="sky")
    points = inputs[..., :SKY_COORDINATES]
    x = layers.Concatenate(axis=-1)([inputs[..., SKY_COORDINATES:], points])
    first_k = next_neighbors if first_next_neighbors is None else first_next_neighbors
    for i, n_nodes in enumerate(nodes):
        k = first_k if i == 0 else next_neighbors
        conv = edge_conv(n_nodes, k, kernel_layers, batch_norm_momentum, name=f"edge_conv_{i}")
        x = conv([points, x]) if i < fixed_graph_layers else conv(x)
        x = layers.Activation("relu")(x)
    x = layers.GlobalAveragePooling1D(name="embedding")(x)
    if dense_units:
        x = layers.Dense(dense_units, activation="relu")(x)
        if dropout > 0:
            x = layers.Dropout(dropout)(x)
    outputs = layers.Dense(n_outputs, activation="softmax", name="classification")(x)
    return keras.Model(inputs, outputs, name="dgcnn")


def edgeconv_layers(model: keras.Model) -> list[keras.layers.Layer]:
    """The EdgeConv layers of ``model``, in model order."""
    edge_conv = get_edgeconv_layer_class()
    return [layer for layer in model.layers if isinstance(layer, edge_conv)]


def edgeconv_graph_points(model: keras.Model, sample: np.ndarray) -> list[np.ndarray]:
    """For one sample ``(P, C)``: the points each EdgeConv layer of ``model`` builds its graph on.

    Returns one ``(P, C_l)`` array per EdgeConv layer, in model order: the sky coordinates for
    layers on the fixed graph, the previous layer's output features for dynamic ones.
    """
    import keras
    from keras import ops

    convs = edgeconv_layers(model)
    if not convs:
        raise ValueError(f"model {model.name!r} has no EdgeConv layer")
    graph_inputs = [_split_inputs(layer.input)[0] for layer in convs]
    probe = keras.Model(model.input, graph_inputs)
    batch = np.asarray(sample, dtype=np.float32)[np.newaxis]
    outputs = probe(batch, training=False)
    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    return [np.asarray(ops.convert_to_numpy(out))[0] for out in outputs]
