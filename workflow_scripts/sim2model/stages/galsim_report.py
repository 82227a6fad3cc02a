"""GalSim study report: the seed's RMSE table, the Cramér–Rao comparison, example stamps."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from sim2model.io.dataset import read_dataset
from sim2model.io.predictions import read_predictions
from sim2model.plots.images import plot_example_stamps
from sim2model.plots.regression import plot_bias_std_vs_bound
from sim2model.plots.style import display_name

#: The seed reports flux in units of 1e5 counts in its Cramér–Rao table.
FLUX_UNIT = 1e5


def _eval_parts(path: str) -> tuple[str, str, str]:
    """(variant, model, evalset) from ``.../eval/<variant>/<model>/<evalset>/<file>``."""
    parts = Path(path).parts
    return parts[-4], parts[-3], parts[-2]


def rmse_table(metrics: Sequence[str]) -> pd.DataFrame:
    """RMSE per target in original units: one row per (variant, model), as the seed's table."""
    rows = []
    for path in metrics:
        variant, model, _ = _eval_parts(path)
        targets = json.loads(Path(path).read_text())["targets"]
        rows.append(
            {"variant": variant, "model": model} | {t: v["rmse"] for t, v in targets.items()}
        )
    return pd.DataFrame(rows)


def _testset_name(path: str) -> str:
    return Path(path).stem


def crb_comparison(testsets: Sequence[str], baseline: Sequence[str], crb: str) -> pd.DataFrame:
    """Tidy table: bias and std of each estimator beside the CRB, per test set and target.

    Flux columns are in units of 1e5 counts, as in the seed.
    """
    bound = pd.read_csv(crb)
    rows = []
    for path in testsets:
        _, model, testset = _eval_parts(path)
        pred = read_predictions(path)
        for j, target in enumerate(pred.target_names):
            err = pred.y_pred[:, j].astype(np.float64) - pred.y_true[:, j]
            rows.append(
                {"testset": testset, "target": target, "estimator": model,
                 "bias": err.mean(), "std": err.std(), "n": len(err)}
            )  # fmt: skip
    for path in baseline:
        fits = pd.read_csv(path)
        truth = read_predictions(
            next(p for p in testsets if _eval_parts(p)[2] == _testset_name(path))
        ).y_true[0]
        for j, target in enumerate(fits.columns[1:]):
            err = fits[target].to_numpy() - truth[j]
            rows.append(
                {"testset": _testset_name(path), "target": target, "estimator": "L-BFGS-B fit",
                 "bias": err.mean(), "std": err.std(), "n": len(err)}
            )  # fmt: skip
    table = pd.DataFrame(rows).merge(bound, on=["testset", "target"], how="left")
    flux = table["target"] == "flux"
    table.loc[flux, ["bias", "std", "crb"]] /= FLUX_UNIT
    return table


def galsim_tables(
    rmse: Sequence[str],
    testsets: Sequence[str],
    baseline: Sequence[str],
    crb: str,
    rmse_csv: str,
    rmse_md: str,
    crb_csv: str,
    crb_md: str,
    crb_figure: str,
) -> None:
    """Write the RMSE and Cramér–Rao tables (CSV + Markdown) and the σ/CRB figure."""
    table = rmse_table(rmse)
    table.to_csv(rmse_csv, index=False, float_format="%.6g")
    Path(rmse_md).write_text(
        "RMSE per parameter on each variant's test split (original units: flux in counts, "
        "radius in arcsec).\n\n" + table.to_markdown(index=False, floatfmt=".4g") + "\n"
    )
    comparison = crb_comparison(testsets, baseline, crb)
    comparison.to_csv(crb_csv, index=False, float_format="%.6g")
    wide = (
        comparison.pivot_table(
            index=["testset", "target"], columns="estimator", values=["bias", "std"], sort=False
        )
        .swaplevel(axis=1)
        .sort_index(axis=1)
    )
    wide.columns = [f"{est} {stat}" for est, stat in wide.columns]
    wide.insert(0, "CRB", comparison.groupby(["testset", "target"], sort=False)["crb"].first())
    Path(crb_md).write_text(
        "Bias and standard deviation on the fixed-parameter test sets beside the Cramér–Rao "
        "bound (flux in 1e5 counts, radius in arcsec).\n\n"
        + wide.reset_index().to_markdown(index=False, floatfmt=".3f")
        + "\n"
    )
    labels = {t: display_name(t) for t in comparison["target"].unique()}
    plot_bias_std_vs_bound(comparison, crb_figure, target_labels=labels)


def example_stamps(data: Sequence[str], figure: str, *, pixel_scale: float, per_variant: int = 2):
    """Noisy, noiseless and PSF images of the first stamps of each variant's test split."""
    rows, labels = [], []
    for path in data:
        ds = read_dataset(path)
        variant = Path(path).parent.name
        for i in range(min(per_variant, len(ds))):
            rows.append(
                {"Noisy": ds.x[i, :, :, 0], "Noiseless": ds.extra["noiseless"][i],
                 "PSF": ds.extra["psf_image"][i]}
            )  # fmt: skip
            labels.append(f"{variant}, SNR {ds.meta['snr'][i]:.0f}")
    plot_example_stamps(
        rows, figure, pixel_scale=pixel_scale, row_labels=labels,
        unit={"Noisy": "counts", "Noiseless": "counts", "PSF": "fraction of flux"},
    )  # fmt: skip
