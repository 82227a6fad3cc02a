"""galaxy10 study (galaxy morphology, after the reference notebook on Galaxy10 SDSS).

Five-class morphology from 69x69 images: a GalSim-rendered Galaxy10-like set by default, or the
public Galaxy10 SDSS file / the reference notebook's pickle.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sim2model.reference_numbers import ReferenceNumber, for_runs
from sim2model.sharding import fixed_size_spans
from sim2model.study import ReferenceFile, Shard, Study, numbered_shards, verify_reference
from sim2model.train.losses import REFERENCE_LOSS

if TYPE_CHECKING:
    from sim2model.io.dataset import Dataset

from sim2model.studies.galaxy10.names import (
    ACCURACY_GOAL,
    ACCURACY_GOAL_WHERE,
    GALAXY10_FILE,
    GALAXY10_SHA256,
    GALAXY10_URLS,
    PICKLE_FILE,
    PICKLE_URLS,
)

#: The reference recipe's training procedure, which the generic train stage calls by name.
REFERENCE_TRAINER = "sim2model.studies.galaxy10.reference_sgd:fit_by_reference"


class Galaxy10Study(Study):
    name = "galaxy10"
    task_name = "classification"
    source_env = "galsim"
    source_mem_mb = 4000
    reference_files = {
        "h5": ReferenceFile(GALAXY10_FILE, GALAXY10_URLS, GALAXY10_SHA256),
        "pickle": ReferenceFile(PICKLE_FILE, PICKLE_URLS),
    }

    def recipe(self) -> str:
        """Training recipe: ``default`` (the train block) or ``reference`` (the notebook's SGD)."""
        return self.settings.get("recipe", "default")

    def train_settings(self) -> dict[str, Any]:
        """The train block; the reference recipe adds its rounds, steps and learning rate."""
        settings = super().train_settings()
        if self.recipe() == "reference":
            reference = {"rounds": 100, "steps_per_round": 2000, "learning_rate": 0.001}
            reference |= self.settings.get("reference", {})
            settings |= {
                "trainer": REFERENCE_TRAINER,
                "batch_size": 1,
                "scale_learning_rate": "none",
            }
            settings |= reference
        return settings

    def dataset_settings(self, variant: str | None = None) -> dict[str, Any]:
        """The reference notebook's pickle brings its own test set: kept unless set otherwise."""
        settings = super().dataset_settings(variant)
        if self.source == "pickle" and "test_rows" not in settings:
            settings["test_rows"] = "source"
        return settings

    def models(self) -> Mapping[str, Mapping[str, Any]]:
        """The reference recipe trains sigmoid outputs (one-hot targets, summed binary CE)."""
        if self.recipe() != "reference":
            return super().models()
        return {
            name: {**spec, "output_activation": "sigmoid"}
            for name, spec in super().models().items()
        }

    def training_loss(self, variant: str) -> str:
        return REFERENCE_LOSS if self.recipe() == "reference" else super().training_loss(variant)

    def accuracy_goal(self) -> float | None:
        return ACCURACY_GOAL

    def reference_numbers(self) -> list[ReferenceNumber]:
        """The reference's goal for the test accuracy, beside every model's."""
        return for_runs(
            self.runs(), metric="accuracy", key=("accuracy",), reference=ACCURACY_GOAL,
            where=ACCURACY_GOAL_WHERE, note="a goal (at least), not a measured number",
        )  # fmt: skip

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
        plan = {"source": source, "bands": bands, "index": 0, **self.reference_plan()}
        # the whole file fits in memory
        return [Shard(variant, 0, "0000", None, (plan["path"],), plan)]

    @staticmethod
    def build_shard(plan: Mapping[str, Any], seed: int, cache_dir: str) -> Dataset:
        source, bands = plan["source"], plan["bands"]
        if source == "render":
            from sim2model.studies.galaxy10.render import render_galaxy10_like

            return render_galaxy10_like(
                plan["count"], seed, first_id=plan["first"], bands=bands, progress=True
            )
        verify_reference(plan)  # a downloaded file is checked on every read, before unpickling
        if source == "h5":
            from sim2model.studies.galaxy10.readers import read_galaxy10_h5

            return read_galaxy10_h5(plan["path"], bands=bands)
        from sim2model.io.dataset import concat_datasets
        from sim2model.studies.galaxy10.readers import read_galaxy10_pickle

        return concat_datasets(list(read_galaxy10_pickle(plan["path"], bands=bands)))

    def targets(self) -> list[str]:
        variant = self.source
        return [
            *self.generic_targets(),
            *(self.paths.figure(variant, m, "examples.png") for m in self.variant_models(variant)),
            *self.paths.tables("second_choice"),
            self.paths.figure("accuracy_vs_step.png"),
        ]

    def check(self) -> None:
        super().check()
        self.check_reference()
