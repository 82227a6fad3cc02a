"""Small convolutional image classifier (turbulence transport classes, galaxy10 comparison).

A compact classifier of the kind the turbulence paper (Bustard & Wu 2024) trains: a stack of
convolution blocks, each a ``kernel_size`` convolution with ``same`` padding, batch
normalisation (optional) and a ReLU, then 2x2 max pooling; the feature maps are reduced by
global average pooling (or flattened), and a dropout - dense (ReLU) - dropout head ends in a
softmax over the classes. Convolutions followed by batch normalisation carry no bias (the
normalisation's offset plays its role); batch normalisation's moving statistics use momentum
0.9, the default of PyTorch in which the paper's networks were written. Dropout is the
paper's main regulariser; early stopping is the trainer's.

Trained with ``sparse_categorical_crossentropy`` on integer labels.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import keras

POOLINGS = ("global_average", "flatten")

#: Batch normalisation momentum of PyTorch's default (0.1 there, in the opposite convention).
BN_MOMENTUM = 0.9


def build_cnn_classifier(
    input_shape: Sequence[int],
    n_outputs: int,
    *,
    filters: Sequence[int] = (16, 32, 64),
    kernel_size: int = 3,
    dense_units: int = 64,
    dropout: float = 0.3,
    batch_norm: bool = True,
    pooling: str = "global_average",
    output_activation: str = "softmax",
) -> keras.Model:
    """Build the classifier for ``(H, W, C)`` images and ``n_outputs`` classes (softmax).

    ``filters`` gives one convolution block per entry, each halving the image size;
    ``pooling`` (``"global_average"`` or ``"flatten"``) turns the last feature maps into the
    head's input; ``dropout`` is the rate of both head dropout layers (0 disables them);
    ``output_activation="sigmoid"`` gives independent per-class outputs (the reference recipe).
    """
    import keras
    from keras import layers

    if len(input_shape) != 3:
        raise ValueError(f"input_shape must be (height, width, channels), got {input_shape}")
    if pooling not in POOLINGS:
        raise ValueError(f"pooling must be one of {POOLINGS}, got {pooling!r}")
    if not filters:
        raise ValueError("filters must name at least one convolution block")
    height, width = int(input_shape[0]), int(input_shape[1])
    if min(height, width) < 2 ** len(filters):
        raise ValueError(
            f"{len(filters)} blocks in filters halve the image {len(filters)} times, which "
            f"needs height and width >= {2 ** len(filters)}; got {height}x{width}"
        )
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout}")

    inputs = keras.Input(shape=tuple(int(n) for n in input_shape))
    x = inputs
    for n_filters in filters:
        x = layers.Conv2D(n_filters, kernel_size, padding="same", use_bias=not batch_norm)(x)
        if batch_norm:
            x = layers.BatchNormalization(momentum=BN_MOMENTUM)(x)
        x = layers.Activation("relu")(x)
        x = layers.MaxPooling2D(2)(x)
    if pooling == "global_average":
        x = layers.GlobalAveragePooling2D()(x)
    else:
        x = layers.Flatten()(x)
    if dropout > 0:
        x = layers.Dropout(dropout)(x)
    x = layers.Dense(dense_units, activation="relu")(x)
    if dropout > 0:
        x = layers.Dropout(dropout)(x)
    outputs = layers.Dense(n_outputs, activation=output_activation)(x)
    return keras.Model(inputs, outputs, name="cnn_classifier")
