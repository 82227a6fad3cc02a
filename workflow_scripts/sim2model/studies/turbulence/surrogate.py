"""Surrogate MHD + cosmic-ray (CR) turbulence snapshots, written as genuine Athena++ ``.athdf``.

**This is not a hydrodynamics solver.** It is a statistically-motivated generator that stands in
for the Athena++ runs of Bustard & Oh (2022, 2023) in the workflow's embedded default, so that
the turbulence study (CNN classification of the CR transport model from gas density, U-Net maps
density -> CR / magnetic energy density) runs end to end without a simulation campaign. Each
snapshot is drawn from Gaussian random fields (GRFs) on an ``N^3`` periodic grid of the domain
``[-0.5, 0.5]^3``; the five classes differ in the ways the simulations were found to differ
(spectral slope, density contrast, small-scale "fuzziness", sharp fronts), and every physical
knob is jittered per snapshot so that classes overlap rather than separate trivially.

Building blocks (code units: box side 1, isothermal sound speed ``c_s = 1``, mean density 1):

* **GRF.** White noise from ``np.random.default_rng`` is filtered in Fourier space
  (``numpy.fft.rfftn``/``irfftn``) to the power spectrum ``P(k) ~ k^-alpha`` on integer mode
  numbers ``1 <= |k| <= N/2`` (fundamental to Nyquist, zero elsewhere), optionally times
  ``exp(-(k/k_d)^2)``, and scaled to zero mean and unit variance. ``P`` is the 3D (per-mode)
  spectrum, so ``alpha = 11/3`` is Kolmogorov (shell spectrum ``k^-5/3``).
* **Density** is lognormal: ``rho = exp(s) / <exp(s)>`` (mean exactly 1), with ``s`` a GRF of
  variance ``sigma_s^2 = ln(1 + b^2 M_eff^2)`` (Padoan & Nordlund 2011) for the compressibility
  ``b = 1/2`` of mixed driving and the effective sonic Mach number
  ``M_eff = M / sqrt(1 + eta)``, where ``eta`` is the fraction of CR pressure that couples to
  (and stiffens) the compressions. ``M`` is drawn uniformly in ``[1, 2]`` for every class.
* **Velocity**: three independent GRFs (natural solenoidal/compressive mixture) of slope 11/3,
  scaled to ``sqrt(<|v|^2>) = M``. **Pressure**: isothermal, ``press = rho c_s^2 = rho`` (stored in
  ``prim`` to match the layout of the adiabatic runs).
* **Magnetic field**: mean field ``b0 = sqrt(2 / beta)`` along x1 (plasma ``beta = 1``) plus a
  solenoidal GRF fluctuation of rms ``delta_b * b0``, the whole field compressed by flux freezing
  as ``B ~ rho^(1/2)``, so ``e_mag = |B|^2 / 2`` correlates with density but not perfectly.
* **CR energy density** (CR classes): ``Ec ~ rho^(4/3)`` (adiabatic CRs, gamma_c = 4/3) diffused
  with the lattice heat kernel (multiplier ``exp(-l^2/2 * sum_i 4 sin^2(k_i/2))``: a Gaussian of
  width ``l`` cells at small k, and a strictly positive kernel, so ``Ec > 0``), rescaled to mean
  ``EC_MEAN`` (CR pressure ``Ec/3`` equal to the gas pressure). ``l`` is the class's CR transport
  length, so density -> Ec is learnable but non-local.
* **CR flux** ``Fc = [4/3 Ec (v + v_st) - kappa grad(Ec/3)] / VMAX`` (periodic central
  differences), reported in units of the reduced speed of light ``VMAX`` as the Athena++ CR module
  does. ``kappa = l^2 M / 2`` (diffusion over one eddy time ``1/M``) for diffusive classes;
  streaming classes have ``kappa = 0`` and ``v_st = -chi v_A b_hat sign(b_hat . grad Ec)`` with
  ``v_A = |B| / sqrt(rho)`` and boost ``chi``.

The classes (base values; each is jittered per snapshot, see :data:`CLASS_PHYSICS`):

* ``mhd``: no CRs. Kolmogorov slope ``alpha = 11/3``, full compressibility (``eta = 0``). No CR
  fields are written, as in real MHD-only runs.
* ``diffusion_slow``: CRs tightly coupled to the gas (slow diffusion) add their pressure to the
  effective sound speed (``eta ~ 1``), so compressions are weaker: lower log-density variance at
  the same slope; short CR transport length (``l ~ 1.5`` cells at 64^3).
* ``diffusion_fast``: CRs decouple on small scales and damp compressive (small-scale) structure
  (Bustard & Oh 2022): the spectrum is multiplied by ``exp(-(k/k_d)^2)`` with ``k_d ~ 0.4`` of
  the Nyquist frequency, giving "fuzzy" density; weak support (``eta ~ 0.2``), long transport
  length (``l ~ 6`` cells at 64^3).
* ``streaming``: CRs streaming at the Alfven speed form a "staircase" of plateaus separated by
  steep fronts (Tsung, Oh & Jiang 2021). The large-scale part of the unit log-density GRF ``g``
  (Gaussian low-pass at ``STAIR_SCALE`` of the Nyquist mode number) passes ``n`` times through
  the smooth monotone staircase ``g -> g - (a d / 2 pi) sin(2 pi g / d)`` (flat at multiples of
  ``d``, steep between) before exponentiating; the small-scale remainder is kept with weight
  ``r ~ 0.6`` (streaming losses damp compressions inside plateaus), so that the fronts, not the
  grid-scale roughness of a Kolmogorov field, carry the steepest gradients. ``eta ~ 0.5``.
* ``streaming_fast``: streaming with a boosted speed (``chi ~ 4``): stronger sharpening (more
  passes, finer steps) and a shallower slope ``alpha ~ 3.3`` (more small-scale structure).

Output fields are float32 arrays indexed ``[z, y, x]`` = ``[x3, x2, x1]``, as Athena++'s
reassembled global arrays. One ``(transport, cells, seed)`` gives bit-identical fields and files:
the generator is ``np.random.default_rng([seed, class index])``, so classes never share noise.
Speed on one core: about 0.12 s for a 64^3 snapshot and 1-2 s for 128^3.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim2model.studies.turbulence.athdf_write import write_athdf

log = logging.getLogger(__name__)

TRANSPORT_CLASSES: tuple[str, ...] = (
    "mhd",
    "diffusion_slow",
    "diffusion_fast",
    "streaming",
    "streaming_fast",
)
HYDRO_VARIABLES = ("rho", "press", "vel1", "vel2", "vel3")
CR_VARIABLES = ("Ec", "Fc1", "Fc2", "Fc3")
FIELD_VARIABLES = ("Bcc1", "Bcc2", "Bcc3")

COMPRESSIBILITY = 0.5  # b in sigma_s^2 = ln(1 + b^2 M^2): mixed solenoidal/compressive driving
MACH_RANGE = (1.0, 2.0)  # rms sonic Mach number, drawn uniformly for every class
VELOCITY_SLOPE = 11 / 3  # 3D spectral slope of each velocity component (Kolmogorov)
FLUCTUATION_SLOPE = 11 / 3  # 3D spectral slope of the magnetic fluctuation
PLASMA_BETA = 1.0  # 2 p / b0^2 at mean density
DELTA_B_RANGE = (0.4, 0.8)  # rms magnetic fluctuation / mean field
EC_MEAN = 3.0  # mean CR energy density: CR pressure Ec/3 equals the gas pressure
VMAX = 100.0  # reduced speed of light of the CR module; Fc is stored in units of VMAX
STAIR_SCALE = 0.25  # staircase acts on modes below this fraction of Nyquist (Gaussian low-pass)
SLOPE_JITTER = 0.15  # half-width of the uniform jitter of every class's slope
CYCLES_PER_SNAPSHOT = 100  # NumCycles written for snapshot number s is 100 s


@dataclass(frozen=True)
class ClassPhysics:
    """Base values of one transport class; :func:`draw_parameters` jitters them per snapshot.

    ``alpha``: 3D spectral slope of log-density. ``cr_support``: ``eta``, the CR pressure fraction
    that stiffens compressions. ``damping``: ``k_d`` as a fraction of the Nyquist mode number
    (``None``: no damping). ``stair_step``/``stair_strength``/``stair_passes``: staircase step
    ``d`` (in units of the large-scale rms), amplitude ``a`` in (0, 1], passes ``n`` (0: none)
    and weight ``r`` of the small-scale remainder.
    ``transport_length``: CR transport length in box units (0: no CRs). ``streaming_boost``:
    ``chi``, streaming speed over the Alfven speed (0: diffusive transport).
    """

    alpha: float
    cr_support: float = 0.0
    damping: float | None = None
    stair_step: float = 1.0
    stair_strength: float = 0.0
    stair_passes: int = 0
    stair_residual: float = 1.0
    transport_length: float = 0.0
    streaming_boost: float = 0.0


CLASS_PHYSICS: dict[str, ClassPhysics] = {
    "mhd": ClassPhysics(alpha=11 / 3),
    "diffusion_slow": ClassPhysics(alpha=11 / 3, cr_support=1.0, transport_length=0.025),
    "diffusion_fast": ClassPhysics(alpha=11 / 3, cr_support=0.2, damping=0.4, transport_length=0.1),
    "streaming": ClassPhysics(
        alpha=11 / 3,
        cr_support=0.5,
        stair_step=1.0,
        stair_strength=0.9,
        stair_passes=2,
        stair_residual=0.6,
        transport_length=0.05,
        streaming_boost=1.0,
    ),
    "streaming_fast": ClassPhysics(
        alpha=3.3,
        cr_support=0.5,
        stair_step=0.8,
        stair_strength=0.95,
        stair_passes=3,
        stair_residual=0.6,
        transport_length=0.05,
        streaming_boost=4.0,
    ),
}


@dataclass(frozen=True)
class SnapshotParameters:
    """The jittered physical parameters of one snapshot (see the module docstring)."""

    transport: str
    mach: float
    alpha: float
    cr_support: float
    sigma_s2: float
    damping: float | None
    stair_step: float
    stair_strength: float
    stair_passes: int
    stair_residual: float
    transport_length: float
    streaming_boost: float
    delta_b: float

    @property
    def has_crs(self) -> bool:
        return self.transport != "mhd"


def _check_transport(transport: str) -> int:
    if transport not in TRANSPORT_CLASSES:
        raise ValueError(f"transport {transport!r} is not one of {TRANSPORT_CLASSES}")
    return TRANSPORT_CLASSES.index(transport)


def _rng(transport: str, seed: int) -> np.random.Generator:
    return np.random.default_rng([int(seed), _check_transport(transport)])


def _draw(rng: np.random.Generator, transport: str) -> SnapshotParameters:
    base = CLASS_PHYSICS[transport]
    mach = rng.uniform(*MACH_RANGE)
    alpha = base.alpha + rng.uniform(-SLOPE_JITTER, SLOPE_JITTER)
    cr_support = base.cr_support * rng.uniform(0.8, 1.2)
    damping = None if base.damping is None else float(base.damping * rng.uniform(0.85, 1.15))
    strength, stair_step, stair_residual = base.stair_strength, base.stair_step, base.stair_residual
    if base.stair_passes:
        strength = min(strength + rng.uniform(-0.1, 0.1), 1.0)
        stair_step *= rng.uniform(0.9, 1.1)
        stair_residual = min(stair_residual * rng.uniform(0.85, 1.15), 1.0)
    transport_length = base.transport_length * rng.uniform(0.75, 1.25)
    streaming_boost = base.streaming_boost * rng.uniform(0.8, 1.2)
    delta_b = rng.uniform(*DELTA_B_RANGE)
    return SnapshotParameters(
        transport=transport,
        mach=float(mach),
        alpha=float(alpha),
        cr_support=float(cr_support),
        sigma_s2=float(np.log1p(COMPRESSIBILITY**2 * mach**2 / (1 + cr_support))),
        damping=damping,
        stair_step=float(stair_step),
        stair_strength=float(strength),
        stair_passes=base.stair_passes,
        stair_residual=float(stair_residual),
        transport_length=float(transport_length),
        streaming_boost=float(streaming_boost),
        delta_b=float(delta_b),
    )


def draw_parameters(transport: str, seed: int) -> SnapshotParameters:
    """The jittered parameters :func:`surrogate_fields` uses for ``(transport, seed)``."""
    return _draw(_rng(transport, seed), transport)


def _mode_numbers(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Integer mode numbers (k3, k2, k1) of the ``rfftn`` of an ``(n, n, n)`` array."""
    full = np.fft.fftfreq(n, d=1 / n)
    half = np.fft.rfftfreq(n, d=1 / n)
    return full[:, None, None], full[None, :, None], half[None, None, :]


def power_law_grf(
    rng: np.random.Generator, n: int, alpha: float, damping: float | None = None
) -> np.ndarray:
    """Zero-mean, unit-variance periodic GRF on ``(n, n, n)`` with ``P(k) ~ k^-alpha``.

    Power is non-zero only for mode numbers ``1 <= |k| <= n/2``; ``damping`` (a fraction of the
    Nyquist mode number ``n/2``) multiplies ``P`` by ``exp(-(k/k_d)^2)``. Returns float64.
    """
    k3, k2, k1 = _mode_numbers(n)
    k = np.sqrt(k1**2 + k2**2 + k3**2)
    inside = (k >= 1) & (k <= n / 2)
    power = np.where(inside, np.maximum(k, 1.0) ** -alpha, 0.0)
    if damping is not None:
        power *= np.exp(-((k / (damping * n / 2)) ** 2))
    field = np.fft.irfftn(np.fft.rfftn(rng.standard_normal((n, n, n))) * np.sqrt(power), (n,) * 3)
    return (field - field.mean()) / field.std()


def _solenoidal_grf(rng: np.random.Generator, n: int, alpha: float) -> list[np.ndarray]:
    """Divergence-free vector GRF (components x1, x2, x3) of unit total variance."""
    k3, k2, k1 = _mode_numbers(n)
    waves = [power_law_grf(rng, n, alpha) for _ in range(3)]
    spectra = [np.fft.rfftn(w) for w in waves]
    ksq = np.maximum(k1**2 + k2**2 + k3**2, 1.0)
    divergence = (k1 * spectra[0] + k2 * spectra[1] + k3 * spectra[2]) / ksq
    fields = [
        np.fft.irfftn(s - kc * divergence, (n,) * 3)
        for s, kc in zip(spectra, (k1, k2, k3), strict=True)
    ]
    total = np.sqrt(sum(np.mean(f**2) for f in fields))
    return [f / total for f in fields]


def lowpass(field: np.ndarray, k_cut: float) -> np.ndarray:
    """Multiply the spectrum of a periodic 3D field by ``exp(-(k/k_cut)^2)`` (mode numbers)."""
    n = field.shape[0]
    k3, k2, k1 = _mode_numbers(n)
    window = np.exp(-(k1**2 + k2**2 + k3**2) / k_cut**2)
    return np.fft.irfftn(np.fft.rfftn(field) * window, field.shape)


def _staircase(g: np.ndarray, step: float, strength: float, passes: int) -> np.ndarray:
    """Smooth monotone staircase: plateaus at multiples of ``step``, steep fronts between."""
    for _ in range(passes):
        g = g - strength * step / (2 * np.pi) * np.sin(2 * np.pi * g / step)
    return g


def lattice_diffuse(field: np.ndarray, length_cells: float) -> np.ndarray:
    """Diffuse a periodic 3D field with the lattice heat kernel of rms width ``length_cells``.

    The kernel is strictly positive and sums to one, so the result lies between the field's
    minimum and maximum and keeps its mean.
    """
    n = field.shape[0]
    k3, k2, k1 = _mode_numbers(n)
    symbol = sum(4 * np.sin(np.pi * kc / n) ** 2 for kc in (k1, k2, k3))
    return np.fft.irfftn(np.fft.rfftn(field) * np.exp(-0.5 * length_cells**2 * symbol), field.shape)


def _gradient(field: np.ndarray) -> list[np.ndarray]:
    """Periodic central-difference gradient (components x1, x2, x3) on the unit box."""
    n = field.shape[0]
    return [(np.roll(field, -1, axis) - np.roll(field, 1, axis)) * (n / 2) for axis in (2, 1, 0)]


def _log_density(rng: np.random.Generator, n: int, p: SnapshotParameters) -> np.ndarray:
    g = power_law_grf(rng, n, p.alpha, p.damping)
    if p.stair_passes:
        large = lowpass(g, STAIR_SCALE * n / 2)
        scale = large.std()
        stairs = scale * _staircase(large / scale, p.stair_step, p.stair_strength, p.stair_passes)
        g = stairs + p.stair_residual * (g - large)
        g = (g - g.mean()) / g.std()
    return np.sqrt(p.sigma_s2) * g


def _cr_fields(
    rho: np.ndarray, vel: list[np.ndarray], bcc: list[np.ndarray], p: SnapshotParameters
) -> dict[str, np.ndarray]:
    n = rho.shape[0]
    diffused = lattice_diffuse(rho ** (4 / 3), p.transport_length * n)
    ec = EC_MEAN * diffused / diffused.mean()
    grad_ec = _gradient(ec)
    if p.streaming_boost:
        # v_st = -chi v_A b_hat sign(b_hat . grad Ec) = -chi sign(B . grad Ec) B / sqrt(rho)
        along = np.sign(sum(b * g for b, g in zip(bcc, grad_ec, strict=True)))
        v_over_b = -p.streaming_boost * along / np.sqrt(rho)
        flux = [4 / 3 * ec * (v + v_over_b * b) for v, b in zip(vel, bcc, strict=True)]
    else:
        kappa = p.transport_length**2 * p.mach / 2
        flux = [4 / 3 * ec * v - kappa / 3 * g for v, g in zip(vel, grad_ec, strict=True)]
    fields = {"Ec": ec}
    fields.update({f"Fc{i}": f / VMAX for i, f in enumerate(flux, start=1)})
    return fields


def surrogate_fields(transport: str, cells: int, seed: int) -> dict[str, np.ndarray]:
    """Global ``(z, y, x)`` float32 fields of one snapshot.

    Keys: ``rho, press, vel1, vel2, vel3, Bcc1, Bcc2, Bcc3``, and for the four CR classes also
    ``Ec, Fc1, Fc2, Fc3`` (the MHD-only class has no CR fields, as real MHD-only runs).
    """
    rng = _rng(transport, seed)
    if cells < 8 or cells % 2:
        raise ValueError(f"cells must be an even number >= 8, got {cells}")
    p = _draw(rng, transport)
    s = _log_density(rng, cells, p)
    rho = np.exp(s)
    rho /= rho.mean()
    vel = [power_law_grf(rng, cells, VELOCITY_SLOPE) * p.mach / np.sqrt(3) for _ in range(3)]
    b0 = np.sqrt(2 / PLASMA_BETA)
    fluctuation = _solenoidal_grf(rng, cells, FLUCTUATION_SLOPE)
    compression = np.sqrt(rho)
    bcc = [compression * (p.delta_b * b0 * f) for f in fluctuation]
    bcc[0] += compression * b0
    fields = {"rho": rho, "press": rho, "vel1": vel[0], "vel2": vel[1], "vel3": vel[2]}
    fields.update(zip(FIELD_VARIABLES, bcc, strict=True))
    if p.has_crs:
        fields.update(_cr_fields(rho, vel, bcc, p))
    return {name: value.astype(np.float32) for name, value in fields.items()}


def write_surrogate_snapshot(
    path: str | Path,
    transport: str,
    cells: int,
    seed: int,
    *,
    snapshot: int,
    block_cells: int,
    time: float,
) -> None:
    """Write one :func:`surrogate_fields` snapshot as an Athena++ ``.athdf`` file.

    Dataset ``prim`` holds ``rho, press, vel1, vel2, vel3`` (plus ``Ec, Fc1, Fc2, Fc3`` for CR
    classes) and dataset ``B`` holds ``Bcc1, Bcc2, Bcc3``; float32 data in cubic meshblocks of
    ``block_cells`` on the domain ``[-0.5, 0.5]^3``, ``NumCycles = 100 * snapshot``.
    """
    if block_cells < 1 or cells % block_cells:
        raise ValueError(f"block_cells = {block_cells} must be positive and divide cells = {cells}")
    fields = surrogate_fields(transport, cells, seed)
    prim = [*HYDRO_VARIABLES, *(CR_VARIABLES if "Ec" in fields else ())]
    datasets = {
        "prim": {name: fields[name] for name in prim},
        "B": {name: fields[name] for name in FIELD_VARIABLES},
    }
    write_athdf(
        path,
        datasets,
        time=time,
        cycle=CYCLES_PER_SNAPSHOT * snapshot,
        block_size=(block_cells,) * 3,
    )
    log.info("wrote %s (%s, %d^3 cells, seed %d, t = %g)", path, transport, cells, seed, time)
