"""EoR 21cm report stages: per-redshift test metrics, split comparison, xHI histograms, maps."""

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
    """R^2, RMSE and bias of every target at every redshift of the test split, and overall.

    Columns are ``n_maps``, ``r2``, ``rmse``, ``bias`` for one target (xHI); with several, each
    metric column is suffixed by its target (``r2 xHI``, ``r2 zeta``, ...).
    """
    pred = read_predictions(predictions)
    names = list(pred.target_names)
    redshift = np.asarray(pred.meta["redshift"])

    def scores(rows: np.ndarray) -> dict[str, float]:
        row: dict[str, float] = {"n_maps": int(rows.sum())}
        for j, name in enumerate(names):
            true, err = pred.y_true[rows, j], pred.y_pred[rows, j] - pred.y_true[rows, j]
            total = np.sum((true - true.mean()) ** 2)
            suffix = f" {name}" if len(names) > 1 else ""
            row[f"r2{suffix}"] = 1 - np.sum(err**2) / total if total > 0 else np.nan
            row[f"rmse{suffix}"] = float(np.sqrt(np.mean(err**2)))
            row[f"bias{suffix}"] = float(np.mean(err))
        return row

    rows = {z: scores(redshift == z) for z in np.unique(redshift)}
    rows["all"] = scores(np.ones(len(redshift), bool))
    table = pd.DataFrame.from_dict(rows, orient="index").rename_axis("redshift")
    table["n_maps"] = table["n_maps"].astype(int)
    return table


def eor_tables(predictions: str, table_csv: str, table_md: str, *, caption: str) -> None:
    """Per-redshift test metrics as CSV and Markdown (``caption``: source and split used)."""
    table = metrics_by_redshift(predictions)
    table.to_csv(table_csv, float_format="%.6g")
    Path(table_md).write_text(
        f"{', '.join(read_predictions(predictions).target_names)} prediction on the test "
        f"split, per redshift. {caption}\n\n"
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
    from sim2model.plots.style import save_figure
    from sim2model.studies.eor21cm.figures import map_grid_figure, xhi_histograms_figure

    figure = xhi_histograms_figure(
        {"all maps": _labels(shards), "after cut and balancing": _labels(splits)},
        bins=bins,
        value_range=tuple(value_range),
    )
    save_figure(figure, histograms)
    test = concat_datasets([read_dataset(p, extra=False) for p in splits[-1:]])
    save_figure(map_grid_figure(test.x[..., 0], test.y[:, 0], test.meta["redshift"]), maps)


def split_comparison(
    splits: Sequence[str], runs: Sequence[str], predictions: Sequence[str], trains: Sequence[str]
) -> pd.DataFrame:
    """Test R^2 and RMSE of xHI of every training run under each split of the same maps, and
    how much the splits leak: one row per (split, run).

    The four sequences are aligned: the split's name, the run's name (a model or one of its
    repeats), its test predictions and the train split it learnt from.
    ``test_maps_from_train_boxes`` is the fraction of test maps cut from a box that also gave
    training maps (0 for a split by box).
    """
    rows = []
    for split, run, path, train in zip(splits, runs, predictions, trains, strict=True):
        pred = read_predictions(path)
        true, err = pred.y_true[:, 0], pred.y_pred[:, 0] - pred.y_true[:, 0]
        train_boxes = read_dataset(train, extra=False).meta["box_id"]
        rows.append({
            "split": split, "run": run, "n_test": len(true),
            "r2": 1 - np.sum(err**2) / np.sum((true - true.mean()) ** 2),
            "rmse": float(np.sqrt(np.mean(err**2))),
            "test_maps_from_train_boxes": float(np.isin(pred.meta["box_id"], train_boxes).mean()),
        })  # fmt: skip
    return pd.DataFrame(rows)


def summarise_runs(per_run: pd.DataFrame) -> pd.DataFrame:
    """Mean and sample standard deviation of R^2 and RMSE over the runs of each split (the
    spread that training seeds alone give; NaN with one run)."""
    grouped = per_run.groupby("split", sort=False)
    summary = grouped[["r2", "rmse"]].agg(["mean", "std"])
    summary.columns = [f"{metric}_{stat}" for metric, stat in summary.columns]
    return pd.concat(
        [grouped.size().rename("runs"), grouped["n_test"].first(), summary,
         grouped["test_maps_from_train_boxes"].mean()], axis=1,
    )  # fmt: skip


def eor_split_comparison(
    predictions: Sequence[str],
    trains: Sequence[str],
    table_csv: str,
    table_md: str,
    *,
    splits: Sequence[str],
    runs: Sequence[str],
    caption: str,
) -> None:
    """The split-comparison table: ``splits`` and ``runs`` name the predictions and train files
    in order. The CSV has one row per run; the Markdown its mean and spread per split, then the
    runs."""
    per_run = split_comparison(splits, runs, predictions, trains)
    per_run.to_csv(table_csv, index=False, float_format="%.6g")
    summary = summarise_runs(per_run)
    n_runs = int(summary["runs"].min())
    Path(table_md).write_text(
        "xHI prediction on the test split when the same maps are split by simulated box and "
        "when they are split at random map by map (the reference notebook's split, which puts "
        "maps of one box in training and test). The gap is what the random split leaks. "
        f"Mean and sample standard deviation over {n_runs} training run(s) per split, each "
        f"with its own training seed (`models.<model>.repeats`). {caption}\n\n"
        + summary.reset_index().to_markdown(index=False, floatfmt=".4f")
        + "\n\nEvery run:\n\n"
        + per_run.to_markdown(index=False, floatfmt=".4f")
        + "\n"
    )
    log.info("split comparison:\n%s", summary.to_string())
