"""EoR 21cm report stages: per-redshift test metrics, xHI histograms, example maps."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from sim2model.io.dataset import concat_datasets, read_dataset
from sim2model.io.predictions import read_predictions

log = logging.getLogger(__name__)


def metrics_by_redshift(predictions: str) -> pd.DataFrame:
    """R^2, RMSE and bias of xHI at every redshift of the test split, plus all redshifts."""
    pred = read_predictions(predictions)
    frame = pd.DataFrame(
        {"redshift": pred.meta["redshift"], "true": pred.y_true[:, 0], "pred": pred.y_pred[:, 0]}
    )

    def scores(group: pd.DataFrame) -> pd.Series:
        err = group["pred"] - group["true"]
        total = ((group["true"] - group["true"].mean()) ** 2).sum()
        r2 = 1 - (err**2).sum() / total if total > 0 else np.nan
        return pd.Series(
            {"n_maps": len(group), "r2": r2, "rmse": np.sqrt((err**2).mean()), "bias": err.mean()}
        )

    table = frame.groupby("redshift").apply(scores, include_groups=False)
    table.loc["all"] = scores(frame)
    table["n_maps"] = table["n_maps"].astype(int)
    return table


def eor_tables(predictions: str, table_csv: str, table_md: str, *, caption: str) -> None:
    """Per-redshift test metrics as CSV and Markdown (``caption``: source and split used)."""
    table = metrics_by_redshift(predictions)
    table.to_csv(table_csv, float_format="%.6g")
    Path(table_md).write_text(
        f"xHI prediction on the test split, per redshift. {caption}\n\n"
        + table.reset_index().to_markdown(index=False, floatfmt=".4f")
        + "\n"
    )
    log.info("test metrics by redshift:\n%s", table.to_string())


def _labels(paths: Sequence[str]) -> pd.DataFrame:
    parts = [read_dataset(p, extra=False) for p in paths]
    return pd.DataFrame(
        {
            "xHI": np.concatenate([d.y[:, 0] for d in parts]),
            "redshift": np.concatenate([d.meta["redshift"] for d in parts]),
        }
    )


def eor_figures(
    shards: Sequence[str],
    splits: Sequence[str],
    histograms: str,
    maps: str,
    *,
    bins: int,
    value_range: Sequence[float],
) -> None:
    """xHI histograms per redshift before/after selection (the balancing's bins), example maps."""
    from sim2model.plots.eor21cm import map_grid_figure, xhi_histograms_figure
    from sim2model.plots.style import save_figure

    figure = xhi_histograms_figure(
        {"all maps": _labels(shards), "after cut and balancing": _labels(splits)},
        bins=bins,
        value_range=tuple(value_range),
    )
    save_figure(figure, histograms)
    test = concat_datasets([read_dataset(p, extra=False) for p in splits[-1:]])
    save_figure(map_grid_figure(test.x[..., 0], test.y[:, 0], test.meta["redshift"]), maps)
