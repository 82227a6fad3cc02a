"""Turbulence source stage on real simulations: build Athena++, run each (class, realisation).

The snapshots the runs write are ordinary ``.athdf`` files: the study's reader -> FITS -> slabs
path then treats them exactly like a user's own runs.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim2model.plots.style import save_figure
from sim2model.studies.turbulence.athdf import read_athdf
from sim2model.studies.turbulence.athena import AthenaError, build_athena, run_athena
from sim2model.studies.turbulence.physics import shell_power_spectrum, snapshot_summary
from sim2model.studies.turbulence.validation_figures import validation_figure

log = logging.getLogger(__name__)


def turbulence_athena_build(
    binary: str, *, code: Mapping[str, Any], flags: Sequence[str], jobs: int = 1
) -> None:
    """Build Athena++ (pinned commit + the project's problem generator) into ``binary``."""
    source = code.get("archive") or f"{code['url']} at {code['commit']}"
    log.info("Athena++ source: %s", source)
    build_athena(binary, code=code, flags=flags, jobs=jobs)


def turbulence_athena_run(
    binary: str,
    snapshots: Sequence[str],
    *,
    athinput: str,
    tlim: float,
    ranks: int = 1,
) -> None:
    """Run one (class, realisation) in the snapshots' folder and check every snapshot exists.

    The folder is emptied first (a killed run reruns from the start); it keeps the athinput
    file, the history file and ``run.json`` (cycles, zone-cycles per second, wall seconds).
    """
    run_dir = Path(snapshots[0]).parent
    stats = run_athena(binary, athinput, run_dir, tlim=tlim, ranks=ranks)
    missing = [path for path in snapshots if not Path(path).exists()]
    if missing:
        written = sorted(p.name for p in run_dir.glob("*.athdf"))
        raise AthenaError(f"Athena++ did not write {missing} (it wrote {written})")
    (run_dir / "run.json").write_text(json.dumps({**stats, "ranks": ranks}, indent=1))
    log.info("%d snapshots in %s", len(snapshots), run_dir)


def turbulence_athena_validation(
    snapshots: Sequence[str],
    figure: str,
    table_csv: str,
    table_md: str,
    *,
    snapshot_classes: Sequence[str],
    target_mach: float,
    caption: str,
) -> None:
    """Physics checks of every class's snapshots: figure and table (means over snapshots).

    ``snapshot_classes[i]`` is the transport class of ``snapshots[i]``.
    """
    rows, pdfs, rho_spectra, ec_spectra = [], {}, {}, {}
    edges = np.linspace(-3.0, 3.0, 41)
    for cls in dict.fromkeys(snapshot_classes):
        paths = [p for p, c in zip(snapshots, snapshot_classes, strict=True) if c == cls]
        summaries, ln_rho, p_rho, p_ec = [], [], [], []
        for path in paths:
            _, fields = read_athdf(path, ["rho", "vel1", "vel2", "vel3", "Ec"])
            summaries.append(snapshot_summary(fields))
            ln_rho.append(np.log(fields["rho"] / fields["rho"].mean()).ravel())
            k, power = shell_power_spectrum(fields["rho"])
            p_rho.append(power)
            p_ec.append(shell_power_spectrum(fields["Ec"] / fields["Ec"].mean())[1])
        density, _ = np.histogram(np.concatenate(ln_rho), edges, density=True)
        pdfs[cls] = (0.5 * (edges[1:] + edges[:-1]), np.where(density > 0, density, np.nan))
        rho_spectra[cls] = (k, np.mean(p_rho, axis=0))
        row = {"class": cls, "snapshots": len(paths)} | {
            key: float(np.mean([s[key] for s in summaries])) for key in summaries[0]
        }
        if row["cr_to_gas_pressure"] > 1e-6:  # MHD-only runs carry a numerical floor only
            ec_spectra[cls] = (k, np.mean(p_ec, axis=0))
        rows.append(row)
    table = pd.DataFrame(rows).set_index("class")
    table.to_csv(table_csv, float_format="%.6g")
    Path(table_md).write_text(
        f"Physics checks of the Athena++ runs (means over each class's snapshots; Mach target "
        f"{target_mach:g}). {caption}\n\n" + table.to_markdown(floatfmt=".4g") + "\n"
    )
    mach = table["mach"].to_dict()
    save_figure(validation_figure(pdfs, rho_spectra, ec_spectra, mach, target_mach), figure)
    log.info("physics checks:\n%s", table.to_string())
