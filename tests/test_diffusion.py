"""Diffusion model: cosine schedule, forward noising, DDIM step, denoiser and seeded sampling."""

from __future__ import annotations

import numpy as np
import pytest

from sim2model.generative.denoiser import build_denoiser, time_embedding
from sim2model.generative.schedule import CosineSchedule

SCHEDULE = CosineSchedule(timesteps=1000)


def test_cosine_schedule_falls_from_one_to_zero():
    a = SCHEDULE.alpha_bar
    assert a.shape == (1001,)
    assert a[0] == 1.0
    assert np.all(np.diff(a) < 0)  # strictly decreasing
    assert a[1] == pytest.approx(1.0, abs=1e-4)  # the first step adds almost no noise
    assert a[-1] == pytest.approx(0.02**2)  # signal amplitude min_signal at T
    # min_signal = 0 is Nichol & Dhariwal's closed form f(t) / f(0), ending at exactly 0
    t = np.array([0, 250, 500, 999])
    f = np.cos((np.append(t, 0) / 1000 + 0.008) / 1.008 * np.pi / 2) ** 2
    nichol = CosineSchedule(1000, min_signal=0.0).alpha_bar
    np.testing.assert_allclose(nichol[t], f[:-1] / f[-1], rtol=1e-9)
    assert nichol[-1] == pytest.approx(0.0, abs=1e-30)


def test_forward_noising_matches_closed_form():
    rng = np.random.default_rng(1)
    x0 = rng.normal(size=(3, 4, 4, 1))
    eps = rng.normal(size=x0.shape)
    t = np.array([1, 400, 1000])
    x_t = SCHEDULE.q_sample(x0, eps, t)
    for i, step in enumerate(t):
        a = SCHEDULE.alpha_bar[step]
        np.testing.assert_allclose(x_t[i], np.sqrt(a) * x0[i] + np.sqrt(1 - a) * eps[i])
    # variance preserving: unit-variance data stays unit variance at every step
    big = rng.normal(size=(20000, 1))
    noised = SCHEDULE.q_sample(big, rng.normal(size=big.shape), 700)
    assert noised.std() == pytest.approx(1.0, abs=0.02)


@pytest.mark.parametrize(("t", "s"), [(1000, 0), (700, 350), (37, 36), (500, 0)])
def test_ddim_step_with_true_noise_inverts_forward_noising(t, s):
    rng = np.random.default_rng(2)
    x0 = rng.normal(size=(2, 8, 8, 1))
    eps = rng.normal(size=x0.shape)
    x_s = SCHEDULE.ddim_step(SCHEDULE.q_sample(x0, eps, t), eps, t, s, eta=0.0)
    np.testing.assert_allclose(x_s, SCHEDULE.q_sample(x0, eps, s), rtol=1e-9, atol=1e-9)
    if s == 0:
        np.testing.assert_allclose(x_s, x0, atol=1e-9)


def test_ddim_step_clip_bounds_the_clean_image():
    x_t = np.full((1, 2, 2, 1), 5.0)
    x_s = SCHEDULE.ddim_step(x_t, np.zeros_like(x_t), 10, 0, clip=(-1.0, 1.0))
    np.testing.assert_allclose(x_s, 1.0)  # the last step lands on the clipped clean image


def test_sampling_steps_run_from_T_to_zero():
    steps = SCHEDULE.sampling_steps(10)
    assert steps[0] == 1000 and steps[-1] == 0 and len(steps) == 11
    assert np.all(np.diff(steps) < 0)
    with pytest.raises(ValueError, match="DDIM steps"):
        SCHEDULE.sampling_steps(0)


def test_time_embedding_is_sinusoidal():
    emb = time_embedding(np.array([0, 3]), 8)
    assert emb.shape == (2, 8)
    np.testing.assert_allclose(emb[0], [0, 0, 0, 0, 1, 1, 1, 1])
    np.testing.assert_allclose(emb[1, 0], np.sin(3.0), rtol=1e-6)
    np.testing.assert_allclose(emb[1, 5], np.cos(3.0 * 10000 ** (-1 / 4)), rtol=1e-6)


def test_denoiser_rejects_maps_it_cannot_halve():
    with pytest.raises(ValueError, match="divisible by 2\\*\\*depth = 4"):
        build_denoiser((6, 6, 1), 3, depth=2)


def test_sampling_is_deterministic_by_seed_and_guided():
    from sim2model.generative.diffusion import sample_ddim

    net = build_denoiser((8, 8, 1), 3, base_filters=4, depth=1, embedding_dim=8)
    assert net.output_shape == (None, 8, 8, 1)
    schedule = CosineSchedule(timesteps=50)
    kwargs = {"n_classes": 3, "steps": 3, "guidance": 2.0, "show_progress": False}
    labels = [0, 1, 2, 2]
    first = sample_ddim(net, schedule, labels, seed=7, **kwargs)
    again = sample_ddim(net, schedule, labels, seed=7, **kwargs)
    other = sample_ddim(net, schedule, labels, seed=8, **kwargs)
    assert first.shape == (4, 8, 8, 1) and first.dtype == np.float32
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, other)
    stochastic = sample_ddim(net, schedule, labels, seed=7, eta=1.0, **kwargs)
    np.testing.assert_array_equal(
        stochastic, sample_ddim(net, schedule, labels, seed=7, eta=1.0, **kwargs)
    )
    assert not np.allclose(stochastic, first)


@pytest.mark.slow  # ~10 s of graph tracing; the tiny pipeline trains the generator in `make test`
def test_training_lowers_the_noise_prediction_loss():
    from sim2model.generative.diffusion import train_denoiser

    rng = np.random.default_rng(3)
    labels = rng.integers(0, 2, 64)
    x = (labels[:, None, None, None] * 2.0 - 1.0 + 0.1 * rng.normal(size=(64, 8, 8, 1))).astype(
        np.float32
    )
    net = build_denoiser((8, 8, 1), 2, base_filters=4, depth=1, embedding_dim=8)
    history = train_denoiser(
        net, x, labels, x[:16], labels[:16], CosineSchedule(timesteps=100),
        n_classes=2, epochs=4, batch_size=16, learning_rate=3e-3, class_dropout=0.1, seed=0,
    )  # fmt: skip
    assert list(history.columns) == ["epoch", "loss", "val_loss"]
    assert history["loss"].iloc[-1] < history["loss"].iloc[0]
