"""The neural posterior (summary network + BayesFlow coupling flow) against an exact posterior.

Linear-Gaussian model: theta ~ N(0, I_p), x = A theta + sigma eps with eps ~ N(0, I_6). The
posterior is Gaussian with covariance C = (I + A^T A / sigma^2)^-1 and mean C A^T x / sigma^2.
The estimator is trained with the workflow's own ``train_model`` (checkpoints, early stopping),
saved, reloaded and sampled as the evaluation stage does: with two parameters, and with one
(where the coupling flow carries an auxiliary dimension).
"""

from __future__ import annotations

import numpy as np
import pytest

from sim2model.eval.calibration import expected_coverage, rank_uniformity, sbc_ranks
from sim2model.train.backend import configure_backend

N_DATA, SIGMA = 6, 0.5


def simulate(rng: np.random.Generator, design: np.ndarray, n: int) -> tuple[np.ndarray, ...]:
    theta = rng.normal(size=(n, design.shape[1]))
    x = theta @ design.T + SIGMA * rng.normal(size=(n, N_DATA))
    return x.astype(np.float32), theta.astype(np.float32)


def exact_posterior(x: np.ndarray, design: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Posterior means ``(n, p)`` and covariance ``(p, p)`` of the linear-Gaussian model."""
    covariance = np.linalg.inv(np.eye(design.shape[1]) + design.T @ design / SIGMA**2)
    return x @ design @ covariance.T / SIGMA**2, covariance


@pytest.fixture(scope="module", params=[2, 1], ids=["two parameters", "one parameter"])
def trained(request, tmp_path_factory):
    """A posterior trained on 4,000 simulations, reloaded from its .keras file, and its draws
    for 1,000 test simulations beside the exact posterior."""
    configure_backend("tensorflow", seed=1, threads=2, deterministic=True)
    import keras

    from sim2model.models.posterior import is_posterior, wrap_posterior
    from sim2model.train.fit import load_model, train_model
    from sim2model.train.losses import POSTERIOR_LOSS

    n_params = request.param
    rng = np.random.default_rng(0)
    design = rng.normal(size=(N_DATA, n_params))
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = (
        simulate(rng, design, n) for n in (4000, 500, 1000)
    )
    inputs = keras.Input((N_DATA,))
    hidden = keras.layers.Dense(64, activation="relu")(inputs)
    summary = keras.Model(inputs, keras.layers.Dense(8)(hidden), name="mlp")
    net = wrap_posterior(summary, n_params, draws=200, depth=4, hidden_units=[64, 64])
    assert is_posterior(net)
    path = tmp_path_factory.mktemp("posterior") / "model.keras"
    history = train_model(
        net, x_train, y_train, x_val, y_val, model_path=path, history_path=path.with_suffix(".csv"),
        epochs=40, batch_size=128, learning_rate=3e-3, patience=5, loss=POSTERIOR_LOSS, verbose=0,
    )  # fmt: skip
    loaded = load_model(path)
    draws = loaded.draw(x_test, seed=3, batch_size=256)
    mean, covariance = exact_posterior(x_test, design)
    return {"net": net, "loaded": loaded, "draws": draws, "x": x_test, "y": y_test,
            "mean": mean, "covariance": covariance, "history": history}  # fmt: skip


def test_posterior_mean_and_spread_match_the_exact_posterior(trained):
    """Stated tolerance: the posterior mean within 0.35 exact posterior standard deviations
    (RMS over the test set) and the mean posterior standard deviation within 12 % of exact."""
    draws, mean = trained["draws"], trained["mean"]
    std = np.sqrt(np.diag(trained["covariance"]))
    assert draws.shape == (1000, 200, len(std))
    rms_error = np.sqrt(np.mean((draws.mean(axis=1) - mean) ** 2, axis=0)) / std
    assert (rms_error < 0.35).all(), rms_error
    spread = draws.std(axis=1, ddof=1).mean(axis=0) / std
    np.testing.assert_allclose(spread, 1.0, atol=0.12)


def test_posterior_is_calibrated(trained):
    """Coverage within 3 binomial standard errors of nominal at 50/68/90/95 % and uniform SBC
    ranks (both tests at p >= 0.01)."""
    coverage = expected_coverage(trained["draws"], trained["y"])
    assert coverage["within"].all(), coverage
    uniformity = rank_uniformity(sbc_ranks(trained["draws"], trained["y"]), 200)
    assert uniformity["calibrated"].all(), uniformity


def test_training_lowers_the_loss_toward_the_exact_entropy(trained):
    """The best validation loss (mean -log q over 500 simulations) lies within 0.25 nats above
    the exact posterior's entropy, its floor, and not below it by more than three times the
    floor's sampling error (~0.045 nats): a density that forgot its log-Jacobian would."""
    floor = 0.5 * np.log(np.linalg.det(2 * np.pi * np.e * trained["covariance"]))
    best = trained["history"]["val_loss"].min()
    assert floor - 0.15 < best < floor + 0.25, (best, floor)


def test_saved_posterior_draws_as_the_trained_one(trained):
    """The .keras round trip keeps the flow: the same seed gives the same draws."""
    x = trained["x"][:50]
    np.testing.assert_allclose(
        trained["loaded"].draw(x, seed=3, batch_size=256),
        trained["net"].draw(x, seed=3, batch_size=256),
        rtol=1e-5, atol=1e-5,
    )  # fmt: skip
    assert not np.allclose(
        trained["loaded"].draw(x, seed=4, batch_size=256), trained["draws"][:50]
    )  # another seed, other draws


def test_the_registry_builds_a_posterior_on_a_study_summary_network():
    """``arch: posterior`` as a config names it: an Xception summary with ``summary_dim``
    outputs under a coupling flow of ``flow.depth`` layers, drawing ``draws`` per image."""
    configure_backend("tensorflow", seed=1, threads=1, deterministic=True)
    from sim2model.models import build_model

    net = build_model(
        "posterior", (16, 16, 1), 5, draws=7, summary_dim=12, flow={"depth": 2},
        summary={"arch": "xception", "entry_filters": 4, "sep_filters": 8, "residual_blocks": 1},
    )  # fmt: skip
    assert net.summary.output.shape[-1] == 12 and net.flow.depth == 2
    draws = net.draw(np.zeros((3, 16, 16, 1), np.float32), seed=0, batch_size=2)
    assert draws.shape == (3, 7, 5) and np.isfinite(draws).all()
    with pytest.raises(ValueError, match="summary needs an 'arch'"):
        build_model("posterior", (16, 16, 1), 5, summary={"entry_filters": 4})
