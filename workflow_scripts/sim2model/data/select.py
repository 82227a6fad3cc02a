"""Sample selection on NumPy arrays: label cuts, label balancing and splits by whole groups."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from sim2model.data.split import check_fractions


def _one_column(name: str, values: np.ndarray) -> np.ndarray:
    """``values`` of shape ``(N,)`` or ``(N, 1)`` as a 1-D array; ``ValueError`` otherwise."""
    values = np.asarray(values)
    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]
    if values.ndim != 1:
        raise ValueError(f"{name} must have shape (N,) or (N, 1), got {values.shape}")
    return values


def label_mask(y: np.ndarray, low: float | None, high: float | None) -> np.ndarray:
    """Boolean mask of samples whose single-column label lies in ``[low, high]``.

    Both bounds are inclusive; ``None`` leaves that side open.
    """
    y = _one_column("labels", y)
    if low is not None and high is not None and low > high:
        raise ValueError(f"label range is empty: low={low} > high={high}")
    keep = np.ones(y.shape, dtype=bool)
    if low is not None:
        keep &= y >= low
    if high is not None:
        keep &= y <= high
    return keep


def balance_indices(
    labels: np.ndarray,
    groups: np.ndarray,
    n_bins: int,
    seed: int,
    value_range: tuple[float, float] | None = None,
) -> np.ndarray:
    """Sorted indices of a subset with equally many samples in every (group, label bin) cell.

    Labels are cut into ``n_bins`` equal-width bins over ``value_range`` (default: the labels'
    minimum and maximum), the same bins in every group, each bin closed on the left and the
    last also on the right; samples outside ``value_range`` are dropped. Every non-empty cell
    is then downsampled, at random by ``seed``, to the count of the smallest non-empty cell.
    Empty cells (label ranges a group never reaches) are left empty: counting them would
    select nothing at all.
    """
    y = _one_column("labels", labels)
    groups = _one_column("groups", groups)
    if groups.shape != y.shape:
        raise ValueError(f"groups has {groups.size} entries but labels has {y.size}")
    if n_bins < 1:
        raise ValueError(f"n_bins must be >= 1, got {n_bins}")
    kept = np.flatnonzero(label_mask(y, *value_range)) if value_range else np.arange(y.size)
    if kept.size == 0:
        return kept
    low, high = value_range or (y.min(), y.max())
    edges = np.linspace(low, high, n_bins + 1)
    bins = np.minimum(np.searchsorted(edges, y[kept], side="right") - 1, n_bins - 1)
    _, group_ids = np.unique(groups[kept], return_inverse=True)
    cells = group_ids * n_bins + bins
    order = np.argsort(cells, kind="stable")
    _, starts, counts = np.unique(cells[order], return_index=True, return_counts=True)
    rng = np.random.default_rng(seed)
    members = np.split(kept[order], starts[1:])
    return np.sort(np.concatenate([rng.choice(m, counts.min(), replace=False) for m in members]))


def group_split_indices(
    groups: np.ndarray, fractions: Mapping[str, float], seed: int
) -> dict[str, np.ndarray]:
    """Partition the samples into splits with the given fractions, keeping each group whole.

    Groups are taken in an order drawn from ``seed``, and each goes to the split furthest
    below its target sample count, so every split's size misses ``fraction * N`` by less than
    the largest group. With few or large groups a split may get none. Returns sorted index
    arrays in the order of ``fractions``; raises ``ValueError`` naming a bad fraction.
    """
    groups = _one_column("groups", groups)
    targets = check_fractions(fractions) * groups.size
    _, group_ids, sizes = np.unique(groups, return_inverse=True, return_counts=True)
    filled = np.zeros_like(targets)
    split_of_group = np.empty(sizes.size, dtype=int)
    for g in np.random.default_rng(seed).permutation(sizes.size):
        split = int(np.argmax(targets - filled))
        split_of_group[g] = split
        filled[split] += sizes[g]
    split_of_sample = split_of_group[group_ids]
    return {name: np.flatnonzero(split_of_sample == i) for i, name in enumerate(fractions)}


def first_per_class(labels: np.ndarray, n_classes: int, per_class: int) -> np.ndarray:
    """Indices of the first ``per_class`` samples of each class, class by class (for figures)."""
    return np.concatenate(
        [np.flatnonzero(labels == c)[:per_class] for c in range(n_classes)]
    ).astype(int)
