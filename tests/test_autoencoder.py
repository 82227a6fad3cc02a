"""Conditional autoencoder of the GalSim study: shapes, parameter counts, three-step training."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from sim2model.studies.galsim.autoencoder import (
    build_conditional_autoencoder,
    build_decoder,
    decoder_in_counts,
    encoder_in_normalised_units,
)
from sim2model.studies.galsim.autoencoder_training import STEPS, Step, train_autoencoder

SHAPE, FILTERS, UNITS = (16, 16, 1), (4, 8), 8
# Conv 3x3 1->4 (40) + BN 4 (16) + Conv 4->8 (296) + BN 8 (32) + Dense 128->8 (1032)
# + Dense 8->8 (72) + Dense 8->5 (45)
ENCODER_PARAMS = 40 + 16 + 296 + 32 + 1032 + 72 + 45
# The reference's decoder: Dense (linear) + dropout, Dense (LeakyReLU) + dropout, six convolutions.
# Dense 5->8 (48) + Dense 8->4*4*8 (1152) + ConvT 8->8 (584) + ConvT 8->4 (292)
# + 3 Conv 4->4 (148 each) + Conv 4->1 (37)
DECODER_PARAMS = 48 + 1152 + 584 + 292 + 3 * 148 + 37
# The paper preset (config/paper/galsim.yaml: 64x64 stamps, filters [32, 64, 128, 256], dense
# 256). The reference notebook prints no model.summary() (its autoencoder code is in a
# supplementary notebook), so this is counted by hand from the layer shapes, base 64 / 2**4 = 4:
# Dense 5->256 (1,536) + Dense 256->4*4*256 (1,052,672) + ConvT 256->256 (590,080)
# + ConvT 256->128 (295,040) + ConvT 128->64 (73,792) + ConvT 64->32 (18,464)
# + Conv 32->32 (9,248) + Conv 32->1 (289)
PAPER_DECODER_PARAMS = (
    1_536 + 1_052_672 + 590_080 + 295_040 + 73_792 + 18_464 + 9_248 + 289
)  # 2,041,121


@pytest.fixture()
def nets():
    keras.utils.set_random_seed(0)
    return build_conditional_autoencoder(SHAPE, 5, filters=FILTERS, dense_units=UNITS)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(1)
    params = rng.uniform(size=(32, 5)).astype(np.float32)
    yy, xx = np.mgrid[-1:1:16j, -1:1:16j]
    width = 0.2 + 0.5 * params[:, :1, None]
    image = np.exp(-(xx**2 + yy**2) / width**2)[..., None].astype(np.float32)
    noisy = image + rng.normal(scale=0.1, size=image.shape).astype(np.float32)
    return noisy, {"params": params, "image": image}


def test_shapes_and_parameter_counts(nets):
    encoder, decoder, autoencoder = nets
    assert encoder.count_params() == ENCODER_PARAMS
    assert decoder.count_params() == DECODER_PARAMS
    assert autoencoder.count_params() == ENCODER_PARAMS + DECODER_PARAMS
    out = autoencoder.predict(np.zeros((2, *SHAPE), np.float32), verbose=0)
    assert out["params"].shape == (2, 5) and out["image"].shape == (2, 16, 16, 1)
    assert np.all((out["params"] > 0) & (out["params"] < 1))  # sigmoid outputs
    assert np.all((out["image"] > 0) & (out["image"] < 1))


def _kinds(model: keras.Model) -> list[str]:
    return [type(layer).__name__ for layer in model.layers]


@pytest.mark.parametrize("filters", [(4, 8), (4, 8, 16, 32)], ids=["2 levels", "4 levels"])
def test_decoder_is_the_reference_layer_structure(filters):
    decoder = build_decoder(5, 32, filters=filters, dense_units=8)
    kinds = _kinds(decoder)
    convs = [k for k in kinds if k in ("Conv2D", "Conv2DTranspose")]
    assert len(convs) == 6  # the reference's six convolution layers
    assert convs[: len(filters)] == ["Conv2DTranspose"] * len(filters)  # the upsampling
    assert convs[len(filters) :] == ["Conv2D"] * (6 - len(filters))
    # two Dense layers, each followed by dropout 0.5 (the second through its LeakyReLU)
    assert kinds[1:7] == ["Dense", "Dropout", "Dense", "LeakyReLU", "Dropout", "Reshape"]
    assert all(
        layer.rate == 0.5 for layer in decoder.layers if isinstance(layer, keras.layers.Dropout)
    )
    assert decoder.layers[1].activation is keras.activations.linear
    # LeakyReLU after every convolution but the last, which is the sigmoid output
    conv_at = [i for i, k in enumerate(kinds) if k in ("Conv2D", "Conv2DTranspose")]
    assert all(kinds[i + 1] == "LeakyReLU" for i in conv_at[:-1])
    assert conv_at[-1] == len(kinds) - 1
    assert decoder.layers[-1].activation is keras.activations.sigmoid


def test_dropout_option_reaches_both_dense_pairs():
    encoder, decoder, _ = build_conditional_autoencoder(SHAPE, 5, filters=FILTERS, dropout=0.3)
    for net in (encoder, decoder):
        rates = [layer.rate for layer in net.layers if isinstance(layer, keras.layers.Dropout)]
        assert rates == [0.3, 0.3]


def test_paper_preset_decoder_parameter_count():
    decoder = build_decoder(5, 64, filters=(32, 64, 128, 256), dense_units=256)
    assert decoder.count_params() == PAPER_DECODER_PARAMS == 2_041_121
    assert decoder.output_shape == (None, 64, 64, 1)


def test_decoder_dropout_is_active_in_training_only():
    decoder = build_decoder(5, 16, filters=(4, 8), dense_units=64)
    p = np.full((1, 5), 0.5, np.float32)
    np.testing.assert_array_equal(decoder(p, training=False), decoder(p, training=False))
    assert not np.allclose(decoder(p, training=True), decoder(p, training=False))


def test_saved_views_rescale_the_outputs(nets):
    encoder, decoder, _ = nets
    x = np.random.default_rng(2).normal(size=(3, *SHAPE)).astype(np.float32)
    np.testing.assert_allclose(
        encoder_in_normalised_units(encoder).predict(x, verbose=0),
        2 * encoder.predict(x, verbose=0) - 1, rtol=1e-5, atol=1e-6,
    )  # fmt: skip
    p = np.full((1, 5), 0.5, np.float32)
    np.testing.assert_allclose(
        decoder_in_counts(decoder, 1e4).predict(p, verbose=0),
        1e4 * decoder.predict(p, verbose=0), rtol=1e-5,
    )  # fmt: skip


def test_decoder_size_must_halve_evenly():
    with pytest.raises(ValueError, match="divisible"):
        build_conditional_autoencoder((20, 20, 1), 5, filters=(4, 8, 16))
    with pytest.raises(ValueError, match="6 convolutions"):
        build_decoder(5, 64, filters=(2, 2, 2, 2, 2, 2))


def _changed(before: list[np.ndarray], model: keras.Model) -> bool:
    return any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True))


@pytest.mark.parametrize(
    ("step", "encoder_moves", "decoder_moves"),
    [(STEPS[0], True, False), (STEPS[1], False, True), (STEPS[2], True, True)],
    ids=[s.name for s in STEPS],
)
def test_each_step_changes_only_the_weights_its_loss_weights_reach(
    nets, data, step, encoder_moves, decoder_moves
):
    encoder, decoder, autoencoder = nets
    x, targets = data
    enc0, dec0 = encoder.get_weights(), decoder.get_weights()  # BN moving stats included
    history = train_autoencoder(
        autoencoder, encoder, decoder, x, targets, x, targets,
        epochs=[1], batch_size=16, learning_rate=1e-2, steps=[step], verbose=0,
    )  # fmt: skip
    assert list(history["step"]) == [step.name]
    assert _changed(enc0, encoder) is encoder_moves
    assert _changed(dec0, decoder) is decoder_moves


@pytest.mark.slow  # ~20 s: three compiled fits
def test_three_steps_lower_both_losses(nets, data):
    encoder, decoder, autoencoder = nets
    x, targets = data
    history = train_autoencoder(
        autoencoder, encoder, decoder, x, targets, x, targets,
        epochs=[3, 3, 3], batch_size=8, learning_rate=3e-3, verbose=0,
    )  # fmt: skip
    assert list(history["step"].unique()) == ["encoder", "decoder", "autoencoder"]
    assert list(history["epoch"]) == list(range(len(history)))
    first = history.groupby("step", sort=False).first()
    last = history.groupby("step", sort=False).last()
    assert last.loc["encoder", "params_loss"] < first.loc["encoder", "params_loss"]
    assert last.loc["decoder", "image_loss"] < first.loc["decoder", "image_loss"]


def test_epoch_counts_must_match_the_steps(nets, data):
    encoder, decoder, autoencoder = nets
    with pytest.raises(ValueError, match="steps"):
        train_autoencoder(
            autoencoder, encoder, decoder, *data, *data, epochs=[1], batch_size=8,
            learning_rate=1e-3, steps=[Step("a", 1, 0), Step("b", 0, 1)],
        )  # fmt: skip
