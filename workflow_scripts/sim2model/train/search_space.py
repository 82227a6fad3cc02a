"""The search space of an architecture search, as configured (standard library only).

A study's ``search.<model>.space`` maps a hyperparameter to its values: a list is a choice, a
``{min, max[, step][, sampling]}`` mapping a range, of integers when ``min`` and ``max`` are
integers (``residual_blocks: {min: 2, max: 8, step: 2}``) and of floats otherwise
(``learning_rate: {min: 1.0e-4, max: 1.0e-2, sampling: log}``). A hyperparameter is a keyword
of the model's builder or a training setting (:data:`TRAIN_KEYS`).

The workflow checks a space while it parses (:meth:`sim2model.study.Study.check_search`);
:mod:`sim2model.train.search` turns it into Keras-Tuner hyperparameters and runs the search.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sim2model.errors import ConfigError

#: Training settings a space may tune besides the builder's keywords.
TRAIN_KEYS = ("learning_rate", "batch_size")
#: Keras-Tuner tuners by config name: Gaussian-process Bayesian optimisation (as the reference
#: notebook's AutoKeras search), random search, Hyperband (sim2model.train.search.make_tuner).
TUNERS = ("bayesian", "random", "hyperband")
#: Sampling of a range (keras_tuner's names).
SAMPLINGS = ("linear", "log", "reverse_log")


@dataclass(frozen=True)
class SearchParam:
    """One hyperparameter: a choice among ``values`` or a ``min``..``max`` range."""

    name: str
    values: tuple[Any, ...] | None = None
    min: float | None = None
    max: float | None = None
    step: float | None = None
    sampling: str = "linear"

    @property
    def kind(self) -> str:
        """``choice``, ``int`` or ``float``."""
        if self.values is not None:
            return "choice"
        return "int" if isinstance(self.min, int) and isinstance(self.max, int) else "float"

    def contains(self, value: Any) -> bool:
        """Whether ``value`` is one this hyperparameter can take."""
        if self.kind == "choice":
            return value in self.values
        if not self.min <= value <= self.max:
            return False
        if self.step is None or self.sampling != "linear":
            return True
        steps = (value - self.min) / self.step
        return math.isclose(steps, round(steps), abs_tol=1e-9)


def is_number(value: Any) -> bool:
    """A number, and not a boolean."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def parse_param(name: str, spec: Any, key: str) -> SearchParam:
    """The hyperparameter ``name`` from its config ``spec``; ``key`` names it in errors."""
    if isinstance(spec, list):
        if len({type(v) for v in spec}) > 1 and all(map(is_number, spec)):
            spec = [float(v) for v in spec]  # [0, 0.1, 0.2]: one kind of value, as Keras-Tuner asks
        if not spec or len(set(map(repr, spec))) != len(spec):
            raise ConfigError(key, f"a choice needs distinct values, got {spec}")
        if not all(isinstance(v, int | float | str | bool) for v in spec) or (
            len({type(v) for v in spec}) > 1
        ):
            raise ConfigError(key, f"choices are numbers, strings or booleans of one kind: {spec}")
        return SearchParam(name, values=tuple(spec))
    if not isinstance(spec, Mapping):
        raise ConfigError(key, f"a list (choice) or {{min, max}} (range), got {spec!r}")
    unknown = sorted(set(spec) - {"min", "max", "step", "sampling"})
    if unknown or "min" not in spec or "max" not in spec:
        raise ConfigError(key, f"a range has keys min, max, step, sampling, got {sorted(spec)}")
    low, high, step = spec["min"], spec["max"], spec.get("step")
    sampling = spec.get("sampling", "linear")
    if not (is_number(low) and is_number(high)) or not low < high:
        raise ConfigError(key, f"min < max must be numbers, got min {low!r}, max {high!r}")
    if sampling not in SAMPLINGS:
        raise ConfigError(f"{key}.sampling", f"one of {list(SAMPLINGS)}, got {sampling!r}")
    if sampling != "linear" and low <= 0:
        raise ConfigError(f"{key}.min", f"{sampling} sampling needs min > 0, got {low}")
    if step is not None and not (is_number(step) and step > 0):
        raise ConfigError(f"{key}.step", f"a positive number, got {step!r}")
    both_int = isinstance(low, int) and isinstance(high, int)
    if both_int and step is not None and not isinstance(step, int):
        raise ConfigError(f"{key}.step", f"an integer range needs an integer step, got {step!r}")
    return SearchParam(name, min=low, max=high, step=step, sampling=sampling)


def parse_space(space: Mapping[str, Any], key: str) -> list[SearchParam]:
    """The hyperparameters of a config ``space`` (``key``: its dotted config path)."""
    if not isinstance(space, Mapping) or not space:
        raise ConfigError(key, f"name at least one hyperparameter to search, got {space!r}")
    return [parse_param(name, spec, f"{key}.{name}") for name, spec in space.items()]


def builder_keywords(builder: Callable[..., Any]) -> list[str]:
    """Keyword options of a model builder (after its input shape and output count)."""
    parameters = inspect.signature(builder).parameters.values()
    return [p.name for p in parameters if p.kind is inspect.Parameter.KEYWORD_ONLY]


def check_space(space: Mapping[str, Any], builder: Callable[..., Any], key: str) -> None:
    """Every hyperparameter of ``space`` is a keyword of ``builder`` or a training setting."""
    allowed = [*builder_keywords(builder), *TRAIN_KEYS]
    for param in parse_space(space, key):
        if param.name not in allowed:
            raise ConfigError(
                f"{key}.{param.name}",
                f"not an option of {builder.__name__} nor a training setting; "
                f"searchable: {sorted(allowed)}",
            )
