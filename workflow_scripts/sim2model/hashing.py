"""File hashing shared by the provenance manifest and the FITS cubes' source checksums."""

from __future__ import annotations

import hashlib
import os

CHUNK_BYTES = 1 << 20


def sha256_file(path: str | os.PathLike, chunk: int = CHUNK_BYTES) -> str:
    """Hex SHA-256 digest of a file's bytes, read in ``chunk``-byte blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()
