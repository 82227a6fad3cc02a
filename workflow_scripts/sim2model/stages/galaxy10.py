"""galaxy10 source stage: GalSim-rendered Galaxy10-like shards, or the user's Galaxy10 file."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np

from sim2model.io.dataset import concat_datasets, write_dataset
from sim2model.provenance import stamp_attrs
from sim2model.sharding import shard_span

log = logging.getLogger(__name__)


def galaxy10_shard(
    shard: str,
    *,
    settings: Mapping[str, Any],
    shard_index: int,
    seed: int,
    config: object,
    source_files: Any = (),
) -> None:
    """Write shard ``shard_index`` of the configured source (one shard for a user's file)."""
    source, bands = settings["source"], settings["bands"]
    if source == "render":
        from sim2model.sims.galaxy10_render import render_galaxy10_like

        render = settings["render"]
        first, count = shard_span(shard_index, render["shard_size"], render["n_samples"])
        ds = render_galaxy10_like(count, seed, first_id=first, bands=bands, progress=True)
    elif source == "h5":
        from sim2model.io.galaxy10 import read_galaxy10_h5

        ds = read_galaxy10_h5(settings["h5"]["path"], bands=bands)
    else:
        from sim2model.io.galaxy10 import read_galaxy10_pickle

        train, test = read_galaxy10_pickle(settings["pickle"]["path"], bands=bands)
        ds = concat_datasets([train, test])
    ds.attrs = stamp_attrs(ds.attrs, config=config, created_by="galaxy10_shard")
    write_dataset(shard, ds)
    log.info("%d images %s, classes %s -> %s", len(ds), ds.x.shape[1:], np.bincount(ds.y), shard)
