"""Which samples a source shard holds: shards are full but possibly the last."""

from __future__ import annotations


def shard_span(shard_index: int, shard_size: int, n_samples: int) -> tuple[int, int]:
    """First sample id and sample count of shard ``shard_index`` of ``n_samples``."""
    first = shard_index * shard_size
    if shard_index < 0 or first >= n_samples:
        raise ValueError(f"shard {shard_index} is outside the {n_samples} samples")
    return first, min(shard_size, n_samples - first)
