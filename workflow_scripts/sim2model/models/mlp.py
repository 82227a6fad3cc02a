"""Multilayer perceptron classifier on flattened images (the galaxy10 reference's network).

The reference flattens each 69x69x1 image to a 4761-vector and computes
``sigmoid(W2 tanh(W1 v + b1) + b2)``: one tanh hidden layer (``d = 100`` units there) and
five independent sigmoid outputs trained with a per-output binary cross-entropy on one-hot
labels by plain SGD. Here the output is a softmax over the classes, trained with
categorical cross-entropy on integer labels (``sparse_categorical_crossentropy``) by Adam:
the classes are exclusive, so the softmax outputs are class probabilities that sum to one,
and the predicted class (the arg max) is chosen the same way. ``hidden_units`` gives one
dense layer per entry, each optionally followed by dropout.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import keras


def build_mlp(
    input_shape: Sequence[int],
    n_outputs: int,
    *,
    hidden_units: Sequence[int] = (128,),
    activation: str = "tanh",
    dropout: float = 0.0,
    output_activation: str = "softmax",
) -> keras.Model:
    """Build ``Flatten -> Dense(h, activation) ... -> Dense(n_outputs, output_activation)``.

    ``input_shape`` is any per-sample shape (flattened first); ``dropout`` > 0 follows each
    hidden layer with a dropout layer. ``output_activation="sigmoid"`` gives the reference
    notebook's independent sigmoid outputs (its training recipe, ``galaxy10.recipe: reference``).
    """
    import keras
    from keras import layers

    if not input_shape:
        raise ValueError(f"input_shape must have at least one axis, got {input_shape}")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout}")
    inputs = keras.Input(shape=tuple(int(n) for n in input_shape))
    x = layers.Flatten()(inputs)
    for units in hidden_units:
        x = layers.Dense(units, activation=activation)(x)
        if dropout > 0:
            x = layers.Dropout(dropout)(x)
    outputs = layers.Dense(n_outputs, activation=output_activation)(x)
    return keras.Model(inputs, outputs, name="mlp")
