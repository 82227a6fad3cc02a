"""Download a public data file from a list of mirrors, checked by SHA-256.

:func:`download_file` tries each URL in order and streams the body into ``<target>.part``,
hashing it as it goes; only a complete file whose SHA-256 matches is renamed to ``target``, so
an interrupted or corrupt download is never left where the workflow expects the data. The
expected hash is the pinned ``sha256`` (a published checksum) or, when none is pinned, the one
recorded in ``record`` by the first download; a first download without either writes that record,
so every later download, and every reader calling :func:`verify_sha256`, checks against it.

A mirror is a plain ``http(s)://`` URL, or ``gdrive:<file id>`` for a file shared on Google
Drive: :func:`_fetch_gdrive` fetches it with gdown, which follows Drive's virus-scan
confirmation page for large files; it writes into the same ``.part`` file, and the same checks
apply. Errors name a Drive file by its ``https://drive.google.com/uc?id=<id>`` URL.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from sim2model.io.checksum import (
    CHUNK,
    DownloadError,
    expected_sha256,
    file_sha256,
    verify_sha256,
)
from sim2model.progress import progress

log = logging.getLogger(__name__)

#: Prefix of a mirror entry naming a Google Drive file by its id (``gdrive:<id>``).
GDRIVE = "gdrive:"
#: The download URL of a Drive file, as gdown requests it and a browser opens it.
GDRIVE_URL = "https://drive.google.com/uc?id={id}"


def mirror_url(mirror: str) -> str:
    """The URL of a mirror entry: itself, or a ``gdrive:<id>`` entry's Drive download URL."""
    if mirror.startswith(GDRIVE):
        return GDRIVE_URL.format(id=mirror[len(GDRIVE) :])
    return mirror


def _fetch_gdrive(file_id: str, part: Path, timeout: float) -> str:
    """Stream the Drive file ``file_id`` into ``part`` with gdown; return its SHA-256.

    gdown writes into our open ``part`` (no temporary file of its own, no cookie file) and
    raises on a transfer shorter than the announced length; gdown's errors and requests' (an
    ``OSError``) become the ``URLError`` that moves on to the next mirror.
    """
    import gdown
    from gdown.exceptions import DownloadError as GdownError

    try:
        with part.open("wb") as out:
            gdown.download(id=file_id, output=out, quiet=not sys.stderr.isatty(),
                           use_cookies=False, timeout=timeout)  # fmt: skip
    except GdownError as err:
        raise urllib.error.URLError(" ".join(str(err).split())) from err
    return file_sha256(part)


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

    ``urls`` may mix plain URLs and ``gdrive:<id>`` entries. A mirror that cannot be reached or
    breaks off is skipped for the next one. A file whose
    checksum differs from the expected one (see the module docstring) stops the download with
    :class:`DownloadError`; so does the failure of every mirror, naming the URLs and where to put
    the file by hand. ``target.part`` is removed in every case.
    """
    if not urls:
        raise DownloadError(
            f"{target}: no URL to download it from; set the study's download `urls` in the "
            f"config, or put the file at {target}, or give the path of a local copy in the config"
        )
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    expected = expected_sha256(sha256, record)
    failures = []
    try:
        for mirror in urls:
            url = mirror_url(mirror)
            log.info("downloading %s -> %s", url, target)
            try:
                if mirror.startswith(GDRIVE):
                    got = _fetch_gdrive(mirror[len(GDRIVE) :], part, timeout)
                else:
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
        f"it yourself from {mirror_url(urls[0])} and put it at {target}, or give the path of a "
        "local copy in the config"
    )


__all__ = ["DownloadError", "download_file", "file_sha256", "mirror_url", "verify_sha256"]
