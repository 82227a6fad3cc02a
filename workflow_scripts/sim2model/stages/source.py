"""Source stage, shared by every study: write one source shard in the dataset contract."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from sim2model.io.dataset import Dataset, write_dataset
from sim2model.provenance import stamp_attrs

log = logging.getLogger(__name__)


def stamp_shard(ds: Dataset, *, study: str, task: str, config: object) -> Dataset:
    """``ds`` with the contract's ``study``, ``task`` (of its variant) and provenance attributes.

    A study's builder says only what its data are (names, units, classes); this stamps the rest.
    """
    attrs = {**ds.attrs, "study": study, "task": task}
    return replace(ds, attrs=stamp_attrs(attrs, config=config, created_by=f"{study}_shard"))


def source_shard(
    shard: str,
    *,
    study: str,
    task: str,
    plan: Mapping[str, Any],
    seed: int,
    config: object,
    cache_dir: str,
    build_shard: Callable[[Mapping[str, Any], int, str], Dataset],
    source_files: Sequence[str] = (),
) -> None:
    """Build one shard of ``study`` from its ``plan`` and write it to ``shard``.

    ``plan`` is what the study's ``shards()`` planned for this shard at parse time;
    ``cache_dir`` a folder the study's shard jobs share; ``source_files`` the files it reads
    (listed so the workflow reruns it when they change); ``build_shard`` the study's
    :meth:`~sim2model.study.Study.build_shard` (the entry script looks it up in the registry).
    """
    ds = stamp_shard(build_shard(plan, seed, cache_dir), study=study, task=task, config=config)
    write_dataset(shard, ds)
    log.info("%s: %d samples, x %s", shard, len(ds), ds.x.shape[1:])
