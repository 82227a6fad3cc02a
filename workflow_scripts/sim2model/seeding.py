"""Deterministic seeds derived from the global seed and a job's identity."""

from __future__ import annotations

import hashlib


def derive_seed(global_seed: int, *keys: object, bits: int = 63) -> int:
    """Return a ``bits``-bit seed unique to ``(global_seed, *keys)``, identical on every machine.

    Seeds come from SHA-256 of the keys' text, not Python's salted ``hash``, so a shard's seed
    does not depend on the process, the machine, or the number of cores.
    """
    text = "\x1f".join(str(k) for k in (global_seed, *keys))
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little") >> (64 - bits)
