"""Toolchain checks of the real simulators: Athena++'s build and the optional 21cmFAST backend.

Fast: nothing is built. The missing pieces are made by a PATH without the compiler, by a
``--sysroot`` whose /usr/include lacks fftw3.h (the real compiler, the real headers otherwise),
by dropping Debian's serial HDF5 ``--include`` and by a fake compiler.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
import yaml

from sim2model.studies.turbulence.athena import build_athena, configure_flags
from sim2model.studies.turbulence.toolchain import (
    ToolchainError,
    build_compiler,
    check_toolchain,
    compiler_flags,
    toolchain_problems,
)

REPO = Path(__file__).resolve().parents[1]
SCHEMA = yaml.safe_load((REPO / "config" / "schema" / "turbulence.yaml").read_text())
BUILD = SCHEMA["properties"]["athena"]["properties"]["build"]["properties"]
#: The configure.py flags of the default build (Debian's serial HDF5 include and lib folders).
FLAGS = configure_flags({"mpi": False, "extra_flags": BUILD["extra_flags"]["default"]})
APT = "sudo apt-get install g++ make libhdf5-dev libfftw3-dev"
CONDA = "conda install -c conda-forge cxx-compiler make hdf5 fftw"
HAS_GXX = shutil.which("g++") is not None
needs_gxx = pytest.mark.skipif(not HAS_GXX, reason="no g++: bash tests/install_athena_deps.sh")


def path_without_compiler(tmp_path: Path) -> str:
    """A PATH folder holding make and python3 (the build's other tools), no C++ compiler."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("make", "python3"):
        if shutil.which(tool):
            (bin_dir / tool).symlink_to(shutil.which(tool))
    return str(bin_dir)


def test_compiler_is_the_one_configure_py_writes_into_the_makefile(monkeypatch):
    monkeypatch.setenv("CXX", "clang++")  # configure.py ignores CXX
    assert build_compiler(FLAGS) == "g++"
    assert build_compiler([*FLAGS, "--cxx=clang++"]) == "clang++"
    assert build_compiler([*FLAGS, "--ccmd=/opt/bin/my-g++"]) == "/opt/bin/my-g++"
    assert build_compiler([*FLAGS, "-mpi"]) == "mpicxx"
    assert build_compiler([*FLAGS, "-mpi", "--mpiccmd=mpiicpc"]) == "mpiicpc"
    assert compiler_flags(FLAGS) == ["-I/usr/include/hdf5/serial", "-U__FLT16_MAX__"]


@needs_gxx
def test_the_check_passes_on_this_machine():
    if not Path("/usr/include/fftw3.h").exists():
        pytest.skip("no FFTW headers: bash tests/install_athena_deps.sh")
    assert toolchain_problems(FLAGS) == []
    check_toolchain(FLAGS)


def test_a_path_without_the_compiler_names_it_and_the_install_commands(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", path_without_compiler(tmp_path))
    monkeypatch.delenv("CXX", raising=False)
    with pytest.raises(ToolchainError) as err:
        check_toolchain(FLAGS)
    message = str(err.value)
    assert "C++ compiler `g++`: not on PATH" in message
    assert "hdf5.h" in message and "fftw3.h" in message  # not checked without a compiler
    assert APT in message and CONDA in message
    assert "`make`" not in message and "`python3`" not in message  # both on PATH


def test_cxx_set_but_ignored_by_configure_py_is_pointed_out(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", path_without_compiler(tmp_path))
    monkeypatch.setenv("CXX", "x86_64-conda-linux-gnu-c++")
    with pytest.raises(ToolchainError, match="'--ccmd=x86_64-conda-linux-gnu-c\\+\\+'"):
        check_toolchain(FLAGS)


def test_mpi_and_git_are_checked_when_asked(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", path_without_compiler(tmp_path))
    with pytest.raises(ToolchainError) as err:
        check_toolchain([*FLAGS, "-mpi"], need_git=True)
    message = str(err.value)
    assert "`mpicxx`: not on PATH" in message and "`git`" in message
    assert f"{APT} libopenmpi-dev openmpi-bin git" in message
    assert f"{CONDA} openmpi git" in message


@needs_gxx
def test_an_include_path_without_fftw3_h_names_it(tmp_path):
    """The real g++ with a sysroot whose /usr/include is the machine's minus fftw3.h."""
    include = tmp_path / "root" / "usr" / "include"
    include.mkdir(parents=True)
    for entry in Path("/usr/include").iterdir():
        if entry.name != "fftw3.h":
            (include / entry.name).symlink_to(entry)
    flags = [*FLAGS, f"--ccmd={shutil.which('g++')}"]
    # --cflag is single-valued in configure.py: the sysroot joins the default one
    flags = [f for f in flags if not f.startswith("--cflag=")]
    flags.append(f"--cflag=-U__FLT16_MAX__ --sysroot={tmp_path / 'root'}")
    problems = toolchain_problems(flags)
    assert len(problems) == 1 and problems[0].startswith("header fftw3.h (FFTW 3): not found")
    with pytest.raises(ToolchainError) as err:
        check_toolchain(flags)
    assert "fftw3.h" in str(err.value) and "hdf5.h" not in str(err.value)
    assert APT in str(err.value) and CONDA in str(err.value)


@needs_gxx
def test_hdf5_h_outside_the_include_flags_is_missing_unless_cpath_has_it(monkeypatch):
    """Debian keeps hdf5.h in /usr/include/hdf5/serial: without that --include it is missing."""
    if not Path("/usr/include/hdf5/serial/hdf5.h").exists() or Path("/usr/include/hdf5.h").exists():
        pytest.skip("needs Debian's serial HDF5 layout")
    flags = [f for f in FLAGS if not f.startswith("--include=")]
    monkeypatch.delenv("CPATH", raising=False)
    monkeypatch.delenv("CPLUS_INCLUDE_PATH", raising=False)
    problems = toolchain_problems(flags)
    assert [p.split(":")[0] for p in problems] == ["header hdf5.h (HDF5)"]
    monkeypatch.setenv("CPATH", "/usr/include/hdf5/serial")  # the compiler's own search path
    assert toolchain_problems(flags) == []


def test_a_header_that_does_not_compile_is_reported_with_the_error(tmp_path):
    fake = tmp_path / "fake-g++"
    fake.write_text(
        "#!/bin/sh\ngrep -q hdf5 && { echo '/x/hdf5.h:3:1: error: bad _Float16' >&2; exit 1; }\n"
        "exit 0\n"
    )
    fake.chmod(0o755)
    problems = toolchain_problems([*FLAGS, f"--ccmd={fake}"])
    assert len(problems) == 1
    assert "hdf5.h (HDF5): found but does not compile" in problems[0]
    assert "bad _Float16" in problems[0]


def test_build_athena_checks_before_unpacking(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", path_without_compiler(tmp_path))
    code = {"archive": str(tmp_path / "missing.tar.gz"), "commit": "ed4d1e3"}
    with pytest.raises(ToolchainError, match="g\\+\\+"):  # not the archive's error
        build_athena(tmp_path / "out" / "athena", code=code, flags=FLAGS)
    assert not (tmp_path / "out").exists()


# --- 21cmFAST --------------------------------------------------------------------------------


def test_missing_21cmfast_names_the_install_commands(monkeypatch):
    from sim2model.studies.eor21cm.backend_21cmfast import import_py21cmfast

    monkeypatch.setitem(sys.modules, "py21cmfast", None)  # import fails
    with pytest.raises(ImportError) as err:
        import_py21cmfast()
    message = str(err.value)
    assert "python -m pip install 21cmFAST==4.1.1" in message
    assert "requirements-21cmfast.txt -c constraints.txt" in message
    assert "sudo apt-get install build-essential pkg-config libfftw3-dev libgsl-dev" in message
    assert "conda install -c conda-forge 21cmfast" in message
    assert "bash tests/install_21cmfast.sh" in message
