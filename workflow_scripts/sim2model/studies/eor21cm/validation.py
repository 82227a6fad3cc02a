"""Validate the built-in reionization simulator against 21cmFAST at matched settings.

Both simulators run one box of the same size and cell count, in the same cosmology (the
built-in one takes 21cmFAST's Planck 2018 parameters) and with the same seed number, which
still gives two different density realisations (each code has its own random streams), so
the comparison is statistical. 21cmFAST runs with its default astrophysics. The built-in
simulator has one free efficiency, zeta, which is matched to 21cmFAST in two ways:

* **History** (``xhi_builtin``): one fixed zeta, bisected so the built-in box-mean xHI equals
  21cmFAST's at the pivot redshift (the history redshift where 21cmFAST's xHI is nearest 0.5).
  Away from the pivot the two xHI(z) curves are independent predictions: their difference
  tests the built-in redshift evolution.
* **Power spectra** (``delta2_builtin``): zeta is tuned at each spectrum redshift to
  21cmFAST's xHI there (:func:`~sim2model.studies.eor21cm.seminumerical.zeta_for_xhi`), so spectra
  are compared at equal neutral fraction and differ by morphology and density alone.

Spectra are spherically averaged ``Delta^2(k) = k^3 P(k) / (2 pi^2)`` [mK^2] of the Tb boxes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from sim2model.studies.eor21cm.backend_21cmfast import simulate_box, simulation_cosmology
from sim2model.studies.eor21cm.seminumerical import DensityBox, SimConfig, zeta_for_xhi


class PowerSpectrum(NamedTuple):
    """Per |k| bin: mean |k| [1/Mpc], Delta^2 [box unit^2], mode count (k, Delta^2 NaN if 0)."""

    k: np.ndarray
    delta2: np.ndarray
    n_modes: np.ndarray


@dataclass(frozen=True)
class Validation:
    """xHI histories and Tb power spectra of the two simulators (spectra: one row per z)."""

    redshifts: np.ndarray
    xhi_21cmfast: np.ndarray
    xhi_builtin: np.ndarray
    zeta: float
    pivot_redshift: float
    spectrum_redshifts: np.ndarray
    spectrum_xhi: np.ndarray
    spectrum_zeta: np.ndarray
    k: np.ndarray
    delta2_21cmfast: np.ndarray
    delta2_builtin: np.ndarray


def power_spectrum(box: np.ndarray, box_mpc: float, n_bins: int = 12) -> PowerSpectrum:
    """Spherically averaged ``Delta^2(k) = k^3 P(k) / (2 pi^2)`` of a cubic periodic box.

    ``P(k) = |dV sum_x f(x) exp(-i k.x)|^2 / V`` (numpy's ``fftn`` is the bare sum; ``dV`` the
    cell volume, ``V`` the box's), so white noise of variance ``s^2`` has ``P = s^2 dV``. Modes
    are averaged in ``n_bins`` log-spaced bins of |k| from the fundamental ``2 pi / L`` to the
    Nyquist ``pi N / L``; the k = 0 mode (the mean) and corner modes beyond Nyquist are left
    out. ``Delta^2`` is ``k^3 / (2 pi^2)`` times the bin's mean P, with k the bin's mean |k|.
    """
    box = np.asarray(box, dtype=np.float64)
    n = box.shape[0]
    if box.ndim != 3 or box.shape != (n, n, n):
        raise ValueError(f"power_spectrum needs a cubic 3-D box, got shape {box.shape}")
    cell_volume = (box_mpc / n) ** 3
    power = np.abs(np.fft.fftn(box)) ** 2 * cell_volume**2 / box_mpc**3
    k_fundamental = 2 * np.pi / box_mpc
    freq = np.fft.fftfreq(n, 1 / n)
    k = k_fundamental * np.sqrt(
        freq[:, None, None] ** 2 + freq[None, :, None] ** 2 + freq[None, None, :] ** 2
    )
    edges = np.geomspace(k_fundamental, k_fundamental * n / 2, n_bins + 1)
    n_modes = np.histogram(k, edges)[0]
    with np.errstate(invalid="ignore"):
        k_mean = np.histogram(k, edges, weights=k)[0] / n_modes
        p_mean = np.histogram(k, edges, weights=power)[0] / n_modes
    return PowerSpectrum(k_mean, k_mean**3 * p_mean / (2 * np.pi**2), n_modes)


def validate(
    seed: int,
    *,
    redshifts: Sequence[float],
    spectrum_redshifts: Sequence[float],
    box_cells: int = 64,
    box_mpc: float = 128.0,
    n_bins: int = 12,
    threads: int = 1,
    tol: float = 0.005,
) -> Validation:
    """Run both simulators on one box (see the module docstring for how zeta is matched).

    ``redshifts`` sample the xHI history; ``spectrum_redshifts`` (any, not necessarily among
    them) get power spectra. ``tol`` is the xHI tolerance of the zeta bisections.
    """
    history = sorted(float(z) for z in redshifts)
    spectrum_z = [float(z) for z in spectrum_redshifts]
    snaps = {
        s.redshift: s
        for s in simulate_box(
            seed,
            sorted(set(history) | set(spectrum_z)),
            box_cells=box_cells,
            box_mpc=box_mpc,
            threads=threads,
        )
    }
    config = SimConfig(n=box_cells, box_mpc=box_mpc, cosmology=simulation_cosmology())
    density = DensityBox(seed, config)

    xhi_21 = np.array([snaps[z].xhi_mean for z in history])
    pivot = history[int(np.argmin(np.abs(xhi_21 - 0.5)))]
    zeta = zeta_for_xhi(density, snaps[pivot].xhi_mean, pivot, tol=tol)
    xhi_builtin = np.array([density.snapshot(z, zeta).xhi_mean for z in history])

    spectrum_xhi = np.array([snaps[z].xhi_mean for z in spectrum_z])
    spectrum_zeta, ps_builtin = [], []
    for z, target in zip(spectrum_z, spectrum_xhi, strict=True):
        spectrum_zeta.append(zeta_for_xhi(density, target, z, tol=tol))
        tb_mk = density.snapshot(z, spectrum_zeta[-1]).tb_mk
        ps_builtin.append(power_spectrum(tb_mk, box_mpc, n_bins))
    ps_21 = [power_spectrum(snaps[z].tb_mk, box_mpc, n_bins) for z in spectrum_z]
    return Validation(
        redshifts=np.array(history),
        xhi_21cmfast=xhi_21,
        xhi_builtin=xhi_builtin,
        zeta=zeta,
        pivot_redshift=pivot,
        spectrum_redshifts=np.array(spectrum_z),
        spectrum_xhi=spectrum_xhi,
        spectrum_zeta=np.array(spectrum_zeta),
        k=ps_21[0].k,
        delta2_21cmfast=np.array([p.delta2 for p in ps_21]),
        delta2_builtin=np.array([p.delta2 for p in ps_builtin]),
    )
