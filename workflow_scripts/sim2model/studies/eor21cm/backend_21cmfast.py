"""Optional 21cmFAST backend: coeval boxes with the fields of the built-in simulator's snapshots.

21cmFAST 4.1.1 (``requirements-21cmfast.txt``; ``tests/install_21cmfast.sh`` installs it and its
FFTW/GSL build dependencies) is imported only when a box is run. One box is one
``random_seed`` and one set of astrophysical parameters, run with the ``"simple"`` template
(no spin-temperature fluctuations, minihaloes, recombinations or discrete haloes; the
``E-INTEGRAL`` excursion-set source model; 2LPT density on a grid 3x finer than ``HII_DIM``)
at ``HII_DIM = box_cells`` and ``BOX_LEN = box_mpc``, with a throw-away cache directory and
nothing written to disk.

Boxes are float32 ``(N, N, N)`` indexed ``[x, y, z]`` with the line of sight along the last axis
(21cmFAST's own order; its velocity box is ``velocity_z``), as in
:mod:`sim2model.studies.eor21cm.seminumerical`. ``tb_mk`` is 21cmFAST's ``brightness_temp`` [mK]:
with ``USE_TS_FLUCT`` off it is ``27 mK (Omega_b h^2 / 0.023) sqrt(0.15 / (Omega_m h^2) (1 + z) /
10) xHI (1 + delta)``, no redshift-space distortions, so it is 0 wherever xHI is 0. ``xhi`` is
continuous in [0, 1] (21cmFAST partially ionises cells), unlike the built-in 0/1 boxes.

Reproducibility: the boxes are bit-identical for the same seed, parameters **and thread
count**; 21cmFAST seeds one random stream per OpenMP thread, so ``threads`` is part of a box's
identity (keep it fixed in the configuration, not tied to the cores a job happens to get).
Speed, 64^3 cells x 128 Mpc on 2 free cores: about 2.5 s of initial conditions plus 0.7 s per
redshift (6-7 s for 6 redshifts, 10-15 s of CPU time), 0.7 GB peak; importing takes 2.5 s.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np

from sim2model.io.dataset import Dataset
from sim2model.progress import progress as progress_bar
from sim2model.studies.eor21cm.maps import _dataset, snapshot_part
from sim2model.studies.eor21cm.seminumerical import Cosmology, Snapshot

#: Uniform ranges of the astrophysical parameters drawn by :func:`draw_astro_params`, in
#: 21cmFAST's log10 units: star fraction and escape fraction of 1e10 Msun haloes, turnover mass
#: [Msun] of star formation. Around 21cmFAST's defaults (-1.3, -1.0, 8.7); at z = 8 (48^3 cells,
#: 96 Mpc) the corners of this cube give box-mean xHI from 0.0 to 0.96, the defaults 0.53.
ASTRO_RANGES: dict[str, tuple[float, float]] = {
    "F_STAR10": (-1.7, -0.9),
    "F_ESC10": (-1.4, -0.6),
    "M_TURN": (8.2, 9.4),
}
TEMPLATE = "simple"
#: How a user installs the backend (tests/install_21cmfast.sh does the apt and pip steps).
APT_21CMFAST = "sudo apt-get install build-essential pkg-config libfftw3-dev libgsl-dev"
PIP_21CMFAST = "python -m pip install 21cmFAST==4.1.1"
CONDA_21CMFAST = "conda install -c conda-forge 21cmfast"


@dataclass(frozen=True)
class CoevalSnapshot(Snapshot):
    """A :class:`Snapshot` from 21cmFAST (``zeta`` is NaN) plus the astrophysical parameters."""

    astro: dict[str, float] = field(default_factory=dict)


def import_py21cmfast() -> ModuleType:
    """``py21cmfast``, or an ImportError that says how to install it."""
    try:
        import py21cmfast
    except ImportError as err:
        raise ImportError(
            f"eor21cm.source 21cmfast needs py21cmfast (21cmFAST 4.1.1), which failed to import "
            f"({err}). It compiles from source against FFTW and GSL; install, in the active "
            "environment:\n"
            f"  Debian/Ubuntu: {APT_21CMFAST}\n"
            f"                 then {PIP_21CMFAST} (in this repository, the pinned set: "
            "python -m pip install -r requirements-21cmfast.txt -c constraints.txt)\n"
            f"  conda:         {CONDA_21CMFAST}\n"
            "  (in a clone, `bash tests/install_21cmfast.sh` does the apt and pip steps; it is "
            "what the tests use)"
        ) from err
    return py21cmfast


def draw_astro_params(
    rng: np.random.Generator, ranges: Mapping[str, tuple[float, float]] = ASTRO_RANGES
) -> dict[str, float]:
    """One uniform draw of each parameter in ``ranges`` (default :data:`ASTRO_RANGES`)."""
    return {name: float(rng.uniform(lo, hi)) for name, (lo, hi) in ranges.items()}


def simulation_cosmology() -> Cosmology:
    """21cmFAST's default cosmology (Planck 2018) as a built-in :class:`Cosmology`."""
    params = import_py21cmfast().CosmoParams()
    return Cosmology(
        omega_m=params.OMm,
        omega_b=params.OMb,
        h=params.hlittle,
        n_s=params.POWER_INDEX,
        sigma8=params.SIGMA_8,
    )


def simulate_box(
    seed: int,
    redshifts: Sequence[float],
    *,
    box_cells: int = 64,
    box_mpc: float = 128.0,
    astro: Mapping[str, float] | None = None,
    threads: int = 1,
) -> list[CoevalSnapshot]:
    """Run one 21cmFAST box (``seed``, ``astro`` over the template's defaults) at ``redshifts``.

    Returns one snapshot per redshift, in the order given. ``astro`` maps AstroParams names to
    values (log10 units where 21cmFAST uses them); the snapshots carry the values used for the
    keys of :data:`ASTRO_RANGES` and of ``astro``.
    """
    p21c = import_py21cmfast()
    astro = dict(astro or {})
    inputs = p21c.InputParameters.from_template(
        [TEMPLATE],
        random_seed=int(seed),
        HII_DIM=int(box_cells),
        BOX_LEN=float(box_mpc),
        N_THREADS=int(threads),
        **astro,
    )
    wanted = [float(z) for z in redshifts]
    with tempfile.TemporaryDirectory(prefix="21cmfast-") as cache:
        coevals = p21c.run_coeval(
            inputs=inputs,
            out_redshifts=sorted(set(wanted), reverse=True),
            cache=p21c.OutputCache(cache),
            write=False,
            regenerate=True,
        )
    used = {k: float(getattr(inputs.astro_params, k)) for k in {**ASTRO_RANGES, **astro}}
    by_z = {float(c.redshift): c for c in coevals}
    return [_snapshot(by_z[z], int(seed), used) for z in wanted]


def _snapshot(coeval: Any, seed: int, astro: dict[str, float]) -> CoevalSnapshot:
    xhi = np.asarray(coeval.neutral_fraction, dtype=np.float32)
    return CoevalSnapshot(
        redshift=float(coeval.redshift),
        zeta=float("nan"),
        xhi_mean=float(xhi.mean(dtype=np.float64)),
        seed=seed,
        delta=np.asarray(coeval.density, dtype=np.float32),
        xhi=xhi,
        tb_mk=np.asarray(coeval.brightness_temp, dtype=np.float32),
        astro=astro,
    )


def twentyonecmfast_shard(
    seed: int,
    *,
    n_boxes: int,
    first_box_id: int,
    redshifts: Sequence[float],
    slices_per_box: int = 8,
    image_size: int | None = None,
    resize: str = "block_mean",
    box_cells: int = 64,
    box_mpc: float = 128.0,
    threads: int = 1,
    progress: bool = False,
) -> Dataset:
    """Maps of ``n_boxes`` 21cmFAST boxes (ids from ``first_box_id``) at every redshift.

    ``seed`` (the shard's) draws each box's random seed and its astrophysical parameters
    (:func:`draw_astro_params`), which spread xHI at a fixed redshift. Meta as for the other
    sources (``zeta`` NaN) plus the parameters (``F_STAR10``, ``F_ESC10``, ``M_TURN``) and
    ``n_threads``, part of a box's identity. Pass ``first_box_id = shard_index * n_boxes``.
    """
    rng = np.random.default_rng(seed)
    parts = []
    with progress_bar(n_boxes, "21cmfast boxes", enabled=progress) as bar:
        for i in range(n_boxes):
            box_seed = int(rng.integers(2**62))
            snaps = simulate_box(
                box_seed,
                redshifts,
                box_cells=box_cells,
                box_mpc=box_mpc,
                astro=draw_astro_params(rng),
                threads=threads,
            )
            slicing = (slices_per_box, image_size, resize)
            parts += [
                snapshot_part(snap, slicing, first_box_id + i, iz, n_threads=threads, **snap.astro)
                for iz, snap in enumerate(snaps)
            ]
            bar.update()
    return _dataset(parts, "21cmfast")
