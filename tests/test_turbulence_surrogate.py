"""Surrogate MHD + CR turbulence: determinism, contract, per-class physics, the .athdf writer."""

import h5py
import numpy as np
import pytest
from scipy.stats import chi2

from sim2model.studies.turbulence.athdf import read_athdf
from sim2model.studies.turbulence.surrogate import (
    COMPRESSIBILITY,
    CR_VARIABLES,
    EC_MEAN,
    FIELD_VARIABLES,
    HYDRO_VARIABLES,
    PLASMA_BETA,
    TRANSPORT_CLASSES,
    VMAX,
    draw_parameters,
    lattice_diffuse,
    power_law_grf,
    surrogate_fields,
    write_surrogate_snapshot,
)

CR_CLASSES = TRANSPORT_CLASSES[1:]
SEEDS = (0, 1, 2)
N = 64

#: Gaussian field: |grad s|^2 is chi^2 with 3 dof; share of its sum held by the top 10% of cells
GAUSSIAN_SPARSITY = chi2.sf(chi2.ppf(0.9, 3), 5)


@pytest.fixture(scope="module")
def snapshots() -> dict[tuple[str, int], dict[str, np.ndarray]]:
    return {(t, s): surrogate_fields(t, N, s) for t in TRANSPORT_CLASSES for s in SEEDS}


def log_rho(fields: dict[str, np.ndarray]) -> np.ndarray:
    return np.log(fields["rho"].astype(np.float64))


def shell_power(field: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean |k| and mean |FFT|^2 of the modes in unit-width shells of integer mode number."""
    n = field.shape[0]
    k = np.fft.fftfreq(n, d=1 / n)
    kk = np.sqrt(k[:, None, None] ** 2 + k[None, :, None] ** 2 + k[None, None, :] ** 2).ravel()
    shell = np.rint(kk).astype(int)
    count = np.maximum(np.bincount(shell), 1)
    power = np.bincount(shell, np.abs(np.fft.fftn(field - field.mean())).ravel() ** 2)
    return np.bincount(shell, kk) / count, power / count


def fitted_slope(field: np.ndarray, lo: int, hi: int) -> float:
    k, power = shell_power(field)
    return -np.polyfit(np.log(k[lo : hi + 1]), np.log(power[lo : hi + 1]), 1)[0]


def high_to_low_power(field: np.ndarray) -> float:
    _, power = shell_power(field)
    n = field.shape[0]
    return power[5 * n // 16 : n // 2].mean() / power[2:5].mean()


def gradient_sparsity(field: np.ndarray) -> float:
    """Share of sum(|grad|^2) held by the 10% of cells with the steepest gradient."""
    g2 = sum(((np.roll(field, -1, a) - np.roll(field, 1, a)) / 2) ** 2 for a in range(3)).ravel()
    return g2[g2 > np.quantile(g2, 0.9)].sum() / g2.sum()


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


def magnetic_energy(fields: dict[str, np.ndarray]) -> np.ndarray:
    return 0.5 * sum(fields[b].astype(np.float64) ** 2 for b in FIELD_VARIABLES)


# --- determinism and contract -------------------------------------------------------------


@pytest.mark.parametrize("transport", TRANSPORT_CLASSES)
def test_same_seed_is_bit_identical_and_seeds_differ(transport):
    a, b, c = (surrogate_fields(transport, 16, s) for s in (7, 7, 8))
    assert a.keys() == b.keys() == c.keys()
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not any(np.array_equal(a[k], c[k]) for k in a)


def test_classes_do_not_share_noise():
    rho = [surrogate_fields(t, 16, 3)["rho"] for t in TRANSPORT_CLASSES]
    assert abs(correlation(np.log(rho[0]), np.log(rho[1]))) < 0.5


@pytest.mark.parametrize("transport", TRANSPORT_CLASSES)
def test_fields_contract(transport, snapshots):
    fields = snapshots[transport, 0]
    expected = HYDRO_VARIABLES + FIELD_VARIABLES + (CR_VARIABLES if transport != "mhd" else ())
    assert sorted(fields) == sorted(expected)
    for name, values in fields.items():
        assert values.shape == (N, N, N) and values.dtype == np.float32, name
        assert np.all(np.isfinite(values)), name
    assert fields["rho"].min() > 0
    assert fields["rho"].mean(dtype=np.float64) == pytest.approx(1.0, abs=1e-6)
    assert np.array_equal(fields["press"], fields["rho"])  # isothermal, c_s = 1
    if transport != "mhd":
        assert fields["Ec"].min() > 0
        assert fields["Ec"].mean(dtype=np.float64) == pytest.approx(EC_MEAN, rel=1e-6)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="'hydro'"):
        surrogate_fields("hydro", 16, 0)
    with pytest.raises(ValueError, match="cells"):
        surrogate_fields("mhd", 9, 0)


def test_parameters_jitter_within_ranges():
    params = [draw_parameters("streaming_fast", s) for s in range(50)]
    mach = np.array([p.mach for p in params])
    alpha = np.array([p.alpha for p in params])
    assert 1.0 <= mach.min() and mach.max() <= 2.0 and mach.std() > 0.2
    assert 3.3 - 0.15 <= alpha.min() and alpha.max() <= 3.3 + 0.15 and alpha.std() > 0.05
    assert draw_parameters("mhd", 4) == draw_parameters("mhd", 4)


# --- building blocks ------------------------------------------------------------------------


def test_grf_is_unit_variance_with_the_requested_slope():
    field = power_law_grf(np.random.default_rng(0), 64, 3.0)
    assert field.mean() == pytest.approx(0, abs=1e-12) and field.std() == pytest.approx(1)
    assert fitted_slope(field, 4, 24) == pytest.approx(3.0, abs=0.1)
    _, power = shell_power(field)
    assert power[33:].max() < 1e-20 * power[1]  # nothing beyond the Nyquist sphere


def test_lattice_diffusion_kernel_is_positive_normalised_with_width_l():
    delta = np.zeros((32, 32, 32))
    delta[0, 0, 0] = 1.0
    kernel = lattice_diffuse(delta, 2.0)
    assert kernel.min() > -1e-15 and kernel.sum() == pytest.approx(1.0, abs=1e-12)
    x = np.fft.fftfreq(32, d=1 / 32)  # periodic distance from the origin cell
    assert np.sum(kernel * x[None, None, :] ** 2) == pytest.approx(4.0, rel=1e-6)  # l^2
    assert np.sum(kernel * x[:, None, None] ** 2) == pytest.approx(4.0, rel=1e-6)


# --- per-class physics ------------------------------------------------------------------------


@pytest.mark.parametrize("transport", TRANSPORT_CLASSES)
def test_log_density_variance_is_the_mach_relation(transport, snapshots):
    for seed in SEEDS:
        p = draw_parameters(transport, seed)
        expected = np.log(1 + COMPRESSIBILITY**2 * p.mach**2 / (1 + p.cr_support))
        assert log_rho(snapshots[transport, seed]).var() == pytest.approx(expected, rel=1e-4)


def test_mhd_log_density_spectrum_has_the_configured_slope(snapshots):
    for seed in SEEDS:
        alpha = draw_parameters("mhd", seed).alpha
        assert fitted_slope(log_rho(snapshots["mhd", seed]), 4, 3 * N // 8) == pytest.approx(
            alpha, abs=0.1
        )


def test_velocity_rms_is_the_mach_number(snapshots):
    for transport in TRANSPORT_CLASSES:
        fields = snapshots[transport, 1]
        v2 = sum(fields[v].astype(np.float64) ** 2 for v in ("vel1", "vel2", "vel3"))
        assert np.sqrt(v2.mean()) == pytest.approx(draw_parameters(transport, 1).mach, rel=1e-5)


def test_diffusion_fast_has_little_small_scale_power(snapshots):
    for seed in SEEDS:
        ratio = high_to_low_power(log_rho(snapshots["diffusion_fast", seed])) / high_to_low_power(
            log_rho(snapshots["mhd", seed])
        )
        assert ratio < 0.2


def test_diffusion_slow_is_less_compressed_than_mhd(snapshots):
    variance = {
        t: np.mean([log_rho(snapshots[t, s]).var() for s in SEEDS])
        for t in ("mhd", "diffusion_slow")
    }
    assert variance["diffusion_slow"] < 0.8 * variance["mhd"]


def test_streaming_density_has_sparse_steep_fronts(snapshots):
    for seed in SEEDS:
        assert gradient_sparsity(log_rho(snapshots["mhd", seed])) == pytest.approx(
            GAUSSIAN_SPARSITY, abs=0.005
        )
        assert gradient_sparsity(log_rho(snapshots["streaming", seed])) > GAUSSIAN_SPARSITY + 0.03


@pytest.mark.parametrize("transport", TRANSPORT_CLASSES)
def test_magnetic_energy_follows_density_but_not_perfectly(transport, snapshots):
    fields = snapshots[transport, 0]
    assert 0.3 < correlation(log_rho(fields), np.log(magnetic_energy(fields))) < 0.95


def test_flux_frozen_field_is_mean_field_plus_solenoidal_fluctuation(snapshots):
    fields = snapshots["streaming", 1]
    sqrt_rho = np.sqrt(fields["rho"].astype(np.float64))
    unfrozen = [fields[b].astype(np.float64) / sqrt_rho for b in FIELD_VARIABLES]  # x1, x2, x3
    assert unfrozen[0].mean() == pytest.approx(np.sqrt(2 / PLASMA_BETA), rel=1e-5)
    assert unfrozen[1].mean() == pytest.approx(0, abs=1e-5)
    assert unfrozen[2].mean() == pytest.approx(0, abs=1e-5)
    k = np.fft.fftfreq(N, d=1 / N)
    wavevector = (k[None, None, :], k[None, :, None], k[:, None, None])  # x1, x2, x3
    spectra = [np.fft.fftn(b) for b in unfrozen]
    divergence = sum(kc * b for kc, b in zip(wavevector, spectra, strict=True))
    gradient = np.sqrt(sum(np.abs(kc * b) ** 2 for kc in wavevector for b in spectra))
    assert np.abs(divergence).max() < 1e-5 * gradient.max()


def test_cr_energy_follows_density_less_with_longer_transport(snapshots):
    mean_corr = {
        t: np.mean(
            [correlation(log_rho(snapshots[t, s]), np.log(snapshots[t, s]["Ec"])) for s in SEEDS]
        )
        for t in CR_CLASSES
    }
    assert min(mean_corr.values()) > 0.3
    assert mean_corr["diffusion_slow"] > mean_corr["streaming"] > mean_corr["diffusion_fast"]


@pytest.mark.parametrize("transport", CR_CLASSES)
def test_cr_flux_relative_to_gas_runs_down_the_cr_gradient(transport, snapshots):
    fields = {k: v.astype(np.float64) for k, v in snapshots[transport, 2].items()}
    ec = fields["Ec"]
    grad = [(np.roll(ec, -1, a) - np.roll(ec, 1, a)) * N / 2 for a in (2, 1, 0)]
    relative = [VMAX * fields[f"Fc{i}"] - 4 / 3 * ec * fields[f"vel{i}"] for i in (1, 2, 3)]
    dot = sum(f * g for f, g in zip(relative, grad, strict=True))
    scale = np.sqrt(sum(f**2 for f in relative) * sum(g**2 for g in grad))
    assert np.all(dot <= 1e-4 * scale + 1e-12)
    assert np.mean(dot < -0.1 * scale) > 0.5


# --- the .athdf file ----------------------------------------------------------------------------


@pytest.mark.parametrize("transport", ["mhd", "streaming"])
def test_written_snapshot_reads_back_exactly(tmp_path, transport):
    path = tmp_path / f"{transport}.out2.00003.athdf"
    write_surrogate_snapshot(path, transport, 32, 5, snapshot=3, block_cells=16, time=0.3)
    fields = surrogate_fields(transport, 32, 5)
    header, stored = read_athdf(path)
    assert header.num_blocks == 8 and header.block_size == (16, 16, 16)
    assert header.root_grid_size == (32, 32, 32) and header.cycle == 300
    assert header.time == pytest.approx(0.3, rel=1e-7)
    assert header.domain == ((-0.5, 0.5),) * 3
    assert sorted(stored) == sorted(fields)
    for name, values in fields.items():
        assert stored[name].dtype == np.float32 and np.array_equal(stored[name], values), name
    with h5py.File(path, "r") as f:
        names = [n.decode() for n in f.attrs["DatasetNames"]]
        variables = [n.decode() for n in f.attrs["VariableNames"]]
        assert names == ["prim", "B"] and f["prim"].dtype == np.float32
        cr = list(CR_VARIABLES) if transport != "mhd" else []
        assert variables == [*HYDRO_VARIABLES, *cr, *FIELD_VARIABLES]
        assert f["prim"].shape == (len(HYDRO_VARIABLES) + len(cr), 8, 16, 16, 16)


def test_written_file_is_byte_identical_for_the_same_seed(tmp_path):
    paths = [tmp_path / f"{i}.athdf" for i in range(2)]
    for path in paths:
        write_surrogate_snapshot(path, "diffusion_fast", 16, 1, snapshot=0, block_cells=8, time=0)
    assert paths[0].read_bytes() == paths[1].read_bytes()


def test_block_cells_must_divide_cells(tmp_path):
    with pytest.raises(ValueError, match="block_cells"):
        write_surrogate_snapshot(
            tmp_path / "x.athdf", "mhd", 32, 0, snapshot=0, block_cells=12, time=0
        )
