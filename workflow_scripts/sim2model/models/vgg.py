"""VGG-style regressor of the reference notebook (neutral fraction from 21 cm maps).

As the reference's ``make_model_VGG``: each block stacks ``convs_per_block`` bias-free 3x3
convolutions followed by *one* batch normalisation and a ReLU, and every block but the last
ends in 2x2 max pooling. The last block's features are flattened and pass through
``dense_layers`` bias-free dense layers, each followed by batch normalisation and a ReLU, to
a linear, bias-free output layer. Every kernel and every batch normalisation's offset (beta)
starts Glorot-normal, and batch normalisation uses momentum 0.9, as in the reference.

The defaults reproduce the reference's network: 167,123,104 parameters (7,104 of them the
batch normalisations' moving statistics) for a 200x200x1 input and one output,
20,060,320 for a 64x64x1 input.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import keras

INITIALIZER = "glorot_normal"


def _bn_relu(x: Any) -> Any:
    """Batch normalisation and ReLU, configured as in the reference."""
    from keras import layers

    x = layers.BatchNormalization(momentum=0.9, beta_initializer=INITIALIZER)(x)
    return layers.Activation("relu")(x)


def build_vgg(
    input_shape: Sequence[int],
    n_outputs: int,
    *,
    filters: Sequence[int] = (32, 64, 128, 256),
    convs_per_block: int = 2,
    dense_units: int = 1024,
    dense_layers: int = 3,
    dropout: float = 0.0,
) -> keras.Model:
    """Build the network for ``(H, W, C)`` inputs with ``n_outputs`` linear outputs.

    ``filters`` gives one block per entry; ``dropout`` > 0 inserts a dropout layer before the
    output layer (the reference has none).
    """
    import keras
    from keras import layers

    if len(input_shape) != 3:
        raise ValueError(f"input_shape must be (height, width, channels), got {input_shape}")
    inputs = keras.Input(shape=tuple(int(n) for n in input_shape))
    x = inputs
    for block, n_filters in enumerate(filters):
        if block:
            x = layers.MaxPooling2D(2)(x)
        for _ in range(convs_per_block):
            x = layers.Conv2D(
                n_filters, 3, padding="same", use_bias=False, kernel_initializer=INITIALIZER
            )(x)
        x = _bn_relu(x)
    x = layers.Flatten()(x)
    for _ in range(dense_layers):
        x = layers.Dense(dense_units, use_bias=False, kernel_initializer=INITIALIZER)(x)
        x = _bn_relu(x)
    if dropout > 0:
        x = layers.Dropout(dropout)(x)
    outputs = layers.Dense(n_outputs, use_bias=False, kernel_initializer=INITIALIZER)(x)
    return keras.Model(inputs, outputs, name="vgg")
