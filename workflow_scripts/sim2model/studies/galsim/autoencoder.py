"""Conditional autoencoder of the reference notebook (GalSim study): image -> 5 parameters -> image.

* Encoder: ``Conv2D`` blocks (stride 2, ``BatchNormalization``, ``LeakyReLU``) on the noisy stamp,
  then two ``Dense`` layers (``LeakyReLU``, then linear), each followed by dropout 0.5, and a
  ``Dense`` layer with a sigmoid: the parameters scaled to [0, 1].
* Decoder, as the reference describes it: the five scaled parameters through two ``Dense``
  layers (linear, then ``LeakyReLU``), each followed by dropout 0.5; reshaped to a small feature
  map; then six convolution layers, all ``LeakyReLU`` but the last: one ``Conv2DTranspose`` of
  stride 2 per encoder level (the upsampling), ``Conv2D`` layers of stride 1 up to five, and a
  sigmoid ``Conv2D`` giving the noiseless stamp scaled to [0, 1]. The reference dropped dropout
  *between the convolutions* only (it hurt the decoder), not after the ``Dense`` layers.
* Autoencoder: decoder(encoder(image)), two outputs ``params`` and ``image``; both losses are
  binary cross-entropy, as in the reference.

The reference notebook gives the decoder's layers in prose (its code and ``model.summary()`` are
in a supplementary notebook not reproduced here), so the filter counts and the 3x3 kernels are
this project's; the layer structure (six convolutions, two ``Dense`` layers with dropout 0.5)
is the reference's.

The latent space *is* the parameter vector, so the encoder alone is the regressor evaluated
beside the Xception network.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import keras

LEAK = 0.2  # LeakyReLU negative slope
DECODER_CONV_LAYERS = 6  # the reference's decoder: six convolution layers, the last a sigmoid


def build_encoder(
    input_shape: Sequence[int],
    n_params: int,
    *,
    filters: Sequence[int] = (16, 32, 64, 128),
    dense_units: int = 128,
    dropout: float = 0.5,
) -> keras.Model:
    """Encoder: ``(H, W, C)`` image -> ``n_params`` sigmoid outputs (parameters in [0, 1])."""
    import keras
    from keras import layers

    inputs = keras.Input(shape=tuple(int(n) for n in input_shape), name="image")
    x = inputs
    for f in filters:
        x = layers.Conv2D(f, 3, strides=2, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.LeakyReLU(LEAK)(x)
    x = layers.Flatten()(x)
    x = layers.Dense(dense_units)(x)
    x = layers.LeakyReLU(LEAK)(x)
    x = layers.Dropout(dropout)(x)
    x = layers.Dense(dense_units)(x)
    x = layers.Dropout(dropout)(x)
    outputs = layers.Dense(n_params, activation="sigmoid", name="params")(x)
    return keras.Model(inputs, outputs, name="encoder")


def build_decoder(
    n_params: int,
    image_size: int,
    *,
    filters: Sequence[int] = (16, 32, 64, 128),
    dense_units: int = 128,
    dropout: float = 0.5,
) -> keras.Model:
    """Decoder: ``n_params`` values in [0, 1] -> ``(image_size, image_size, 1)`` image in [0, 1].

    ``Dense(dense_units)`` (linear) and ``Dense`` to the feature map (``LeakyReLU``), each
    followed by ``Dropout(dropout)``; then :data:`DECODER_CONV_LAYERS` convolutions:
    ``len(filters)`` ``Conv2DTranspose`` of stride 2 (``filters`` reversed: the encoder's),
    ``Conv2D`` of stride 1 with ``filters[0]`` to make up five (all ``LeakyReLU``), and the
    sigmoid ``Conv2D``. ``image_size`` must be divisible by ``2 ** len(filters)``, and
    ``filters`` has at most five entries.
    """
    import keras
    from keras import layers
    from keras.initializers import Constant

    levels = len(filters)
    if not 1 <= levels <= DECODER_CONV_LAYERS - 1:
        raise ValueError(
            f"{levels} filters: the decoder's {DECODER_CONV_LAYERS} convolutions hold 1 to "
            f"{DECODER_CONV_LAYERS - 1} upsampling levels and the sigmoid output"
        )
    if image_size % 2**levels:
        raise ValueError(
            f"image size {image_size} is not divisible by 2**{levels} (one halving per filter)"
        )
    base = image_size // 2**levels
    inputs = keras.Input(shape=(n_params,), name="params")
    x = layers.Dense(dense_units)(inputs)  # linear, as the reference
    x = layers.Dropout(dropout)(x)
    x = layers.Dense(base * base * filters[-1])(x)
    x = layers.LeakyReLU(LEAK)(x)
    x = layers.Dropout(dropout)(x)
    x = layers.Reshape((base, base, filters[-1]))(x)
    for f in reversed(filters):
        x = layers.Conv2DTranspose(f, 3, strides=2, padding="same")(x)
        x = layers.LeakyReLU(LEAK)(x)
    for _ in range(DECODER_CONV_LAYERS - 1 - levels):
        x = layers.Conv2D(filters[0], 3, padding="same")(x)
        x = layers.LeakyReLU(LEAK)(x)
    # start near an empty sky (sigmoid(-4) ~ 0.02): most pixels of a scaled stamp are ~0
    outputs = layers.Conv2D(
        1, 3, padding="same", activation="sigmoid", bias_initializer=Constant(-4.0), name="image"
    )(x)
    return keras.Model(inputs, outputs, name="decoder")


def build_conditional_autoencoder(
    input_shape: Sequence[int],
    n_params: int,
    *,
    filters: Sequence[int] = (16, 32, 64, 128),
    dense_units: int = 128,
    dropout: float = 0.5,
) -> tuple[keras.Model, keras.Model, keras.Model]:
    """``(encoder, decoder, autoencoder)``; the autoencoder's outputs are ``[params, image]``."""
    import keras

    encoder = build_encoder(
        input_shape, n_params, filters=filters, dense_units=dense_units, dropout=dropout
    )
    decoder = build_decoder(
        n_params, int(input_shape[0]), filters=filters, dense_units=dense_units, dropout=dropout
    )
    inputs = keras.Input(shape=tuple(int(n) for n in input_shape), name="noisy")
    params = encoder(inputs)
    image = decoder(params)
    autoencoder = keras.Model(
        inputs, {"params": params, "image": image}, name="conditional_autoencoder"
    )
    return encoder, decoder, autoencoder


def encoder_in_normalised_units(encoder: keras.Model) -> keras.Model:
    """The encoder with outputs mapped from [0, 1] to the normaliser's [-1, 1] target scale.

    Saved as the study's model file, so the generic evaluation stage scores it like any
    regressor.
    """
    import keras
    from keras import layers

    inputs = keras.Input(shape=encoder.input_shape[1:])
    outputs = layers.Rescaling(2.0, offset=-1.0, name="to_normalised")(encoder(inputs))
    return keras.Model(inputs, outputs, name="autoencoder_encoder")


def decoder_in_counts(decoder: keras.Model, image_scale: float) -> keras.Model:
    """The decoder with its [0, 1] image multiplied by ``image_scale`` (counts)."""
    import keras
    from keras import layers

    inputs = keras.Input(shape=decoder.input_shape[1:])
    outputs = layers.Rescaling(float(image_scale), name="to_counts")(decoder(inputs))
    return keras.Model(inputs, outputs, name="decoder_in_counts")
