"""Misspecification test: the test-set variant's models on stamps their simulator did not make.

Every model trained on the test-set variant is scored twice: on its own test split and on
stamps drawn from the same prior with another noise model (``ccd``: Poisson + Gaussian;
``gaussian``: Gaussian only), noise level or PSF (``galsim.misspecification``). A neural
posterior's coverage on the second set shows whether its uncertainties warn the user when the
simulator does not match the data: noisier stamps than it was trained on make it too narrow
(coverage below nominal), cleaner ones too wide.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from sim2model.studies.galsim.report import with_blanks

#: Per-target scores compared between the matched and the misspecified stamps.
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


def galsim_misspecification(
    metrics: Sequence[str],
    table_csv: str,
    table_md: str,
    *,
    runs: Sequence[Sequence[str]],
    shift: str,
    caption: str = "",
) -> None:
    """Write the misspecification table (CSV, Markdown) of the evaluations ``metrics``;
    ``shift`` says what differs between the misspecified and the training stamps."""
    table = misspecification_table(metrics, runs)
    table.to_csv(table_csv, index=False, float_format="%.6g")
    shown = with_blanks(table.dropna(axis=1, how="all"))  # a point estimator's posterior cells
    Path(table_md).write_text(
        "Misspecification: the models scored on their test split (matched) and on stamps from "
        f"the same prior but for {shift} (misspecified). rmse_ratio: misspecified over matched. "
        "For a neural posterior, posterior_std is its mean posterior standard deviation and "
        "coverage_68/95 the fraction of true values inside its central 68 %/95 % credible "
        "intervals: a calibrated posterior has 0.68 and 0.95 on matched data; far from them on "
        "the misspecified stamps, the posterior shows that the simulator does not describe the "
        f"data. Units: flux in counts, radius in arcsec. {caption}\n\n"
        + shown.to_markdown(index=False, floatfmt=".4g", missingval="–")
        + "\n"
    )
