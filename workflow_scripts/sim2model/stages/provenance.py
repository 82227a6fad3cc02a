"""Provenance stage: the data manifest and the study's provenance record."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from sim2model.hashing import sha256_file
from sim2model.provenance import provenance_record


def manifest(data: Sequence[str], manifest: str, *, root: str) -> None:
    """Write ``sha256sum``-style lines for ``data``, paths relative to ``root``, sorted."""
    relative = sorted((os.path.relpath(p, root), p) for p in data)
    lines = [f"{sha256_file(path)}  {name}" for name, path in relative]
    Path(manifest).write_text("\n".join(lines) + "\n")


def _flatten(paths: Iterable) -> list[str]:
    out = []
    for p in paths:
        out.extend(_flatten(p) if isinstance(p, (list, tuple)) else [str(p)])
    return out


def provenance(
    products: Sequence[str], data: Sequence[str], manifest: str, record: str, *, config: dict
) -> None:
    """Write provenance JSON: git state, config, packages, host, and the run's time span.

    The run started at the oldest modification time among the study's data and products (the
    first shard) and finished now.
    """
    files = [*_flatten(data), *_flatten(products), manifest]
    started = min(Path(p).stat().st_mtime for p in files)
    rec = provenance_record(
        config,
        started=datetime.fromtimestamp(started, UTC).isoformat(timespec="seconds"),
        finished=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    rec["products"] = sorted(files)
    Path(record).write_text(json.dumps(rec, indent=2, default=str) + "\n")
