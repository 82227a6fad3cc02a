"""A sixth study in a few lines: is a Gaussian blob in noise round or elongated?

This package is the worked example of docs/adding_a_study.md; the end-to-end test copies it to
``workflow_scripts/sim2model/studies/blobs/`` of a fresh copy of the workflow, where the registry
finds it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sim2model.sharding import fixed_size_spans
from sim2model.study import Shard, Study, numbered_shards

if TYPE_CHECKING:
    from sim2model.io.dataset import Dataset


class BlobsStudy(Study):
    name = "blobs"
    task_name = "classification"

    def targets(self) -> list[str]:
        return [*self.generic_targets(), self.paths.figure("gallery.png")]

    def shards(self, variant: str) -> list[Shard]:
        spans = fixed_size_spans(self.settings["n_samples"], self.settings["shard_size"])
        return numbered_shards(variant, spans, {"noise": self.settings["noise"]})

    @staticmethod
    def build_shard(plan: Mapping[str, Any], seed: int, cache_dir: str) -> Dataset:
        from sim2model.studies.blobs.simulator import simulate_blobs

        return simulate_blobs(plan["count"], seed, first_id=plan["first"], noise=plan["noise"])
