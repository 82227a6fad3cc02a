"""Xception-style convolutional network, as in keras-tuner's ``HyperXception``.

The topology follows keras-tuner 1.0's ``applications/xception.py``: an entry convolution,
``residual_blocks`` residual blocks of two separable convolutions without pooling, an exit
residual block with twice the filters and max pooling, global average pooling and a dense
head. With ``selu`` every convolution carries a bias and no batch normalisation follows; the
entry convolution uses ``lecun_normal`` initialisation, the separable ones keep the Glorot
default (keras-tuner passed them ``kernel_initializer``, which tf.keras ignored). With
``relu`` the convolutions are bias-free and followed by batch normalisation. As in
keras-tuner, ``kernel_size`` sizes only the entry convolution; the separable convolutions use
``sep_kernel_size`` (fixed at 3 in keras-tuner).

The defaults reproduce the reference notebook's best model: 109,301 parameters for a 64x64x1
input and 5 outputs (109,304 in the reference, whose count included a ``Normalization`` layer's
mean, variance and count).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import keras

ACTIVATIONS = ("selu", "relu")


def _conv(x: Any, filters: int, kernel_size: int, strides: int, activation: str) -> Any:
    """Entry convolution block."""
    from keras import layers

    if activation == "selu":
        return layers.Conv2D(
            filters,
            kernel_size,
            strides=strides,
            padding="same",
            activation="selu",
            kernel_initializer="lecun_normal",
        )(x)
    x = layers.Conv2D(filters, kernel_size, strides=strides, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    return layers.Activation(activation)(x)


def _sep_conv(x: Any, filters: int, kernel_size: int, activation: str) -> Any:
    """Separable convolution block."""
    from keras import layers

    if activation == "selu":
        return layers.SeparableConv2D(filters, kernel_size, padding="same", activation="selu")(x)
    x = layers.SeparableConv2D(filters, kernel_size, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    return layers.Activation(activation)(x)


def _residual(x: Any, filters: int, kernel_size: int, activation: str, max_pooling: bool) -> Any:
    """Two separable convolutions plus a shortcut (1x1 projection where shapes change)."""
    from keras import layers

    if max_pooling:
        shortcut = layers.Conv2D(filters, 1, strides=2, padding="same")(x)
    elif x.shape[-1] != filters:
        shortcut = layers.Conv2D(filters, 1, padding="same")(x)
    else:
        shortcut = x
    x = _sep_conv(x, filters, kernel_size, activation)
    x = _sep_conv(x, filters, kernel_size, activation)
    if max_pooling:
        x = layers.MaxPooling2D(kernel_size, strides=2, padding="same")(x)
    return layers.Add()([x, shortcut])


def build_xception(
    input_shape: Sequence[int],
    n_outputs: int,
    *,
    entry_filters: int = 16,
    sep_filters: int = 64,
    residual_blocks: int = 8,
    kernel_size: int = 5,
    sep_kernel_size: int = 3,
    activation: str = "selu",
    initial_strides: int = 2,
    dropout: float = 0.0,
    output_activation: str | None = None,
) -> keras.Model:
    """Build the network for ``(H, W, C)`` inputs with ``n_outputs`` outputs.

    ``output_activation`` is ``None`` (linear) for regression, ``"softmax"`` for classifiers;
    ``dropout`` > 0 inserts a dropout layer before the output layer.
    """
    import keras
    from keras import layers

    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
    if len(input_shape) != 3:
        raise ValueError(f"input_shape must be (height, width, channels), got {input_shape}")
    inputs = keras.Input(shape=tuple(int(n) for n in input_shape))
    x = _conv(inputs, entry_filters, kernel_size, initial_strides, activation)
    for _ in range(residual_blocks):
        x = _residual(x, sep_filters, sep_kernel_size, activation, max_pooling=False)
    x = _residual(x, 2 * sep_filters, sep_kernel_size, activation, max_pooling=True)
    x = layers.GlobalAveragePooling2D()(x)
    if dropout > 0:
        x = layers.Dropout(dropout)(x)
    outputs = layers.Dense(n_outputs, activation=output_activation)(x)
    return keras.Model(inputs, outputs, name="xception")
