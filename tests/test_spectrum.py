"""Radial power spectra, amplitude profiles and power-spectrum flattening."""

from __future__ import annotations

import numpy as np
import pytest

from sim2model.data.spectrum import (
    flatten_spectrum,
    radial_amplitude_profile,
    radial_power_spectrum,
)


def _wavenumbers(n: int) -> np.ndarray:
    """Signed integer wavenumbers of the FFT order: 0, 1, .., then negative ones."""
    i = np.arange(n)
    return np.where(i <= (n - 1) // 2, i, i - n)


def _modulus(h: int, w: int) -> np.ndarray:
    """``|k|`` of every mode of the full ``(h, w)`` FFT grid."""
    ky, kx = np.meshgrid(_wavenumbers(h), _wavenumbers(w), indexing="ij")
    return np.sqrt(ky**2 + kx**2)


def _annulus_count(h: int, w: int, k: int) -> int:
    """Modes with ``k - 0.5 <= |k| < k + 0.5``, counted by brute force."""
    return sum(
        k - 0.5 <= np.hypot(a, b) < k + 0.5 for a in _wavenumbers(h) for b in _wavenumbers(w)
    )


@pytest.mark.parametrize(("h", "w", "k0", "along"), [(32, 32, 5, "x"), (32, 48, 6, "y")])
def test_cosine_puts_all_power_in_its_bin(h, w, k0, along):
    y, x = np.mgrid[0:h, 0:w]
    image = np.cos(2 * np.pi * k0 * (x / w if along == "x" else y / h))
    k, power = radial_power_spectrum(image)
    np.testing.assert_array_equal(k, np.arange(1, min(h, w) // 2 + 1))
    # two modes of |F| = h w / 2 each, power |F|^2 / (h w), averaged over the annulus
    expected = np.zeros(k.size)
    expected[k0 - 1] = 2 * (h * w / 2) ** 2 / (h * w) / _annulus_count(h, w, k0)
    np.testing.assert_allclose(power, expected, rtol=1e-12, atol=1e-9)


def test_parseval_for_band_limited_images():
    h, w, n = 24, 30, 4
    rng = np.random.default_rng(3)
    spectrum = np.fft.fft2(rng.normal(size=(n, h, w)))
    modulus = _modulus(h, w)
    spectrum[:, (modulus < 0.5) | (modulus >= min(h, w) // 2 + 0.5)] = 0  # no DC, no corners
    images = np.fft.ifft2(spectrum).real
    k, power = radial_power_spectrum(images)
    counts = np.array([_annulus_count(h, w, b) for b in k])
    np.testing.assert_allclose((power * counts).sum(), (images**2).sum() / n, rtol=1e-10)


def test_white_noise_spectrum_is_flat_at_the_variance():
    sigma = 2.5
    images = np.random.default_rng(7).normal(0, sigma, size=(40, 64, 64))
    k, power = radial_power_spectrum(images)
    assert k.size == 32
    np.testing.assert_allclose(power, sigma**2, rtol=0.3)
    np.testing.assert_allclose(power.mean(), sigma**2, rtol=0.02)


def test_amplitude_profile_matches_full_grid_average():
    h, w = 16, 21
    rng = np.random.default_rng(11)
    images = rng.gamma(2.0, size=(3, h, w, 2)).astype(np.float32)
    profile = radial_amplitude_profile(images)
    bins = np.rint(_modulus(h, w)).astype(int)
    amplitude = np.abs(np.fft.fft2(images.astype(np.float64), axes=(1, 2)))  # (N, h, w, C)
    assert profile.size == bins.max() + 1
    for b in range(profile.size):
        np.testing.assert_allclose(profile[b], amplitude[:, bins == b, :].mean(), rtol=1e-10)
    np.testing.assert_allclose(profile[0], np.abs(images.sum(axis=(1, 2))).mean(), rtol=1e-6)


def test_amplitude_profile_of_constant_and_cosine():
    n = 20
    constant = np.full((2, n, n), 3.0)
    np.testing.assert_allclose(radial_amplitude_profile(constant)[0], 3.0 * n * n)
    np.testing.assert_allclose(radial_amplitude_profile(constant)[1:], 0, atol=1e-9)
    cosine = np.cos(2 * np.pi * 4 * np.arange(n) / n)[None, :] * np.ones((n, 1))
    profile = radial_amplitude_profile(cosine[None])
    np.testing.assert_allclose(profile[4], 2 * (n * n / 2) / _annulus_count(n, n, 4))
    np.testing.assert_allclose(np.delete(profile, 4), 0, atol=1e-9)


def _two_spectra(h: int, w: int, seed: int) -> np.ndarray:
    """A white-noise image and a red-noise image (steep power law), both ``(h, w)``."""
    rng = np.random.default_rng(seed)
    white = rng.normal(size=(h, w))
    modulus = _modulus(h, w)
    red = np.fft.ifft2(np.fft.fft2(rng.normal(size=(h, w))) / np.maximum(modulus, 1) ** 2).real
    return np.stack([white, 5 * red + 1])


def test_flatten_keeps_phases_and_sets_amplitudes_to_the_profile():
    h, w = 32, 26
    images = _two_spectra(h, w, seed=5)
    profile = radial_amplitude_profile(images)
    flat = flatten_spectrum(images, profile)
    assert flat.shape == images.shape and flat.dtype == images.dtype
    before, after = np.fft.fft2(images), np.fft.fft2(flat)
    bins = np.rint(_modulus(h, w)).astype(int)
    np.testing.assert_allclose(
        np.abs(after), np.broadcast_to(profile[bins], after.shape), rtol=1e-9
    )
    shown = np.abs(before) > 1e-6 * np.abs(before).max()
    assert shown.mean() > 0.99
    unit_before = before[shown] / np.abs(before[shown])
    unit_after = after[shown] / np.abs(after[shown])
    np.testing.assert_allclose(unit_after, unit_before, atol=1e-9)


def test_flattened_images_share_one_power_spectrum():
    images = _two_spectra(48, 48, seed=9)
    _, white = radial_power_spectrum(images[0])
    _, red = radial_power_spectrum(images[1])
    assert np.max(white / red) > 100  # very different spectra before
    flat = flatten_spectrum(images, radial_amplitude_profile(images))
    _, white = radial_power_spectrum(flat[0])
    _, red = radial_power_spectrum(flat[1])
    np.testing.assert_allclose(white, red, rtol=1e-6)


def test_flatten_channels_float32():
    rng = np.random.default_rng(2)
    images = rng.normal(size=(3, 20, 20, 2)).astype(np.float32)
    profile = radial_amplitude_profile(images)
    flat = flatten_spectrum(images, profile)
    assert flat.shape == images.shape and flat.dtype == np.float32
    bins = np.rint(_modulus(20, 20)).astype(int)
    amplitude = np.abs(np.fft.fft2(flat.astype(np.float64), axes=(1, 2)))
    expected = np.broadcast_to(profile[bins][None, :, :, None], amplitude.shape)
    np.testing.assert_allclose(amplitude, expected, rtol=1e-4, atol=1e-4 * profile.max())


def test_flatten_rejects_bad_inputs():
    images = np.zeros((2, 16, 16))
    with pytest.raises(ValueError, match="at least 12 radial bins"):
        flatten_spectrum(images, np.ones(5))
    with pytest.raises(ValueError, match="floating point"):
        flatten_spectrum(images.astype(int), np.ones(12))
    with pytest.raises(ValueError, match=r"\(N, H, W\)"):
        flatten_spectrum(images[0], np.ones(12))
    with pytest.raises(ValueError, match=r"\(H, W\) or \(N, H, W\)"):
        radial_power_spectrum(np.zeros((1, 2, 3, 4)))
