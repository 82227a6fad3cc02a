"""The reference notebook's VGG regressor."""

from __future__ import annotations

import numpy as np
import pytest

from sim2model.models import ARCHITECTURES, build_model
from sim2model.models.vgg import build_vgg

# Seed architecture on 64x64 maps: 1,170,720 conv + 16,777,216 + 2 * 1,048,576 + 1,024 dense
# weights, 4 * (32 + 64 + 128 + 256) + 4 * 3 * 1024 batch normalisation parameters.
PARAMS_64 = 20_060_320
SMALL = {"filters": (8, 16), "dense_units": 16, "dense_layers": 1}


@pytest.mark.parametrize(("channels", "params"), [(1, PARAMS_64), (2, PARAMS_64 + 3 * 3 * 32)])
def test_seed_architecture_parameter_count(channels, params):
    model = build_model("vgg", (64, 64, channels), 1)
    assert model.count_params() == params
    assert model.output_shape == (None, 1)
    assert model.name == "vgg"


def test_small_variant_predicts_one_value_per_output():
    model = build_vgg((32, 32, 2), 3, dropout=0.2, **SMALL)
    x = np.random.default_rng(0).normal(size=(4, 32, 32, 2)).astype(np.float32)
    assert model.predict(x, verbose=0).shape == (4, 3)
    assert any(type(layer).__name__ == "Dropout" for layer in model.layers)


def test_layers_are_bias_free_and_glorot_normal():
    import keras

    model = build_vgg((16, 16, 1), 2, **SMALL)
    weighted = [
        la for la in model.layers if isinstance(la, (keras.layers.Conv2D, keras.layers.Dense))
    ]
    assert len(weighted) == 2 * 2 + 1 + 1
    for layer in weighted:
        assert layer.bias is None
        assert isinstance(layer.kernel_initializer, keras.initializers.GlorotNormal)
    norms = [la for la in model.layers if isinstance(la, keras.layers.BatchNormalization)]
    assert len(norms) == 2 + 1
    for layer in norms:
        assert layer.momentum == 0.9
        assert isinstance(layer.beta_initializer, keras.initializers.GlorotNormal)
    assert not any("bias" in w.path for w in model.weights)


def test_rejects_inputs_without_channel_axis():
    with pytest.raises(ValueError, match="input_shape"):
        build_vgg((64, 64), 1)


def test_registry_lists_vgg():
    assert ARCHITECTURES["vgg"].build is build_vgg
