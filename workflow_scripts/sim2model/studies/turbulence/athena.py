"""Athena++ driven MHD + cosmic-ray turbulence: input files, build and run.

The problem generator ``athena/pgen/sim2model_turb_cr.cpp`` (owned by this project) is copied into
a pinned Athena++ source tree, configured with :data:`CONFIGURE_FLAGS` and built once per
configuration. Each (transport class, realisation) run gets an athinput file written here from
the ``turbulence.athena`` config block, in code units: box side L = 1, isothermal sound speed
cs = 1, mean density rho0 = 1, so times are in L / cs and the eddy turnover time is
L / (Mach cs). Snapshots (``.athdf``, primitive variables plus ``Ec``) are written from
``run.saturation`` eddy times on, every ``run.spacing`` eddy times.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sim2model.studies.turbulence.toolchain import check_toolchain

log = logging.getLogger(__name__)

#: The problem generator, relative to the repository root.
PGEN = Path(__file__).resolve().parents[4] / "athena" / "pgen" / "sim2model_turb_cr.cpp"
#: Physics of every build: MHD (-b), FFT turbulence driver, cosmic rays, HDF5 output, isothermal.
CONFIGURE_FLAGS = ("-b", "-fft", "-cr", "-hdf5", "--eos=isothermal")
#: Courant number of every run (Athena++'s time step is cfl * dx / max(signal speed, vmax)).
CFL = 0.3
#: Transport classes the problem generator knows.
TRANSPORTS = ("mhd", "advection", "diffusion", "streaming")
_PROGRESS = re.compile(r"^cycle=(\d+) time=([0-9.eE+-]+) dt=([0-9.eE+-]+)")


class AthenaError(RuntimeError):
    """Athena++ failed to build or run (the message names the log or file to read)."""


# -- configuration ----------------------------------------------------------------------------
def build_key(commit: str, flags: Sequence[str], pgen: str | os.PathLike = PGEN) -> str:
    """Name of a build configuration: commit, configure flags and problem-generator content."""
    digest = hashlib.sha256()
    digest.update(commit.encode())
    digest.update("\0".join(flags).encode())
    digest.update(Path(pgen).read_bytes())
    return f"athena-{commit[:7]}-{digest.hexdigest()[:12]}"


def configure_flags(build: Mapping[str, Any]) -> list[str]:
    """Every ``configure.py`` flag of a ``turbulence.athena.build`` block, problem first."""
    return [
        f"--prob={PGEN.stem}",
        *CONFIGURE_FLAGS,
        *(["-mpi"] if build.get("mpi") else []),
        *build.get("extra_flags", []),
    ]


def eddy_time(physics: Mapping[str, Any]) -> float:
    """Eddy turnover time L / (Mach cs) in code units."""
    return 1.0 / physics["mach"]


def snapshot_times(athena: Mapping[str, Any]) -> list[float]:
    """Code times of a run's snapshots: after ``saturation`` eddy times, ``spacing`` apart."""
    t_eddy, run = eddy_time(athena["physics"]), athena["run"]
    return [t_eddy * (run["saturation"] + i * run["spacing"]) for i in range(run["snapshots"])]


def time_step(athena: Mapping[str, Any]) -> float:
    """Athena++'s time step, ``CFL * dx / vmax``: the reduced speed of light vmax exceeds every
    MHD signal speed and sets it (MHD-only runs too: their near-empty CR field goes non-finite
    when vmax is below the flow speed)."""
    return CFL / athena["cells"] / athena["physics"]["vmax"]


def cycle_limit(athena: Mapping[str, Any]) -> int:
    """``<time> nlim`` of every run: twice the steps to the last snapshot at dt = CFL dx / vmax
    (plus 100), so a run whose time step collapses stops at the cycle limit."""
    return int(2 * snapshot_times(athena)[-1] / time_step(athena)) + 100


def estimated_seconds(athena: Mapping[str, Any], ranks: int = 1) -> float:
    """Wall time estimate of one run from ``run.cell_updates_per_s`` (per core)."""
    steps = snapshot_times(athena)[-1] / time_step(athena)
    return steps * athena["cells"] ** 3 / (athena["run"]["cell_updates_per_s"] * ranks)


def cr_sound_flux(klass: Mapping[str, Any]) -> bool:
    """Whether a class's CR fluxes add the CR sound speed sqrt(4 Ec / (9 rho)) to their HLLE
    signal speeds (Athena++'s ``<cr> vflx = 1``): the class's ``cr_sound_flux``, by default on
    for ``advection`` only. Without it, CRs that barely diffuse (cell optical depth
    vmax dx / (3 kappa_par) >> 1) grow odd-even oscillations of Ec along the field that empty
    cells and crash the run (docs/athena.md)."""
    return bool(klass.get("cr_sound_flux", klass["transport"] == "advection"))


def athinput_text(athena: Mapping[str, Any], cls: str, *, seed: int) -> str:
    """The athinput file of one run of transport class ``cls`` (see the module docstring).

    ``seed`` seeds the turbulence driver (the same seed for every class of one realisation, so
    the classes differ by their cosmic-ray transport only).
    """
    physics, klass = athena["physics"], athena["classes"][cls]
    transport = klass["transport"]
    if transport not in TRANSPORTS:
        raise ValueError(
            f"turbulence.athena.classes.{cls}.transport: {transport!r} not in {TRANSPORTS}"
        )
    times, driving = snapshot_times(athena), physics["driving"]
    n, block = athena["cells"], athena["meshblock_cells"]
    spacing = times[1] - times[0] if len(times) > 1 else times[0]
    steps = times[-1] / time_step(athena)
    blocks = {
        "comment": {"problem": f"sim2model turbulence, class {cls} ({transport})"},
        "job": {"problem_id": cls},
        "output1": {"file_type": "hst", "dt": spacing / 10},
        "output2": {
            "file_type": "hdf5", "variable": "prim", "dt": spacing, "next_time": times[0],
            "xdmf": "false",
        },
        "time": {
            # twice the steps of dt = CFL dx / vmax: a run whose time step collapses stops
            # (run_athena then fails) instead of crawling until its wall-time limit
            "cfl_number": CFL, "nlim": cycle_limit(athena), "tlim": times[-1], "integrator": "vl2",
            "xorder": 2, "ncycle_out": max(1, int(steps // 20)),
        },
        "mesh": {},
        "meshblock": {"nx1": block, "nx2": block, "nx3": block},
        "hydro": {"iso_sound_speed": 1.0},
        "cr": {
            "vmax": physics["vmax"],
            "vs_flag": int(transport == "streaming"),
            "src_flag": int(transport != "mhd"),
            "vflx": int(cr_sound_flux(klass)),
        },
        "turbulence": {
            "turb_flag": 3, "dedt": physics["mach"] ** 3, "nlow": driving["nlow"],
            "nhigh": driving["nhigh"], "expo": driving["expo"],
            "tcorr": driving["tcorr"] * eddy_time(physics), "f_shear": driving["f_shear"],
            "rseed": seed,
        },
        "problem": {
            "transport": transport, "rho0": 1.0, "beta": physics["beta"],
            "cr_pressure_ratio": physics["cr_pressure_ratio"],
            "kappa_par": klass.get("kappa_par", 0.0),
        },
    }  # fmt: skip
    for d in (1, 2, 3):
        blocks["mesh"].update({
            f"nx{d}": n, f"x{d}min": -0.5, f"x{d}max": 0.5, f"ix{d}_bc": "periodic",
            f"ox{d}_bc": "periodic",
        })  # fmt: skip
    lines = []
    for name, values in blocks.items():
        lines.append(f"<{name}>")
        lines += [f"{key} = {_format(value)}" for key, value in values.items()]
        lines.append("")
    return "\n".join(lines)


def _format(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def parse_athinput(text: str) -> dict[str, dict[str, str]]:
    """Blocks of an athinput file as ``{block: {key: value string}}`` (comments dropped)."""
    blocks: dict[str, dict[str, str]] = {}
    current = None
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("<") and line.endswith(">"):
            current = blocks.setdefault(line[1:-1], {})
        elif current is not None and "=" in line:
            key, value = (part.strip() for part in line.split("=", 1))
            current[key] = value
    return blocks


# -- build --------------------------------------------------------------------------------------
def _unpack_source(code: Mapping[str, Any], into: Path) -> Path:
    """The Athena++ source tree of ``code`` (archive, directory, or Git URL at the commit)."""
    archive = code.get("archive")
    if archive:
        path = Path(archive)
        if not path.exists():
            raise AthenaError(f"turbulence.athena.code.archive: {path} does not exist")
        if path.is_dir():
            return Path(shutil.copytree(path, into / "athena"))
        with tarfile.open(path) as tar:
            tar.extractall(into, filter="data")
        roots = [p for p in into.iterdir() if p.is_dir()]
        if len(roots) != 1 or not (roots[0] / "configure.py").exists():
            raise AthenaError(f"{path}: expected one top folder holding configure.py")
        return roots[0]
    tree = into / "athena"
    subprocess.run(["git", "clone", "--quiet", code["url"], str(tree)], check=True)
    subprocess.run(["git", "-C", str(tree), "checkout", "--quiet", code["commit"]], check=True)
    return tree


def build_athena(
    binary: str | os.PathLike,
    *,
    code: Mapping[str, Any],
    flags: Sequence[str],
    jobs: int = 1,
    pgen: str | os.PathLike = PGEN,
) -> float:
    """Build Athena++ with the problem generator into ``binary``; returns the seconds taken.

    The source tree is unpacked into a temporary folder next to ``binary`` and removed after;
    configure.py's summary and the compiler's errors go to the log. The toolchain is checked
    first (:func:`~sim2model.studies.turbulence.toolchain.check_toolchain`): a missing compiler,
    tool or header stops the build with the install commands before anything is unpacked.
    """
    check_toolchain(flags, need_git=not code.get("archive"))
    start = time.perf_counter()
    binary = Path(binary)
    binary.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=binary.parent, prefix=".build-") as tmp:
        tree = _unpack_source(code, Path(tmp))
        shutil.copy2(pgen, tree / "src" / "pgen" / Path(pgen).name)
        configure = subprocess.run(
            ["python3", "configure.py", *flags], cwd=tree, capture_output=True, text=True
        )
        log.info("configure.py %s\n%s", " ".join(flags), configure.stdout + configure.stderr)
        if configure.returncode:
            raise AthenaError(f"configure.py {' '.join(flags)} failed (see the log above)")
        make = subprocess.run(["make", f"-j{jobs}"], cwd=tree, capture_output=True, text=True)
        if make.returncode:
            log.error("make failed:\n%s", make.stderr[-20000:])
            raise AthenaError(f"make -j{jobs} of Athena++ failed (compiler errors above)")
        shutil.move(tree / "bin" / "athena", binary)
    seconds = time.perf_counter() - start
    log.info("built %s in %.0f s", binary, seconds)
    return seconds


# -- run ----------------------------------------------------------------------------------------
def run_athena(
    binary: str | os.PathLike,
    athinput: str,
    run_dir: str | os.PathLike,
    *,
    tlim: float,
    ranks: int = 1,
) -> dict[str, float]:
    """Run Athena++ on ``athinput`` (text) in a fresh ``run_dir``, logging cycle/time progress.

    ``run_dir`` is emptied first, so a killed run reruns cleanly. More than one rank runs under
    ``mpirun -np ranks`` (a build with ``-mpi``). Returns the cycles, zone-cycles per CPU second
    and wall seconds Athena++ reported.
    """
    run_dir = Path(run_dir)
    if run_dir.exists():
        shutil.rmtree(run_dir)
    run_dir.mkdir(parents=True)
    (run_dir / "athinput").write_text(athinput)
    command = [str(Path(binary).resolve()), "-i", "athinput"]
    if ranks > 1:
        command = ["mpirun", "-np", str(ranks), *command]
    start = time.perf_counter()
    stats: dict[str, float] = {}
    tail: list[str] = []
    t, dt, cycle_limit_hit = 0.0, 0.0, False
    with subprocess.Popen(
        command, cwd=run_dir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as proc:
        for line in proc.stdout:
            tail = [*tail[-40:], line.rstrip()]
            cycle_limit_hit |= line.startswith("Terminating on cycle limit")
            match = _PROGRESS.match(line)
            if match:
                cycle, t, dt = int(match[1]), float(match[2]), float(match[3])
                log.info("cycle %d  t = %.4g / %.4g (%3.0f%%)  dt = %.3g", cycle, t, tlim,
                         100 * t / tlim, dt)  # fmt: skip
            elif "=" in line and line.split("=")[0].strip() in (
                "cycle",
                "zone-cycles",
                "zone-cycles/cpu_second",
            ):
                key, value = line.split("=", 1)
                stats[key.strip()] = float(value)
    if proc.returncode:
        raise AthenaError(
            f"Athena++ exited with {proc.returncode} in {run_dir}:\n" + "\n".join(tail)
        )
    if cycle_limit_hit:
        raise AthenaError(
            f"Athena++ stopped at its cycle limit at t = {t:.6g} of {tlim:g} in {run_dir}: the "
            f"time step collapsed (last dt = {dt:.3g}); see docs/athena.md (CR transport)"
        )
    stats["wall_seconds"] = time.perf_counter() - start
    log.info("Athena++ finished: %s", stats)
    return stats
