"""Built-in semi-numerical reionization simulator: physics trends, bisection, spectrum.

Its speed: benchmarks/eor_seminumerical_speed.py.
"""

import numpy as np
import pytest

from sim2model.studies.eor21cm.seminumerical import (
    Cosmology,
    DensityBox,
    SimConfig,
    brightness_temperature,
    growth_factor,
    linear_power,
    sigma_tophat,
    zeta_for_xhi,
)

SMALL = SimConfig(n=32, box_mpc=48.0)


@pytest.fixture(scope="module")
def box():
    return DensityBox(seed=11, config=SMALL)


def test_same_seed_same_boxes_other_seed_differs(box):
    again = DensityBox(seed=11, config=SMALL).snapshot(8.0, 20.0)
    snap = box.snapshot(8.0, 20.0)
    for name in ("delta", "xhi", "tb_mk"):
        np.testing.assert_array_equal(getattr(snap, name), getattr(again, name))
        assert getattr(snap, name).shape == (32, 32, 32)
        assert getattr(snap, name).dtype == np.float32
    assert (snap.seed, snap.zeta, snap.redshift) == (11, 20.0, 8.0)
    assert snap.xhi_mean == pytest.approx(float(snap.xhi.mean()))
    other = DensityBox(seed=12, config=SMALL).snapshot(8.0, 20.0)
    assert not np.array_equal(snap.delta, other.delta)


def test_one_density_field_at_every_redshift(box):
    d8, d10 = box.delta(8.0), box.delta(10.0)
    ratio = growth_factor(8.0, SMALL.cosmology) / growth_factor(10.0, SMALL.cosmology)
    np.testing.assert_allclose(d8, ratio * d10, rtol=1e-5, atol=1e-6)


def test_neutral_fraction_falls_with_zeta_and_rises_with_redshift(box):
    by_zeta = [box.snapshot(8.0, zeta).xhi_mean for zeta in (5.0, 10.0, 20.0, 40.0, 80.0)]
    assert np.all(np.diff(by_zeta) <= 0) and by_zeta[0] - by_zeta[-1] > 0.5
    by_z = [box.snapshot(z, 25.0).xhi_mean for z in (7.0, 8.0, 9.0, 10.0, 12.0)]
    assert np.all(np.diff(by_z) >= 0) and by_z[-1] - by_z[0] > 0.5
    assert set(np.unique(box.snapshot(9.0, 25.0).xhi)) <= {0.0, 1.0}


@pytest.mark.parametrize("z", [7.0, 9.0, 11.0])
@pytest.mark.parametrize("target", [0.05, 0.5, 0.95])
def test_bisection_hits_the_target(box, z, target):
    zeta = zeta_for_xhi(box, target, z, tol=0.005)
    assert abs(box.snapshot(z, zeta).xhi_mean - target) <= 0.005


def test_bisection_rejects_unreachable_targets(box):
    with pytest.raises(ValueError, match="outside the range"):
        zeta_for_xhi(box, 0.5, 8.0, zeta_bounds=(1e3, 1e4))
    with pytest.raises(ValueError, match="outside the range"):
        zeta_for_xhi(box, 1.5, 8.0)


def test_brightness_temperature_formula():
    delta = np.array([0.0, 1.0, -0.5, -2.0])
    xhi = np.array([1.0, 1.0, 0.5, 1.0])
    np.testing.assert_allclose(brightness_temperature(delta, xhi, 9.0), [27, 54, 6.75, 0])
    tb = brightness_temperature(np.zeros(1), np.ones(1), 15.0)
    assert tb.dtype == np.float32 and tb[0] == pytest.approx(27 * np.sqrt(1.6))


def test_snapshot_tb_follows_its_own_boxes(box):
    snap = box.snapshot(9.0, 30.0)
    np.testing.assert_allclose(
        snap.tb_mk, 27 * snap.xhi * np.maximum(1 + snap.delta, 0), rtol=1e-5, atol=1e-5
    )


def test_cosmology_normalisation_and_growth():
    cosmo = Cosmology()
    assert sigma_tophat(8 / cosmo.h, cosmo)[0] == pytest.approx(cosmo.sigma8, rel=1e-6)
    assert growth_factor(0.0, cosmo) == pytest.approx(1.0)
    # matter domination at high z: D proportional to the scale factor
    assert growth_factor(30.0, cosmo) * 31 == pytest.approx(
        growth_factor(50.0, cosmo) * 51, rel=2e-3
    )


def test_density_power_spectrum_matches_input():
    config = SimConfig(n=32, box_mpc=64.0)
    n, length = config.n, config.box_mpc
    delta_k = np.fft.rfftn(DensityBox(seed=3, config=config).delta0.astype(np.float64))
    freq = 2 * np.pi / length * np.fft.fftfreq(n, 1 / n)
    k = np.sqrt(freq[:, None, None] ** 2 + freq[None, :, None] ** 2 + freq[: n // 2 + 1] ** 2)
    keep = k > 0
    ratio = (np.abs(delta_k) ** 2 * length**3 / n**6)[keep] / linear_power(
        k[keep], config.cosmology
    )
    assert ratio.mean() == pytest.approx(1.0, abs=0.03)
    edges = np.geomspace(k[keep].min(), k.max() * 1.001, 9)
    which = np.digitize(k[keep], edges)
    for b in np.unique(which):
        in_bin = ratio[which == b]
        if in_bin.size >= 20:  # each mode's ratio is ~exponential: mean 1, std 1
            assert abs(in_bin.mean() - 1) < 5 / np.sqrt(in_bin.size / 2), (b, in_bin.size)


def test_cells_must_resolve_the_minimum_halo():
    tiny = DensityBox(seed=1, config=SimConfig(n=8, box_mpc=0.5))
    with pytest.raises(ValueError, match="minimum halo radius"):
        tiny.snapshot(8.0, 10.0)
