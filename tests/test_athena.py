"""Athena++ as the turbulence study's source: athinput files, and (slow) real builds and runs."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import REQUIRE_SHARED, SHARED, skip_unless_required
from sim2model.errors import ConfigError
from sim2model.registry import STUDY_CLASSES
from sim2model.studies.turbulence.athena import (
    CFL,
    build_key,
    configure_flags,
    parse_athinput,
    snapshot_times,
)
from test_settings import merged

REPO = Path(__file__).resolve().parents[1]
DEFAULT = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
ATHENA_CONFIG = yaml.safe_load((REPO / "config" / "turbulence_athena.yaml").read_text())
ARCHIVE = SHARED / "athena" / "athena-ed4d1e3.tar.gz"


def athena_study(override: dict | None = None):
    """The turbulence study of config/turbulence_athena.yaml (schema defaults filled in)."""
    from sim2model.schema import validate_config

    config = merged(merged(ATHENA_CONFIG, DEFAULT), {})
    config = merged(override or {}, config)
    validate_config(config, REPO / "config" / "schema.yaml")
    study = STUDY_CLASSES["turbulence"](config)
    study.check()
    return study


def test_athinput_holds_the_configured_values():
    study = athena_study(
        {"turbulence": {"athena": {
            "cells": 24, "meshblock_cells": 12,
            "physics": {"mach": 2.0, "beta": 0.5, "cr_pressure_ratio": 0.3, "vmax": 25.0,
                        "driving": {"nlow": 1, "nhigh": 4, "tcorr": 0.25}},
            "run": {"saturation": 1.5, "spacing": 0.5, "snapshots": 4},
        }}}
    )  # fmt: skip
    blocks = {cls: parse_athinput(study.athena_input(cls, seed=1234)) for cls in study.classes()}
    slow = blocks["diffusion_slow"]
    assert slow["mesh"]["nx1"] == slow["mesh"]["nx3"] == "24"
    assert slow["meshblock"]["nx2"] == "12"
    assert float(slow["cr"]["vmax"]) == 25.0 and slow["cr"]["vs_flag"] == "0"
    assert slow["cr"]["src_flag"] == "1"
    assert float(slow["problem"]["kappa_par"]) == 0.1
    assert float(blocks["diffusion_fast"]["problem"]["kappa_par"]) == 1.0
    assert float(slow["problem"]["beta"]) == 0.5
    assert float(slow["problem"]["cr_pressure_ratio"]) == 0.3
    assert slow["problem"]["transport"] == "diffusion"
    turbulence = slow["turbulence"]
    assert float(turbulence["dedt"]) == pytest.approx(8.0)  # Mach^3
    assert float(turbulence["tcorr"]) == pytest.approx(0.125)  # 0.25 eddy times of 1/Mach
    assert turbulence["nhigh"] == "4" and turbulence["rseed"] == "1234"
    # snapshots from 1.5 eddy times (0.75 code units) every 0.25, four of them
    output = slow["output2"]
    assert output["file_type"] == "hdf5" and output["variable"] == "prim"
    assert float(output["next_time"]) == pytest.approx(0.75)
    assert float(output["dt"]) == pytest.approx(0.25)
    assert float(slow["time"]["tlim"]) == pytest.approx(1.5) == study.athena_tlim()
    assert float(slow["time"]["cfl_number"]) == CFL
    assert blocks["streaming"]["cr"]["vs_flag"] == "1"
    mhd = blocks["mhd"]
    assert mhd["problem"]["transport"] == "mhd" and mhd["cr"]["src_flag"] == "0"
    assert {b["turbulence"]["rseed"] for b in blocks.values()} == {"1234"}  # same driving


def test_advection_class_athinput_advects_crs_only():
    """CR advection only: CRs coupled to the gas (src_flag 1), neither streaming (vs_flag 0) nor
    diffusing (kappa_par 0: the problem generator's opacity is max_opacity), with the CR sound
    speed in the flux signal speeds (vflx 1) that keeps such runs stable; other classes keep
    vflx 0 unless they set cr_sound_flux."""
    study = athena_study(
        {"turbulence": {"athena": {"classes": {
            "mhd": {"transport": "mhd"},
            "advection": {"transport": "advection"},
            "diffusion_slow": {"transport": "diffusion", "kappa_par": 0.1},
            "diffusion_tight": {"transport": "diffusion", "kappa_par": 0.01, "cr_sound_flux": True},
            "streaming": {"transport": "streaming"},
        }}}}
    )  # fmt: skip
    blocks = {cls: parse_athinput(study.athena_input(cls, seed=7)) for cls in study.classes()}
    advection = blocks["advection"]
    assert advection["problem"]["transport"] == "advection"
    assert float(advection["problem"]["kappa_par"]) == 0.0
    assert advection["cr"] | {"vmax": "10.0"} == {
        "vmax": "10.0", "vs_flag": "0", "src_flag": "1", "vflx": "1",
    }  # fmt: skip
    assert {cls: b["cr"]["vflx"] for cls, b in blocks.items()} == {
        "mhd": "0", "advection": "1", "diffusion_slow": "0", "diffusion_fast": "0",
        "diffusion_tight": "1", "streaming": "0",
    }  # fmt: skip
    assert blocks["diffusion_tight"]["cr"]["src_flag"] == "1"


def test_a_collapsed_time_step_stops_the_run_with_an_error(tmp_path):
    """nlim is twice the steps at dt = CFL dx / vmax, and a run stopped by it (its time step
    collapsed, as CR runs without vflx do: docs/athena.md) is an error, not a finished run."""
    from sim2model.studies.turbulence.athena import AthenaError, run_athena

    study = athena_study()
    blocks = parse_athinput(study.athena_input("advection", seed=1))
    steps = study.athena_tlim() / (CFL / 32 / 10.0)
    assert int(blocks["time"]["nlim"]) == int(2 * steps) + 100
    fake = tmp_path / "athena"
    fake.write_text(
        "#!/bin/sh\n"
        "echo 'cycle=600 time=1.1216e+00 dt=4.7e-22'\n"
        "echo 'Terminating on cycle limit'\n"
        "echo 'zone-cycles/cpu_second = 4.0e+05'\n"
    )
    fake.chmod(0o755)
    with pytest.raises(
        AthenaError, match=r"cycle limit at t = 1.1216 of 2 in .*: the time step collapsed"
    ):
        run_athena(fake, "<job>\n", tmp_path / "run", tlim=2.0)
    fake.write_text(fake.read_text().replace("cycle limit", "time limit"))
    assert run_athena(fake, "<job>\n", tmp_path / "run", tlim=2.0)["zone-cycles/cpu_second"] > 0


def test_snapshot_times_and_build_names():
    athena = athena_study().settings["athena"]
    assert snapshot_times(athena) == pytest.approx([1.0, 1.5, 2.0])
    flags = configure_flags(athena["build"])
    assert flags[:5] == ["--prob=sim2model_turb_cr", "-b", "-fft", "-cr", "-hdf5"]
    assert "-mpi" not in flags and "-mpi" in configure_flags({**athena["build"], "mpi": True})
    one = build_key(athena["code"]["commit"], flags)
    assert one.startswith("athena-ed4d1e3-") and one == build_key(athena["code"]["commit"], flags)
    assert one != build_key(athena["code"]["commit"], [*flags, "-mpi"])


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ({"meshblock_cells": 12}, "turbulence.athena.meshblock_cells"),
        ({"ranks": 2, "meshblock_cells": 16}, "turbulence.athena.build.mpi"),
        ({"ranks": 9, "build": {"mpi": True}, "meshblock_cells": 16},
         "turbulence.athena.ranks"),
        ({"classes": {"diffusion_slow": {"transport": "diffusion", "kappa_par": 0.0}}},
         "turbulence.athena.classes.diffusion_slow.kappa_par"),
        ({"classes": {"advection": {"transport": "advection", "kappa_par": 0.1}}},
         "turbulence.athena.classes.advection.kappa_par"),
    ],
)  # fmt: skip
def test_bad_athena_settings_name_the_key(override, key):
    with pytest.raises(ConfigError) as caught:
        athena_study({"turbulence": {"athena": override}})
    assert caught.value.key == key


def test_every_output_names_the_surrogate_as_such():
    assert "SURROGATE" in STUDY_CLASSES["turbulence"](DEFAULT).describe()
    assert "Athena++ runs of this workflow" in athena_study().describe()


# -- real Athena++ (slow): built once per session into the build cache, then run ---------------
TINY_ATHENA = """
studies: [turbulence]
train: {{epochs: 3, batch_size: 16}}
turbulence:
  source: athena
  athena:
    code: {{archive: "{archive}"}}
    cells: 16
    meshblock_cells: 16
    run: {{saturation: 1.0, spacing: 0.5, snapshots: 2}}
  variants:
    transport: {{task: classification, input: rho}}
    transport_projected: {{task: classification, input: rho, train_on_projections: true}}
    mhd_vs_cr:
      task: classification
      input: rho
      groups: {{mhd: [mhd], cr: [diffusion_slow, diffusion_fast, streaming]}}
    ecr: null
    emag: null
  flattened_variant: null
  dataset:
    spatial: {{axis: 0, buffer: 1, periodic: true, tile: 8, projection_depth: 2}}
  interpretation:
    {{variant: mhd_vs_cr, smoothing_class: mhd, saliency_per_class: 1, smoothing_sigmas: [0, 2]}}
  models:
    cnn:
      arch: cnn_classifier
      variants: [transport, transport_projected, mhd_vs_cr]
      filters: [4, 8]
      dense_units: 8
    unet: null
"""


@pytest.fixture(scope="module")
def athena_workflow(tmp_path_factory) -> Path:
    """A workflow copy configured for tiny real Athena++ runs, the build cache shared by the
    session ($SIM2MODEL_ATHENA_CACHE, which tests/install_athena_deps.sh fills in CI)."""
    from test_workflow import copy_workflow

    if not ARCHIVE.exists():
        skip_unless_required(
            f"Athena++ source archive not found at {ARCHIVE} (../shared absent)", REQUIRE_SHARED
        )
    if shutil.which("g++") is None or not Path("/usr/include/hdf5/serial/hdf5.h").exists():
        pytest.skip("g++ or libhdf5-dev missing: run tests/install_athena_deps.sh")
    if not os.environ.get("SIM2MODEL_ATHENA_CACHE"):
        os.environ["SIM2MODEL_ATHENA_CACHE"] = str(tmp_path_factory.getbasetemp() / "athena")
    work = copy_workflow(tmp_path_factory.mktemp("athena") / "wf")
    (work / "athena.yaml").write_text(TINY_ATHENA.format(archive=ARCHIVE))
    return work


def run_athena_workflow(work: Path, *targets: str) -> None:
    from test_workflow import snakemake

    snakemake(work, "--cores", "2", *targets, configfiles=(work / "athena.yaml",))


@pytest.mark.slow
@pytest.mark.athena
def test_real_runs_differ_as_the_physics_says(athena_workflow):
    """Faster CR diffusion along the field smooths the CR energy; MHD-only runs carry no CR
    pressure; the time step is 0.3 dx / vmax."""
    from sim2model.studies.turbulence.athdf import read_athdf
    from sim2model.studies.turbulence.physics import small_scale_power

    run_athena_workflow(athena_workflow, "turbulence_athena_validation")
    results = athena_workflow / "results/turbulence"
    table = pd.read_csv(results / "tables/athena_validation.csv", index_col=0)
    assert table.loc["mhd", "cr_to_gas_pressure"] < 1e-7  # the 1e-8 floor only
    for cls in ("diffusion_slow", "diffusion_fast", "streaming"):
        assert table.loc[cls, "cr_to_gas_pressure"] > 0.1
    assert (
        table.loc["diffusion_fast", "ec_small_scale_power"]
        < 0.5 * table.loc["diffusion_slow", "ec_small_scale_power"]
    )
    assert (table["mach"] > 0.3).all() and (table["mach"] < 3).all()
    runs = results / "athena/runs"
    fractions = {}
    for cls in ("diffusion_slow", "diffusion_fast"):
        _, fields = read_athdf(runs / cls / "r0" / f"{cls}.out2.00001.athdf", ["Ec"])
        fractions[cls] = small_scale_power(fields["Ec"], k_min=4)
    assert fractions["diffusion_fast"] < 0.5 * fractions["diffusion_slow"]
    history = np.loadtxt(runs / "diffusion_slow/r0/diffusion_slow.hst")
    assert np.allclose(history[1:-1, 1], CFL / 16 / 10.0)  # dt = CFL dx / vmax all along
    assert (athena_workflow / "results/turbulence/figures/athena_validation.png").stat().st_size


@pytest.mark.slow
@pytest.mark.athena
def test_real_advection_run_stays_stable(athena_workflow, tmp_path):
    """CR advection only at 16^3 reaches 1.5 eddy times at dt = CFL dx / vmax with no emptied
    cells, CRs compressed with the gas (Ec ~ rho^(4/3)). Without <cr> vflx = 1 the same run's
    time step collapses at t ~ 0.76 (docs/athena.md) and run_athena stops at the cycle limit."""
    from sim2model.studies.turbulence.athdf import read_athdf
    from sim2model.studies.turbulence.athena import run_athena

    run_athena_workflow(athena_workflow, "turbulence_athena_build")
    study = athena_study(
        {"turbulence": {"athena": {
            "code": {"archive": str(ARCHIVE)}, "cells": 16, "meshblock_cells": 16,
            "run": {"saturation": 1.5, "snapshots": 1},
            "classes": {"advection": {"transport": "advection"}},
        }, "dataset": {"spatial": {"buffer": 1, "tile": 8}}}}
    )  # fmt: skip
    run = tmp_path / "advection"
    run_athena(study.athena_binary(), study.athena_input("advection", seed=12345), run, tlim=1.5)
    history = np.loadtxt(run / "advection.hst")
    assert history[-1, 0] == pytest.approx(1.5) and np.allclose(history[1:-1, 1], CFL / 16 / 10.0)
    _, fields = read_athdf(run / "advection.out2.00000.athdf", ["rho", "Ec"])
    ec, rho = fields["Ec"], fields["rho"]
    assert ec.min() > 0.2 * ec.mean() and 2.0 < ec.mean() < 5.0  # started at Ec = 3 everywhere
    slope, _ = np.polyfit(np.log(rho).ravel(), np.log(ec).ravel(), 1)
    assert 1.1 < slope < 1.6


@pytest.mark.slow
@pytest.mark.athena
def test_real_athena_runs_train_a_classifier(athena_workflow):
    """Athena++ build (cached) -> runs -> snapshots -> FITS -> slabs -> trained classifiers."""
    from sim2model.io.dataset import validate_dataset

    run_athena_workflow(athena_workflow)
    results = athena_workflow / "results/turbulence"
    two = validate_dataset(results / "dataset/mhd_vs_cr/train.h5")
    assert two.attrs["class_names"] == ["mhd", "cr"] and set(two.y.tolist()) == {0, 1}
    accuracy = pd.read_csv(results / "tables/per_class_accuracy.csv", index_col=0)
    assert {"mhd", "cr", "diffusion_slow", "all"} <= set(accuracy.index)
    # slice-trained and projection-trained networks, both scored on projections
    assert {"transport/cnn projections", "transport_projected/cnn projections"} <= set(
        accuracy.columns
    )
    projected = validate_dataset(results / "dataset/transport_projected/train.h5")
    assert set(projected.meta["slice_depth"].tolist()) == {1, 2}
    smoothing = pd.read_csv(results / "tables/smoothing_fractions.csv", index_col=0)
    assert list(smoothing.columns) == ["mhd", "cr"]
    log = (athena_workflow / "logs/turbulence_athena_run/streaming/r0.log").read_text()
    assert "cycle" in log and "(100%)" in log
    build_log = athena_workflow / "logs/turbulence_athena_build/build.log"
    if build_log.exists():  # absent when the binary came from the cache
        assert "Cosmic Ray Transport:         ON" in build_log.read_text()
