"""Download a public data file from a list of mirrors, checked by SHA-256.

:func:`download_file` tries each URL in order and streams the body into ``<target>.part``,
hashing it as it goes; only a complete file whose SHA-256 matches is renamed to ``target``, so
an interrupted or corrupt download is never left where the workflow expects the data. The
expected hash is the pinned ``sha256`` (a published checksum) or, when none is pinned, the one
recorded in ``record`` by the first download; a first download without either writes that record,
so every later download, and every reader calling :func:`verify_sha256`, checks against it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from sim2model.progress import progress

log = logging.getLogger(__name__)

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


def _fetch(url: str, part: Path, timeout: float) -> str:
    """Stream ``url`` into ``part``; return the SHA-256 of what came."""
    digest = hashlib.sha256()
    request = urllib.request.Request(url, headers={"User-Agent": "sim2model"})
    with urllib.request.urlopen(request, timeout=timeout) as response, part.open("wb") as out:
        size = int(response.headers.get("Content-Length") or 0)
        with progress(size or None, f"download {url.rsplit('/', 1)[-1]}", unit="B",
                      unit_scale=True) as bar:  # fmt: skip
            for chunk in iter(lambda: response.read(CHUNK), b""):
                out.write(chunk)
                digest.update(chunk)
                bar.update(len(chunk))
        if size and out.tell() != size:
            raise urllib.error.URLError(f"got {out.tell()} of {size} bytes")
    return digest.hexdigest()


def download_file(
    urls: Sequence[str],
    target: str | os.PathLike,
    *,
    sha256: str | None = None,
    record: str | os.PathLike | None = None,
    timeout: float = 60.0,
) -> str:
    """Download ``target`` from the first of ``urls`` that serves it; return its SHA-256.

    A mirror that cannot be reached or breaks off is skipped for the next one. A file whose
    checksum differs from the expected one (see the module docstring) stops the download with
    :class:`DownloadError`; so does the failure of every mirror, naming the URLs and where to put
    the file by hand. ``target.part`` is removed in every case.
    """
    if not urls:
        raise DownloadError(f"{target}: no URL to download it from")
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    expected = expected_sha256(sha256, record)
    failures = []
    try:
        for url in urls:
            log.info("downloading %s -> %s", url, target)
            try:
                got = _fetch(url, part, timeout)
            except (urllib.error.URLError, OSError, TimeoutError) as err:
                reason = getattr(err, "reason", err)
                failures.append(f"{url} ({reason})")
                log.warning("%s failed: %s", url, reason)
                continue
            if expected is not None and got != expected:
                raise DownloadError(
                    f"{url}: the downloaded file's SHA-256 {got} differs from the expected "
                    f"{expected} ({'pinned in the config' if sha256 else f'recorded in {record}'})"
                    f"; nothing was written to {target}"
                )
            os.replace(part, target)
            if expected is None and record is not None:
                Path(record).write_text(f"{got}  {target.name}\n")
                log.info("first download: SHA-256 %s recorded in %s", got, record)
            log.info("%s: SHA-256 %s", target, got)
            return got
    finally:
        part.unlink(missing_ok=True)
    raise DownloadError(
        f"cannot download {target.name}: every mirror failed: {'; '.join(failures)}. Download "
        f"it yourself from {urls[0]} and put it at {target}, or give the path of a local copy "
        "in the config"
    )
