"""Physics checks of turbulence snapshots against fields with known spectra."""

from __future__ import annotations

import numpy as np
import pytest

from sim2model.studies.turbulence.physics import (
    mach_number,
    shell_power_spectrum,
    small_scale_power,
    snapshot_summary,
)

N = 16
Z, Y, X = np.meshgrid(*(np.arange(N) / N,) * 3, indexing="ij")


def test_single_mode_lands_in_its_shell_with_its_variance():
    field = 2.0 + 0.3 * np.cos(2 * np.pi * (3 * X + 4 * Y))  # |k| = 5, variance 0.045
    k, power = shell_power_spectrum(field)
    assert k.tolist() == list(range(1, N // 2 + 1))
    assert power[k == 5][0] == pytest.approx(0.045)
    assert power.sum() == pytest.approx(0.045)


def test_small_scale_power_is_that_of_the_relative_fluctuations():
    smooth = 1 + 0.2 * np.cos(2 * np.pi * X)
    rough = smooth + 0.1 * np.cos(2 * np.pi * 6 * Z)
    assert small_scale_power(smooth, k_min=4) == pytest.approx(0.0, abs=1e-20)
    assert small_scale_power(rough, k_min=4) == pytest.approx(0.005)
    assert small_scale_power(10 * rough, k_min=4) == pytest.approx(0.005)  # scale-free


def test_summary_of_a_uniform_flow():
    ones = np.ones((N, N, N))
    fields = {"rho": 2 * ones, "vel1": 0.6 * ones, "vel2": 0.8 * ones, "vel3": 0 * ones,
              "Ec": 3 * ones}  # fmt: skip
    assert mach_number(fields) == pytest.approx(1.0)
    summary = snapshot_summary(fields)
    assert summary["sigma_ln_rho"] == pytest.approx(0.0)
    assert summary["cr_to_gas_pressure"] == pytest.approx(0.5)  # Pc = 1, P = 2
