"""Vanilla gradient saliency maps of an image classifier (Simonyan, Vedaldi & Zisserman 2014).

The saliency of pixel (i, j) for class c is ``max_k |d s_c / d x_ijk|``, the largest absolute
gradient over the image's channels k. The score ``s_c`` is the model's *output* for class c,
the softmax probability of our classifiers. Simonyan et al., and the turbulence paper's
PyTorch code (``utilities/interpret_CNN.py`` of bustardchad/ML_Turb, whose network ends in
logits), differentiate the unnormalised class score (the logit) instead. The probability's
gradient ``p_c (d z_c/dx - sum_j p_j d z_j/dx)`` also weighs the competing classes and
vanishes for confidently classified images, so compare maps of similar confidence; the
paper's display steps (rescaling each map to [0, 1], Gaussian smoothing) belong to plotting.

Gradients are taken in inference mode (``training=False``: dropout off, batch normalisation
with its moving statistics), where samples do not interact, so the gradient of the batch's
summed scores gives every sample's own gradient in one backward pass (what ``jax.vmap`` of
the per-sample gradient would compute). The autodiff engine is the configured Keras
backend's: ``tf.GradientTape`` (tensorflow), ``jax.grad`` of the model's stateless call
(jax) or ``torch.autograd`` (torch).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import keras

#: Class index meaning "the model's predicted class" inside the gradient functions.
PREDICTED = -1


def _total_score(out: Any, class_index: Any) -> Any:
    """Sum over the batch of each sample's output for its class (``PREDICTED``: arg max)."""
    from keras import ops

    chosen = ops.where(class_index >= 0, class_index, ops.argmax(out, axis=1))
    return ops.sum(ops.take_along_axis(out, ops.expand_dims(chosen, 1), axis=1))


def _tensorflow_gradient(model: keras.Model) -> Callable[[np.ndarray, np.ndarray], Any]:
    """``(x, class_index) -> d total score / dx`` by ``tf.GradientTape``."""
    import tensorflow as tf

    def gradient(x: np.ndarray, class_index: np.ndarray) -> Any:
        x = tf.convert_to_tensor(x)
        with tf.GradientTape() as tape:
            tape.watch(x)
            score = _total_score(model(x, training=False), tf.convert_to_tensor(class_index))
        return tape.gradient(score, x)

    return gradient


def _jax_gradient(model: keras.Model) -> Callable[[np.ndarray, np.ndarray], Any]:
    """``(x, class_index) -> d total score / dx`` by ``jax.grad`` of the stateless call."""
    import jax

    trainable = [v.value for v in model.trainable_variables]
    non_trainable = [v.value for v in model.non_trainable_variables]

    def total_score(x: Any, class_index: Any, trainable: list, non_trainable: list) -> Any:
        out, _ = model.stateless_call(trainable, non_trainable, x, training=False)
        return _total_score(out, class_index)

    grad = jax.jit(jax.grad(total_score))

    def gradient(x: np.ndarray, class_index: np.ndarray) -> Any:
        return grad(x, class_index, trainable, non_trainable)

    return gradient


def _torch_gradient(model: keras.Model) -> Callable[[np.ndarray, np.ndarray], Any]:
    """``(x, class_index) -> d total score / dx`` by ``torch.autograd``."""
    import torch
    from keras import ops

    def gradient(x: np.ndarray, class_index: np.ndarray) -> Any:
        x = ops.convert_to_tensor(x).detach().requires_grad_(True)
        score = _total_score(model(x, training=False), ops.convert_to_tensor(class_index))
        (grad,) = torch.autograd.grad(score, x)
        return grad

    return gradient


GRADIENTS = {
    "tensorflow": _tensorflow_gradient,
    "jax": _jax_gradient,
    "torch": _torch_gradient,
}


def _class_indices(
    class_index: np.ndarray | int | None, n_samples: int, n_classes: int
) -> np.ndarray:
    """Per-sample class index array (``PREDICTED`` where the predicted class is wanted)."""
    if class_index is None:
        return np.full(n_samples, PREDICTED, dtype=np.int32)
    indices = np.asarray(class_index)
    if indices.ndim == 0:
        indices = np.full(n_samples, indices)
    if indices.shape != (n_samples,) or not np.issubdtype(indices.dtype, np.integer):
        raise ValueError(
            f"class_index must be None, an int or ({n_samples},) ints, got {indices.dtype} "
            f"array of shape {indices.shape}"
        )
    if indices.size and (indices.min() < 0 or indices.max() >= n_classes):
        raise ValueError(
            f"class_index must lie in [0, {n_classes}), got {indices.min()}..{indices.max()}"
        )
    return indices.astype(np.int32)


def saliency_maps(
    model: keras.Model,
    x: np.ndarray,
    class_index: np.ndarray | int | None = None,
    batch_size: int = 32,
) -> np.ndarray:
    """Saliency ``max_k |d score_c / d x[..., k]|`` of ``(N, H, W, C)`` images: ``(N, H, W)``.

    ``class_index`` picks the class c: ``None`` for each image's predicted class, an int for
    one class for all, or an ``(N,)`` int array. The score is the model's output for class c
    (the softmax probability for our classifiers). Images are processed ``batch_size`` at a
    time; maps come back in the model's input float dtype.
    """
    import keras

    backend = keras.backend.backend()
    if backend not in GRADIENTS:
        raise NotImplementedError(
            f"saliency maps need automatic differentiation: Keras backend {backend!r} is not "
            f"supported (use one of {tuple(GRADIENTS)})"
        )
    output_shape = model.output_shape
    if not (isinstance(output_shape, tuple) and len(output_shape) == 2):
        raise ValueError(
            f"saliency maps need a model with one (batch, classes) output, got {output_shape}"
        )
    x = np.asarray(x, dtype=model.input_dtype)
    if x.ndim != 4:
        raise ValueError(f"x must be (N, height, width, channels) images, got shape {x.shape}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    indices = _class_indices(class_index, len(x), int(output_shape[1]))
    gradient = GRADIENTS[backend](model)
    maps = np.empty(x.shape[:3], dtype=x.dtype)
    for start in range(0, len(x), batch_size):
        rows = slice(start, start + batch_size)
        grad = keras.ops.convert_to_numpy(gradient(x[rows], indices[rows]))
        maps[rows] = np.abs(grad).max(axis=-1)
    return maps
