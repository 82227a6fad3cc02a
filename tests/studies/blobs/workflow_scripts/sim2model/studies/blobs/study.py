"""A sixth study in a few lines: is a Gaussian blob in noise round or elongated?

This file is the worked example of docs/adding_a_study.md; the end-to-end test copies it into
``workflow_scripts/sim2model/studies/`` of a fresh copy of the workflow and registers it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sim2model.sharding import fixed_size_spans
from sim2model.study import Shard, Study, numbered_shards


class BlobsStudy(Study):
    name = "blobs"
    task_name = "classification"
    settings_schema = {
        "type": "object",
        "additionalProperties": False,
        "required": ["n_samples", "shard_size", "models"],
        "properties": {
            "n_samples": {"type": "integer", "minimum": 2},
            "shard_size": {"type": "integer", "minimum": 1},
            "noise": {"type": "number", "minimum": 0},
            "models": {"type": "object"},
            "dataset": {"type": "object"},
            "train": {"type": "object"},
        },
    }

    def shards(self, variant: str) -> list[Shard]:
        spans = fixed_size_spans(self.settings["n_samples"], self.settings["shard_size"])
        return numbered_shards(variant, spans, {"noise": self.settings.get("noise", 0.3)})

    @staticmethod
    def build_shard(recipe: Mapping[str, Any], seed: int, cache_dir: str):
        import numpy as np

        from sim2model.io.dataset import Dataset

        rng = np.random.default_rng(seed)
        labels = rng.integers(0, 2, recipe["count"])
        yy, xx = np.mgrid[-8:8, -8:8] + 0.5
        width = np.where(labels == 1, 5.0, 2.0)[:, None, None]  # elongated along x
        images = np.exp(-0.5 * ((xx / width) ** 2 + (yy / 2.0) ** 2))
        images = images + recipe["noise"] * rng.standard_normal(images.shape)
        first = recipe["first"]
        return Dataset(
            x=images[..., None].astype(np.float32),
            y=labels.astype(np.int64),
            meta={"sample_id": np.arange(first, first + recipe["count"])},
            attrs={
                "study": "blobs",
                "task": "classification",
                "class_names": ["round", "elongated"],
                "target_names": [],
            },
        )
