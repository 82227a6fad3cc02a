"""Diffusion model: cosine schedule, forward noising, DDIM step, denoiser and seeded sampling."""

from __future__ import annotations

from types import SimpleNamespace

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


class _StubDenoiser:
    """Stands in for the denoiser in ``sample_ddim``: records its inputs, predicts known noise.

    A real class ``c`` predicts :func:`_class_noise`, the null class ``n_classes`` predicts
    :func:`_null_noise`; any other id fails, as the class embedding's lookup would.
    """

    def __init__(self, image_shape: tuple[int, ...], n_classes: int, embedding_dim: int = 4):
        self.inputs = [
            SimpleNamespace(shape=(None, *image_shape)),
            SimpleNamespace(shape=(None, embedding_dim)),
        ]
        self.n_classes = n_classes
        self.calls: list[dict[str, np.ndarray]] = []

    def predict_on_batch(self, inputs):
        x_t, _, classes, signal, noise = (np.array(a) for a in inputs)
        classes = classes.reshape(-1)
        assert np.all((classes >= 0) & (classes <= self.n_classes)), classes
        self.calls.append({"x_t": x_t, "classes": classes, "signal": signal, "noise": noise})
        null = (classes == self.n_classes).reshape(-1, 1, 1, 1)
        return np.where(null, _null_noise(x_t), _class_noise(x_t, classes))


def _class_noise(x_t, classes):
    return (np.asarray(classes).reshape(-1, 1, 1, 1) + 1) / 4 + x_t / 8


def _null_noise(x_t):
    return -0.3 + x_t / 5


def _ddim_by_hand(x_t, eps, a_t, a_s, sigma=0.0):
    """The deterministic part of the DDIM step (Song et al. 2021, eq. 12) written out."""
    x0 = (x_t - np.sqrt(1 - a_t) * eps) / np.sqrt(a_t)
    return np.sqrt(a_s) * x0 + np.sqrt(1 - a_s - sigma**2) * eps


@pytest.mark.parametrize("guidance", [3.0, 1.0, 0.0, -0.5])
def test_sampling_applies_the_guided_noise_step_by_step(guidance):
    """Each step, checked on the maps the next step receives: eps = null + w (class - null)."""
    from sim2model.generative.diffusion import sample_ddim

    n_classes, labels = 3, np.array([0, 2, 1, 2, 0])
    net = _StubDenoiser((4, 4, 1), n_classes)
    schedule = CosineSchedule(timesteps=10)
    out = sample_ddim(
        net, schedule, labels, n_classes=n_classes, steps=2, guidance=guidance, seed=4,
        show_progress=False,
    )  # fmt: skip
    times = [10, 5, 0]
    assert len(net.calls) == 2
    a = schedule.alpha_bar
    for k, call in enumerate(net.calls):
        x_t = call["x_t"][: len(labels)]
        np.testing.assert_allclose(call["signal"], np.sqrt(a[times[k]]), rtol=1e-6)
        np.testing.assert_allclose(call["noise"], np.sqrt(1 - a[times[k]]), rtol=1e-6)
        cond, uncond = _class_noise(x_t, labels), _null_noise(x_t)
        eps = uncond + guidance * (cond - uncond)
        x_s = net.calls[k + 1]["x_t"][: len(labels)] if k + 1 < len(net.calls) else out
        np.testing.assert_allclose(
            x_s, _ddim_by_hand(x_t, eps, a[times[k]], a[times[k + 1]]), rtol=1e-5, atol=1e-5
        )


@pytest.mark.parametrize("n_classes", [1, 4])
def test_guidance_asks_the_null_class_for_the_unconditional_noise(n_classes):
    from sim2model.generative.diffusion import sample_ddim

    labels = np.arange(n_classes).repeat(2)
    net = _StubDenoiser((2, 2, 1), n_classes)
    kwargs = {"n_classes": n_classes, "steps": 3, "seed": 1, "show_progress": False}
    sample_ddim(net, CosineSchedule(timesteps=10), labels, guidance=2.0, **kwargs)
    for call in net.calls:  # one pass: the labels, then the same maps with the null class
        np.testing.assert_array_equal(
            call["classes"], np.r_[labels, np.full(len(labels), n_classes)]
        )
        np.testing.assert_array_equal(call["x_t"][: len(labels)], call["x_t"][len(labels) :])
    net.calls.clear()
    sample_ddim(net, CosineSchedule(timesteps=10), labels, guidance=1.0, **kwargs)
    for call in net.calls:  # plain conditional: no null class at all
        np.testing.assert_array_equal(call["classes"], labels)


@pytest.mark.parametrize("eta", [1.0, 0.5])
def test_stochastic_sampling_adds_the_ddim_variance(eta):
    """sigma_t^2 = eta^2 (1 - a_s) / (1 - a_t) (1 - a_t / a_s) of fresh standard normal noise."""
    from sim2model.generative.diffusion import sample_ddim

    labels = np.array([0, 1, 1, 0])
    net = _StubDenoiser((64, 64, 1), 2)
    schedule = CosineSchedule(timesteps=10)
    out = sample_ddim(
        net, schedule, labels, n_classes=2, steps=3, eta=eta, seed=5, show_progress=False
    )
    times, a = [10, 7, 3, 0], schedule.alpha_bar
    xs = [call["x_t"] for call in net.calls] + [out]
    z = []
    for k in range(3):
        a_t, a_s = a[times[k]], a[times[k + 1]]
        sigma = eta * np.sqrt((1 - a_s) / (1 - a_t) * (1 - a_t / a_s))
        mean = _ddim_by_hand(xs[k], _class_noise(xs[k], labels), a_t, a_s, sigma)
        if k == 2:  # the last step (to a_s = 1) has no variance: it lands on the clean image
            assert sigma == 0.0
            np.testing.assert_allclose(out, mean, rtol=1e-5, atol=1e-4)
            continue
        assert sigma > 0.2
        z.append(((xs[k + 1] - mean) / sigma).ravel())
        assert np.mean(z[-1]) == pytest.approx(0.0, abs=0.03)
        assert np.std(z[-1]) == pytest.approx(1.0, abs=0.03)
        assert abs(np.corrcoef(z[-1], xs[k].ravel())[0, 1]) < 0.03  # independent of x_t
    assert abs(np.corrcoef(z[0], z[1])[0, 1]) < 0.03  # fresh noise every step


@pytest.mark.slow  # ~10 s of graph tracing; the tiny pipeline trains the generator in `make test`
def test_training_lowers_the_noise_prediction_loss():
    """The loss on fixed noise must fall: a redrawn training loss falls even when nothing learns."""
    import keras

    from sim2model.generative.diffusion import network_inputs, train_denoiser

    rng = np.random.default_rng(3)
    labels = rng.integers(0, 2, 64)
    x = (labels[:, None, None, None] * 2.0 - 1.0 + 0.1 * rng.normal(size=(64, 8, 8, 1))).astype(
        np.float32
    )
    schedule = CosineSchedule(timesteps=100)
    # a fixed draw of steps and noise, 8 per validation map, independent of train_denoiser's
    x_eval, y_eval = np.repeat(x[:16], 8, axis=0), np.repeat(labels[:16], 8)
    t = rng.integers(1, 101, len(x_eval))
    eps = rng.standard_normal(x_eval.shape).astype(np.float32)
    inputs = network_inputs(schedule.q_sample(x_eval, eps, t), t, y_eval, schedule, 8)
    keras.utils.set_random_seed(0)
    net = build_denoiser((8, 8, 1), 2, base_filters=4, depth=1, embedding_dim=8)

    def fixed_loss() -> float:
        return float(np.mean((keras.ops.convert_to_numpy(net(inputs)) - eps) ** 2))

    before = fixed_loss()
    history = train_denoiser(
        net, x, labels, x[:16], labels[:16], schedule,
        n_classes=2, epochs=4, batch_size=16, learning_rate=1e-2, class_dropout=0.1, seed=0,
    )  # fmt: skip
    after = fixed_loss()
    assert list(history.columns) == ["epoch", "loss", "val_loss", "epoch_seconds"]
    assert (history["epoch_seconds"] > 0).all()
    assert after < 0.8 * before, (before, after)
    # train_denoiser's own validation draw is fixed too, so its loss falls every epoch
    val = history["val_loss"].to_numpy()
    assert np.all(np.diff(val) < 0) and val[-1] < 0.85 * val[0], val
