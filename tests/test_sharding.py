"""Shard geometry: every layout covers every sample exactly once, in order."""

from __future__ import annotations

import re

import numpy as np
import pytest

from sim2model.sharding import even_spans, fixed_size_spans


def _ids(spans):
    return [i for span in spans for i in range(span.first, span.stop)]


@pytest.mark.parametrize(("n_samples", "shard_size"), [(10, 3), (9, 3), (1, 5), (2000, 500)])
def test_fixed_size_shards_cover_every_sample_once(n_samples, shard_size):
    spans = fixed_size_spans(n_samples, shard_size)
    assert len(spans) == -(-n_samples // shard_size)
    assert [s.index for s in spans] == list(range(len(spans)))
    assert all(0 < s.count <= shard_size for s in spans)
    assert all(s.count == shard_size for s in spans[:-1])
    assert _ids(spans) == list(range(n_samples))


@pytest.mark.parametrize(("n_samples", "n_shards"), [(10, 3), (9, 3), (5, 5), (17457, 4)])
def test_even_shards_match_numpy_array_split(n_samples, n_shards):
    spans = even_spans(n_samples, n_shards)
    parts = np.array_split(np.arange(n_samples), n_shards)
    assert [list(range(s.first, s.stop)) for s in spans] == [list(p) for p in parts]


@pytest.mark.parametrize(
    ("layout", "args", "message"),
    [
        (fixed_size_spans, (0, 5), "need n_samples >= 1 and shard_size >= 1, got 0, 5"),
        (fixed_size_spans, (5, 0), "need n_samples >= 1 and shard_size >= 1, got 5, 0"),
        (even_spans, (3, 4), "cannot cut 3 samples into 4 non-empty shards"),
        (even_spans, (3, 0), "cannot cut 3 samples into 0 non-empty shards"),
    ],
)
def test_impossible_layouts_are_refused(layout, args, message):
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        layout(*args)
