"""Physics checks of turbulence snapshots: shell power spectra, density PDF, Mach number.

Fields are cubes ``(Z, Y, X)`` of a periodic box in Athena++ code units (sound speed 1).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np


def shell_power_spectrum(field: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Shell-summed power of the fluctuations of a periodic cube: wavenumbers ``k = 1 .. N/2``
    (in units of 2 pi / L) and the power in each shell; the shells sum to the variance (up to the
    corner modes beyond N/2)."""
    field = np.asarray(field, dtype=np.float64)
    n = field.shape
    power = np.abs(np.fft.fftn(field - field.mean())) ** 2 / np.prod(n) ** 2
    grids = np.meshgrid(*(np.fft.fftfreq(m, 1.0 / m) for m in n), indexing="ij")
    shell = np.rint(np.sqrt(sum(g**2 for g in grids))).astype(int)
    k = np.arange(1, min(n) // 2 + 1)
    return k, np.bincount(shell.ravel(), power.ravel(), minlength=k[-1] + 1)[k]


def small_scale_power(field: np.ndarray, k_min: int) -> float:
    """Power of the relative fluctuations ``field / <field> - 1`` at wavenumbers ``>= k_min``
    (the variance they carry on scales below L / k_min)."""
    field = np.asarray(field, dtype=np.float64)
    k, power = shell_power_spectrum(field / field.mean())
    return float(power[k >= k_min].sum())


def mach_number(fields: Mapping[str, np.ndarray], sound_speed: float = 1.0) -> float:
    """Mass-unweighted rms sonic Mach number from ``vel1``, ``vel2``, ``vel3``."""
    v2 = sum(np.asarray(fields[f"vel{i}"], dtype=np.float64) ** 2 for i in (1, 2, 3))
    return float(np.sqrt(v2.mean()) / sound_speed)


def snapshot_summary(fields: Mapping[str, np.ndarray], sound_speed: float = 1.0) -> dict:
    """Mach number, spread of ln density, and for CR runs the mean CR-to-gas pressure ratio
    Pc / P (Pc = Ec / 3, isothermal P = rho cs^2) and the relative Ec power below a quarter of
    the box (wavenumbers >= N / 4) of one snapshot."""
    rho = np.asarray(fields["rho"], dtype=np.float64)
    ln_rho = np.log(rho / rho.mean())
    summary = {"mach": mach_number(fields, sound_speed), "sigma_ln_rho": float(ln_rho.std())}
    if "Ec" in fields:
        ec = np.asarray(fields["Ec"], dtype=np.float64)
        summary["cr_to_gas_pressure"] = float((ec / 3.0).mean() / (rho * sound_speed**2).mean())
        summary["ec_small_scale_power"] = small_scale_power(ec, max(2, rho.shape[0] // 4))
    return summary
