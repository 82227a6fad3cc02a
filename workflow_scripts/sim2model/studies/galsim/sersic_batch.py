"""Batched NumPy renderer of the GalSim study's galaxies, validated against GalSim.

It draws the model of :func:`sim2model.studies.galsim.galaxies.render_noiseless` (a Sérsic galaxy of
flux, index n, half-light radius r and reduced shear g1/g2, convolved with a Moffat beta=2 PSF and
the pixel, centred as GalSim centres an even stamp) for many galaxies at once, the way GalSim's
``drawImage`` does: each pixel is the inverse Fourier sum, at its centre, of the product of the
three transforms sampled on the k lattice GalSim picks for that galaxy.

* Sérsic: the transform of the unit-flux, unit-half-light-radius profile (untruncated, GalSim's
  default) is computed once per grid value of n by FFTLog and tabulated against ``q = k**2`` with
  ``2**bins_log2`` linear bins per octave, so a lookup needs only the bits of a float32. A
  galaxy's transform at k is the table's at ``q = |r S k|**2`` (S: GalSim's shear matrix).
* PSF and pixel: GalSim's untruncated Moffat, ``x K1(x)`` with ``x = |k| r_d`` for beta=2, times
  ``sinc(kx s / 2 pi) sinc(ky s / 2 pi)``.
* Lattice: GalSim's FFT size N (its ``stepk`` rule, with the half-pixel offset and the pixel) sets
  the period ``N s`` with which the wings fold back onto the stamp, and the PSF's ``maxk`` the
  square of k that is summed. Galaxies whose N exceeds the smallest size ``M`` (128 for a 64 px
  stamp) are split by the window ``W = exp(-(k / k_c)**8)``: the smooth, extended part (times W)
  is summed on their own lattice inside ``|k| < 1.45 k_c``, the compact rest (times 1 - W) on the
  M lattice shared by all galaxies, so the cost does not grow as ``N**2``.
* The inverse transform is a direct sum at the pixel centres (cosine and sine halves, using the
  galaxies' point symmetry) done as float32 matrix products.

Per-n tables are cached on disk by :func:`load_tables`. Against GalSim's ``drawImage``
(tests/test_sersic_batch.py) stamps over the prior agree to a few 1e-5 of the peak and within
6e-5 in flux; that flux residual is GalSim's own Sérsic-table error (with
``kvalue_accuracy=1e-9`` GalSim agrees to ~1e-7).
"""

from __future__ import annotations

import hashlib
import math
import os
from dataclasses import asdict, dataclass, field
from functools import cache, lru_cache
from pathlib import Path

import galsim
import numpy as np
from scipy import special
from scipy.interpolate import CubicSpline

from sim2model.studies.galsim.prior import GalaxyPrior

TABLE_FORMAT = 1  # bump when the meaning of the stored tables changes
MOFFAT_BETA = 2.0
WINDOW_POWER = 8  # W(k) = exp(-(k / k_c)**8): 1 - W vanishes to 8th order at k = 0
WINDOW_REACH = 1.45  # W < 1e-8 beyond 1.45 k_c
WINDOW_KC_TIMES_D = 50.0  # k_c * D, D: distance from the stamp to the M lattice's first fold
CHUNK = 32  # galaxies evaluated together: keeps the (chunk, k points) arrays in cache


@dataclass(frozen=True)
class TableSettings:
    """Accuracy settings of the Sérsic tables (all part of the cache key).

    ``q = (k r)**2`` (r: half-light radius) is tabulated on ``[2**q_min_log2, 2**q_max_log2]``
    with ``2**bins_log2`` linear bins per octave, from an FFTLog transform of ``fftlog_points``
    samples spanning ``ln r`` in ``[-fftlog_half_range, fftlog_half_range]``.
    """

    bins_log2: int = 6
    q_min_log2: int = -30
    q_max_log2: int = 16
    fftlog_points: int = 2**14
    fftlog_half_range: float = 35.0

    @property
    def shift(self) -> int:
        """Bits of a float32 mantissa below the bin index."""
        return 23 - self.bins_log2

    @property
    def n_bins(self) -> int:
        return (self.q_max_log2 - self.q_min_log2) << self.bins_log2

    @property
    def lowest_bits(self) -> int:
        """float32 bit pattern of ``2**q_min_log2``."""
        return (self.q_min_log2 + 127) << 23

    def edges(self) -> np.ndarray:
        """The ``n_bins + 1`` bin edges in q (float32 numbers, as float64)."""
        bits = self.lowest_bits + (np.arange(self.n_bins + 1, dtype=np.int64) << self.shift)
        return bits.astype(np.int32).view(np.float32).astype(np.float64)


@dataclass(frozen=True)
class SersicTables:
    """Per-n Sérsic transforms at the q bin edges, and GalSim's ``stepk`` of each unit profile.

    ``values[i, j]`` is the transform of the unit-flux, unit-half-light-radius profile of index
    ``n_values[i]`` at ``k = sqrt(edges[j])``. ``from_cache`` tells whether they came from disk.
    """

    n_values: np.ndarray
    values: np.ndarray
    stepk: np.ndarray
    settings: TableSettings
    from_cache: bool = False
    lookup: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        values = np.asarray(self.values, dtype=np.float32)
        # value and slope (per unit of the mantissa's low bits) of each bin side by side, so that
        # one gather of a complex64 fetches both
        pairs = np.empty((values.shape[0], values.shape[1] - 1, 2), dtype=np.float32)
        pairs[..., 0] = values[:, :-1]
        pairs[..., 1] = np.diff(values, axis=1) * np.float32(2.0**-self.settings.shift)
        object.__setattr__(self, "lookup", pairs.reshape(-1).view(np.complex64))

    def rows(self, n: np.ndarray) -> np.ndarray:
        """Table row of each Sérsic index; raises if an index is not in the grid."""
        n = np.asarray(n, dtype=np.float64)
        grid = self.n_values
        right = np.clip(np.searchsorted(grid, n), 0, grid.size - 1)
        left = np.maximum(right - 1, 0)
        rows = np.where(np.abs(grid[left] - n) <= np.abs(grid[right] - n), left, right)
        missing = np.abs(grid[rows] - n) > 1e-9
        if np.any(missing):
            raise ValueError(f"Sérsic index {n[missing][0]} is not in the tables' n grid")
        return rows


def sersic_hankel(n: float, settings: TableSettings) -> tuple[np.ndarray, np.ndarray]:
    """``(ln k, F(k))``: transform of the unit-flux, unit-half-light-radius Sérsic profile.

    FFTLog with bias 1 (Hamilton 2000): ``k F(k) = 2 pi int a(rho) K(ln k + rho) d rho`` with
    ``a = r I(r)``, ``rho = ln r`` and ``K(s) = e**s J0(e**s)``, whose Fourier transform
    ``2**(i w) Gamma((1 + i w) / 2) / Gamma((1 - i w) / 2)`` is a pure phase.
    """
    b = special.gammaincinv(2 * n, 0.5)  # exp(-b r**(1/n)) has half-light radius 1
    size, half = settings.fftlog_points, settings.fftlog_half_range
    step = 2 * half / size
    rho = -half + step * np.arange(size)
    log_norm = 2 * n * np.log(b) - np.log(2 * np.pi * n) - special.gammaln(2 * n)
    coef = np.fft.rfft(np.exp(log_norm - b * np.exp(rho / n) + rho)) / size
    omega = 2 * np.pi * np.arange(coef.size) / (size * step)
    s = 1.0 + 1j * omega
    kernel = np.exp((s - 1) * np.log(2.0) + special.loggamma(s / 2) - special.loggamma(1 - s / 2))
    log_k = -rho[::-1]  # k_j r_(size-1-j) = 1
    terms = coef * kernel * np.exp(-1j * omega * (log_k[0] + rho[0]))
    terms[-1] = terms[-1].real
    k_transform = size * np.fft.irfft(np.conj(terms), n=size)
    return log_k, 2 * np.pi * k_transform / np.exp(log_k)


def build_tables(n_values: np.ndarray, settings: TableSettings | None = None) -> SersicTables:
    """Compute the tables for ``n_values`` (strictly increasing; ~3 ms per value)."""
    settings = settings or TableSettings()
    n_values = np.asarray(n_values, dtype=np.float64)
    if n_values.ndim != 1 or n_values.size == 0 or np.any(np.diff(n_values) <= 0):
        raise ValueError("n_values must be a non-empty, strictly increasing 1-d array")
    log_k = 0.5 * np.log(settings.edges())
    values = np.empty((n_values.size, log_k.size), dtype=np.float32)
    stepk = np.empty(n_values.size)
    for i, n in enumerate(n_values):
        values[i] = CubicSpline(*sersic_hankel(float(n), settings))(log_k)
        stepk[i] = galsim.Sersic(float(n), half_light_radius=1.0).stepk  # cheap: no k table
    return SersicTables(n_values, values, stepk, settings)


def table_key(n_values: np.ndarray, settings: TableSettings) -> str:
    """Cache key: a hash of the n grid, the settings and the table format."""
    digest = hashlib.sha256(np.ascontiguousarray(n_values, dtype=np.float64).tobytes())
    digest.update(repr((TABLE_FORMAT, sorted(asdict(settings).items()))).encode())
    return digest.hexdigest()[:20]


def load_tables(
    n_values: np.ndarray, cache_dir: str | os.PathLike, settings: TableSettings | None = None
) -> SersicTables:
    """The tables for ``n_values``: read from ``cache_dir``, or built and saved there."""
    settings = settings or TableSettings()
    n_values = np.asarray(n_values, dtype=np.float64)
    path = Path(cache_dir) / f"sersic_tables_{table_key(n_values, settings)}.npz"
    if path.exists():
        with np.load(path) as stored:
            return SersicTables(
                stored["n_values"], stored["values"], stored["stepk"], settings, from_cache=True
            )
    tables = build_tables(n_values, settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.stem}.{os.getpid()}.partial.npz")
    np.savez(partial, n_values=n_values, values=tables.values, stepk=tables.stepk)
    os.replace(partial, path)  # atomic: concurrent builders leave one complete file
    return tables


def _jacobian(params: np.ndarray) -> tuple[np.ndarray, ...]:
    """Entries (a, b, d) of GalSim's symmetric ``r * shear matrix``, its major and minor scale."""
    r, g1, g2 = params[:, 2], params[:, 3], params[:, 4]
    root = np.sqrt(1.0 - np.abs(g1 + 1j * g2) ** 2)
    a, b, d = (1.0 + g1) / root * r, g2 / root * r, (1.0 - g1) / root * r
    h1, h2 = np.hypot(a + d, 0.0), np.hypot(a - d, b + b)  # as GalSim's Transformation
    return a, b, d, 0.5 * np.abs(h1 + h2), 0.5 * np.abs(h1 - h2)


@lru_cache(maxsize=64)
def _moffat(fwhm: float) -> galsim.Moffat:
    return galsim.Moffat(beta=MOFFAT_BETA, fwhm=fwhm)


@cache
def _good_fft_size(n: int) -> int:
    return galsim.Image.good_fft_size(n)


def _min_fft_size(stamp_size: int) -> int:
    """GalSim's smallest FFT size for the stamp: ``M``, the lattice all galaxies share."""
    return max(_good_fft_size(stamp_size), galsim.GSParams().minimum_fft_size)


def fft_sizes(
    params: np.ndarray, psf_fwhm: np.ndarray | float, prior: GalaxyPrior, tables: SersicTables
) -> np.ndarray:
    """GalSim's FFT size N for each galaxy (the rule of ``drawImage``, in pixel units)."""
    params = np.atleast_2d(params)
    fwhm = np.broadcast_to(np.asarray(psf_fwhm, dtype=np.float64), params.shape[:1])
    *_, major, _ = _jacobian(params)
    stepk_gal = tables.stepk[tables.rows(params[:, 1])] / major
    stepk_psf = np.array([_moffat(float(f)).stepk for f in fwhm])
    stepk = (stepk_gal**-2 + stepk_psf**-2) ** -0.5 / (1.0 / prior.pixel_scale)
    stepk = math.pi / (math.pi / stepk + math.hypot(-0.5, -0.5))  # the half-pixel offset
    stepk = (stepk**-2 + math.pi**-2) ** -0.5  # the pixel
    sizes = np.ceil(2 * math.pi / stepk * (1.0 - 1e-12)).astype(np.int64)
    sizes = np.maximum(2 * ((sizes + 1) // 2), prior.stamp_size)
    smallest = _min_fft_size(prior.stamp_size)
    return np.array([max(_good_fft_size(int(size)), smallest) for size in sizes])


@dataclass(frozen=True)
class _FftPlan:
    """A k region of one lattice, shared by the galaxies drawn on it.

    The region is ``ix in [0, h]``, ``iy in [-h, h]``, a half plane (each k stands for -k too).
    ``basis`` holds ``kx**2, 2 kx ky, ky**2`` per point; ``weight`` the PSF and pixel transforms
    times the window, the mirror factor and ``1 / N**2``; ``cos_*``/``sin_*`` map kx and ky >= 0
    to the pixel centres right of / above the stamp's centre.
    """

    h: int
    basis: np.ndarray
    weight: np.ndarray
    cos_x: np.ndarray
    sin_x: np.ndarray
    cos_y: np.ndarray
    sin_y: np.ndarray


@lru_cache(maxsize=32)
def _fft_plan(
    fwhm: float, n_fft: int, half_width: float, window: str, k_c: float, stamp: int, scale: float
) -> _FftPlan:
    """FFT plan of ``|kx|, |ky| <= half_width`` on the lattice of period ``n_fft`` pixels.

    ``window``: "all" (the whole transform), "low" (times W) or "high" (times 1 - W).
    """
    dk = 2 * math.pi / (n_fft * scale)
    h = int(math.floor(half_width / dk + 1e-9))
    k_pos, k_all = dk * np.arange(h + 1), dk * np.arange(-h, h + 1)
    kx, ky = np.meshgrid(k_pos, k_all, indexing="ij")
    k = np.hypot(kx, ky)
    x = k * _moffat(fwhm).scale_radius
    moffat = np.ones_like(x)
    moffat[x > 0] = x[x > 0] * special.k1(x[x > 0])
    pixel = np.sinc(kx * scale / (2 * math.pi)) * np.sinc(ky * scale / (2 * math.pi))
    weight = moffat * pixel / n_fft**2
    weight[1:] *= 2.0  # kx > 0 stands for -k too; the kx = 0 column holds both signs of ky
    if window != "all":
        low = np.exp(-((k / k_c) ** WINDOW_POWER))
        weight *= low if window == "low" else 1.0 - low
    pos = scale * (np.arange(stamp // 2) + 0.5)
    return _FftPlan(
        h=h,
        basis=np.stack([kx**2, 2 * kx * ky, ky**2]).reshape(3, -1).astype(np.float32),
        weight=weight.reshape(1, -1).astype(np.float32),
        cos_x=np.cos(np.outer(pos, k_pos)).astype(np.float32),
        sin_x=np.sin(np.outer(pos, k_pos)).astype(np.float32),
        cos_y=np.cos(np.outer(k_pos, pos)).astype(np.float32),
        sin_y=np.sin(np.outer(k_pos, pos)).astype(np.float32),
    )


def _sersic(q: np.ndarray, rows: np.ndarray, tables: SersicTables) -> np.ndarray:
    """Unit Sérsic transforms at ``q`` (float32 (B, P), overwritten) from table ``rows``."""
    settings = tables.settings
    bits = q.view(np.int32)
    lowest = settings.lowest_bits
    np.clip(bits, lowest, lowest + (settings.n_bins << settings.shift) - 1, out=bits)
    bits -= lowest
    index = bits >> settings.shift
    index += (rows * settings.n_bins).astype(np.int32)[:, None]
    bits &= (1 << settings.shift) - 1
    values = bits.astype(np.float32)
    pairs = tables.lookup.take(index)
    values *= pairs.imag
    values += pairs.real
    return values


def _draw(
    fft_plan: _FftPlan, shape: np.ndarray, rows: np.ndarray, tables: SersicTables, size: int
) -> np.ndarray:
    """The FFT plan's part of unit-flux stamps ``(B, size, size)`` (float32)."""
    h, half = fft_plan.h, size // 2
    values = _sersic(shape.astype(np.float32) @ fft_plan.basis, rows, tables)
    values *= fft_plan.weight
    values = values.reshape(-1, h + 1, 2 * h + 1)
    upper, lower = values[:, :, h:], values[:, :, h::-1]
    even, odd = upper + lower, upper - lower  # ky >= 0: cos and sin parts
    even[:, :, 0] *= 0.5
    # sum at (x, y) > 0: C = sum cos(kx x) even cos(ky y), S = sum sin(kx x) odd sin(ky y)
    c = fft_plan.cos_x @ (even.reshape(-1, h + 1) @ fft_plan.cos_y).reshape(-1, h + 1, half)
    s = fft_plan.sin_x @ (odd.reshape(-1, h + 1) @ fft_plan.sin_y).reshape(-1, h + 1, half)
    c, s = c.transpose(0, 2, 1), s.transpose(0, 2, 1)  # (B, y, x)
    out = np.empty((shape.shape[0], size, size), dtype=np.float32)
    out[:, half:, half:] = c - s  # image(x, y) = C(|x|, |y|) - sign(x y) S(|x|, |y|)
    out[:, half:, :half] = (c + s)[:, :, ::-1]
    out[:, :half, half:] = (c + s)[:, ::-1, :]
    out[:, :half, :half] = (c - s)[:, ::-1, ::-1]
    return out


def render_batch(
    params: np.ndarray, psf_fwhm: np.ndarray | float, prior: GalaxyPrior, tables: SersicTables
) -> np.ndarray:
    """Noiseless stamps ``(B, size, size)`` float64 for ``params`` (B, 5) in TARGET_NAMES order.

    ``psf_fwhm`` is a scalar or ``(B,)``; every n must be in ``tables.n_values``. Sums run in
    float32. Each distinct FWHM costs a setup of a few ms (cached for the last few).
    """
    params = np.atleast_2d(np.asarray(params, dtype=np.float64))
    if params.ndim != 2 or params.shape[1] != 5:
        raise ValueError(f"params must have shape (B, 5), got {params.shape}")
    if np.any(params[:, 2] <= 0) or np.any(np.hypot(params[:, 3], params[:, 4]) >= 1):
        raise ValueError("half-light radii must be positive and shears |g| < 1")
    fwhm = np.broadcast_to(np.asarray(psf_fwhm, dtype=np.float64), params.shape[:1])
    size, scale = prior.stamp_size, prior.pixel_scale
    if size % 2:
        raise ValueError("render_batch draws even-sized stamps only")
    rows = tables.rows(params[:, 1])
    n_fft = fft_sizes(params, fwhm, prior, tables)
    shared = _min_fft_size(size)
    a, b, d, *_ = _jacobian(params)
    # q = |J k|**2, J = [[a, b], [b, d]]: (a^2 + b^2) kx^2 + b (a + d) 2 kx ky + (b^2 + d^2) ky^2
    shape = np.stack([a * a + b * b, b * (a + d), b * b + d * d], axis=1)
    k_c = WINDOW_KC_TIMES_D / ((shared - size / 2) * scale)
    dk = 2 * math.pi / (shared * scale)
    out = np.zeros((params.shape[0], size, size))

    def add(fft_plan: _FftPlan, chosen: np.ndarray) -> None:
        for start in range(0, chosen.size, CHUNK):
            idx = chosen[start : start + CHUNK]
            out[idx] += _draw(fft_plan, shape[idx], rows[idx], tables, size)

    for f in np.unique(fwhm):
        # GalSim sums the square |kx|, |ky| <= max(Nyquist, maxk rounded up to the lattice)
        half_width = max(math.pi / scale, math.ceil(_moffat(float(f)).maxk / dk) * dk)
        whole = np.flatnonzero((fwhm == f) & (n_fft == shared))
        if whole.size:
            add(_fft_plan(float(f), shared, half_width, "all", k_c, size, scale), whole)
        split = np.flatnonzero((fwhm == f) & (n_fft > shared))
        if split.size:
            add(_fft_plan(float(f), shared, half_width, "high", k_c, size, scale), split)
        for n in np.unique(n_fft[split]):
            low = _fft_plan(float(f), int(n), WINDOW_REACH * k_c, "low", k_c, size, scale)
            add(low, split[n_fft[split] == n])
    return out * params[:, 0, None, None]
