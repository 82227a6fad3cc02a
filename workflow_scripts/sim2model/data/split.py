"""Random train/val/test splits by sample, reproducible from a seed."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

SPLITS = ("train", "val", "test")


def check_fractions(fractions: Mapping[str, float]) -> np.ndarray:
    """Return the fractions in mapping order; ``ValueError`` naming a negative one or a bad sum."""
    names = list(fractions)
    values = np.array([fractions[k] for k in names], dtype=float)
    if np.any(values < 0):
        bad = names[int(np.argmax(values < 0))]
        raise ValueError(f"split fraction '{bad}' must be >= 0, got {fractions[bad]}")
    if not np.isclose(values.sum(), 1.0):
        raise ValueError(f"split fractions {dict(fractions)} must sum to 1, got {values.sum():g}")
    return values


#: How the test split is drawn: at random, or the final rows in source order.
TEST_ROWS = ("random", "last")


def split_indices(
    n: int, fractions: Mapping[str, float], seed: int, test_rows: str = "random"
) -> dict[str, np.ndarray]:
    """Partition ``range(n)`` into disjoint, sorted index arrays with the given fractions.

    The sizes are ``floor(f * n)`` for every split but the last, which takes the remainder, so
    every sample lands in exactly one split. ``test_rows="last"`` makes the last split the final
    rows (as the reference notebook's ``x[-n_test:]``) and draws the others at random from the
    rest. Raises ``ValueError`` naming the bad fraction or option.
    """
    if test_rows not in TEST_ROWS:
        raise ValueError(f"test_rows must be one of {TEST_ROWS}, got {test_rows!r}")
    names = list(fractions)
    values = check_fractions(fractions)
    order = np.random.default_rng(seed).permutation(n)
    sizes = np.floor(values * n).astype(int)
    if test_rows == "last":
        n_last = n - sizes[:-1].sum()
        head = np.random.default_rng(seed).permutation(n - n_last)
        order = np.concatenate([head, np.arange(n - n_last, n)])
    sizes[-1] = n - sizes[:-1].sum()
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    return {k: np.sort(order[bounds[i] : bounds[i + 1]]) for i, k in enumerate(names)}
