"""galaxy10 download stage: fetch the public Galaxy10 SDSS file from its mirrors."""

from __future__ import annotations

from collections.abc import Sequence

from sim2model.io.download import download_file


def galaxy10_download(
    data: str, *, urls: Sequence[str], sha256: str | None, record: str, timeout: float = 60.0
) -> None:
    """Download ``data`` (Galaxy10.h5) from ``urls`` in order, checked against ``sha256``
    (pinned) or the SHA-256 recorded in ``record`` by the first download."""
    download_file(urls, data, sha256=sha256, record=record, timeout=timeout)
