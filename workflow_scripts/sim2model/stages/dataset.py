"""Dataset stage: merge source shards, split train/val/test, fit normalisation on train."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import numpy as np

from sim2model.data.normalise import fit_normaliser
from sim2model.data.split import split_indices
from sim2model.io.dataset import Dataset, DatasetError, concat_datasets, read_dataset, write_dataset
from sim2model.provenance import stamp_attrs

log = logging.getLogger(__name__)


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
    created_by: str = "split_dataset",
) -> None:
    """Write disjoint random splits of the merged shards and the train-only normaliser."""
    merged = merge_shards(shards, config=config, created_by=created_by)
    index = split_indices(len(merged), fractions, seed)
    for name, path in {"train": train, "val": val, "test": test}.items():
        write_dataset(path, merged.subset(index[name]))
        log.info("%s: %d samples -> %s", name, len(index[name]), path)
    train_part = merged.subset(index["train"])
    normaliser = fit_normaliser(
        train_part.x, train_part.y, task=merged.attrs["task"], image_scaling=image_scaling
    )
    normaliser.save(norm)


def merge_testset(
    shards: Sequence[str], merged: str, *, config: object, created_by: str = "merge_testset"
) -> None:
    """Merge the shards of a test-only set into one file."""
    write_dataset(merged, merge_shards(shards, config=config, created_by=created_by))
