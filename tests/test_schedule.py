"""Cosine schedule and DDIM step against the published formulas, boundary by boundary.

Pure NumPy (no TensorFlow): the schedule tests of ``test_diffusion.py`` share a file with the
denoiser and sampler, whose graph tracing makes them too slow for mutation testing.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim2model.generative.schedule import CosineSchedule


def _nichol_dhariwal(timesteps: int, s: float) -> np.ndarray:
    """alpha_bar(t) = f(t) / f(0), f(t) = cos^2(((t / T + s) / (1 + s)) pi / 2) (their eq. 17)."""
    t = np.arange(timesteps + 1)
    f = np.cos((t / timesteps + s) / (1 + s) * np.pi / 2) ** 2
    return f / f[0]


@pytest.mark.parametrize(("timesteps", "offset"), [(1000, 0.008), (7, 0.1), (1, 0.008)])
def test_alpha_bar_with_no_min_signal_is_nichol_and_dhariwal(timesteps, offset):
    a = CosineSchedule(timesteps, offset=offset, min_signal=0.0).alpha_bar
    expected = _nichol_dhariwal(timesteps, offset)
    np.testing.assert_allclose(a[:-1], expected[:-1], rtol=1e-12)
    assert a[-1] == pytest.approx(0.0, abs=1e-30)  # theta(T) = pi / 2
    assert a[0] == 1.0 and a.dtype == np.float64


@pytest.mark.parametrize(
    ("timesteps", "offset", "min_signal"), [(1000, 0.008, 0.02), (9, 0.3, 0.5)]
)
def test_alpha_bar_ends_at_min_signal_with_the_angle_linear_in_t(timesteps, offset, min_signal):
    a = CosineSchedule(timesteps, offset=offset, min_signal=min_signal).alpha_bar
    assert a.shape == (timesteps + 1,)
    assert a[0] == 1.0
    assert a[-1] == pytest.approx(min_signal**2, rel=1e-12)  # signal amplitude min_signal at T
    # sqrt(alpha_bar) = cos(theta) / cos(theta_0): the angle grows by the same amount every step
    theta_0 = offset / (1 + offset) * np.pi / 2
    theta = np.arccos(np.sqrt(a) * np.cos(theta_0))
    assert theta[0] == pytest.approx(theta_0, rel=1e-12)
    np.testing.assert_allclose(np.diff(theta), (theta[-1] - theta_0) / timesteps, rtol=1e-9)
    # the betas 1 - a_t / a_(t-1) stay below Nichol & Dhariwal's clip at 0.999
    betas = 1 - a[1:] / a[:-1]
    assert np.all((betas > 0) & (betas < 0.999))


def test_one_step_schedule_and_the_bounds_of_its_options():
    np.testing.assert_allclose(CosineSchedule(timesteps=1).alpha_bar, [1.0, 0.02**2], rtol=1e-12)
    CosineSchedule(min_signal=0.0)  # both ends of [0, 1) are allowed...
    CosineSchedule(min_signal=0.999)
    with pytest.raises(ValueError, match=r"^timesteps must be >= 1, got 0$"):
        CosineSchedule(timesteps=0)
    for bad in (1.0, 1.5, -0.01):  # ... and nothing outside it
        with pytest.raises(ValueError, match=rf"^min_signal must be in \[0, 1\), got {bad}$"):
            CosineSchedule(min_signal=bad)


def test_q_sample_keeps_the_dtype_of_the_images():
    schedule = CosineSchedule(timesteps=10)
    x0 = np.full((2, 3, 3, 1), 0.5, np.float32)
    eps = np.ones((2, 3, 3, 1))  # float64 noise
    x_t = schedule.q_sample(x0, eps, np.array([4, 10]))
    assert x_t.shape == x0.shape and x_t.dtype == np.float32
    for i, t in enumerate([4, 10]):
        a = schedule.alpha_bar[t]
        np.testing.assert_allclose(x_t[i], np.sqrt(a) * 0.5 + np.sqrt(1 - a), rtol=1e-6)


def test_sampling_steps_are_evenly_spaced_integers_from_T_to_zero():
    schedule = CosineSchedule(timesteps=1000)
    steps = schedule.sampling_steps(3)  # 1000, 666.7, 333.3, 0 rounded
    np.testing.assert_array_equal(steps, [1000, 667, 333, 0])
    assert steps.dtype == np.int64  # used to index alpha_bar
    np.testing.assert_array_equal(CosineSchedule(timesteps=7).sampling_steps(3), [7, 5, 2, 0])
    np.testing.assert_array_equal(schedule.sampling_steps(1), [1000, 0])  # one step: T -> 0
    np.testing.assert_array_equal(schedule.sampling_steps(1000), np.arange(1000, -1, -1))
    for bad in (0, 1001):
        with pytest.raises(ValueError, match=rf"DDIM steps must be in \[1, 1000\], got {bad}"):
            schedule.sampling_steps(bad)


SCHEDULE = CosineSchedule(timesteps=1000)


def _images(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(2, 4, 4, 1)), rng.normal(size=(2, 4, 4, 1))


def test_ddim_step_is_deterministic_by_default():
    x0, eps = _images(3)
    x_t = SCHEDULE.q_sample(x0, eps, 700)
    x_s = SCHEDULE.ddim_step(x_t, eps, 700, 350)  # eta defaults to 0: no noise needed
    np.testing.assert_allclose(x_s, SCHEDULE.q_sample(x0, eps, 350), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("eta", [1.0, 0.7])
def test_stochastic_ddim_step_is_song_meng_ermon_eq_12(eta):
    """x_s = sqrt(a_s) x0 + sqrt(1 - a_s - sigma^2) eps + sigma z, with their eq. 16
    sigma = eta sqrt((1 - a_s) / (1 - a_t)) sqrt(1 - a_t / a_s)."""
    x0, eps = _images(4)
    z = np.random.default_rng(5).normal(size=x0.shape)
    t, s = 600, 300
    a_t, a_s = SCHEDULE.alpha_bar[t], SCHEDULE.alpha_bar[s]
    x_t = np.sqrt(a_t) * x0 + np.sqrt(1 - a_t) * eps
    sigma = eta * np.sqrt((1 - a_s) / (1 - a_t)) * np.sqrt(1 - a_t / a_s)
    assert 0.1 < sigma < 1  # a step with real noise, well inside the deterministic part
    expected = np.sqrt(a_s) * x0 + np.sqrt(1 - a_s - sigma**2) * eps + sigma * z
    x_s = SCHEDULE.ddim_step(x_t, eps, t, s, eta=eta, noise=z)
    np.testing.assert_allclose(x_s, expected, rtol=1e-9, atol=1e-12)
    with pytest.raises(ValueError, match=r"^eta > 0 needs the standard normal `noise`"):
        SCHEDULE.ddim_step(x_t, eps, t, s, eta=eta)


def test_ddim_step_keeps_the_dtype_of_x_t():
    x0, eps = _images(6)
    x_t = SCHEDULE.q_sample(x0.astype(np.float32), eps, 500)
    assert SCHEDULE.ddim_step(x_t, eps, 500, 100).dtype == np.float32
    z = np.zeros_like(x0)
    assert SCHEDULE.ddim_step(x_t, eps, 500, 100, eta=1.0, noise=z).dtype == np.float32


def test_clipped_clean_image_recomputes_the_noise_of_the_step():
    """Clipping x0 to its bound keeps x_t: the step is the one of the clipped x0 and the noise
    that, with it, gives x_t, i.e. q_sample(x0_clipped, eps_clipped, s)."""
    rng = np.random.default_rng(7)
    t, s, low, high = 400, 150, -2.0, 0.5
    a_t = SCHEDULE.alpha_bar[t]
    x0_clipped = np.array([high, low, high, low]).reshape(1, 2, 2, 1)  # every pixel on a bound
    eps_clipped = rng.normal(size=x0_clipped.shape)
    x_t = SCHEDULE.q_sample(x0_clipped, eps_clipped, t)
    # a predicted noise 0.5 off puts x0 0.5 sqrt(1 - a_t) / sqrt(a_t) beyond the bound
    eps = eps_clipped - 0.5 * np.sign(x0_clipped)
    beyond = (x_t - np.sqrt(1 - a_t) * eps) / np.sqrt(a_t) - x0_clipped
    assert np.all(np.abs(beyond) > 0.2) and np.all(np.sign(beyond) == np.sign(x0_clipped))
    x_s = SCHEDULE.ddim_step(x_t, eps, t, s, clip=(low, high))
    expected = SCHEDULE.q_sample(x0_clipped, eps_clipped, s)
    np.testing.assert_allclose(x_s, expected, rtol=1e-9, atol=1e-12)
    unclipped = SCHEDULE.ddim_step(x_t, eps, t, s)
    assert np.abs(unclipped - expected).min() > 0.1  # the clip changed the step


@pytest.mark.parametrize(("t", "s"), [(5, 5), (5, 6), (1001, 0), (5, -1)])
def test_ddim_step_only_goes_back_in_time_inside_the_schedule(t, s):
    x = np.zeros((1, 2, 2, 1))
    with pytest.raises(ValueError, match=rf"earlier s >= 0; got t={t}, s={s}$"):
        SCHEDULE.ddim_step(x, x, t, s)


def test_ddim_step_to_zero_and_from_T_are_allowed():
    x0, eps = _images(8)
    x_t = SCHEDULE.q_sample(x0, eps, 1000)
    np.testing.assert_allclose(SCHEDULE.ddim_step(x_t, eps, 1000, 0), x0, rtol=1e-9, atol=1e-9)
    x_1 = SCHEDULE.q_sample(x0, eps, 1)
    np.testing.assert_allclose(SCHEDULE.ddim_step(x_1, eps, 1, 0), x0, rtol=1e-9, atol=1e-12)
