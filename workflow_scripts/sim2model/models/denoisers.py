"""Image-restoration networks at scale 1 (denoising), as in Madireddy et al. (2019).

* EDSR (Lim et al. 2017, "Enhanced Deep Residual Networks"): a head convolution, ``blocks``
  residual blocks of conv-ReLU-conv *without batch normalisation*, each branch multiplied by
  ``res_scale`` before the addition, a body convolution plus the head's features (global skip)
  and a tail convolution.
* RDN (Zhang et al. 2018, "Residual Dense Network"): two shallow convolutions, ``blocks``
  residual dense blocks (``layers`` densely connected conv-ReLU layers of ``growth`` channels,
  local feature fusion by a 1x1 convolution and a local residual), global feature fusion of all
  blocks' outputs (1x1 then 3x3 convolution) plus the first shallow features (global residual),
  and a tail convolution.

At scale 1 the upsampling stage of both papers is dropped. The tail predicts the correction to
the first input channel (residual learning, as usual for denoisers), so the output is
``x[..., :n_outputs] + tail``; every convolution is 3x3 with ``same`` padding unless stated.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import keras


def _conv(x: Any, filters: int, kernel: int = 3, activation: str | None = None) -> Any:
    from keras import layers

    return layers.Conv2D(filters, kernel, padding="same", activation=activation)(x)


def _output(inputs: Any, features: Any, n_outputs: int, name: str) -> keras.Model:
    """Tail convolution added to the first ``n_outputs`` input channels."""
    import keras
    from keras import layers

    tail = _conv(features, n_outputs)
    base = inputs if inputs.shape[-1] == n_outputs else inputs[..., :n_outputs]
    return keras.Model(inputs, layers.Add()([base, tail]), name=name)


def build_edsr(
    input_shape: Sequence[int],
    n_outputs: int = 1,
    *,
    filters: int = 64,
    blocks: int = 16,
    res_scale: float = 0.1,
) -> keras.Model:
    """EDSR denoiser for ``(H, W, C)`` images -> ``(H, W, n_outputs)``."""
    import keras
    from keras import layers

    inputs = keras.Input(shape=tuple(int(n) for n in input_shape))
    head = _conv(inputs, filters)
    x = head
    for _ in range(blocks):
        branch = _conv(_conv(x, filters, activation="relu"), filters)
        x = layers.Add()([x, layers.Rescaling(res_scale)(branch)])
    x = layers.Add()([head, _conv(x, filters)])
    return _output(inputs, x, n_outputs, "edsr")


def build_rdn(
    input_shape: Sequence[int],
    n_outputs: int = 1,
    *,
    filters: int = 64,
    blocks: int = 16,
    layers_per_block: int = 8,
    growth: int = 64,
) -> keras.Model:
    """RDN denoiser for ``(H, W, C)`` images -> ``(H, W, n_outputs)``; ``filters`` is G0."""
    import keras
    from keras import layers

    inputs = keras.Input(shape=tuple(int(n) for n in input_shape))
    shallow = _conv(inputs, filters)
    x = _conv(shallow, filters)
    outputs = []
    for _ in range(blocks):
        features = [x]
        for _ in range(layers_per_block):
            stacked = features[0] if len(features) == 1 else layers.Concatenate()(features)
            features.append(_conv(stacked, growth, activation="relu"))
        fused = _conv(layers.Concatenate()(features), filters, kernel=1)
        x = layers.Add()([x, fused])
        outputs.append(x)
    merged = outputs[0] if len(outputs) == 1 else layers.Concatenate()(outputs)
    fused = _conv(_conv(merged, filters, kernel=1), filters)
    return _output(inputs, layers.Add()([shallow, fused]), n_outputs, "rdn")
