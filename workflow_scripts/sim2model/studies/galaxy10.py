"""galaxy10 study (galaxy morphology, after the reference notebook on Galaxy10 SDSS).

Five-class morphology from 69x69 images: a GalSim-rendered Galaxy10-like set by default, or the
public Galaxy10 SDSS file / the reference notebook's pickle.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sim2model.sharding import fixed_size_spans
from sim2model.studies.base import Shard, Study, numbered_shards, require_file
from sim2model.train.losses import REFERENCE_LOSS

if TYPE_CHECKING:
    from sim2model.io.dataset import Dataset

#: Morphology classes (ids 0..4), the reference notebook's Galaxy10 classes 0, 1, 2, 4 and 7.
CLASS_NAMES = ("disk_face_on", "smooth_round", "smooth_in_between", "disk_edge_on", "spiral_tight")
#: The reference notebook's goal: "at least 66% accuracy" on its test set.
ACCURACY_GOAL = 0.66
#: Where ``source: h5`` without a local ``h5.path`` downloads the public file (outside results/,
#: so cleaning results keeps it), and where the SHA-256 of its first download is recorded.
DOWNLOAD_PATH = "downloads/galaxy10/Galaxy10.h5"
DOWNLOAD_RECORD = DOWNLOAD_PATH + ".sha256"
#: Mirrors of the public Galaxy10 SDSS file (21,785 69x69 gri images), tried in order: its
#: Zenodo record, then the astroNN mirrors at the University of Toronto.
GALAXY10_URLS = (
    "https://zenodo.org/records/10844811/files/Galaxy10.h5",
    "https://astro.utoronto.ca/~hleung/shared/Galaxy10/Galaxy10.h5",
    "http://astro.utoronto.ca/~bovy/Galaxy10/Galaxy10.h5",
)
#: The file's SHA-256 as astroNN publishes it (astroNN.datasets.galaxy10sdss).
GALAXY10_SHA256 = "969a6b1cefcc36e09fffa86febd2f699a4aa19b837ba0427f01b0bc6ded458af"


class Galaxy10Study(Study):
    name = "galaxy10"
    task_name = "classification"
    source_env = "galsim"
    source_mem_mb = 4000

    def recipe(self) -> str:
        """Training recipe: ``default`` (the train block) or ``reference`` (the notebook's SGD)."""
        return self.settings.get("recipe", "default")

    def train_settings(self) -> dict[str, Any]:
        """The train block; the reference recipe adds its rounds, steps and learning rate."""
        settings = super().train_settings()
        if self.recipe() == "reference":
            reference = {"rounds": 100, "steps_per_round": 2000, "learning_rate": 0.001}
            reference |= self.settings.get("reference", {})
            settings |= {"recipe": "reference", "batch_size": 1, "scale_learning_rate": "none"}
            settings |= reference
        return settings

    def dataset_settings(self, variant: str | None = None) -> dict[str, Any]:
        """The reference notebook's pickle brings its own test set: kept unless set otherwise."""
        settings = super().dataset_settings(variant)
        if self.source == "pickle" and "test_rows" not in settings:
            settings["test_rows"] = "source"
        return settings

    def training_loss(self, variant: str) -> str:
        return REFERENCE_LOSS if self.recipe() == "reference" else super().training_loss(variant)

    def accuracy_goal(self) -> float | None:
        return ACCURACY_GOAL

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
        path = self.source_path()
        recipe = {"source": source, "bands": bands, "path": path, "index": 0}
        if self.downloads():
            options = self.download_options()
            recipe |= {"sha256": options["sha256"], "record": options["record"]}
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
            from sim2model.io.download import verify_sha256
            from sim2model.io.galaxy10 import read_galaxy10_h5

            if "record" in recipe:  # a downloaded file is checked on every read
                verify_sha256(recipe["path"], recipe["sha256"], recipe["record"])
            return read_galaxy10_h5(recipe["path"], bands=bands)
        from sim2model.io.dataset import concat_datasets
        from sim2model.io.galaxy10 import read_galaxy10_pickle

        return concat_datasets(list(read_galaxy10_pickle(recipe["path"], bands=bands)))

    def downloads(self) -> bool:
        """Whether the h5 source is downloaded (no local ``h5.path`` given)."""
        return self.source == "h5" and not self.settings["h5"].get("path")

    def source_path(self) -> str:
        """The file the h5 or pickle source reads: the local one, or the download's target."""
        return DOWNLOAD_PATH if self.downloads() else self.settings[self.source]["path"]

    def download_options(self) -> dict[str, Any]:
        """Arguments of the download job: mirrors in order, pinned checksum, record path."""
        h5 = self.settings["h5"]
        return {
            "urls": list(h5.get("urls", GALAXY10_URLS)),
            "sha256": h5.get("sha256", GALAXY10_SHA256),
            "record": DOWNLOAD_RECORD,
        }

    def check(self) -> None:
        super().check()
        if self.source != "render" and not self.downloads():
            require_file(f"galaxy10.{self.source}.path", self.settings[self.source]["path"])
