"""Nested training subsets: the samples (or whole groups of them) a budget sweep trains each
point on."""

from __future__ import annotations

import numpy as np


def nested_rows(n_available: int, n: int, seed: int) -> np.ndarray:
    """Sorted rows of the first ``n`` samples of a permutation of ``range(n_available)`` fixed
    by ``seed``, so the subsets of one seed are nested: every larger ``n`` keeps the rows of
    every smaller one and adds others drawn at random (not the source's first rows, which may
    all come from a few simulated boxes). Raises ``ValueError`` when ``n`` exceeds
    ``n_available`` or is not positive."""
    if not 0 < n <= n_available:
        raise ValueError(f"cannot take {n} of {n_available} samples")
    order = np.random.default_rng(seed).permutation(n_available)
    return np.sort(order[:n])


def nested_group_rows(groups: np.ndarray, n: int, seed: int) -> np.ndarray:
    """Sorted rows of the samples of the first ``n`` groups (e.g. simulated boxes) of a
    permutation of the distinct values of ``groups`` fixed by ``seed``: whole groups, nested
    as :func:`nested_rows` (a budget counted in simulations rather than samples). Raises
    ``ValueError`` when ``n`` exceeds the number of groups or is not positive."""
    distinct = np.unique(np.asarray(groups))
    if not 0 < n <= distinct.size:
        raise ValueError(f"cannot take {n} of {distinct.size} groups")
    chosen = distinct[np.random.default_rng(seed).permutation(distinct.size)[:n]]
    return np.flatnonzero(np.isin(groups, chosen))
