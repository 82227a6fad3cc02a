"""crsphere study (cosmic-ray arrival directions, after the reference notebook on EdgeConv).

Binary classification of skies of ultra-high-energy cosmic rays: isotropic, or with events from a
few sources deflected into "streets" by magnetic fields. Simulated, or read from an npz.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sim2model.reference_numbers import ReferenceNumber, for_runs
from sim2model.sharding import fixed_size_spans
from sim2model.studies.crsphere.names import (
    NPZ_FILE,
    NPZ_URLS,
    REFERENCE_ACCURACY,
    REFERENCE_ACCURACY_WHERE,
)
from sim2model.study import ReferenceFile, Shard, Study, numbered_shards, verify_reference

if TYPE_CHECKING:
    from sim2model.io.dataset import Dataset


class CRSphereStudy(Study):
    name = "crsphere"
    task_name = "classification"
    reference_files = {"npz": ReferenceFile(NPZ_FILE, NPZ_URLS)}

    def source_note(self) -> str:
        if self.source == "simulate":
            return "simulated arrival directions (isotropic vs deflected source events)"
        return "arrival directions read from an npz file"

    def targets(self) -> list[str]:
        return [
            *self.generic_targets(),
            self.paths.figure("roc.png"),
            self.paths.figure("sky_maps.png"),
            self.paths.figure("knn_graphs.png"),
        ]

    def reference_numbers(self) -> list[ReferenceNumber]:
        """The test accuracy of the book's solution, beside every model's."""
        return for_runs(
            self.runs(), metric="accuracy", key=("accuracy",), reference=REFERENCE_ACCURACY,
            where=REFERENCE_ACCURACY_WHERE, note="~0.975 on the book's cr_sphere.npz",
        )  # fmt: skip

    def figure_model(self) -> str:
        """The trained model whose EdgeConv graphs the figures draw (the first of the source)."""
        return self.variant_models(self.source)[0]

    def shards(self, variant: str) -> list[Shard]:
        settings = self.settings
        if self.source == "simulate":
            spans = fixed_size_spans(settings["n_samples"], settings["shard_size"])
            plan = {"source": "simulate", "simulate": dict(settings["simulate"])}
            return numbered_shards(variant, spans, plan)
        n_shards = settings["npz"]["n_shards"]
        plan = {"source": "npz", **self.reference_plan(), "n_shards": n_shards}
        return [
            Shard(variant, i, f"{i:04d}", None, (plan["path"],), {**plan, "index": i})
            for i in range(n_shards)
        ]

    @staticmethod
    def build_shard(plan: Mapping[str, Any], seed: int, cache_dir: str) -> Dataset:
        if plan["source"] == "simulate":
            from sim2model.studies.crsphere.simulator import CRSphereSettings, simulate_shard

            settings = CRSphereSettings(**plan["simulate"])
            return simulate_shard(plan["count"], seed, plan["first"], settings)
        from sim2model.sharding import even_spans
        from sim2model.studies.crsphere.npz import count_rows, read_crsphere_npz

        verify_reference(plan)
        path = plan["path"]
        span = even_spans(count_rows(path), plan["n_shards"])[plan["index"]]
        return read_crsphere_npz(path, first_id=span.first, start=span.first, stop=span.stop)

    def check(self) -> None:
        super().check()
        self.check_reference()
