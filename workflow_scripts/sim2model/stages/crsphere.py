"""crsphere source stage: arrival-direction shards, simulated or read from an npz."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np

from sim2model.io.dataset import write_dataset
from sim2model.provenance import stamp_attrs
from sim2model.sharding import shard_span

log = logging.getLogger(__name__)


def crsphere_shard(
    shard: str,
    *,
    settings: Mapping[str, Any],
    shard_index: int,
    seed: int,
    config: object,
    source_files: Any = (),
) -> None:
    """Write shard ``shard_index``: simulated samples, or a row range of the configured npz."""
    if settings["source"] == "simulate":
        from sim2model.sims.crsphere import CRSphereSettings, simulate_shard

        first, count = shard_span(shard_index, settings["shard_size"], settings["n_samples"])
        ds = simulate_shard(count, seed, first, CRSphereSettings(**settings["simulate"]))
    else:
        from sim2model.io.crsphere_npz import count_rows, read_crsphere_npz

        path, n_shards = settings["npz"]["path"], settings["npz"]["n_shards"]
        bounds = np.linspace(0, count_rows(path), n_shards + 1).astype(int)
        start, stop = bounds[shard_index], bounds[shard_index + 1]
        ds = read_crsphere_npz(path, first_id=int(start), start=int(start), stop=int(stop))
    ds.attrs = stamp_attrs(ds.attrs, config=config, created_by="crsphere_shard")
    write_dataset(shard, ds)
    log.info("%d samples (%d signal) -> %s", len(ds), int(np.sum(ds.y)), shard)
