"""Misspecification test: a study's models on samples their simulator did not make.

Every model of the study's misspecification variant is scored twice: on its own test split and
on samples from another simulator or other simulator settings (the study's
``misspecification`` block: GalSim stamps with another noise model, noise level or PSF; EoR
maps from SimFast21 runs for models trained on the built-in simulator). A neural posterior's
coverage on the second set shows whether its uncertainties warn the user when the simulator
does not match the data: a posterior too narrow for the new samples covers less than nominal.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from sim2model.tables import with_blanks

#: Per-target scores compared between the matched and the misspecified samples.
SCORES = ("rmse", "bias", "posterior_std", "coverage_68", "coverage_95")


def misspecification_table(metrics: Sequence[str], runs: Sequence[Sequence[str]]) -> pd.DataFrame:
    """One row per (model, target): each score of :data:`SCORES` on the matched (``test``) and
    the misspecified evaluation, and the RMSE ratio misspecified / matched. ``runs[i]`` is the
    ``(variant, model, evalset)`` of ``metrics[i]``; scores a point estimator lacks are NaN."""
    if len(runs) != len(metrics):
        raise ValueError(f"{len(runs)} runs for {len(metrics)} metrics files")
    records: dict[tuple[str, str], dict[str, float]] = {}
    for path, (_, model, evalset) in zip(metrics, runs, strict=True):
        side = "matched" if evalset == "test" else "misspecified"
        for target, scores in json.loads(Path(path).read_text())["targets"].items():
            row = records.setdefault((model, target), {"model": model, "target": target})
            for score in SCORES:
                row[f"{score}_{side}"] = scores.get(score, np.nan)
    table = pd.DataFrame(list(records.values()))
    table["rmse_ratio"] = table["rmse_misspecified"] / table["rmse_matched"]
    return table


def units_sentence(units: Mapping[str, str]) -> str:
    """``"Units: flux in counts, radius in arcsec."`` for the targets that have a unit."""
    if not units:
        return ""
    return "Units: " + ", ".join(f"{name} in {unit}" for name, unit in units.items()) + "."


def misspecification(
    metrics: Sequence[str],
    table_csv: str,
    table_md: str,
    *,
    runs: Sequence[Sequence[str]],
    shift: str,
    units: Mapping[str, str],
    caption: str = "",
) -> None:
    """Write the misspecification table (CSV, Markdown) of the evaluations ``metrics``;
    ``shift`` says what differs between the misspecified and the training samples, ``units``
    the unit of each target that has one."""
    table = misspecification_table(metrics, runs)
    table.to_csv(table_csv, index=False, float_format="%.6g")
    shown = with_blanks(table.dropna(axis=1, how="all"))  # a point estimator's posterior cells
    Path(table_md).write_text(
        "Misspecification: the models scored on their test split (matched) and on samples "
        f"whose simulator differs: {shift} (misspecified). rmse_ratio: misspecified over "
        "matched. For a neural posterior, posterior_std is its mean posterior standard "
        "deviation and coverage_68/95 the fraction of true values inside its central 68 %/95 % "
        "credible intervals: a calibrated posterior has 0.68 and 0.95 on matched data; far "
        "from them on the misspecified samples, the posterior shows that the simulator does not "
        f"describe the data. {' '.join(filter(None, (units_sentence(units), caption)))}\n\n"
        + shown.to_markdown(index=False, floatfmt=".4g", missingval="–")
        + "\n"
    )
