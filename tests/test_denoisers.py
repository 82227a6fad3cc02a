"""EDSR and RDN denoisers at scale 1: shapes, parameter counts, and a brief training that helps."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from sim2model.models import build_model

# EDSR, 4 filters, 1 block: head 1->4 (40) + block 2 x (4->4: 148) + body 4->4 (148) + tail (37)
EDSR_PARAMS = 40 + 2 * 148 + 148 + 37
# RDN, G0 4, growth 2, 1 block of 2 layers: SFE 1->4 (40), 4->4 (148); layers 4->2 (74),
# 6->2 (110); fusion 1x1 8->4 (36); global fusion 1x1 4->4 (20), 3x3 4->4 (148); tail (37)
RDN_PARAMS = 40 + 148 + 74 + 110 + 36 + 20 + 148 + 37
SMALL = {
    "edsr": {"filters": 4, "blocks": 1},
    "rdn": {"filters": 4, "blocks": 1, "layers_per_block": 2, "growth": 2},
}


@pytest.mark.parametrize(("arch", "count"), [("edsr", EDSR_PARAMS), ("rdn", RDN_PARAMS)])
def test_shapes_and_parameter_counts(arch, count, tmp_path):
    model = build_model(arch, (16, 16, 1), 1, **SMALL[arch])
    assert model.count_params() == count
    x = np.random.default_rng(0).normal(size=(2, 16, 16, 1)).astype(np.float32)
    assert model.predict(x, verbose=0).shape == (2, 16, 16, 1)
    two = build_model(arch, (16, 16, 2), 1, **SMALL[arch])  # PSF channel in, one image out
    assert two.output_shape == (None, 16, 16, 1)
    model.save(tmp_path / "m.keras")
    back = keras.saving.load_model(tmp_path / "m.keras", compile=False)
    np.testing.assert_allclose(back.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


def _blobs(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[-1:1:16j, -1:1:16j]
    width = rng.uniform(0.2, 0.6, size=(n, 1, 1))
    amp = rng.uniform(1.0, 3.0, size=(n, 1, 1))
    clean = (amp * np.exp(-(xx**2 + yy**2) / width**2))[..., None].astype(np.float32)
    return clean + rng.normal(scale=0.5, size=clean.shape).astype(np.float32), clean


@pytest.mark.parametrize("arch", ["edsr", "rdn"])
def test_brief_training_lowers_the_mse_on_held_out_stamps(arch):
    keras.utils.set_random_seed(0)
    model = build_model(arch, (16, 16, 1), 1, **SMALL[arch])
    noisy, clean = _blobs(128, 1)
    held_noisy, held_clean = _blobs(32, 2)
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="mse")
    model.fit(noisy, clean, epochs=3, batch_size=16, verbose=0)
    denoised = model.predict(held_noisy, verbose=0)
    before = np.mean((held_noisy - held_clean) ** 2)
    after = np.mean((denoised - held_clean) ** 2)
    assert after < 0.7 * before


def test_psnr_of_a_constant_offset():
    from sim2model.studies.galsim.denoise import psnr

    reference = np.zeros((2, 4, 4))
    reference[:, 1, 1] = [100.0, 10.0]
    assert psnr(reference + 1.0, reference) == pytest.approx([40.0, 20.0])
