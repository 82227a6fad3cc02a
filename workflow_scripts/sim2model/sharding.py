"""Shard geometry shared by every study: which samples each source-shard job holds.

Two layouts cover every source: shards of a fixed size (all full but possibly the last), and a
fixed number of contiguous, near-equal parts of a source whose length is known (rows of a file).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ShardSpan:
    """Shard ``index`` holds samples ``first`` .. ``first + count - 1``."""

    index: int
    first: int
    count: int

    @property
    def stop(self) -> int:
        """One past the last sample."""
        return self.first + self.count


def fixed_size_spans(n_samples: int, shard_size: int) -> list[ShardSpan]:
    """``n_samples`` in shards of ``shard_size`` samples: all full but possibly the last."""
    if n_samples < 1 or shard_size < 1:
        raise ValueError(f"need n_samples >= 1 and shard_size >= 1, got {n_samples}, {shard_size}")
    return [
        ShardSpan(index, first, min(shard_size, n_samples - first))
        for index, first in enumerate(range(0, n_samples, shard_size))
    ]


def even_spans(n_samples: int, n_shards: int) -> list[ShardSpan]:
    """``n_samples`` in ``n_shards`` contiguous parts whose sizes differ by at most one.

    The first ``n_samples % n_shards`` parts hold one sample more (as ``numpy.array_split``).
    """
    if n_shards < 1 or n_samples < n_shards:
        raise ValueError(f"cannot cut {n_samples} samples into {n_shards} non-empty shards")
    size, extra = divmod(n_samples, n_shards)
    spans, first = [], 0
    for index in range(n_shards):
        count = size + (index < extra)
        spans.append(ShardSpan(index, first, count))
        first += count
    return spans


def shard_span(spans: list[ShardSpan], index: int) -> ShardSpan:
    """Shard ``index`` of ``spans``, with an error naming the range when it does not exist."""
    if not 0 <= index < len(spans):
        raise ValueError(f"shard {index} does not exist: there are {len(spans)} shards")
    return spans[index]
