"""EoR 21cm source stage: map shards from the built-in simulator, SimFast21 runs or a pickle."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from sim2model.io.dataset import Dataset, write_dataset
from sim2model.provenance import stamp_attrs

log = logging.getLogger(__name__)


def _source_dataset(settings: Mapping[str, Any], shard_index: int, seed: int) -> Dataset:
    from sim2model.sims import eor_maps
    from sim2model.sims.eor_seminumerical import SimConfig

    source, maps = (
        settings["source"],
        {
            "slices_per_box": settings["slices_per_box"],
            "image_size": settings.get("image_size"),
        },
    )
    if source == "builtin":
        sim = settings["builtin"]
        return eor_maps.builtin_shard(
            seed,
            n_boxes=sim["boxes_per_shard"],
            first_box_id=shard_index * sim["boxes_per_shard"],
            redshifts=settings["redshifts"],
            xhi_bounds=tuple(sim["xhi_range"]),
            config=SimConfig(n=sim["box_cells"], box_mpc=sim["box_mpc"]),
            progress=True,
            **maps,
        )
    if source == "21cmfast":
        from sim2model.sims.eor_21cmfast import twentyonecmfast_shard

        sim = settings["21cmfast"]
        return twentyonecmfast_shard(
            seed,
            n_boxes=sim["boxes_per_shard"],
            first_box_id=shard_index * sim["boxes_per_shard"],
            redshifts=settings["redshifts"],
            box_cells=sim["box_cells"],
            box_mpc=sim["box_mpc"],
            threads=sim["threads"],
            progress=True,
            **maps,
        )
    if source == "simfast21":
        run = settings["simfast21"]["runs"][shard_index]
        return eor_maps.simfast21_shard([run], first_box_id=shard_index, progress=True, **maps)
    table = settings["pickle"]
    return eor_maps.pickle_shard(
        table["path"],
        shard_index=shard_index,
        n_shards=table["n_shards"],
        image_size=maps["image_size"],
        scale_to_mk=table["scale_to_mk"],
    )


def make_shard(
    shard: str,
    *,
    settings: Mapping[str, Any],
    shard_index: int,
    seed: int,
    config: object,
    source_files: Sequence[str] = (),
) -> None:
    """Write shard ``shard_index`` of the configured source as 2D maps in the dataset contract.

    ``source_files`` are the SimFast21 run directory or pickle the shard reads (listed so the
    workflow reruns the shard when they change).
    """
    ds = _source_dataset(settings, shard_index, seed)
    ds.attrs = stamp_attrs(
        {**ds.attrs, "source": settings["source"], "shard_index": shard_index, "seed": seed},
        config=config,
        created_by="eor21cm_shard",
    )
    write_dataset(shard, ds)
    xhi = ds.y[:, 0]
    log.info("%s: %d maps %s, xHI %.3f-%.3f", shard, len(ds), ds.x.shape[1:], xhi.min(), xhi.max())
