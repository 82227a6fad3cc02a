"""U-Net (Ronneberger, Fischer & Brox 2015) mapping images to images of the same size.

Used by the turbulence study to map gas density to cosmic-ray and magnetic energy density.
The encoder has ``depth`` levels, each two 3x3 convolutions (``same`` padding, no bias) with
batch normalisation and ReLU, then 2x2 max pooling; filters start at ``base_filters`` and
double at every level. A bottleneck of two such convolutions (``base_filters * 2**depth``
filters) follows. Each decoder level upsamples with a 2x2, stride-2 transposed convolution
that halves the filters, concatenates the encoder's feature maps of the same size (skip
connection) and applies two convolutions. A linear 1x1 convolution gives ``n_outputs``
channels, so the output is ``(H, W, n_outputs)``.

Unlike the original (unpadded convolutions, cropped skips, smaller output), padding keeps
every level's size exact, which needs H and W divisible by ``2**depth``. Batch normalisation
is the now-usual addition to the 2015 design; its moving statistics use momentum 0.9, the
PyTorch default of the paper's U-Net (Keras's 0.99 lags behind quickly changing weights, so
inference-mode outputs of a briefly trained net disagree with training). ``dropout`` > 0
drops bottleneck features, as the original's dropout at the end of the contracting path.

Trained with ``mse`` on normalised maps.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import keras

#: Batch normalisation momentum of PyTorch's default (0.1 there, in the opposite convention).
BN_MOMENTUM = 0.9


def _double_conv(x: Any, filters: int) -> Any:
    """Two 3x3 convolution + batch normalisation + ReLU layers."""
    from keras import layers

    for _ in range(2):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization(momentum=BN_MOMENTUM)(x)
        x = layers.Activation("relu")(x)
    return x


def build_unet(
    input_shape: Sequence[int],
    n_outputs: int,
    *,
    base_filters: int = 16,
    depth: int = 3,
    dropout: float = 0.0,
) -> keras.Model:
    """Build a U-Net for ``(H, W, C)`` images with ``n_outputs`` linear output channels.

    Raises ``ValueError`` unless H and W are divisible by ``2**depth``.
    """
    import keras
    from keras import layers

    if len(input_shape) != 3:
        raise ValueError(f"input_shape must be (height, width, channels), got {input_shape}")
    if depth < 1:
        raise ValueError(f"depth must be >= 1, got {depth}")
    height, width = int(input_shape[0]), int(input_shape[1])
    if height % 2**depth or width % 2**depth:
        raise ValueError(
            f"U-Net depth {depth} halves the image {depth} times, so height and width must "
            f"be divisible by 2**depth = {2**depth}; got image size {height}x{width}"
        )
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout}")

    inputs = keras.Input(shape=tuple(int(n) for n in input_shape))
    x = inputs
    skips = []
    for level in range(depth):
        x = _double_conv(x, base_filters * 2**level)
        skips.append(x)
        x = layers.MaxPooling2D(2)(x)
    x = _double_conv(x, base_filters * 2**depth)
    if dropout > 0:
        x = layers.Dropout(dropout)(x)
    for level in reversed(range(depth)):
        x = layers.Conv2DTranspose(base_filters * 2**level, 2, strides=2)(x)
        x = layers.Concatenate()([skips[level], x])
        x = _double_conv(x, base_filters * 2**level)
    outputs = layers.Conv2D(n_outputs, 1)(x)
    return keras.Model(inputs, outputs, name="unet")
