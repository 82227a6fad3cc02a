"""Cost table of a study: what training and prediction of every trained model cost.

Everything comes from the jobs' own records, nothing is timed here: each training job writes the
wall seconds of every epoch into its history (``epoch_seconds``, :mod:`sim2model.train.timing`),
and the evaluation of the test split writes the model's parameters and the wall time of its
predictions into ``metrics.json`` (:func:`sim2model.stages.evaluate.timed_predict`).

The runs come from the rule as plain dicts (:meth:`sim2model.study.Study.cost_runs`), each with

* ``variant``, ``model`` and optionally ``part`` (a study's own piece of a run, e.g. a
  denoiser): what the row names;
* ``history``: the CSV its training job wrote;
* ``metrics``: a JSON record with ``parameters`` and ``inference_*`` (None: none);
* ``parameters_of``: when the record's ``parameters`` maps parts to counts, the part to read;
* ``split_by``: a history column whose values get a row each as well (the GalSim autoencoder's
  three training steps).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from sim2model.train import EPOCH_SECONDS

#: Columns of ``cost.csv`` after ``run`` (its index), in order.
COLUMNS = (
    "variant", "model", "part", "parameters", "epochs", "epoch_seconds_mean",
    "epoch_seconds_median", "training_seconds", "inference_ms_per_sample",
    "inference_batch_size", "device", "threads", "host",
)  # fmt: skip

#: Markdown headers of the columns shown there (the CSV keeps every column).
SHOWN = {
    "parameters": "parameters",
    "epochs": "epochs",
    "epoch_seconds_mean": "s/epoch (mean)",
    "epoch_seconds_median": "s/epoch (median)",
    "training_seconds": "training s",
    "inference_ms_per_sample": "inference ms/obs",
    "inference_batch_size": "batch",
    "device": "device",
    "threads": "threads",
}


def epoch_costs(history: pd.DataFrame) -> dict[str, float]:
    """Epochs trained and their mean, median and total wall seconds (NaN without the
    ``epoch_seconds`` column, e.g. a history written before jobs recorded it)."""
    seconds = history.get(EPOCH_SECONDS)
    if seconds is None or seconds.isna().all():
        mean = median = total = math.nan
    else:
        mean, median, total = seconds.mean(), seconds.median(), seconds.sum()
    return {
        "epochs": len(history),
        "epoch_seconds_mean": float(mean),
        "epoch_seconds_median": float(median),
        "training_seconds": float(total),
    }


def inference_costs(record: Mapping[str, Any], parameters_of: str | None = None) -> dict[str, Any]:
    """Parameters and prediction cost from a ``metrics.json``-like record (blank when absent)."""
    parameters = record.get("parameters")
    if isinstance(parameters, Mapping):
        parameters = parameters.get(parameters_of) if parameters_of else None
    per_sample = record.get("inference_seconds_per_sample")
    return {
        "parameters": parameters,
        "inference_ms_per_sample": None if per_sample is None else 1000.0 * per_sample,
        "inference_batch_size": record.get("inference_batch_size"),
        "device": record.get("device"),
        "threads": record.get("threads"),
        "host": record.get("host"),
    }


def run_label(run: Mapping[str, Any], value: str | None = None) -> str:
    """``<variant> / <model>``, then `` (<part>)`` and ``: <value>`` when given."""
    label = f"{run['variant']} / {run['model']}"
    if run.get("part"):
        label += f" ({run['part']})"
    if value is not None:
        label += f": {value}"
    return label


def cost_rows(runs: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """One row per run (and per value of its ``split_by`` column), indexed by ``run``."""
    rows = {}
    for run in runs:
        history = pd.read_csv(run["history"])
        record = json.loads(Path(run["metrics"]).read_text()) if run.get("metrics") else {}
        ident = {"variant": run["variant"], "model": run["model"], "part": run.get("part")}
        rows[run_label(run)] = {
            **ident,
            **epoch_costs(history),
            **inference_costs(record, run.get("parameters_of")),
        }
        column = run.get("split_by")
        if column:
            for value, part in history.groupby(column, sort=False):
                part_of = f"{run['part']}, " if run.get("part") else ""
                label = run_label(run, f"{column} {value}")
                rows[label] = {**ident, "part": f"{part_of}{column} {value}", **epoch_costs(part)}
    table = pd.DataFrame.from_dict(rows, orient="index").reindex(columns=list(COLUMNS))
    table.index.name = "run"
    return table.astype({"parameters": "Int64", "epochs": "Int64",
                         "inference_batch_size": "Int64", "threads": "Int64"})  # fmt: skip


def _cell(value: Any, fmt: str) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return format(value, fmt) if fmt else str(value)


def markdown_table(table: pd.DataFrame) -> str:
    """The shown columns of ``table`` as a Markdown table, blanks as ``–``."""
    formats = {"parameters": ",d", "epochs": "d", "inference_batch_size": "d", "threads": "d",
               "device": "", "epoch_seconds_mean": ".3g", "epoch_seconds_median": ".3g",
               "training_seconds": ".3g", "inference_ms_per_sample": ".3g"}  # fmt: skip
    shown = pd.DataFrame(
        {SHOWN[c]: [_cell(v, formats[c]) for v in table[c]] for c in SHOWN}, index=table.index
    )
    return shown.to_markdown(colalign=("left", *("right" for _ in SHOWN)))


def measured_note(table: pd.DataFrame, train_threads: int, gpus: int) -> str:
    """What was measured, and where, in words (the table's caption)."""
    where = f"{gpus} GPU(s) requested" if gpus else "no GPU requested"
    hosts = sorted({h for h in table["host"].dropna()})
    devices = sorted({d for d in table["device"].dropna()})
    ran = ""
    if hosts or devices:
        ran = f" Evaluations ran on {', '.join(devices) or 'an unrecorded device'}"
        ran += f" of host {', '.join(hosts)}." if hosts else "."
    return (
        "Cost of every trained model, from the jobs' own records. Training: wall seconds per "
        "epoch (validation included) as each training job logged them in its history; jobs ran "
        f"with {train_threads} CPU thread(s), {where}. Inference: wall time of predicting the "
        "test split after one untimed warm-up batch, divided by its number of observations; "
        f"parameters: count of the evaluated model.{ran} Timings depend on the machine and on "
        "jobs running beside them."
    )


def cost_table(
    histories: Sequence[str],
    metrics: Sequence[str],
    csv: str,
    md: str,
    *,
    runs: Sequence[Mapping[str, Any]],
    caption: str,
    train_threads: int = 1,
    gpus: int = 0,
) -> None:
    """Write the cost of every run in ``runs`` (see the module docstring) as CSV and Markdown.

    ``histories`` and ``metrics`` are the files the runs name (the rule's inputs); a run naming
    a file that is not among them is an error. ``caption`` (the source and split) closes the
    Markdown caption; ``train_threads`` and ``gpus`` are the training jobs' configured resources.
    """
    given = {*map(str, histories), *map(str, metrics)}
    for run in runs:
        missing = [p for p in (run["history"], run.get("metrics")) if p and str(p) not in given]
        if missing:
            raise ValueError(f"run {run_label(run)} reads {missing}, not among the inputs")
    table = cost_rows(runs)
    table.to_csv(csv, float_format="%.6g")
    Path(md).write_text(
        f"{measured_note(table, train_threads, gpus)} {caption}\n\n{markdown_table(table)}\n"
    )
