"""Built-in semi-numerical reionization simulator: density, neutral fraction and 21-cm boxes.

Method (21cmFAST-like excursion set, numpy/scipy only):

* **Density.** A Gaussian random field with the linear matter power spectrum of a flat LCDM
  cosmology (Planck 2018 parameters, Eisenstein & Hu 1998 no-wiggle transfer function,
  normalised to ``sigma8``) on an ``N^3`` periodic grid of side ``L`` comoving Mpc, drawn from
  ``np.random.default_rng(seed)`` at z = 0 and grown linearly with D(z) (normalised to
  D(0) = 1). One seed gives one box, the same at every redshift. The field is linear and
  Gaussian, so rare cells have ``delta < -1``.
* **Ionisation.** The z = 0 field is smoothed with the real-space spherical top-hat (its Fourier
  window ``3 (sin x - x cos x) / x^3``) on radii from ``min(r_max_mpc, L/2)`` down, by factors
  of ``r_step``, to the radius of a sphere of one cell's volume. At each radius the extended
  Press-Schechter collapsed fraction is
  ``f_coll = erfc((delta_c - delta_R) / sqrt(2 (sigma_min^2 - sigma_R^2)))`` with ``delta_R``
  and the analytic top-hat ``sigma_R`` grown to z, and ``sigma_min`` the rms of the minimum halo
  mass, which comes from the virial temperature ``t_vir`` (Barkana & Loeb 2001, eq. 26, mean
  molecular weight 0.6: atomic-cooling haloes). A cell is ionised (xHI = 0) when
  ``zeta * f_coll(R) >= 1`` at any R, otherwise fully neutral (xHI = 1): centre-only flagging,
  no sub-cell partial ionisation. As the condition is ``max_R f_coll(R) >= 1 / zeta``, the
  maximum over radii is computed once per (box, redshift) and every zeta, including each
  bisection step of :func:`zeta_for_xhi`, costs one comparison over the grid.
* **21-cm signal.** ``Tb = 27 mK * xHI * (1 + delta) * sqrt((1 + z) / 10)``, with ``1 + delta``
  clipped at 0; no spin-temperature, velocity or cosmology-prefactor terms.

Boxes are float32 of shape ``(N, N, N)``, indexed ``[x, y, z]`` with the line of sight along the
last axis. Speed on one core: about 0.1 s per redshift for 64^3 and 1 s for 128^3.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import scipy.fft
from scipy.integrate import quad
from scipy.special import erfc

RHO_CRIT_H2 = 2.775e11  # critical density today / h^2 [Msun Mpc^-3]
MU_ATOMIC = 0.6  # mean molecular weight of the gas in atomic-cooling haloes
TB0_MK = 27.0  # 21-cm brightness temperature of neutral gas at mean density, z = 9 [mK]


@dataclass(frozen=True)
class Cosmology:
    """Flat LCDM parameters (defaults: Planck 2018 TT,TE,EE+lowE+lensing+BAO)."""

    omega_m: float = 0.3111
    omega_b: float = 0.0490
    h: float = 0.6766
    n_s: float = 0.9665
    sigma8: float = 0.8102
    t_cmb: float = 2.7255


@dataclass(frozen=True)
class SimConfig:
    """Grid and astrophysics of the simulator.

    ``n`` cells of ``box_mpc / n`` comoving Mpc per side; smoothing radii from ``r_max_mpc``
    (capped at half the box) down by factors ``r_step``; ``t_vir`` [K] sets the minimum halo
    mass; ``delta_c`` is the linear collapse threshold.
    """

    n: int = 64
    box_mpc: float = 96.0
    r_max_mpc: float = 30.0
    r_step: float = 1.1
    t_vir: float = 1e4
    delta_c: float = 1.686
    cosmology: Cosmology = field(default_factory=Cosmology)

    def __post_init__(self) -> None:
        if self.n < 4 or self.box_mpc <= 0 or self.r_step <= 1 or self.t_vir <= 0:
            raise ValueError(f"SimConfig: need n >= 4, box_mpc > 0, r_step > 1, t_vir > 0: {self}")

    @property
    def cell_mpc(self) -> float:
        return self.box_mpc / self.n

    def radii(self) -> np.ndarray:
        """Smoothing radii [Mpc], largest first, ending at the sphere of one cell's volume."""
        r_cell = self.cell_mpc * (3 / (4 * np.pi)) ** (1 / 3)
        r_max = max(min(self.r_max_mpc, self.box_mpc / 2), r_cell)
        steps = int(np.floor(np.log(r_max / r_cell) / np.log(self.r_step)))
        return np.append(r_max / self.r_step ** np.arange(steps + 1), r_cell)


@dataclass(frozen=True)
class Snapshot:
    """One box at one redshift: boxes (float32, ``[x, y, z]``) and their parameters."""

    redshift: float
    zeta: float
    xhi_mean: float
    seed: int
    delta: np.ndarray
    xhi: np.ndarray
    tb_mk: np.ndarray


def tophat_window(x: np.ndarray) -> np.ndarray:
    """Fourier transform of the unit spherical top-hat, ``3 (sin x - x cos x) / x^3``."""
    x = np.asarray(x, dtype=np.float64)
    small = x < 1e-3
    xs = np.where(small, 1.0, x)
    return np.where(small, 1 - x**2 / 10, 3 * (np.sin(xs) - xs * np.cos(xs)) / xs**3)


def transfer_function(k: np.ndarray, cosmo: Cosmology) -> np.ndarray:
    """Eisenstein & Hu (1998) no-wiggle transfer function (eqs. 26-31); ``k`` in 1/Mpc."""
    h, om = cosmo.h, cosmo.omega_m
    omh2, fb = om * h**2, cosmo.omega_b / om
    theta = cosmo.t_cmb / 2.7
    s = 44.5 * np.log(9.83 / omh2) / np.sqrt(1 + 10 * (cosmo.omega_b * h**2) ** 0.75)
    alpha = 1 - 0.328 * np.log(431 * omh2) * fb + 0.38 * np.log(22.3 * omh2) * fb**2
    gamma = om * h * (alpha + (1 - alpha) / (1 + (0.43 * k * s) ** 4))
    q = k * theta**2 / (gamma * h)
    big_l = np.log(2 * np.e + 1.8 * q)
    big_c = 14.2 + 731 / (1 + 62.5 * q)
    return big_l / (big_l + big_c * q**2)


def _sigma_unnormalised(radii: np.ndarray, cosmo: Cosmology) -> np.ndarray:
    """rms of ``k^n_s T(k)^2`` smoothed with top-hats of ``radii`` [Mpc]."""
    lnk = np.linspace(np.log(1e-5), np.log(1e4), 8192)
    k = np.exp(lnk)
    power = k**cosmo.n_s * transfer_function(k, cosmo) ** 2
    integrand = k**3 * power * tophat_window(np.outer(radii, k)) ** 2 / (2 * np.pi**2)
    return np.sqrt(np.trapezoid(integrand, lnk, axis=-1))


@lru_cache(maxsize=8)
def _amplitude(cosmo: Cosmology) -> float:
    """Normalisation of ``P(k) = A k^n_s T(k)^2`` giving ``sigma(8 Mpc/h) = sigma8``."""
    return float((cosmo.sigma8 / _sigma_unnormalised(np.array([8 / cosmo.h]), cosmo)[0]) ** 2)


def linear_power(k: np.ndarray, cosmo: Cosmology) -> np.ndarray:
    """Linear matter power spectrum at z = 0 [Mpc^3] at wavenumbers ``k`` [1/Mpc]."""
    k = np.asarray(k, dtype=np.float64)
    return _amplitude(cosmo) * k**cosmo.n_s * transfer_function(k, cosmo) ** 2


def sigma_tophat(radii: np.ndarray, cosmo: Cosmology) -> np.ndarray:
    """rms linear density contrast at z = 0 in top-hat spheres of ``radii`` [Mpc]."""
    radii = np.atleast_1d(np.asarray(radii, dtype=np.float64))
    return np.sqrt(_amplitude(cosmo)) * _sigma_unnormalised(radii, cosmo)


@lru_cache(maxsize=256)
def growth_factor(z: float, cosmo: Cosmology) -> float:
    """Linear growth factor D(z) of flat LCDM (radiation neglected), D(0) = 1."""

    def unnormalised(a: float) -> float:
        hubble = np.sqrt(cosmo.omega_m / a**3 + 1 - cosmo.omega_m)
        integral = quad(
            lambda b: (b * np.sqrt(cosmo.omega_m / b**3 + 1 - cosmo.omega_m)) ** -3, 0, a
        )
        return hubble * integral[0]

    return unnormalised(1 / (1 + z)) / unnormalised(1.0)


def min_halo_mass(z: float, t_vir: float, cosmo: Cosmology) -> float:
    """Halo mass [Msun] of virial temperature ``t_vir`` [K] (Barkana & Loeb 2001, eq. 26)."""
    om_z = cosmo.omega_m * (1 + z) ** 3 / (cosmo.omega_m * (1 + z) ** 3 + 1 - cosmo.omega_m)
    d = om_z - 1
    delta_vir = 18 * np.pi**2 + 82 * d - 39 * d**2
    return (
        1e8
        / cosmo.h
        * (MU_ATOMIC / 0.6) ** -1.5
        * (cosmo.omega_m / om_z * delta_vir / (18 * np.pi**2)) ** -0.5
        * (t_vir / 1.98e4) ** 1.5
        * ((1 + z) / 10) ** -1.5
    )


def mass_to_radius(mass: float, cosmo: Cosmology) -> float:
    """Comoving Lagrangian radius [Mpc] of ``mass`` [Msun]."""
    return (3 * mass / (4 * np.pi * cosmo.omega_m * RHO_CRIT_H2 * cosmo.h**2)) ** (1 / 3)


def brightness_temperature(delta: np.ndarray, xhi: np.ndarray, z: float) -> np.ndarray:
    """21-cm brightness temperature [mK] (float32); ``1 + delta`` is clipped at 0."""
    density = np.maximum(1 + np.asarray(delta, dtype=np.float64), 0.0)
    return (TB0_MK * np.sqrt((1 + z) / 10) * xhi * density).astype(np.float32)


class DensityBox:
    """The linear density field of one seed; its FFT is kept for filtering at every redshift.

    ``delta0`` is the z = 0 contrast (float32 ``(N, N, N)``), ``delta_k`` its ``rfftn``.
    """

    def __init__(self, seed: int, config: SimConfig | None = None) -> None:
        self.seed = int(seed)
        self.config = config = config or SimConfig()
        n = config.n
        freq = np.fft.fftfreq(n, 1 / n).astype(np.int32)
        # integer |k|^2 in units of the fundamental mode: windows become table look-ups
        self._k2 = freq[:, None, None] ** 2 + freq[None, :, None] ** 2 + freq[: n // 2 + 1] ** 2
        # |k| [1/Mpc] of each integer |k|^2
        self._k_table = 2 * np.pi / config.box_mpc * np.sqrt(np.arange(self._k2.max() + 1))
        power = linear_power(self._k_table[1:], config.cosmology)
        amplitude = np.append(0.0, np.sqrt(power * n**3 / config.box_mpc**3))
        noise = np.random.default_rng(self.seed).standard_normal((n, n, n))
        self.delta_k = (scipy.fft.rfftn(noise) * amplitude[self._k2]).astype(np.complex64)
        self.delta0 = scipy.fft.irfftn(self.delta_k, s=(n, n, n))
        self._fcoll: tuple[float, np.ndarray] | None = None

    def delta(self, z: float) -> np.ndarray:
        """Linear density contrast grown to redshift ``z`` (float32)."""
        return (growth_factor(float(z), self.config.cosmology) * self.delta0).astype(np.float32)

    def fcoll_max(self, z: float) -> np.ndarray:
        """Per cell, the largest collapsed fraction over all smoothing radii (cached for one z)."""
        if self._fcoll is None or self._fcoll[0] != z:
            self._fcoll = (z, self._max_fcoll(z))
        return self._fcoll[1]

    def _max_fcoll(self, z: float) -> np.ndarray:
        cfg, cosmo = self.config, self.config.cosmology
        radii = cfg.radii()
        r_min = mass_to_radius(min_halo_mass(z, cfg.t_vir, cosmo), cosmo)
        sigma_min, *sigma_r = sigma_tophat(np.append(r_min, radii), cosmo)
        if sigma_min <= max(sigma_r):
            raise ValueError(
                f"minimum halo radius {r_min:.3g} Mpc (t_vir={cfg.t_vir} K, z={z}) is not below "
                f"the cell radius {radii[-1]:.3g} Mpc: use smaller cells or a lower t_vir"
            )
        threshold = cfg.delta_c / growth_factor(float(z), cosmo)
        shape = (cfg.n,) * 3
        arg_min = np.full(shape, np.inf, dtype=np.float32)
        for radius, sigma in zip(radii, sigma_r, strict=True):
            window = tophat_window(self._k_table * radius).astype(np.float32)
            smoothed = scipy.fft.irfftn(self.delta_k * window[self._k2], s=shape)
            # erfc is decreasing: the largest f_coll over radii is erfc of the smallest argument
            arg = np.subtract(threshold, smoothed, out=smoothed)
            arg *= np.float32(1 / np.sqrt(2 * (sigma_min**2 - sigma**2)))
            np.minimum(arg_min, arg, out=arg_min)
        return erfc(arg_min.astype(np.float64))

    def snapshot(self, z: float, zeta: float) -> Snapshot:
        """The density, neutral-fraction and brightness-temperature boxes at ``z`` for ``zeta``."""
        xhi = _neutral(self.fcoll_max(z), zeta)
        delta = self.delta(z)
        return Snapshot(
            redshift=float(z),
            zeta=float(zeta),
            xhi_mean=float(xhi.mean(dtype=np.float64)),
            seed=self.seed,
            delta=delta,
            xhi=xhi,
            tb_mk=brightness_temperature(delta, xhi, z),
        )


def _neutral(fcoll_max: np.ndarray, zeta: float) -> np.ndarray:
    """Neutral fraction box (1 neutral, 0 ionised) for ionising efficiency ``zeta``."""
    return (zeta * fcoll_max < 1).astype(np.float32)


def zeta_for_xhi(
    density: DensityBox,
    target_xhi: float,
    z: float,
    *,
    tol: float = 0.005,
    zeta_bounds: tuple[float, float] = (1e-2, 1e8),
    max_iter: int = 200,
) -> float:
    """Bisect (in log zeta) for the zeta whose box-mean xHI at ``z`` is within ``tol`` of target.

    Raises ValueError when ``zeta_bounds`` cannot bracket the target or ``tol`` is not reached
    (a box too small to resolve xHI that finely).
    """
    fcoll = density.fcoll_max(z)

    def mean_xhi(log_zeta: float) -> float:
        return float(_neutral(fcoll, np.exp(log_zeta)).mean(dtype=np.float64))

    lo, hi = np.log(zeta_bounds)
    reach = (mean_xhi(hi), mean_xhi(lo))
    if not reach[0] - tol <= target_xhi <= reach[1] + tol:
        raise ValueError(
            f"target xHI {target_xhi} at z={z} is outside the range {reach} reached by zeta in "
            f"{zeta_bounds} (box seed {density.seed})"
        )
    for _ in range(max_iter):
        mid = (lo + hi) / 2
        value = mean_xhi(mid)
        if abs(value - target_xhi) <= tol:
            return float(np.exp(mid))
        lo, hi = (mid, hi) if value > target_xhi else (lo, mid)
    raise ValueError(
        f"no zeta gives xHI within {tol} of {target_xhi} at z={z} (box seed {density.seed})"
    )
