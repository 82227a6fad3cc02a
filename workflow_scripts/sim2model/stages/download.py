"""Download stage: fetch a study's public reference file from its mirrors, checked by SHA-256."""

from __future__ import annotations

from collections.abc import Sequence

from sim2model.io.download import download_file


def download_reference(
    data: str, *, urls: Sequence[str], sha256: str | None, record: str, timeout: float = 60.0
) -> None:
    """Download ``data`` from ``urls`` in order (plain URLs or ``gdrive:<id>``), checked against
    ``sha256`` (pinned) or the SHA-256 recorded in ``record`` by the first download.

    The file appears at ``data`` only whole and checked (it is written to ``data.part`` first).
    """
    download_file(urls, data, sha256=sha256, record=record, timeout=timeout)
