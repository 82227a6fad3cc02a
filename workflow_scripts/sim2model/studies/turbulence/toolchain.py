"""Toolchain check of the Athena++ build: every missing piece named before anything compiles.

Athena++'s ``configure.py`` writes a Makefile that calls one C++ compiler: ``g++`` by default
(``--cxx`` picks another family, ``--ccmd`` names the command, ``-mpi`` switches to ``mpicxx`` or
``--mpiccmd``; the ``CXX`` environment variable is *not* used), with ``-I`` of every ``--include``
and the ``--cflag`` string. :func:`check_toolchain` asks that same compiler, with those same flags,
to parse a one-line ``#include <hdf5.h>`` / ``#include <fftw3.h>`` (so ``CPATH``,
``CPLUS_INCLUDE_PATH`` and Debian's serial HDF5 folder in the default ``--include`` count as the
build would see them), and looks for ``make``, ``python3`` (runs configure.py), ``git`` (only
without ``code.archive``) and ``mpicxx`` (``build.mpi``). All problems go into one
:class:`ToolchainError` with the install commands for Debian/Ubuntu and conda.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from collections.abc import Sequence

#: The compiler command of each ``--cxx`` family (configure.py's COMPILER_COMMAND).
CXX_COMMANDS = {
    "g++": "g++", "g++-simd": "g++", "icpx": "icpx", "icpx-old": "icpx", "icpc": "icpc",
    "icpc-debug": "icpc", "icpc-phi": "icpc", "cray": "CC", "clang++": "clang++",
    "clang++-simd": "clang++", "clang++-apple": "clang++", "aocc": "clang++",
}  # fmt: skip
#: Headers of the build's libraries: (header, what, Debian package, conda package).
HEADERS = (("hdf5.h", "HDF5", "libhdf5-dev", "hdf5"), ("fftw3.h", "FFTW 3", "libfftw3-dev", "fftw"))
APT = ["g++", "make", *(debian for _, _, debian, _ in HEADERS)]
CONDA = ["cxx-compiler", "make", *(conda for _, _, _, conda in HEADERS)]
APT_MPI = ["libopenmpi-dev", "openmpi-bin"]
CONDA_MPI = ["openmpi"]
_NOT_FOUND = ("No such file or directory", "file not found", "cannot open source file")


class ToolchainError(RuntimeError):
    """A compiler, tool or header the Athena++ build needs is missing (all of them named)."""


def _flag_values(flags: Sequence[str], name: str) -> list[str]:
    """Values of ``--name=value`` / ``--name value`` in configure.py flags, in order."""
    values, flags = [], list(flags)
    for i, flag in enumerate(flags):
        if flag.startswith(f"{name}="):
            values.append(flag.split("=", 1)[1])
        elif flag == name and i + 1 < len(flags):
            values.append(flags[i + 1])
    return values


def build_compiler(flags: Sequence[str]) -> str:
    """The C++ compiler command configure.py puts into the Makefile for ``flags``."""
    cxx = (_flag_values(flags, "--cxx") or ["g++"])[-1]
    if "-mpi" in flags:
        mpiccmd = _flag_values(flags, "--mpiccmd")
        return mpiccmd[-1] if mpiccmd else ("CC" if cxx == "cray" else "mpicxx")
    ccmd = _flag_values(flags, "--ccmd")
    return ccmd[-1] if ccmd else CXX_COMMANDS.get(cxx, cxx)


def compiler_flags(flags: Sequence[str]) -> list[str]:
    """Compiler flags the Makefile adds from ``flags``: ``-I`` per ``--include``, ``--cflag``."""
    cflag = _flag_values(flags, "--cflag")  # configure.py keeps the last one
    includes = [f"-I{path}" for path in _flag_values(flags, "--include")]
    return [*includes, *(shlex.split(cflag[-1]) if cflag else [])]


def _header_problem(compiler: str, header: str, what: str, cflags: Sequence[str]) -> str | None:
    """None when ``compiler cflags`` parses ``#include <header>``, else why not."""
    command = [compiler, "-fsyntax-only", "-x", "c++", *cflags, "-"]
    try:
        result = subprocess.run(
            command, input=f"#include <{header}>\n", capture_output=True, text=True, timeout=120
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"header {header} ({what}): `{shlex.join(command)}` could not run ({err})"
    if result.returncode == 0:
        return None
    first = next((line for line in result.stderr.splitlines() if "error" in line), "")
    if header in first and any(text in first for text in _NOT_FOUND):
        return f"header {header} ({what}): not found by `{shlex.join(command[:1] + list(cflags))}`"
    return (
        f"header {header} ({what}): found but does not compile with "
        f"`{shlex.join(command[:1] + list(cflags))}`: {first or result.stderr.strip()[-300:]}"
    )


def toolchain_problems(flags: Sequence[str], *, need_git: bool = False) -> list[str]:
    """Every missing piece of the build of ``flags`` (empty when the build can start)."""
    problems, compiler = [], build_compiler(flags)
    path = shutil.which(compiler)
    if path is None:
        hint = ""
        if "-mpi" in flags:
            hint = "; build.mpi needs Open MPI's compiler wrapper"
        elif os.environ.get("CXX") and not _flag_values(flags, "--ccmd"):
            hint = (
                f"; configure.py ignores CXX={os.environ['CXX']}: add "
                f"'--ccmd={os.environ['CXX']}' to turbulence.athena.build.extra_flags"
            )
        problems.append(f"C++ compiler `{compiler}`: not on PATH{hint}")
    for tool, why, needed in (
        ("make", "runs the Makefile", True),
        ("python3", "runs configure.py", True),
        ("git", "clones Athena++ (no code.archive set)", need_git),
    ):
        if needed and shutil.which(tool) is None:
            problems.append(f"`{tool}` ({why}): not on PATH")
    cflags = compiler_flags(flags)
    for header, what, _, _ in HEADERS:
        if path is None:
            problems.append(f"header {header} ({what}): not checked (no compiler)")
            continue
        problem = _header_problem(path, header, what, cflags)
        if problem:
            problems.append(problem)
    return problems


def install_commands(flags: Sequence[str], *, need_git: bool = False) -> list[str]:
    """The Debian/Ubuntu and conda commands that install the build's toolchain."""
    apt, conda = list(APT), list(CONDA)
    if "-mpi" in flags:
        apt, conda = apt + APT_MPI, conda + CONDA_MPI
    if need_git:
        apt, conda = apt + ["git"], conda + ["git"]
    return [
        f"Debian/Ubuntu: sudo apt-get install {' '.join(apt)}",
        f"conda:         conda install -c conda-forge {' '.join(conda)}",
    ]


def check_toolchain(flags: Sequence[str], *, need_git: bool = False) -> None:
    """Raise one :class:`ToolchainError` naming every missing piece and the install commands."""
    problems = toolchain_problems(flags, need_git=need_git)
    if not problems:
        return
    lines = [
        "Athena++ cannot be built here (checked before compiling anything; configure.py "
        f"{shlex.join(flags)}):",
        *(f"  - {problem}" for problem in problems),
        "Install the toolchain, then rerun:",
        *(f"  {command}" for command in install_commands(flags, need_git=need_git)),
        "  (with conda, also point turbulence.athena.build.extra_flags at the env: "
        "--include=<env>/include --lib_path=<env>/lib --ccmd=<env's C++ compiler>; "
        "see envs/athena.yaml and docs/athena.md)",
    ]
    raise ToolchainError("\n".join(lines))
