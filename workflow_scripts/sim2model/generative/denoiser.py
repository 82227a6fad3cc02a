"""Noise-predicting U-Net of the diffusion model, conditioned on time step and class.

Inputs: the noised images ``x_t`` ``(H, W, C)``, the sinusoidal embedding of the time step
(computed outside the network by :func:`time_embedding`, so the saved model holds only built-in
layers), the class id, where id ``n_classes`` is the null class of classifier-free guidance, and
the step's signal and noise amplitudes ``sqrt(alpha_bar)`` and ``sqrt(1 - alpha_bar)``. Time and
class embeddings are summed and passed through a small MLP; every residual block adds a
projection of it to its features. The encoder has ``depth`` levels of one residual block and 2x2
average pooling (filters ``base_filters * 2**level``), then a bottleneck block; the decoder
upsamples, concatenates the encoder's features of the same size and applies a residual block.
Group normalisation and SiLU throughout (Ho, Jain & Abbeel 2020; Nichol & Dhariwal 2021, at a
much smaller size).

The output is the predicted noise ``eps = sqrt(1 - alpha_bar) x_t + sqrt(alpha_bar) F``, where
``F`` is the U-Net's output (its last convolution starts at zero). The fixed skip is the best
noise estimate for unit-variance data, so the U-Net learns a correction of unit scale (as in the
preconditioning of Karras et al. 2022), and the clean image implied at high noise, ``x0 =
sqrt(alpha_bar) x_t - sqrt(1 - alpha_bar) F``, stays bounded instead of amplifying every error of
the noise by ``1 / sqrt(alpha_bar)``: with few training steps, sampling would otherwise diverge.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import keras

#: Largest number of groups of a group normalisation.
MAX_GROUPS = 8


def time_embedding(t: np.ndarray, dim: int, *, max_period: float = 10000.0) -> np.ndarray:
    """Sinusoidal embedding ``[sin(t w_i), cos(t w_i)]`` of integer steps ``t`` ``(N,)``.

    Frequencies ``w_i = max_period ** (-i / (dim / 2))``, ``i = 0 .. dim/2 - 1`` (Vaswani et al.
    2017). Returns float32 ``(N, dim)``; ``dim`` must be even.
    """
    if dim < 2 or dim % 2:
        raise ValueError(f"embedding_dim must be an even number >= 2, got {dim}")
    half = dim // 2
    freqs = max_period ** (-np.arange(half) / half)
    angles = np.asarray(t, dtype=np.float64).reshape(-1, 1) * freqs
    return np.concatenate([np.sin(angles), np.cos(angles)], axis=1).astype(np.float32)


def _residual_block(x: Any, emb: Any, filters: int) -> Any:
    """GroupNorm-SiLU-conv twice, the embedding's projection added in between, plus a skip."""
    from keras import layers

    h = layers.GroupNormalization(math.gcd(MAX_GROUPS, x.shape[-1]))(x)
    h = layers.Activation("silu")(h)
    h = layers.Conv2D(filters, 3, padding="same")(h)
    h = layers.Add()([h, layers.Reshape((1, 1, filters))(layers.Dense(filters)(emb))])
    h = layers.GroupNormalization(math.gcd(MAX_GROUPS, filters))(h)
    h = layers.Activation("silu")(h)
    h = layers.Conv2D(filters, 3, padding="same")(h)
    skip = x if x.shape[-1] == filters else layers.Conv2D(filters, 1)(x)
    return layers.Add()([h, skip])


def build_denoiser(
    image_shape: tuple[int, int, int],
    n_classes: int,
    *,
    base_filters: int = 16,
    depth: int = 2,
    embedding_dim: int = 64,
) -> keras.Model:
    """The denoiser for ``(H, W, C)`` images of ``n_classes`` classes (plus the null class).

    Inputs ``[x_t, time_embedding(t, embedding_dim), class_id (N, 1), sqrt(alpha_bar) (N, 1),
    sqrt(1 - alpha_bar) (N, 1)]``, output the predicted noise. Raises ``ValueError`` unless H
    and W are divisible by ``2**depth``.
    """
    import keras
    from keras import layers

    height, width, channels = (int(n) for n in image_shape)
    if depth < 1 or height % 2**depth or width % 2**depth:
        raise ValueError(
            f"the denoiser halves the maps depth={depth} times, so their size must be divisible "
            f"by 2**depth = {2**depth} (and depth >= 1); got maps of {height}x{width}"
        )
    x_in = keras.Input((height, width, channels), name="x_t")
    t_in = keras.Input((embedding_dim,), name="time_embedding")
    c_in = keras.Input((1,), dtype="int32", name="class_id")
    signal_in = keras.Input((1,), name="signal_rate")
    noise_in = keras.Input((1,), name="noise_rate")
    classes = layers.Flatten()(layers.Embedding(n_classes + 1, embedding_dim)(c_in))
    emb = layers.Dense(embedding_dim, activation="silu")(t_in)
    emb = layers.Dense(embedding_dim, activation="silu")(layers.Add()([emb, classes]))

    h = layers.Conv2D(base_filters, 3, padding="same")(x_in)
    skips = []
    for level in range(depth):
        h = _residual_block(h, emb, base_filters * 2**level)
        skips.append(h)
        h = layers.AveragePooling2D(2)(h)
    h = _residual_block(h, emb, base_filters * 2**depth)
    for level in reversed(range(depth)):
        h = layers.UpSampling2D(2)(h)
        h = layers.Concatenate()([h, skips[level]])
        h = _residual_block(h, emb, base_filters * 2**level)
    h = layers.GroupNormalization(math.gcd(MAX_GROUPS, base_filters))(h)
    h = layers.Activation("silu")(h)
    correction = layers.Conv2D(channels, 3, padding="same", kernel_initializer="zeros")(h)
    signal, noise = (layers.Reshape((1, 1, 1))(rate) for rate in (signal_in, noise_in))
    out = layers.Add(name="noise")(
        [layers.Multiply()([noise, x_in]), layers.Multiply()([signal, correction])]
    )
    return keras.Model([x_in, t_in, c_in, signal_in, noise_in], out, name="ddim_denoiser")
