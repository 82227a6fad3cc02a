"""Numbers a study's reference notebook reports, as data, beside which our results are set.

A study declares them in :meth:`Study.reference_numbers`: one :class:`ReferenceNumber` per
metric and run, naming where our value lies in the run's ``metrics.json`` (written by the
evaluate stage) and where the reference states its own. The ``reference_comparison`` rule
(rules/reference.smk) sets the two side by side in ``tables/reference_comparison.{csv,md}``.

Standard library and sim2model.layout only: study modules import it at module level.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from sim2model.layout import StudyPaths

#: Name of the comparison table (``results/<study>/tables/<name>.{csv,md}``).
TABLE = "reference_comparison"


@dataclass(frozen=True)
class ReferenceNumber:
    """One number of a reference notebook and the run of ours it is compared with.

    ``metric``: its label in the table (e.g. ``"RMSE flux (counts)"``); ``variant``, ``model``,
    ``evalset``: the evaluation of ours (``results/<study>/eval/<variant>/<model>/<evalset>/
    metrics.json``); ``key``: the path of our value in that JSON record (e.g. ``("targets",
    "flux", "rmse")`` or ``("accuracy",)``); ``reference``: the reference's value, None where
    it states none; ``where``: where the reference states it (section, table, sentence);
    ``note``: what a reader must know to compare the two (e.g. a goal, not a measurement).
    """

    metric: str
    variant: str
    model: str
    key: tuple[str, ...]
    reference: float | None
    where: str
    note: str = ""
    evalset: str = "test"

    def as_dict(self) -> dict[str, Any]:
        """Plain form (a rule's params): the key as a list."""
        return {**asdict(self), "key": list(self.key)}

    @classmethod
    def from_dict(cls, record: Mapping[str, Any]) -> ReferenceNumber:
        return cls(**{**record, "key": tuple(record["key"])})


def for_runs(
    runs: Iterable[tuple[str, str]],
    *,
    metric: str,
    key: tuple[str, ...],
    reference: float | None,
    where: str,
    note: str = "",
) -> list[ReferenceNumber]:
    """The same reference number set beside each (variant, model) run of ``runs``."""
    return [
        ReferenceNumber(metric, variant, model, key, reference, where, note)
        for variant, model in runs
    ]


def metrics_files(numbers: Iterable[ReferenceNumber], paths: StudyPaths) -> list[str]:
    """The ``metrics.json`` of the run of each number, in order (paths repeat)."""
    return [paths.evaluation(n.variant, n.model, n.evalset, "metrics.json") for n in numbers]


def train_splits(numbers: Iterable[ReferenceNumber], paths: StudyPaths) -> list[str]:
    """The train split of each number's variant, in order (its sample count; paths repeat)."""
    return [paths.split(n.variant, "train") for n in numbers]


def read_value(record: Mapping[str, Any], key: tuple[str, ...], source: str) -> float:
    """Our value at ``key`` in a ``metrics.json`` record read from ``source``; a missing key is
    a ``KeyError`` naming the key path, the file and what it holds there."""
    value: Any = record
    for depth, part in enumerate(key):
        if not isinstance(value, Mapping) or part not in value:
            where = ".".join(key[:depth]) or "the top level"
            known = sorted(value) if isinstance(value, Mapping) else type(value).__name__
            raise KeyError(f"{source}: no {'.'.join(key)!r} (at {where}: {known})")
        value = value[part]
    return float(value)
