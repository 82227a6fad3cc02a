"""Reference comparison stage: the reference notebook's numbers beside ours, one row each.

The study declares the numbers (:meth:`Study.reference_numbers`, records of
:class:`~sim2model.reference_numbers.ReferenceNumber`); this stage reads our value of each from
its run's ``metrics.json`` and the run's training-sample count from its train split.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from numbers import Integral, Real
from pathlib import Path
from typing import Any

import pandas as pd

from sim2model.io.dataset import count_samples
from sim2model.reference_numbers import ReferenceNumber, read_value

#: Columns of the table, in order.
COLUMNS = (
    "metric", "variant", "model", "reference", "ours", "ratio", "difference",
    "n_train", "n_test", "where stated", "note",
)  # fmt: skip
#: Columns holding numbers (formatted for the Markdown table).
NUMERIC = ("reference", "ours", "ratio", "difference", "n_train", "n_test")


def comparison_rows(
    numbers: Sequence[ReferenceNumber], metrics: Sequence[str], train: Sequence[str]
) -> pd.DataFrame:
    """One row per reference number: ours from ``metrics[i]`` (the ``metrics.json`` of the run
    of ``numbers[i]``), ratio ours / reference and difference ours - reference (empty where the
    reference states no number), and the run's training and test sample counts (``train[i]``
    is the train split of that run's variant)."""
    if not len(numbers) == len(metrics) == len(train):
        raise ValueError(
            f"{len(numbers)} reference numbers need as many metrics files and train splits, "
            f"got {len(metrics)} and {len(train)}"
        )
    records: dict[str, Mapping[str, Any]] = {}
    counts: dict[str, int] = {}
    rows = []
    for number, source, split in zip(numbers, metrics, train, strict=True):
        if source not in records:
            path = Path(source)
            if not path.is_file():
                raise FileNotFoundError(
                    f"{source}: no such metrics file (the evaluation of "
                    f"{number.variant}/{number.model} on {number.evalset}, which reference "
                    f"number {number.metric!r} is compared with)"
                )
            records[source] = json.loads(path.read_text())
        if split not in counts:
            counts[split] = count_samples(split)
        ours = read_value(records[source], number.key, source)
        reference = number.reference
        rows.append(
            {
                "metric": number.metric,
                "variant": number.variant,
                "model": number.model,
                "reference": reference,
                "ours": ours,
                "ratio": ours / reference if reference else math.nan,
                "difference": ours - reference if reference is not None else math.nan,
                "n_train": counts[split],
                "n_test": int(records[source]["n_samples"]),
                "where stated": number.where,
                "note": number.note,
            }
        )
    return pd.DataFrame(rows, columns=list(COLUMNS))


def _number(value: Any) -> str:
    """A value for the Markdown table: 4 significant digits, blank where there is none."""
    if value is None or (isinstance(value, Real) and math.isnan(value)):
        return ""
    return f"{value:,}" if isinstance(value, Integral) else f"{value:.4g}"


def caption_of(table: pd.DataFrame, caption: str) -> str:
    """What the table compares and how large our runs were, so that nobody reads a smoke-test
    number as a failed reproduction; ``caption``: the study's data and split sentence."""
    n_train = table["n_train"]
    sizes = f"{n_train.min():,}" if n_train.min() == n_train.max() else (
        f"{n_train.min():,} to {n_train.max():,}"
    )  # fmt: skip
    return (
        "The reference notebook's numbers beside ours (test split; ratio = ours / reference, "
        "difference = ours - reference). "
        f"Our runs trained on {sizes} samples (column n_train), the reference on its own data "
        "set: a small run (the embedded default, a test config) checks that the pipeline works "
        "and is no reproduction; the paper presets (config/paper/) are sized like the reference "
        f"notebooks' data sets. {caption}"
    )


def reference_comparison(
    metrics: Sequence[str],
    train: Sequence[str],
    csv: str,
    md: str,
    *,
    numbers: Sequence[Mapping[str, Any]],
    caption: str,
) -> None:
    """Write ``tables/reference_comparison.{csv,md}`` of a study.

    ``numbers``: the study's reference numbers (as :meth:`ReferenceNumber.as_dict` gives them);
    ``metrics[i]`` and ``train[i]``: the ``metrics.json`` of the run of ``numbers[i]`` and the
    train split of its variant (paths repeat where numbers share a run).
    """
    table = comparison_rows([ReferenceNumber.from_dict(n) for n in numbers], metrics, train)
    table.to_csv(csv, index=False, float_format="%.6g")
    shown = table.astype(object)
    for column in NUMERIC:
        shown[column] = shown[column].map(_number)
    Path(md).write_text(caption_of(table, caption) + "\n\n" + shown.to_markdown(index=False) + "\n")
