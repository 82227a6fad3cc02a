"""Budget sweep stage: train and evaluate one point of a sweep (a model on a nested subset of a
variant's training split), through the generic train and evaluate stages.

The learning curve over the points is :func:`sim2model.stages.learning_curve.learning_curve`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sim2model.stages import evaluate as evaluate_stage
from sim2model.stages import train as train_stage


def sweep_train(
    train: str,
    val: str,
    norm: str,
    model: str,
    history: str,
    *,
    model_config: Mapping[str, Any],
    train_config: Mapping[str, Any],
    train_samples: int,
    subset_seed: int,
    seed: int,
    threads: int = 1,
) -> None:
    """Train on the ``train_samples`` nested training samples of ``subset_seed`` (the same
    permutation at every point of the sweep), validated on the whole validation split."""
    train_stage.train(
        train, val, norm, model, history, model_config=model_config,
        train_config=train_config, seed=seed, threads=threads,
        nested=(train_samples, subset_seed),
    )  # fmt: skip


def sweep_evaluate(
    model: str,
    norm: str,
    data: str,
    predictions: str,
    metrics: str,
    table: str,
    *,
    train_config: Mapping[str, Any],
    seed: int,
    threads: int = 1,
) -> None:
    """Score one point on the test split, as the generic evaluate stage scores every model."""
    evaluate_stage.evaluate(
        model, norm, data, predictions, metrics, table,
        train_config=train_config, seed=seed, threads=threads,
    )  # fmt: skip
