"""The Keras jax backend (the GPU machines train with it): configuration, training, reproducibility.

Each run is a fresh process (``tests/helpers/train_worker.py --backend jax``): keras reads its
backend once, at import, and this test session runs tensorflow. jax is in
requirements-dev.txt; a bare install without it skips, and CI (SIM2MODEL_REQUIRE_JAX=1) fails.
"""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pandas as pd
import pytest

from conftest import REQUIRE_JAX, skip_unless_required
from test_training import finish, start_worker, weights


@pytest.fixture(scope="module")
def jax_runs(tmp_path_factory):
    """Two 3-epoch jax trainings with seed 0 and one with seed 1, side by side."""
    if importlib.util.find_spec("jax") is None:
        skip_unless_required(
            "jax is not installed, so the Keras jax backend cannot run", REQUIRE_JAX
        )
    dirs = [tmp_path_factory.mktemp(f"jax{i}") for i in range(3)]
    seeds = ["0", "0", "1"]
    procs = [
        start_worker(d, "--epochs", "3", "--seed", seed, "--backend", "jax")
        for d, seed in zip(dirs, seeds, strict=True)
    ]
    for proc in procs:
        finish(proc)
    return dirs


def test_jax_backend_is_configured_and_reported(jax_runs):
    devices = json.loads((jax_runs[0] / "devices.json").read_text())
    assert devices["backend"] == "jax"
    assert devices["device"] == "CPU" and devices["gpus"] == []
    environment = json.loads((jax_runs[0] / "environment.json").read_text())
    assert environment["KERAS_BACKEND"] == "jax"
    assert "--xla_gpu_deterministic_ops=true" in environment["XLA_FLAGS"].split()


def test_jax_training_learns_and_is_reproducible_by_seed(jax_runs):
    first, again, other = (weights(d) for d in jax_runs)
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, b) for a, b in zip(first, other, strict=True))
    history = pd.read_csv(jax_runs[0] / "history.csv")
    assert list(history["epoch"]) == [0, 1, 2]
    assert history["loss"].iloc[-1] < history["loss"].iloc[0]
    assert (jax_runs[0] / "model.keras").exists()
