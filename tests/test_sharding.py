"""Shard spans cover every sample exactly once."""

from __future__ import annotations

import pytest

from sim2model.sharding import shard_span


@pytest.mark.parametrize(("n_samples", "shard_size"), [(10, 3), (9, 3), (1, 5), (2000, 500)])
def test_shards_cover_every_sample_once(n_samples, shard_size):
    n_shards = -(-n_samples // shard_size)
    ids = []
    for index in range(n_shards):
        first, count = shard_span(index, shard_size, n_samples)
        assert 0 < count <= shard_size
        ids.extend(range(first, first + count))
    assert ids == list(range(n_samples))
    with pytest.raises(ValueError, match=f"shard {n_shards} is outside"):
        shard_span(n_shards, shard_size, n_samples)
