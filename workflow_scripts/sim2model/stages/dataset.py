"""Dataset stage: merge source shards, split train/val/test, fit normalisation on train."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from sim2model.data.normalise import fit_normaliser
from sim2model.data.select import balance_indices, group_split_indices, label_mask
from sim2model.data.slabs import spatial_split
from sim2model.data.split import split_indices
from sim2model.io.dataset import Dataset, DatasetError, concat_datasets, read_dataset, write_dataset
from sim2model.provenance import stamp_attrs

log = logging.getLogger(__name__)

#: meta/ key of sources that bring their own split: 0 train, 1 test.
SOURCE_SPLIT = "source_split"


#: Balancing that keeps less than this share of the samples is logged as a warning.
BALANCE_WARNING = 0.25


def merge_shards(paths: Sequence[str], *, config: object, created_by: str) -> Dataset:
    """Read every shard (each checked against the contract) and concatenate them in order."""
    parts = [read_dataset(p) for p in paths]
    merged = concat_datasets(parts)
    ids = merged.meta.get("sample_id")
    if ids is not None and len(np.unique(ids)) != len(ids):
        raise DatasetError(f"shards {list(paths)} share sample ids: each sample must appear once")
    merged.attrs = stamp_attrs(merged.attrs, config=config, created_by=created_by)
    log.info("merged %d shards: %d samples, x %s", len(paths), len(merged), merged.x.shape)
    return merged


def _meta(ds: Dataset, name: str, option: str) -> np.ndarray:
    if name not in ds.meta:
        raise DatasetError(
            f"dataset option {option}={name!r}: the shards have no meta/{name} "
            f"(they have {sorted(ds.meta)})"
        )
    return ds.meta[name]


def select_samples(
    ds: Dataset,
    label_range: Sequence[float] | None,
    balance: Mapping[str, Any] | None,
    seed: int,
) -> np.ndarray:
    """Indices of the samples kept by the label cut and the per-group balancing (both act on
    the first regression target)."""
    keep = np.arange(len(ds))
    if label_range is None and balance is None:
        return keep
    if ds.y.ndim != 2:
        raise DatasetError(f"label_range/balance need regression targets, y is {ds.y.shape}")
    labels = ds.y[:, 0]
    if label_range is not None:
        keep = keep[label_mask(labels, *label_range)]
        log.info("label cut %s keeps %d of %d samples", list(label_range), len(keep), len(ds))
    if balance is not None:
        groups = _meta(ds, balance["group"], "balance.group")[keep]
        bounds = label_range if label_range is not None else (labels.min(), labels.max())
        chosen = balance_indices(labels[keep], groups, balance["bins"], seed, bounds)
        report = log.warning if len(chosen) < BALANCE_WARNING * len(keep) else log.info
        report(
            "balancing keeps %d of %d samples: every (%s, target bin) cell is cut to the rarest "
            "one%s", len(chosen), len(keep), balance["group"],
            "; set balance to null or use fewer bins to keep more" if report is log.warning else "",
        )  # fmt: skip
        keep = keep[chosen]
    return keep


def split_dataset(
    shards: Sequence[str],
    train: str,
    val: str,
    test: str,
    norm: str,
    *,
    fractions: Mapping[str, float],
    seed: int,
    image_scaling: str,
    config: object,
    label_range: Sequence[float] | None = None,
    balance: Mapping[str, Any] | None = None,
    group_by: str | None = None,
    spatial: Mapping[str, Any] | None = None,
    test_rows: str | None = None,
    created_by: str = "split_dataset",
) -> None:
    """Write disjoint splits of the merged shards and the train-only normaliser.

    Optional steps, in order: keep samples whose (single) target lies in ``label_range``;
    ``balance`` (``{"bins": n, "group": meta key}``) equalises the sample count of every target
    bin within every group; ``group_by`` names a ``meta/`` key whose values never straddle two
    splits (e.g. the simulated box a map was sliced from); ``test_rows="last"`` makes the test
    split the final samples in shard order, ``"source"`` the source's own test set.
    ``spatial`` instead cuts shards of cubes into buffered slabs (see
    :func:`sim2model.data.slabs.spatial_split`).
    """
    merged = merge_shards(shards, config=config, created_by=created_by)
    if spatial is not None:
        clashing = {"label_range": label_range, "balance": balance, "group_by": group_by}
        clashing = [key for key, value in clashing.items() if value is not None]
        if clashing:
            raise DatasetError(
                f"dataset.spatial cuts whole cubes into slabs and cannot be combined with "
                f"dataset.{clashing[0]}; set it to null"
            )
        parts = spatial_split(merged, fractions=fractions, **spatial)
    else:
        merged = merged.subset(select_samples(merged, label_range, balance, seed))
        parts = {
            name: merged.subset(index)
            for name, index in _split_index(
                merged, fractions, seed, group_by, test_rows or "random"
            ).items()
        }
    for name, path in {"train": train, "val": val, "test": test}.items():
        write_dataset(path, parts[name])
        log.info("%s: %d samples -> %s", name, len(parts[name]), path)
    normaliser = fit_normaliser(
        parts["train"].x,
        parts["train"].y,
        task=merged.attrs["task"],
        image_scaling=image_scaling,
    )
    normaliser.save(norm)


def _split_index(
    ds: Dataset,
    fractions: Mapping[str, float],
    seed: int,
    group_by: str | None,
    test_rows: str = "random",
) -> dict[str, np.ndarray]:
    """Sample indices of each split: random (test rows random, last or the source's own test
    set), or by ``group_by``."""
    if test_rows == "source" and group_by is None:
        return _source_test_split(ds, fractions, seed)
    if group_by is None:
        return split_indices(len(ds), fractions, seed, test_rows)
    if test_rows != "random":
        raise DatasetError(
            f"dataset option test_rows={test_rows!r} cannot be combined with group_by={group_by!r}"
        )
    groups = _meta(ds, group_by, "group_by")
    index = group_split_indices(groups, fractions, seed)
    empty = [name for name, part in index.items() if fractions[name] > 0 and not len(part)]
    if empty:
        raise DatasetError(
            f"dataset option group_by={group_by!r}: {len(np.unique(groups))} distinct values "
            f"cannot fill the splits {empty}; add sources (boxes, runs) or set group_by: null"
        )
    return index


def _source_test_split(
    ds: Dataset, fractions: Mapping[str, float], seed: int
) -> dict[str, np.ndarray]:
    """The source's own test set (``meta/source_split`` 1, e.g. the reference notebook's pickled
    1,940 test images); train and val are drawn at random from the rest in the ratio of their
    fractions (``fractions['test']`` is not used)."""
    marks = _meta(ds, SOURCE_SPLIT, "test_rows=source")
    rest = np.flatnonzero(marks != 1)
    share = fractions["train"] + fractions["val"]
    ratio = {"train": fractions["train"] / share, "val": fractions["val"] / share}
    parts = split_indices(len(rest), ratio, seed)
    return {
        "train": rest[parts["train"]],
        "val": rest[parts["val"]],
        "test": np.flatnonzero(marks == 1),
    }


def merge_testset(
    shards: Sequence[str], merged: str, *, config: object, created_by: str = "merge_testset"
) -> None:
    """Merge the shards of a test-only set into one file."""
    write_dataset(merged, merge_shards(shards, config=config, created_by=created_by))
