"""Cosine noise schedule (Nichol & Dhariwal 2021), forward noising and the DDIM step.

With ``T`` diffusion steps the signal amplitude is ``sqrt(alpha_bar[t]) = cos(theta(t)) /
cos(theta(0))`` for ``t = 0 .. T``, the angle growing linearly from ``theta(0) = s / (1 + s) *
pi / 2``. Nichol & Dhariwal end at ``theta(T) = pi / 2`` (``alpha_bar[T] = 0``, with ``beta``
clipped to keep it finite); here it ends where the signal amplitude is ``min_signal`` (0.02 by
default, so ``alpha_bar[T] = 4e-4``), as Keras's DDIM example does. Sampling starts at ``t = T``
from pure noise, where the predicted clean image is ``(x_T - sqrt(1 - a) eps) / sqrt(a)``: a
tiny ``a`` would blow any error of the predicted noise up without bound. Forward noising draws
``x_t = sqrt(alpha_bar[t]) x_0 + sqrt(1 - alpha_bar[t]) eps``.

The DDIM update (Song, Meng & Ermon 2021, eq. 12) from step ``t`` to an earlier step ``s``,
given the predicted noise ``eps``::

    x0   = (x_t - sqrt(1 - a_t) eps) / sqrt(a_t)
    sig  = eta * sqrt((1 - a_s) / (1 - a_t)) * sqrt(1 - a_t / a_s)
    x_s  = sqrt(a_s) x0 + sqrt(1 - a_s - sig^2) eps + sig z

with ``a = alpha_bar``; ``eta = 0`` is deterministic. With the true noise it returns exactly the
forward-noised ``x_s`` of the same ``x_0`` and ``eps``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np


@dataclass(frozen=True)
class CosineSchedule:
    """``timesteps`` diffusion steps of the cosine schedule with offset ``offset``, ending at
    signal amplitude ``min_signal`` (0 gives Nichol & Dhariwal's end angle, pi / 2, without
    their clipping of ``beta`` at 0.999: ``alpha_bar[T]`` is then ~1e-33, not their ~2e-9)."""

    timesteps: int = 1000
    offset: float = 0.008
    min_signal: float = 0.02

    def __post_init__(self) -> None:
        if self.timesteps < 1:
            raise ValueError(f"timesteps must be >= 1, got {self.timesteps}")
        if not 0.0 <= self.min_signal < 1.0:
            raise ValueError(f"min_signal must be in [0, 1), got {self.min_signal}")

    @cached_property
    def alpha_bar(self) -> np.ndarray:
        """``alpha_bar[t]``, ``t = 0 .. T`` (float64; ``alpha_bar[0] = 1``)."""
        start = self.offset / (1 + self.offset) * np.pi / 2
        end = np.arccos(self.min_signal * np.cos(start))
        theta = start + (end - start) * np.arange(self.timesteps + 1) / self.timesteps
        return (np.cos(theta) / np.cos(start)) ** 2

    def q_sample(self, x0: np.ndarray, eps: np.ndarray, t: np.ndarray | int) -> np.ndarray:
        """Forward-noised ``x_t`` of images ``x0`` ``(N, ...)``, noise ``eps``, at steps ``t``."""
        a = _per_sample(self.alpha_bar[np.asarray(t)], np.ndim(x0))
        return (np.sqrt(a) * x0 + np.sqrt(1.0 - a) * eps).astype(np.asarray(x0).dtype)

    def sampling_steps(self, steps: int) -> np.ndarray:
        """``steps + 1`` decreasing steps from ``T`` to 0, evenly spaced (the DDIM sub-sequence)."""
        if not 1 <= steps <= self.timesteps:
            raise ValueError(f"DDIM steps must be in [1, {self.timesteps}], got {steps}")
        return np.rint(np.linspace(self.timesteps, 0, steps + 1)).astype(np.int64)

    def ddim_step(
        self,
        x_t: np.ndarray,
        eps: np.ndarray,
        t: int,
        s: int,
        *,
        eta: float = 0.0,
        noise: np.ndarray | None = None,
        clip: tuple[float, float] | None = None,
    ) -> np.ndarray:
        """One DDIM update of ``x_t`` from step ``t`` to ``s < t`` given predicted noise ``eps``.

        ``clip`` bounds the predicted clean image (its noise is then recomputed from it, so the
        step stays consistent); ``noise`` is the standard normal ``z`` used when ``eta > 0``.
        """
        if not 0 <= s < t <= self.timesteps:
            raise ValueError(f"a DDIM step goes from t to an earlier s >= 0; got t={t}, s={s}")
        a_t, a_s = self.alpha_bar[t], self.alpha_bar[s]
        x_t64, eps64 = np.asarray(x_t, np.float64), np.asarray(eps, np.float64)
        x0 = (x_t64 - np.sqrt(1.0 - a_t) * eps64) / np.sqrt(a_t)
        if clip is not None:
            x0 = np.clip(x0, *clip)
            eps64 = (x_t64 - np.sqrt(a_t) * x0) / np.sqrt(1.0 - a_t)
        sigma = eta * np.sqrt((1.0 - a_s) / (1.0 - a_t) * (1.0 - a_t / a_s))
        x_s = np.sqrt(a_s) * x0 + np.sqrt(max(1.0 - a_s - sigma**2, 0.0)) * eps64
        if sigma > 0:
            if noise is None:
                raise ValueError("eta > 0 needs the standard normal `noise` of the step")
            x_s = x_s + sigma * noise
        return x_s.astype(np.asarray(x_t).dtype)


def _per_sample(values: np.ndarray, ndim: int) -> np.ndarray:
    """Per-sample ``values`` ``(N,)`` (or a scalar) shaped to broadcast over ``(N, ...)``."""
    values = np.asarray(values, dtype=np.float64)
    return values.reshape(values.shape + (1,) * (ndim - values.ndim)) if values.ndim else values
