"""Label cuts, label balancing and group-wise splits."""

from __future__ import annotations

import numpy as np
import pytest

from sim2model.data.select import balance_indices, group_split_indices, label_mask

FRACTIONS = {"train": 0.8, "val": 0.1, "test": 0.1}


def test_label_mask_bounds_are_inclusive_and_optional():
    y = np.array([[0.0], [0.01], [0.5], [0.99], [1.0]])
    assert label_mask(y, 0.01, 0.99).tolist() == [False, True, True, True, False]
    assert label_mask(y[:, 0], None, 0.5).tolist() == [True, True, True, False, False]
    assert label_mask(y, None, None).all()


@pytest.mark.parametrize(
    ("y", "low", "high", "message"),
    [(np.zeros((3, 2)), None, None, "shape"), (np.zeros(3), 0.9, 0.1, "empty")],
)
def test_label_mask_rejects_bad_input(y, low, high, message):
    with pytest.raises(ValueError, match=message):
        label_mask(y, low, high)


def test_balancing_hand_checked_example():
    # Two bins over [0, 1]: [0, 0.5) and [0.5, 1]. Cells: a-low {0, 1, 2}, a-high {3},
    # b-low {4, 7}, b-high {5, 6}, c-low {9}, c-high empty; 1.5 (index 8) is out of range.
    labels = np.array([0.1, 0.2, 0.3, 0.9, 0.4, 0.5, 1.0, 0.0, 1.5, 0.45])
    groups = np.array(["a", "a", "a", "a", "b", "b", "b", "b", "a", "c"])
    picked = balance_indices(labels, groups, 2, seed=0, value_range=(0.0, 1.0)).tolist()
    assert picked == sorted(picked) and len(picked) == 5
    assert {3, 9} <= set(picked)
    for cell in ({0, 1, 2}, {4, 7}, {5, 6}):
        assert len(cell & set(picked)) == 1


def _cell_counts(labels, groups, picked, edges):
    cells = {}
    for i in picked:
        key = (groups[i], min(np.searchsorted(edges, labels[i], side="right") - 1, len(edges) - 2))
        cells[key] = cells.get(key, 0) + 1
    return cells


def test_balancing_equalises_every_non_empty_cell_and_depends_only_on_seed():
    rng = np.random.default_rng(0)
    groups = rng.choice([7.0, 8.0, 9.0], size=3000)
    labels = rng.beta(2 + groups - 7, 2, size=3000)[:, None]
    picked = balance_indices(labels, groups, 10, seed=1)
    edges = np.linspace(labels.min(), labels.max(), 11)
    counts = _cell_counts(labels[:, 0], groups, picked, edges)
    everything = _cell_counts(labels[:, 0], groups, np.arange(3000), edges)
    assert counts.keys() == everything.keys()
    assert set(counts.values()) == {min(everything.values())}
    assert np.array_equal(picked, balance_indices(labels, groups, 10, seed=1))
    assert not np.array_equal(picked, balance_indices(labels, groups, 10, seed=2))


def test_balancing_nothing_in_range_selects_nothing():
    assert balance_indices(np.ones(4), np.zeros(4), 3, 0, value_range=(2.0, 3.0)).size == 0


def _group_sizes(rng, n_groups):
    sizes = rng.integers(5, 16, size=n_groups)
    return np.repeat(rng.permutation(n_groups) * 11, sizes), sizes.max()


def test_group_split_keeps_groups_whole_and_covers_every_sample():
    groups, largest = _group_sizes(np.random.default_rng(3), 60)
    parts = group_split_indices(groups, FRACTIONS, seed=4)
    assert list(parts) == list(FRACTIONS)
    together = np.concatenate(list(parts.values()))
    assert sorted(together.tolist()) == list(range(groups.size))
    members = [set(groups[idx].tolist()) for idx in parts.values()]
    assert not (members[0] & members[1] or members[0] & members[2] or members[1] & members[2])
    for name, idx in parts.items():
        assert np.array_equal(idx, np.sort(idx))
        assert abs(idx.size - FRACTIONS[name] * groups.size) < largest


def test_group_split_depends_only_on_seed():
    groups, _ = _group_sizes(np.random.default_rng(5), 40)
    a, b, c = (group_split_indices(groups, FRACTIONS, s) for s in (1, 1, 2))
    assert all(np.array_equal(a[k], b[k]) for k in FRACTIONS)
    assert not np.array_equal(a["train"], c["train"])


def test_group_split_gives_nothing_to_an_empty_fraction():
    parts = group_split_indices(np.arange(20) // 4, {"train": 0.5, "val": 0.5, "test": 0.0}, 0)
    # Five groups of four: train, val, train (tie), val, train (tie) -> 12, 8, 0 samples.
    assert [parts[k].size for k in parts] == [12, 8, 0]


@pytest.mark.parametrize(
    ("fractions", "message"),
    [({"train": 0.8, "val": 0.3, "test": 0.1}, "sum to 1"), ({"train": 1.1, "val": -0.1}, "'val'")],
)
def test_group_split_names_bad_fractions(fractions, message):
    with pytest.raises(ValueError, match=message):
        group_split_indices(np.arange(10), fractions, 0)


def test_balancing_that_discards_most_samples_warns(caplog):
    """Two redshifts, each reaching only part of the xHI range (a physical history): one rare
    cell cuts every cell to its count, and the stage says so as a warning; an even spread
    stays an info line."""
    import logging

    from conftest import make_dataset
    from sim2model.stages.dataset import select_samples

    ds = make_dataset(100, seed=3)
    ds.y = np.concatenate([np.full(50, 0.2), np.full(49, 0.8), [0.55]])[:, None].astype(np.float32)
    ds.meta["redshift"] = np.repeat([7.0, 9.0], 50)
    balance = {"bins": 4, "group": "redshift"}
    with caplog.at_level(logging.INFO, logger="sim2model.stages.dataset"):
        kept = select_samples(ds, None, balance, seed=0)
    assert len(kept) == 3  # cells (7, 0.2), (9, 0.8), (9, 0.55) each cut to one sample
    (record,) = [r for r in caplog.records if "balancing keeps" in r.message]
    assert record.levelno == logging.WARNING and "3 of 100" in record.message
    caplog.clear()
    ds.y = np.tile([0.1, 0.3, 0.6, 0.9], 25)[:, None].astype(np.float32)
    with caplog.at_level(logging.INFO, logger="sim2model.stages.dataset"):
        select_samples(ds, None, balance, seed=0)
    (record,) = [r for r in caplog.records if "balancing keeps" in r.message]
    assert record.levelno == logging.INFO
