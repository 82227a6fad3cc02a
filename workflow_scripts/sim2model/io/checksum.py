"""SHA-256 checks of downloaded files (standard library only).

The expected hash of a file is the pinned one (a published checksum) or, when none is pinned,
the one its first download recorded in a ``.sha256`` file (:mod:`sim2model.io.download`). The
source stage checks a downloaded reference file with :func:`verify_sha256` before reading it, so
it needs nothing of the download's own packages.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

CHUNK = 1 << 20


class DownloadError(RuntimeError):
    """No mirror gave the file, or what came has the wrong checksum; the message says what to do."""


def file_sha256(path: str | os.PathLike) -> str:
    """Lower-case hex SHA-256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def expected_sha256(sha256: str | None, record: str | os.PathLike | None) -> str | None:
    """The pinned checksum, else the one recorded by an earlier download, else None."""
    if sha256:
        return sha256.lower()
    if record is not None and Path(record).is_file():
        return Path(record).read_text().split()[0].lower()
    return None


def verify_sha256(
    path: str | os.PathLike, sha256: str | None, record: str | os.PathLike | None = None
) -> None:
    """Raise :class:`DownloadError` when ``path``'s SHA-256 is not the expected one (if any)."""
    expected = expected_sha256(sha256, record)
    if expected is None:
        return
    got = file_sha256(path)
    if got != expected:
        raise DownloadError(
            f"{path}: SHA-256 {got} differs from the expected {expected} "
            f"({'pinned in the config' if sha256 else f'recorded in {record}'}); the file is "
            "corrupt or another version: delete it and run again to download it anew"
        )
