"""Model registry and the Xception network of the reference notebook."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sim2model.models import ARCHITECTURES, build_model

REFERENCE_PARAMS = 109_304  # reference notebook's count, incl. a Normalization layer's 3 weights


def test_importing_models_does_not_import_keras():
    code = "import sys, sim2model.models; assert 'keras' not in sys.modules"
    workflow_scripts = Path(__file__).parents[1] / "workflow_scripts"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=workflow_scripts)


def test_xception_reproduces_seed_parameter_count():
    model = build_model("xception", (64, 64, 1), 5)
    assert model.count_params() == REFERENCE_PARAMS - 3
    assert abs(model.count_params() - REFERENCE_PARAMS) / REFERENCE_PARAMS < 0.02
    assert model.output_shape == (None, 5)


def test_xception_two_channel_input_predicts():
    model = build_model("xception", (64, 64, 2), 5)
    x = np.random.default_rng(0).normal(size=(3, 64, 64, 2)).astype(np.float32)
    assert model.predict(x, verbose=0).shape == (3, 5)
    # Only the entry convolution sees the extra channel: 5 * 5 * 16 more weights.
    assert model.count_params() == REFERENCE_PARAMS - 3 + 400


def test_xception_relu_variant_and_classifier_head():
    model = build_model(
        "xception", (32, 32, 1), 3, activation="relu", output_activation="softmax", dropout=0.2
    )
    probs = model.predict(np.zeros((2, 32, 32, 1), np.float32), verbose=0)
    assert probs.shape == (2, 3)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    assert any(type(layer).__name__ == "BatchNormalization" for layer in model.layers)


def test_xception_rejects_unknown_activation():
    with pytest.raises(ValueError, match="activation"):
        build_model("xception", (32, 32, 1), 5, activation="tanh")


def test_unknown_model_name_lists_known_models():
    with pytest.raises(ValueError, match="unknown model 'resnet'.*xception"):
        build_model("resnet", (64, 64, 1), 5)
    assert "xception" in ARCHITECTURES
