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


def test_off_axis_modes_land_in_the_shell_of_their_rounded_wavenumber():
    # |k| = sqrt(2) -> shell 1, sqrt(3) -> 2, sqrt(8) -> 3: shells are rint(|k|), not floor(|k|)
    field = (0.4 * np.cos(2 * np.pi * (X + Y))
             + 0.6 * np.cos(2 * np.pi * (X + Y + Z))
             + 0.2 * np.sin(2 * np.pi * (2 * X - 2 * Z)))  # fmt: skip
    k, power = shell_power_spectrum(field)
    np.testing.assert_allclose(power[:4], [0.08, 0.18, 0.02, 0.0], atol=1e-12)
    assert power.sum() == pytest.approx(0.28)
    _, alone = shell_power_spectrum(0.6 * np.cos(2 * np.pi * (X + Y + Z)))
    np.testing.assert_allclose(alone, np.where(k == 2, 0.18, 0.0), atol=1e-12)


# a turbulent-looking snapshot whose statistics are known in closed form
SIGMA_LN_RHO = 0.5
MEAN_RHO = 2.0


def _lognormal_density(seed: int = 0) -> np.ndarray:
    """rho = exp(s) with s a seeded Gaussian field standardised to std SIGMA_LN_RHO, scaled to
    mean MEAN_RHO: ln(rho / <rho>) has standard deviation SIGMA_LN_RHO exactly."""
    s = np.random.default_rng(seed).normal(size=(N, N, N))
    s = SIGMA_LN_RHO * (s - s.mean()) / s.std()
    rho = np.exp(s)
    return MEAN_RHO * rho / rho.mean()


def _snapshot() -> dict[str, np.ndarray]:
    two_pi = 2 * np.pi
    # Ec / <Ec> - 1: power 0.2^2 / 2 at k = 4 = N / 4, 0.05^2 / 2 at k = 6, 0.1^2 / 2 at k = 3
    small_scales = 0.2 * np.cos(two_pi * 4 * Z) + 0.05 * np.cos(two_pi * 6 * Y)
    large_scales = 0.1 * np.cos(two_pi * 3 * X)
    return {
        "rho": _lognormal_density(),
        # <v^2> = 0.3^2 + 1.2^2 / 2 + 0.8^2 / 2 + 0.6^2 / 2 + 0.5^2 / 2 = 1.435
        "vel1": 0.3 + 1.2 * np.cos(two_pi * X),
        "vel2": 0.8 * np.sin(two_pi * 2 * Y) + 0.6 * np.cos(two_pi * 3 * Z),
        "vel3": 0.5 * np.cos(two_pi * (X + Y)),
        "Ec": 3.0 * (1 + small_scales + large_scales),
    }


MACH = np.sqrt(1.435)
EC_SMALL_SCALE = (0.2**2 + 0.05**2) / 2  # k >= N / 4 = 4: the k = 3 mode is left out


def test_snapshot_inputs_have_the_statistics_claimed():
    fields = _snapshot()
    ln_rho = np.log(fields["rho"])
    assert ln_rho.std() == pytest.approx(SIGMA_LN_RHO) and fields["rho"].mean() == pytest.approx(2)
    speed = np.sqrt(sum(fields[f"vel{i}"] ** 2 for i in (1, 2, 3)))
    assert np.sqrt(np.mean(speed**2)) == pytest.approx(MACH)
    assert abs(speed.mean() - MACH) > 0.05 and abs(speed.max() - MACH) > 0.5  # rms, not mean/max


def test_mach_number_is_the_unweighted_rms_speed_over_the_sound_speed():
    fields = _snapshot()
    assert mach_number(fields) == pytest.approx(MACH, rel=1e-12)
    assert mach_number(fields, sound_speed=2.0) == pytest.approx(MACH / 2, rel=1e-12)


@pytest.mark.parametrize("sound_speed", [1.0, 2.0])
def test_summary_of_a_lognormal_snapshot(sound_speed):
    summary = snapshot_summary(_snapshot(), sound_speed=sound_speed)
    assert summary["mach"] == pytest.approx(MACH / sound_speed, rel=1e-12)
    assert summary["sigma_ln_rho"] == pytest.approx(SIGMA_LN_RHO, rel=1e-12)
    # <Pc> = <Ec> / 3 = 1, <P> = <rho> cs^2 = 2 cs^2
    expected = 1.0 / (MEAN_RHO * sound_speed**2)
    assert summary["cr_to_gas_pressure"] == pytest.approx(expected, rel=1e-12)
    assert summary["ec_small_scale_power"] == pytest.approx(EC_SMALL_SCALE, rel=1e-10)
