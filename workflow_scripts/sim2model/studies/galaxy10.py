"""galaxy10 study (galaxy morphology, after the reference notebook on Galaxy10 SDSS).

Five-class morphology from 69x69 images: a GalSim-rendered Galaxy10-like set by default, or the
public Galaxy10 SDSS file / the reference notebook's pickle.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sim2model.sharding import fixed_size_spans
from sim2model.studies.base import Shard, Study, numbered_shards, require_file

if TYPE_CHECKING:
    from sim2model.io.dataset import Dataset

#: Morphology classes (ids 0..4), the reference notebook's Galaxy10 classes 0, 1, 2, 4 and 7.
CLASS_NAMES = ("disk_face_on", "smooth_round", "smooth_in_between", "disk_edge_on", "spiral_tight")


class Galaxy10Study(Study):
    name = "galaxy10"
    task_name = "classification"
    source_env = "galsim"
    source_mem_mb = 4000

    def source_note(self) -> str:
        if self.source == "render":
            return "GalSim-rendered Galaxy10-like images (a stand-in for SDSS photometry)"
        return f"Galaxy10 SDSS images ({self.source} file)"

    def shards(self, variant: str) -> list[Shard]:
        source, bands = self.source, self.settings["bands"]
        if source == "render":
            render = self.settings["render"]
            spans = fixed_size_spans(render["n_samples"], render["shard_size"])
            return numbered_shards(variant, spans, {"source": source, "bands": bands})
        path = self.settings[source]["path"]
        recipe = {"source": source, "bands": bands, "path": path, "index": 0}
        return [Shard(variant, 0, "0000", None, (path,), recipe)]  # the whole file fits in memory

    @staticmethod
    def build_shard(recipe: Mapping[str, Any], seed: int, cache_dir: str) -> Dataset:
        source, bands = recipe["source"], recipe["bands"]
        if source == "render":
            from sim2model.sims.galaxy10_render import render_galaxy10_like

            return render_galaxy10_like(
                recipe["count"], seed, first_id=recipe["first"], bands=bands, progress=True
            )
        if source == "h5":
            from sim2model.io.galaxy10 import read_galaxy10_h5

            return read_galaxy10_h5(recipe["path"], bands=bands)
        from sim2model.io.dataset import concat_datasets
        from sim2model.io.galaxy10 import read_galaxy10_pickle

        return concat_datasets(list(read_galaxy10_pickle(recipe["path"], bands=bands)))

    def check(self) -> None:
        super().check()
        if self.source != "render":
            require_file(f"galaxy10.{self.source}.path", self.settings[self.source]["path"])
