"""Radial Fourier spectra of 2D images and power-spectrum flattening.

Conventions (all with :mod:`numpy.fft`, images treated as periodic):

* Fourier coefficients are unnormalised, ``F(k) = sum_x f(x) exp(-2 pi i k.x / n)``, so the DC
  coefficient is the sum of the image.
* Wavenumbers are integers in cycles per image along each axis (``fftfreq(n) * n``, the Nyquist
  mode of an even axis counted as ``-n/2``) and ``|k| = sqrt(ky**2 + kx**2)``.
* Radial bin ``b`` holds the modes with ``b - 0.5 <= |k| < b + 0.5``, i.e. ``round(|k|)`` (``|k|``
  is never exactly half an integer, so rounding is unambiguous).
* Power is ``|F|**2 / (H * W)``: by Parseval its sum over all modes is the sum of squared pixels,
  and white noise of variance ``s**2`` has a flat spectrum of level ``s**2``.

Flattening (the reference's flattened-power-spectrum test) replaces every Fourier amplitude by the
class-averaged amplitude of its radial bin and keeps the phase, so images of different classes
share one power spectrum and only phase information tells them apart.
"""

from __future__ import annotations

import numpy as np

#: Images transformed at once, to bound the memory of the complex transforms.
CHUNK = 256


def _radial_bins(height: int, width: int, *, half: bool) -> np.ndarray:
    """Radial bin ``round(|k|)`` of every mode of the full (``half=False``) or rfft2 grid."""
    ky = np.fft.fftfreq(height) * height
    kx = np.fft.rfftfreq(width) * width if half else np.fft.fftfreq(width) * width
    return np.rint(np.hypot(ky[:, None], kx[None, :])).astype(np.int64)


def _rfft_weights(height: int, width: int) -> np.ndarray:
    """How often each rfft2 column stands in the full grid (1 for its own mirror, else 2)."""
    weights = np.full(width // 2 + 1, 2.0)
    weights[0] = 1.0
    if width % 2 == 0:
        weights[-1] = 1.0
    return np.broadcast_to(weights, (height, weights.size))


def _as_stack(images: np.ndarray, name: str, ndims: tuple[int, ...]) -> np.ndarray:
    """``images`` as an array of one of ``ndims`` dimensions; ``ValueError`` naming it otherwise."""
    images = np.asarray(images)
    if images.ndim not in ndims:
        shapes = " or ".join({2: "(H, W)", 3: "(N, H, W)", 4: "(N, H, W, C)"}[n] for n in ndims)
        raise ValueError(f"{name} must have shape {shapes}, got {images.shape}")
    return images


def radial_power_spectrum(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Azimuthally averaged power spectrum of periodic images ``(H, W)`` or ``(N, H, W)``.

    Returns the integer wavenumbers ``k = 1 .. min(H, W) // 2`` (cycles per image) and ``P(k)``,
    the mean of ``|F|**2 / (H * W)`` over the modes with ``k - 0.5 <= |k| < k + 0.5`` and over
    the images.
    """
    images = _as_stack(images, "images", (2, 3))
    stack = images.reshape((-1, *images.shape[-2:]))
    height, width = stack.shape[1:]
    bins = _radial_bins(height, width, half=False).ravel()
    power = np.zeros(height * width)
    for start in range(0, len(stack), CHUNK):
        spectrum = np.fft.fft2(stack[start : start + CHUNK].astype(np.float64))
        power += (np.abs(spectrum) ** 2).sum(axis=0).ravel()
    k = np.arange(1, min(height, width) // 2 + 1)
    sums = np.bincount(bins, weights=power)[k]
    counts = np.bincount(bins)[k]
    return k, sums / (counts * len(stack) * height * width)


def radial_amplitude_profile(images: np.ndarray) -> np.ndarray:
    """Mean Fourier amplitude ``|F|`` per radial bin ``round(|k|)`` of images ``(N, H, W[, C])``.

    Averaged over all modes of the bin, all images and all channels; entry 0 is the mean DC
    amplitude (``|sum of pixels|``). The last entry is the bin of the grid's corner mode.
    """
    images = _as_stack(images, "images", (3, 4))
    stack = images if images.ndim == 3 else np.moveaxis(images, -1, 1)
    stack = stack.reshape((-1, *images.shape[1:3]))
    height, width = stack.shape[1:]
    bins = _radial_bins(height, width, half=True).ravel()
    weights = _rfft_weights(height, width).ravel()
    amplitude = np.zeros(bins.size)
    for start in range(0, len(stack), CHUNK):
        spectrum = np.fft.rfft2(stack[start : start + CHUNK].astype(np.float64))
        amplitude += np.abs(spectrum).sum(axis=0).ravel()
    sums = np.bincount(bins, weights=amplitude * weights)
    return sums / (np.bincount(bins, weights=weights) * len(stack))


def flatten_spectrum(images: np.ndarray, profile: np.ndarray) -> np.ndarray:
    """Give every image ``(N, H, W[, C])`` the Fourier amplitudes ``profile[round(|k|)]``.

    Phases are kept (a mode of zero amplitude gets phase 0); every channel is flattened with the
    same profile. Returns real images of the input's shape and dtype. ``profile`` is typically
    :func:`radial_amplitude_profile` of the training set.
    """
    images = _as_stack(images, "images", (3, 4))
    if not np.issubdtype(images.dtype, np.floating):
        raise ValueError(f"images must be floating point to be flattened, got {images.dtype}")
    profile = np.asarray(profile, dtype=np.float64)
    height, width = images.shape[1:3]
    bins = _radial_bins(height, width, half=True)
    if profile.ndim != 1 or profile.size <= bins.max():
        raise ValueError(
            f"profile must be 1-D with at least {bins.max() + 1} radial bins for "
            f"{height}x{width} images, got shape {profile.shape}"
        )
    if not np.all(np.isfinite(profile)) or np.any(profile < 0):
        raise ValueError("profile amplitudes must be finite and >= 0")
    target = profile[bins][..., None] if images.ndim == 4 else profile[bins]
    out = np.empty_like(images)
    for start in range(0, len(images), CHUNK):
        chunk = images[start : start + CHUNK].astype(np.float64)
        spectrum = np.fft.rfft2(chunk, axes=(1, 2))
        amplitude = np.abs(spectrum)
        phase = np.divide(spectrum, amplitude, out=np.ones_like(spectrum), where=amplitude > 0)
        out[start : start + CHUNK] = np.fft.irfft2(phase * target, s=(height, width), axes=(1, 2))
    return out
