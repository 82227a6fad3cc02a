"""Athena++ as the turbulence study's source: athinput files, and (slow) real builds and runs."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from sim2model.sims.athena import (
    CFL,
    build_key,
    configure_flags,
    parse_athinput,
    snapshot_times,
)
from sim2model.studies import STUDIES
from sim2model.studies.base import ConfigError

REPO = Path(__file__).resolve().parents[1]
DEFAULT = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
ATHENA_CONFIG = yaml.safe_load((REPO / "config" / "turbulence_athena.yaml").read_text())
ARCHIVE = REPO.parent / "shared" / "athena" / "athena-ed4d1e3.tar.gz"


def merged(override: dict, base: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merged(value, out[key])
        else:
            out[key] = value
    return out


def athena_study(override: dict | None = None):
    """The turbulence study of config/turbulence_athena.yaml (schema defaults filled in)."""
    from snakemake.utils import validate as fill_defaults

    config = merged(merged(ATHENA_CONFIG, DEFAULT), {})
    config = merged(override or {}, config)
    fill_defaults(config, str(REPO / "config" / "schema.yaml"))
    study = STUDIES["turbulence"](config)
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
    assert float(slow["problem"]["kappa_par"]) == 0.01
    assert float(blocks["diffusion_fast"]["problem"]["kappa_par"]) == 0.3
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
    ],
)  # fmt: skip
def test_bad_athena_settings_name_the_key(override, key):
    with pytest.raises(ConfigError) as caught:
        athena_study({"turbulence": {"athena": override}})
    assert caught.value.key == key


def test_every_output_names_the_surrogate_as_such():
    assert "SURROGATE" in STUDIES["turbulence"](DEFAULT).describe()
    assert "Athena++ runs of this workflow" in athena_study().describe()
