"""21cmFAST backend: power-spectrum helper (always); boxes, shard, validation (slow, optional).

The 21cmFAST tests are marked slow and skip when py21cmfast is not installed
(``bash tests/install_21cmfast.sh``); on 2 cores they take 15-25 s.
"""

import sys

import numpy as np
import pytest
from matplotlib.image import imread

from conftest import REQUIRE_21CMFAST, skip_unless_required
from sim2model.io.dataset import check_dataset
from sim2model.plots.style import save_figure
from sim2model.stages.source import stamp_shard
from sim2model.studies.eor21cm.backend_21cmfast import (
    ASTRO_RANGES,
    draw_astro_params,
    simulate_box,
    twentyonecmfast_shard,
)
from sim2model.studies.eor21cm.maps import META_KEYS
from sim2model.studies.eor21cm.validation import power_spectrum, validate
from sim2model.studies.eor21cm.validation_figures import validation_figure

TINY = {"box_cells": 32, "box_mpc": 64.0, "threads": 2}
REDSHIFTS = [10.0, 8.0]


@pytest.mark.parametrize("n, box_mpc, sigma", [(32, 64.0, 1.0), (48, 30.0, 3.5)])
def test_power_spectrum_of_white_noise(n, box_mpc, sigma):
    """White noise of variance s^2 per cell has P(k) = s^2 dV, so Delta^2 = k^3 s^2 dV / 2pi^2."""
    box = np.random.default_rng(1).normal(5.0, sigma, size=(n, n, n))
    ps = power_spectrum(box, box_mpc, n_bins=10)
    full = ps.n_modes > 0
    expected = ps.k[full] ** 3 * sigma**2 * (box_mpc / n) ** 3 / (2 * np.pi**2)
    ratio = ps.delta2[full] / expected
    # |f_k|^2 of white noise is exponential: the bin mean has relative error sqrt(2 / modes)
    assert np.all(np.abs(ratio - 1) < 5 * np.sqrt(2 / ps.n_modes[full]))
    overall = np.average(ratio, weights=ps.n_modes[full])
    assert overall == pytest.approx(1, abs=4 * np.sqrt(2 / ps.n_modes.sum()))
    edges = 2 * np.pi / box_mpc * np.array([1, n / 2])
    assert np.all((ps.k[full] >= edges[0]) & (ps.k[full] <= edges[1]))
    assert np.isnan(ps.delta2[~full]).all()


def test_power_spectrum_of_a_plane_wave():
    """A cos(2 pi m x / L) puts variance A^2 / 2 into the bin of k = 2 pi m / L only."""
    n, box_mpc, m, amplitude = 32, 50.0, 5, 2.0
    x = np.arange(n) * box_mpc / n
    wave = amplitude * np.cos(2 * np.pi * m * x / box_mpc)
    ps = power_spectrum(np.broadcast_to(wave[:, None, None], (n, n, n)), box_mpc, n_bins=8)
    peak = int(np.nanargmax(ps.delta2))
    assert np.count_nonzero(ps.delta2 > 1e-12 * ps.delta2[peak]) == 1
    # the two modes +-k0 carry P = V A^2 / 4 each; the bin averages P over its modes
    k0 = 2 * np.pi * m / box_mpc
    bin_power = 2 * box_mpc**3 * amplitude**2 / 4 / ps.n_modes[peak]
    assert ps.delta2[peak] == pytest.approx(ps.k[peak] ** 3 * bin_power / (2 * np.pi**2))
    assert ps.k[peak - 1] < k0 < ps.k[peak + 1]


def test_power_spectrum_needs_a_cube():
    with pytest.raises(ValueError, match="cubic"):
        power_spectrum(np.zeros((8, 8, 4)), 10.0)


def test_astro_params_are_seeded_and_in_range():
    draws = [draw_astro_params(np.random.default_rng(3)) for _ in range(2)]
    assert draws[0] == draws[1] and set(draws[0]) == set(ASTRO_RANGES)
    many = [draw_astro_params(np.random.default_rng(s)) for s in range(50)]
    for name, (lo, hi) in ASTRO_RANGES.items():
        assert all(lo <= d[name] <= hi for d in many)


def test_missing_21cmfast_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "py21cmfast", None)
    with pytest.raises(ImportError, match="tests/install_21cmfast.sh"):
        simulate_box(1, REDSHIFTS)


# --- needs 21cmFAST ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def p21c():
    try:
        import py21cmfast
    except ImportError:
        skip_unless_required(
            "py21cmfast not importable: run `bash tests/install_21cmfast.sh`", REQUIRE_21CMFAST
        )
    return py21cmfast


@pytest.fixture(scope="module")
def astro():
    return draw_astro_params(np.random.default_rng(0))


@pytest.fixture(scope="module")
def boxes(p21c, astro):
    return [simulate_box(9, REDSHIFTS, astro=astro, **TINY) for _ in range(2)]


@pytest.mark.slow
def test_boxes_fields_shapes_and_physics(boxes, astro):
    snaps = boxes[0]
    assert [s.redshift for s in snaps] == REDSHIFTS
    for snap in snaps:
        for name in ("delta", "xhi", "tb_mk"):
            assert getattr(snap, name).shape == (32, 32, 32)
            assert getattr(snap, name).dtype == np.float32
        assert snap.seed == 9 and np.isnan(snap.zeta)
        assert snap.astro == pytest.approx(astro)
        assert 0 <= snap.xhi.min() and snap.xhi.max() <= 1
        assert snap.xhi_mean == pytest.approx(float(snap.xhi.mean()))
        assert np.all(snap.tb_mk[snap.xhi == 0] == 0) and np.all(snap.tb_mk >= 0)
        assert snap.delta.min() >= -1
    assert snaps[0].xhi_mean > snaps[1].xhi_mean  # reionization proceeds


@pytest.mark.slow
def test_boxes_are_bit_identical_by_seed(boxes):
    for first, again in zip(*boxes, strict=True):
        for name in ("delta", "xhi", "tb_mk"):
            np.testing.assert_array_equal(getattr(first, name), getattr(again, name))


@pytest.mark.slow
def test_shard_of_21cmfast_boxes(p21c):
    ds = twentyonecmfast_shard(
        4, n_boxes=1, first_box_id=3, redshifts=REDSHIFTS, slices_per_box=4, image_size=16, **TINY
    )
    check_dataset(stamp_shard(ds, study="eor21cm", task="regression", config={}))
    assert ds.x.shape == (8, 16, 16, 1) and ds.attrs["source"] == "21cmfast"
    assert set(META_KEYS) | set(ASTRO_RANGES) | {"n_threads"} == set(ds.meta)
    assert np.all(ds.meta["box_id"] == 3) and np.isnan(ds.meta["zeta"]).all()
    np.testing.assert_array_equal(ds.meta["redshift"], np.repeat(REDSHIFTS, 4))


@pytest.mark.slow
def test_validation_matches_xhi_and_draws_the_figure(p21c, tmp_path):
    result = validate(
        5, redshifts=[7.0, 8.0, 9.0, 10.0], spectrum_redshifts=[8.0, 9.0], n_bins=8, **TINY
    )
    pivot = result.redshifts == result.pivot_redshift
    assert abs(result.xhi_builtin[pivot][0] - result.xhi_21cmfast[pivot][0]) <= 0.005
    assert np.all(np.diff(result.xhi_21cmfast) > 0) and np.all(np.diff(result.xhi_builtin) >= 0)
    assert result.delta2_21cmfast.shape == result.delta2_builtin.shape == (2, 8)
    full = np.isfinite(result.k)
    for delta2 in (result.delta2_21cmfast, result.delta2_builtin):
        assert np.all(delta2[:, full] > 0)
    path = save_figure(validation_figure(result), tmp_path / "validation.png")
    image = imread(path)
    assert image.ndim == 3 and image.shape[0] > 300 and image.shape[1] > 600
